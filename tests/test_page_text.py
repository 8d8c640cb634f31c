"""Pages on a text checkpoint through AppTest (no browser): Explore shows sentences through the display seam,
the pages built for images say plainly that they do not apply and link to Explore."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "explorer" / "app.py")
IMAGE_ONLY = ["views/draw.py", "views/compression.py", "views/inside.py"]


@pytest.fixture(autouse=True)
def root(tmp_path, monkeypatch, copy_bundled):
    """A checkpoints folder holding a copy of the bundled text checkpoint only."""
    root = tmp_path / "checkpoints"
    copy_bundled(root, "grammar-16d")
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(root))
    return root


def run(page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at.switch_page(page).run() if page else at


def test_explore_hands_the_selected_sentence_to_the_browser_and_the_text_panel(component_data):
    """The selection is drawn by the browser (text_selection.js): the page sends the index, its title, the
    sentences and mu (the point set whose sentences the map's tooltip reads too: sent once), and the decoder the
    text panel uses; Python draws no sentence of its own."""
    at = run(i="3")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="checkpoint").value == "grammar-16d"
    picked = component_data(at, "latent_lab.text_selection")
    assert picked["selected"] == 3 and picked["title"].startswith("Test sentence #3 · label ")
    assert picked["chart"] == "explore_map" and picked["decoder"] == "explore_decoder"
    assert {"mu_url", "meta_url"} <= set(picked["points"]) and "sprite_url" not in picked["points"]  # no sheet
    on_map = component_data(at, "latent_lab.point_map")
    assert on_map["points"] == picked["points"] and "texts" not in on_map  # the map's tooltip reads the same file
    data = component_data(at, "latent_lab.text_panel")
    assert picked["src"] == data["src"]  # one decoder program, fetched once by the browser
    assert len(data["z"]) == 16 and data["src"]["latent_dim"] == 16
    assert [c.value for c in at.code] == []  # the selection is no longer drawn by Python on the rerun
    assert "text, " in at.sidebar.markdown[-1].value


@pytest.mark.parametrize("page", IMAGE_ONLY)
def test_image_pages_say_they_do_not_apply_and_point_to_explore(page):
    at = run(page)
    assert not at.exception and not at.error, [e.value for e in at.error]
    notice = " ".join(i.value for i in at.info)
    assert "works on image checkpoints" in notice and "grammar-16d" in notice and "Explore" in notice


def test_interpolate_shows_the_homotopy_table_from_a_to_b():
    at = run("views/interpolate.py", a="5", b="9", n="6", m="lerp")
    assert not at.exception and not at.error, [e.value for e in at.error]
    from vae_core.data import load_dataset

    lines = load_dataset("grammar").lines_test
    table = at.dataframe[0].value
    assert table["t"].tolist() == ["A", "0.00", "0.20", "0.40", "0.60", "0.80", "1.00", "B"]
    assert table["sentence"].iloc[0] == lines[5] and table["sentence"].iloc[-1] == lines[9]
    assert all(s.startswith("a ") for s in table["sentence"])
    assert at.number_input(key="interp_a").label == "Sentence A (test index)"


def test_the_bundled_pydoc_checkpoint_opens_and_neighbours_says_why_it_has_no_attribute_vectors(root, copy_bundled):
    """pydoc-32d, the bundled checkpoint of the real-English corpus: Explore maps its test sentences; the corpus has
    no known factors, so Neighbours offers no attribute vectors and says why instead of failing."""
    copy_bundled(root, "pydoc-32d")
    at = run(ckpt="pydoc-32d")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="checkpoint").value == "pydoc-32d"
    at = at.switch_page("views/neighbours.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("this corpus has none" in i.value for i in at.info)
