"""The Inside the VAE page through streamlit.testing.v1.AppTest (no browser: its plotly charts are not seen)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "explorer" / "app.py")
PAGE = "views/inside.py"
CHECKPOINTS = ["digits-2d", "shapes-6d"]


def run_inside(checkpoint: str) -> AppTest:
    if not (REPO / "checkpoints" / checkpoint / "model.safetensors").exists():
        pytest.skip(f"checkpoints/{checkpoint} is missing (make checkpoints)")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ckpt"] = checkpoint
    at.run()  # AppTest needs one run before switching pages
    return at.switch_page(PAGE).run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("checkpoint", CHECKPOINTS)
def test_inside_page_runs_cleanly(checkpoint):
    at = run_inside(checkpoint)
    assert_clean(at)
    assert at.title[0].value == "Inside the VAE"
    assert at.selectbox(key="checkpoint").value == checkpoint
    assert len(at.header) == 3
    chosen = at.multiselect(key=f"inside_samples_{checkpoint}").value
    assert 1 <= len(chosen) <= 4
    dx, dy = at.selectbox(key=f"inside_dx_{checkpoint}").value, at.selectbox(key=f"inside_dy_{checkpoint}").value
    assert dx != dy


def test_sampling_dims_and_samples_survive_a_visit_to_explore():
    at = run_inside("shapes-6d")
    assert at.selectbox(key="inside_dx_shapes-6d").value != 0  # z0 carries ~no KL: the default plane skips it
    at.button(key="inside_sample").click().run()
    at.button(key="inside_sample").click().run()
    assert_clean(at)
    assert at.session_state["inside_seed"] == 2

    at.multiselect(key="inside_dims_shapes-6d").set_value([1, 4]).run()
    assert_clean(at)
    assert at.session_state["decoder_dims"] == [1, 4]  # the Explore page's decoder panel reads this
    at.multiselect(key="inside_samples_shapes-6d").set_value([5, 7]).run()
    at.switch_page("views/explore.py").run()
    assert_clean(at)
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert at.multiselect(key="inside_samples_shapes-6d").value == [5, 7]
    assert at.multiselect(key="inside_dims_shapes-6d").value == [1, 4]


def test_no_images_chosen_and_equal_dims_are_explained():
    at = run_inside("digits-2d")
    at.multiselect(key="inside_samples_digits-2d").set_value([]).run()
    assert_clean(at)
    assert any("Pick a test image" in i.value for i in at.info)
    at.selectbox(key="inside_dy_digits-2d").set_value(0).run()
    assert_clean(at)
    assert any("two different dimensions" in w.value for w in at.warning)


def test_dims_chosen_here_become_the_explore_sliders_of_a_wide_latent(tmp_path, monkeypatch):
    import torch

    from vae_core.checkpoint import save_checkpoint
    from vae_core.config import ModelConfig, TrainConfig
    from vae_core.models import VAE

    torch.manual_seed(0)  # an untrained 10-D model: Explore then shows 8 sliders and a picker over "decoder_dims"
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=10, arch="mlp", hidden=(16,)))
    save_checkpoint(tmp_path / "wide", model, TrainConfig(data="digits"), [{"epoch": 1}])
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert len(at.multiselect(key="decoder_dims").value) == 8  # Explore's picker, preset by KL
    at.switch_page(PAGE).run()
    assert_clean(at)
    at.multiselect(key="inside_dims_wide").set_value([2, 9]).run()
    assert_clean(at)
    at.switch_page("views/explore.py").run()
    assert_clean(at)
    assert at.multiselect(key="decoder_dims").value == [2, 9]


def cloud_trace(at: AppTest) -> dict:
    """The first trace of section 1's plane (the grey cloud), as plotly's JSON gives it to the browser."""
    import json

    chart = next(c for c in at.get("plotly_chart") if "inside_posterior" in c.proto.id)
    return json.loads(chart.proto.spec)["data"][0]


def n_values(array) -> int:
    """Length of a plotly JSON array: a list, or a typed array {"dtype", "bdata" (base64)}."""
    import base64

    import numpy as np

    if isinstance(array, dict):
        return len(base64.b64decode(array["bdata"])) // np.dtype(array["dtype"]).itemsize
    return len(array)


@pytest.mark.parametrize(("checkpoint", "shown"), [("digits-2d", 359), ("mnist-2d", 2000)])
def test_the_grey_cloud_shows_every_code_of_a_small_test_set_and_a_sample_of_a_large_one(checkpoint, shown):
    at = run_inside(checkpoint)
    assert_clean(at)
    trace = cloud_trace(at)
    assert n_values(trace["x"]) == n_values(trace["y"]) == shown
    assert trace["name"] == ("μ of every test image" if shown == 359 else "μ of 2,000 test images")
