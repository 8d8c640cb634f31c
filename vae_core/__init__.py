"""vae_core: small VAEs to train, load and explore, with no UI dependencies.

The notebook surface::

    import vae_core as vc
    model, info = vc.load("digits-2d")          # from checkpoints/
    enc = vc.encode(model, data.x_test)         # mu, logvar per image
    images = vc.decode(model, z)                # (N, C, H, W) in [0, 1]
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .checkpoint import CheckpointError, CheckpointInfo, list_checkpoints
    from .config import ConfigError, ModelConfig, TrainConfig
    from .data import DataError, Dataset, load_dataset
    from .latent import Encoded
    from .models import VAE
    from .train import TrainingCallback, TrainResult

__all__ = [
    "load", "train", "encode", "decode", "encode_text", "decode_text", "sample", "interpolate", "project",
    "load_dataset", "list_checkpoints",
    "VAE", "ModelConfig", "TrainConfig", "Dataset", "Encoded", "TrainResult", "TrainingCallback", "CheckpointInfo",
    "CheckpointError", "ConfigError", "DataError",
]

# The classes and functions above that live in submodules, imported on first use: `import vae_core` (which
# `python -m vae_core` runs first) then costs nothing, and each command pays only for what it uses; `info`
# paid 1.2 s for scikit-learn when this imported every submodule.
_LAZY = {
    "CheckpointError": "checkpoint", "CheckpointInfo": "checkpoint", "list_checkpoints": "checkpoint",
    "ConfigError": "config", "ModelConfig": "config", "TrainConfig": "config",
    "DataError": "data", "Dataset": "data", "load_dataset": "data",
    "Encoded": "latent", "VAE": "models", "TrainingCallback": "train", "TrainResult": "train",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def load(ref: str, device: str = "cpu") -> tuple[VAE, CheckpointInfo]:
    """Load checkpoints/NAME (safetensors + JSON only) -> (model in eval mode, its info)."""
    from .checkpoint import load_checkpoint

    return load_checkpoint(ref, device=device)


def train(
    train_config: TrainConfig,
    latent_dim: int = 2,
    model_config: ModelConfig | None = None,
    out: str | Path | None = None,
    callbacks: list[TrainingCallback] | tuple = (),
) -> tuple[VAE, TrainResult]:
    """Train on `train_config.data`; the model defaults to the architecture for its image size.

    With `out` ("checkpoints/NAME" or "NAME") a checkpoint is written after every epoch.
    """
    from .checkpoint import checkpoint_path
    from .config import default_model_config
    from .data import load_dataset
    from .train import Trainer

    dataset = load_dataset(train_config.data)
    if model_config is None and hasattr(dataset, "vocab"):  # text: the sequence VAE over its vocabulary
        from .text.model import TextModelConfig

        model_config = TextModelConfig(alphabet=dataset.vocab.alphabet, latent_dim=latent_dim)
    model_config = model_config or default_model_config(dataset.image_shape, latent_dim)
    path = checkpoint_path(out) if out is not None else None
    trainer = Trainer(model_config, train_config, dataset, out=path, callbacks=callbacks)
    result = trainer.fit()
    return trainer.model.eval(), result


def encode(model: VAE, x: np.ndarray, labels: np.ndarray | None = None) -> Encoded:
    """Images (N, C, H, W) in [0, 1] -> posterior mu and logvar, (N, D) each."""
    from .latent import encode_dataset

    return encode_dataset(model, x, labels, device=str(next(model.parameters()).device))


def decode(model: VAE, z: np.ndarray) -> np.ndarray:
    """Latents (N, D) -> images (N, C, H, W) float32 in [0, 1]."""
    import numpy as np

    from .latent import decode_batch

    return decode_batch(model, np.asarray(z, dtype=np.float32), device=str(next(model.parameters()).device))


def sample(model: VAE, n: int, temperature: float = 1.0, seed: int = 0) -> np.ndarray:
    """n images decoded from the prior N(0, temperature^2 I) -> (n, C, H, W) in [0, 1]."""
    import torch

    return model.sample(n, temperature, generator=torch.Generator().manual_seed(seed)).cpu().numpy()


def encode_text(model, lines: list[str]) -> np.ndarray:
    """Sentences -> posterior means mu (N, D) under a text model; characters it never saw read as unk."""
    import torch

    ids = torch.as_tensor(model.config.vocab.encode_batch(list(lines))).to(next(model.parameters()).device)
    with torch.no_grad():
        return model.encode(ids)[0].cpu().numpy()


def decode_text(model, z: np.ndarray, greedy: bool = True, temperature: float = 1.0, seed: int = 0) -> list[str]:
    """Latents (N, D) -> one sentence each from a text model: greedy, or drawn at a softmax temperature."""
    import torch

    z = torch.as_tensor(z, dtype=torch.float32).to(next(model.parameters()).device)
    ids = model.generate(z, greedy=greedy, temperature=temperature, generator=torch.Generator().manual_seed(seed))
    return [model.config.vocab.decode(row) for row in ids.cpu().tolist()]


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int = 8, method: str = "slerp") -> np.ndarray:
    """A path of `steps` latents from z0 to z1 (both ends included) -> (steps, D)."""
    if method not in ("lerp", "slerp"):
        raise ValueError(f"method must be 'lerp' or 'slerp', got {method!r}")
    from .latent import lerp, slerp

    return (slerp if method == "slerp" else lerp)(z0, z1, steps)


def project(mu: np.ndarray, method: str = "pca", cache_dir: str | Path | None = None):
    """2-D map of latents -> (points (N, 2), fitted projection with inverse_transform)."""
    from .projection import project_latents

    return project_latents(mu, method, cache_dir=Path(cache_dir) if cache_dir else None)


class _Package(types.ModuleType):
    """Keeps `vae_core.train` the function above: importing the submodule vae_core.train (for the Trainer)
    sets it as an attribute of this package, which would replace the function once it is imported lazily."""

    def __setattr__(self, name: str, value) -> None:
        if name == "train" and isinstance(value, types.ModuleType):
            return  # the module stays in sys.modules["vae_core.train"], where `from vae_core.train import` looks
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
