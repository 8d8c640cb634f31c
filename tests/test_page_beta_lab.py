"""The Beta lab page through AppTest: it loads on the bundled checkpoints, and shows a saved sweep without
retraining (plotly charts are not seen here: tests/e2e/test_beta_lab.py runs a sweep in Chromium)."""

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from vae_core.jobs import sweep
from vae_core.jobs.registry import Registry

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "explorer" / "app.py")
PAGE = "views/beta_lab.py"


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A temp copy of the bundled checkpoints (without caches), as the app's checkpoints root."""
    root = tmp_path / "checkpoints"
    shutil.copytree(REPO / "checkpoints", root, ignore=shutil.ignore_patterns("cache", ".tmp-*"))
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(root))
    return root


def run(name: str) -> AppTest:
    if not (REPO / "checkpoints" / name / "model.safetensors").exists():
        pytest.skip(f"checkpoints/{name} is missing (make checkpoints)")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ckpt"] = name
    at.run()
    return at.switch_page(PAGE).run()


@pytest.mark.parametrize("name, data", [("digits-2d", "digits"), ("shapes-6d", "shapes")])
def test_page_runs_cleanly_on_the_bundled_checkpoints(root, name, data):
    at = run(name)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Beta lab"
    assert at.session_state["beta_data"] == data  # the picked checkpoint's dataset first
    assert at.session_state["beta_epochs"] == sweep.preset(data).epochs
    assert any("No β sweep" in i.value for i in at.info)
    if data == "shapes":  # no sweep yet: the factor matrix of the picked model
        assert at.selectbox(key="beta_model").value == "shapes-6d (sidebar)"


def test_a_saved_sweep_is_shown_without_retraining(root):
    settings = sweep.SweepSettings(betas=(0.5, 4.0), epochs=1, latent_dim=4, hidden=(32,))
    job = Registry().start("t", sweep.SweepJob(settings, root, "t", Registry()))
    assert job.join(60) and job.snapshot().status == "finished"
    at = run("digits-2d")
    assert not at.exception, at.exception
    assert not any("No β sweep" in i.value for i in at.info)
    headings = [m.value for m in at.markdown]
    assert "**β = 0.5**" in headings and "**β = 4**" in headings
    assert sweep.default_sweeps().get(at.session_state["beta_session"]) is None  # nothing trained
