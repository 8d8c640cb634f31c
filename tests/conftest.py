"""Shared fixtures: tiny seeded models, an isolated checkpoints folder, copies of the bundled checkpoints."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from vae_core.config import ModelConfig
from vae_core.models import VAE

torch.set_num_threads(2)
BUNDLED = Path(__file__).resolve().parents[1] / "checkpoints"


@pytest.fixture
def tiny_mlp() -> VAE:
    torch.manual_seed(0)
    return VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch="mlp", hidden=(32,))).eval()


@pytest.fixture
def ckpt_root(tmp_path, monkeypatch):
    """A fresh checkpoints root that CLI and library calls default to."""
    root = tmp_path / "checkpoints"
    root.mkdir()
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(root))
    return root


@pytest.fixture
def copy_bundled():
    """copy_bundled(root, name, as_name=None) -> folder: a bundled checkpoint's config, history and weights (no
    optimizer state, no cache) copied into root/as_name."""
    def copy(root: Path, name: str, as_name: str | None = None) -> Path:
        dest = root / (as_name or name)
        dest.mkdir(parents=True)
        for f in ("config.json", "history.json", "model.safetensors"):
            shutil.copy(BUNDLED / name / f, dest / f)
        return dest
    return copy


@pytest.fixture
def component_data():
    """component_data(at, name) -> dict: the data an AppTest run's page sent to the custom component named
    `name` (its only instance on the page)."""
    def data(at, name: str) -> dict:
        found = [json.loads(el.proto.json) for el in at.get("bidi_component") if el.proto.component_name == name]
        assert len(found) == 1, (name, len(found))
        return found[0]
    return data
