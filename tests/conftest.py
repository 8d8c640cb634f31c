"""Shared fixtures: tiny seeded models and an isolated checkpoints folder."""

import pytest
import torch

from vae_core.config import ModelConfig
from vae_core.models import VAE

torch.set_num_threads(2)


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
