"""Page logic through streamlit.testing.v1.AppTest (no browser: plotly charts and components are not seen)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "explorer" / "app.py")
BUNDLED = REPO / "checkpoints" / "digits-2d"
PAGES = ["views/explore.py", "views/interpolate.py", "views/generate.py"]

pytestmark = pytest.mark.skipif(not (BUNDLED / "model.safetensors").exists(),
                                reason="checkpoints/digits-2d is missing (make checkpoints)")


@pytest.fixture
def root(tmp_path, monkeypatch, copy_bundled):
    """A checkpoints folder with a copy of digits-2d and one whose weights are truncated."""
    root = tmp_path / "checkpoints"
    for name in ("digits-2d", "broken"):
        copy_bundled(root, "digits-2d", name)
    weights = root / "broken" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(root))
    return root


def run(query: dict | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    return at.switch_page(page).run() if page else at  # AppTest needs one run before switching pages


def texts(elements) -> list[str]:
    return [e.value for e in elements]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_cleanly(page):
    at = run(page=page)
    assert not at.exception
    assert not at.error, texts(at.error)
    assert at.title, "every page has a title"
    assert at.selectbox(key="checkpoint").value == "mnist-2d"  # the default


def test_picker_lists_checkpoints_and_shows_their_info():
    at = run()
    picker = at.selectbox(key="checkpoint")
    assert {"mnist-2d", "mnist-16d", "digits-2d", "shapes-6d"} <= set(picker.options)
    sidebar = " ".join(texts(at.sidebar.markdown))
    assert "mnist" in sidebar and "28×28" in sidebar and "Latent dim" in sidebar and "−ELBO" in sidebar
    assert at.title[0].value.startswith("Explore")
    assert at.query_params["ckpt"] == "mnist-2d"


@pytest.mark.parametrize("bad, message", [("../etc", "invalid checkpoint name"),
                                          ("no-such-model", "no checkpoint named")])
def test_bad_checkpoint_in_url_shows_an_error_and_falls_back(bad, message):
    at = run({"ckpt": bad})
    assert not at.exception
    assert any(message in e for e in texts(at.error)), texts(at.error)
    assert at.selectbox(key="checkpoint").value == "mnist-2d"
    assert at.query_params["ckpt"] == "mnist-2d"
    assert at.run().error.len == 0  # said once, then the app carries on


def test_broken_checkpoint_shows_its_error_and_others_still_work(root):
    at = run()
    assert at.selectbox(key="checkpoint").options == ["broken", "digits-2d"]
    at.selectbox(key="checkpoint").set_value("broken").run()
    assert not at.exception
    assert any("Cannot open checkpoint 'broken'" in e and "safetensors" in e for e in texts(at.error))
    at.selectbox(key="checkpoint").set_value("digits-2d").run()
    assert not at.exception and not at.error


def test_url_reopens_the_selected_image_and_interpolation(component_data):
    at = run({"i": "5", "z": "0.5,-1"})
    assert not at.exception
    assert component_data(at, "latent_lab.selection_view")["selected"] == 5  # the browser draws it
    assert at.query_params["i"] == "5"
    assert [float(v) for v in at.query_params["z"].split(",")] == [0.5, -1.0]

    at = run({"a": "3", "b": "7", "m": "lerp", "n": "5"}, page="views/interpolate.py")
    assert not at.exception
    assert at.number_input(key="interp_a").value == 3 and at.number_input(key="interp_b").value == 7
    assert at.radio(key="interp_method").value == "lerp" and at.session_state["interp_steps"] == 5
    strip = component_data(at, "latent_lab.interpolation_strip")
    assert (strip["a"], strip["b"], strip["method"], strip["steps"]) == (3, 7, "lerp", 5)


def test_out_of_range_index_in_url_is_ignored():
    at = run({"i": "999999", "a": "-4"})
    assert not at.exception and not at.error
    assert not any(s.startswith("Test image") for s in texts(at.subheader))
    at.switch_page("views/interpolate.py").run()
    assert not at.exception and at.number_input(key="interp_a").value == 0


def test_interpolate_random_pair_and_generate_controls():
    at = run(page="views/interpolate.py")
    at.button(key="interp_random").click().run()
    a, b = at.number_input(key="interp_a").value, at.number_input(key="interp_b").value
    assert a != b and not at.exception
    at.radio(key="interp_method").set_value("lerp").run()
    assert not at.exception and at.query_params["m"] == "lerp"

    at.switch_page("views/generate.py").run()
    at.slider(key="gen_temperature").set_value(0.5).run()
    at.number_input(key="gen_seed").set_value(7).run()
    assert not at.exception and not at.error
    assert at.query_params["seed"] == "7"
    at.switch_page("views/interpolate.py").run()  # values survive a visit to another page
    assert at.number_input(key="interp_a").value == a and at.radio(key="interp_method").value == "lerp"


def test_explore_sample_from_prior_and_reset_to_the_selected_point():
    at = run({"i": "2"})
    assert not at.exception and not at.error
    selected_z = at.query_params["z"]
    at.button(key="explore_sample").click().run()
    assert not at.exception and at.query_params["z"] != selected_z
    at.button(key="explore_reset").click().run()
    assert not at.exception and at.query_params["z"] == selected_z


def test_no_checkpoints_at_all_is_explained_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(tmp_path / "empty"))
    for page in PAGES:
        at = run(page=page if page != PAGES[0] else None)
        assert not at.exception and not at.error
        assert any("No checkpoints" in w.value for w in [*at.sidebar.warning, *at.info])
