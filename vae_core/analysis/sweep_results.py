"""A beta sweep's results: its members' names, finding them on disk, each one's rate (KL) and distortion
(reconstruction) in nats per image, and what a member looks like (the rate-distortion view: Alemi et al. 2018,
"Fixing a Broken ELBO"). jobs.sweep trains the members; the Beta lab reads them through this module.

    points = find_sweep("digits", root)        # SweepPoints sorted by beta
    view = member_view(model, x_test)          # reconstructions, prior samples, KL per dim, active units
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import checkpoint as ckpt
from ..data import parse_spec
from ..latent import decode_batch, encode_dataset
from ..losses import kl_per_dim
from ..metrics import active_unit_mask

PREFIX = "beta"


# --- names and discovery ---------------------------------------------------------------------------


def data_slug(data: str) -> str:
    """The dataset part of a member's name: the kind for `digits` / `shapes`, else kind plus a hash of the spec."""
    kind, arg = parse_spec(data)
    return kind if arg is None else f"{kind}-{hashlib.sha1(data.encode()).hexdigest()[:8]}"


def sweep_name(data: str, beta: float) -> str:
    """`beta-<data>-<beta>`, e.g. beta-digits-0.25; validated as a checkpoint name."""
    return ckpt.validate_name(f"{PREFIX}-{data_slug(data)}-{float(beta):g}")


@dataclass(frozen=True)
class SweepPoint:
    """One member's test-set numbers from its last evaluated epoch, in nats per image."""

    name: str
    beta: float
    rate: float  # KL(q(z|x) || p(z))
    distortion: float  # -log p(x|z), the reconstruction term
    active_units: int
    latent_dim: int
    epochs_done: int
    epochs: int  # planned
    weights_sha256: str = field(default="", repr=False)

    @property
    def neg_elbo(self) -> float:
        return self.rate + self.distortion

    @property
    def complete(self) -> bool:
        return self.epochs_done >= self.epochs


def rate_distortion(info: ckpt.CheckpointInfo) -> tuple[float, float] | None:
    """(rate, distortion) = (test KL, test recon) of a checkpoint's last evaluated epoch, or None."""
    last = next((h for h in reversed(info.history) if "test_kl" in h and "test_recon" in h), None)
    return None if last is None else (float(last["test_kl"]), float(last["test_recon"]))


def sweep_point(info: ckpt.CheckpointInfo) -> SweepPoint | None:
    """A checkpoint as a point of the trade-off, or None without test numbers."""
    rd = rate_distortion(info)
    if rd is None:
        return None
    last = info.history[-1]
    return SweepPoint(name=info.name, beta=float(info.train_config.beta), rate=rd[0], distortion=rd[1],
                      active_units=int(last.get("active_units", 0)), latent_dim=info.model_config.latent_dim,
                      epochs_done=info.epochs_done, epochs=info.train_config.epochs,
                      weights_sha256=info.weights_sha256)


def find_sweep(data: str, root: Path | None = None, exclude=()) -> list[SweepPoint]:
    """The sweep members trained on `data` under root, sorted by beta; names in `exclude` (being written) and
    unreadable checkpoints are skipped."""
    prefix = f"{PREFIX}-{data_slug(data)}-"
    points = []
    for name in ckpt.list_checkpoints(root):
        if not name.startswith(prefix) or name in exclude:
            continue
        try:
            info = ckpt.read_info(name, root)
        except ckpt.CheckpointError:
            continue
        if info.train_config.data == data and (p := sweep_point(info)) is not None:
            points.append(p)
    return sorted(points, key=lambda p: (p.beta, p.name))


# --- what a member looks like ----------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    """One model on a test set: recon and samples (n, C, H, W) in [0, 1]; mu (N, D); kl (D,) nats; active (D,)."""

    recon: np.ndarray
    samples: np.ndarray
    mu: np.ndarray
    kl: np.ndarray
    active: np.ndarray


def example_indices(n_total: int, n: int = 8) -> np.ndarray:
    """n evenly spaced test indices: the same images for every member."""
    return np.unique(np.linspace(0, n_total - 1, min(n, n_total)).astype(int))


def member_view(model, x: np.ndarray, n: int = 8, seed: int = 0) -> MemberView:
    """Encode x (N, C, H, W); reconstruct the example images from mu; decode n prior draws from `seed`."""
    enc = encode_dataset(model, x)
    z = np.random.default_rng(seed).standard_normal((n, model.config.latent_dim)).astype(np.float32)
    return MemberView(recon=decode_batch(model, enc.mu[example_indices(len(x), n)]), samples=decode_batch(model, z),
                      mu=enc.mu, kl=kl_per_dim(enc.mu, enc.logvar).mean(0), active=active_unit_mask(enc.mu))


__all__ = ["PREFIX", "data_slug", "sweep_name", "SweepPoint", "rate_distortion", "sweep_point", "find_sweep",
           "MemberView", "example_indices", "member_view"]
