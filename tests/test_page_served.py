"""Served mode on the pages that load a checkpoint's data: a checkpoint whose config.json names a path outside the
server's data folder (/etc, a `..` path) opens on no page; each says why in one error (vae_core.served.server_spec,
called by explorer.shared.loaders.load_test_set)."""

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "explorer" / "app.py")
BUNDLED = REPO / "checkpoints" / "digits-2d"
# Every page that opens the sidebar's checkpoint with its test set (Train and Beta lab read none of it).
PAGES = ["explore", "interpolate", "generate", "inside", "anomaly", "compression", "draw", "compare", "neighbours"]
SPECS = {"etc-data": "idx:/etc", "dotdot-data": "idx:../secret"}

pytestmark = pytest.mark.skipif(not (BUNDLED / "model.safetensors").exists(),
                                reason="checkpoints/digits-2d is missing (make checkpoints)")


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A served app's settings: a data folder, a secret beside it, and checkpoints (copies of digits-2d) whose
    config.json names data outside the data folder."""
    (tmp_path / "data").mkdir()
    (tmp_path / "secret").mkdir()
    root = tmp_path / "checkpoints"
    for name, spec in SPECS.items():
        shutil.copytree(BUNDLED, root / name, ignore=shutil.ignore_patterns("cache", ".tmp-*"))
        config = json.loads((root / name / "config.json").read_text())
        config["data"] = config["train"]["data"] = spec
        (root / name / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(root))
    monkeypatch.setenv("LATENT_LAB_SERVED", "1")
    monkeypatch.setenv("LATENT_LAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path / "data")  # a `..` taken from the working folder would reach the secret
    return root


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", list(SPECS))
def test_data_outside_the_data_folder_is_refused_with_one_message(served, page, name):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["ckpt"] = name
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert f"its data {SPECS[name]!r} is outside the server's data folder" in errors[0]
    assert str(served.parent) not in errors[0]  # the server's own paths stay unsaid


def test_the_codec_checkpoint_with_outside_data_gets_one_message(served, copy_bundled):
    """The Compression page's codec section runs the bundled mnist-bin whichever checkpoint is picked: served,
    with its data outside the data folder, it says so in one message and the rest of the page still works."""
    codec = copy_bundled(served, "mnist-bin")
    config = json.loads((codec / "config.json").read_text())
    config["data"] = config["train"]["data"] = "idx:/etc"
    (codec / "config.json").write_text(json.dumps(config))
    shutil.copytree(BUNDLED, served / "digits-2d", ignore=shutil.ignore_patterns("cache", ".tmp-*"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["ckpt"] = "digits-2d"
    at.run()
    at.switch_page("views/compression.py").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith("The codec's checkpoint `mnist-bin` cannot run here: its data 'idx:/etc' is outside")
    assert at.get("plotly_chart")  # the bits-per-image and beta charts above it are drawn
