"""Latent-space tools for the explorer: encode a dataset, decode latents, interpolation and the norms along
a path (why slerp exists), traversals and manifold grids; the 2-D projections and their inverse maps live in
projection.py, and image grids in images.py.

Arrays are numpy float32 throughout; torch appears only where the model runs.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import torch


@dataclass
class Encoded:
    """Posterior parameters of a dataset: mu, logvar (N, D) float32; labels (N,) or None."""

    mu: np.ndarray
    logvar: np.ndarray
    labels: np.ndarray | None = None


@contextmanager
def _inference(model, device):
    """no_grad and eval mode on `device` (the model is moved there); the caller's mode comes back after."""
    model.to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def encode_dataset(model, x: np.ndarray, labels=None, batch_size: int = 512, device="cpu") -> Encoded:
    """Encode images x (N, C, H, W) in [0, 1] in batches -> Encoded with mu, logvar (N, D) float32."""
    with _inference(model, device):
        parts = [model.encode(torch.as_tensor(x[i:i + batch_size], dtype=torch.float32, device=device))
                 for i in range(0, len(x), batch_size)]
    if not parts:
        parts = [(torch.zeros(0, model.config.latent_dim),) * 2]
    mu, logvar = (torch.cat([p[j] for p in parts]).float().cpu().numpy() for j in (0, 1))
    return Encoded(mu, logvar, None if labels is None else np.asarray(labels))


# --- paths and grids through latent space ------------------------------------------------------------


def lerp(z0, z1, steps: int) -> np.ndarray:
    """Straight line from z0 to z1 (D,) -> (steps, D) float32; endpoints exact."""
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return ((1.0 - t) * z0 + t * z1).astype(np.float32)


def slerp(z0, z1, steps: int, eps: float = 1e-6) -> np.ndarray:
    """Great-circle path from z0 to z1 (D,) -> (steps, D) float32 (Shoemake 1985; White 2016).

    The direction moves along the great circle, the norm changes linearly, so the norm is constant
    when |z0| == |z1| (paths stay in the prior's typical shell instead of cutting through the
    low-density centre). Near-parallel, opposite or zero vectors have no unique circle: lerp then.
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 < eps or n1 < eps:
        return lerp(z0, z1, steps)
    u0, u1 = z0 / n0, z1 / n1
    omega = np.arccos(np.clip(u0 @ u1, -1.0, 1.0))
    if np.sin(omega) < eps:
        return lerp(z0, z1, steps)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    u = (np.sin((1.0 - t) * omega) * u0 + np.sin(t * omega) * u1) / np.sin(omega)
    out = (((1.0 - t) * n0 + t * n1) * u).astype(np.float32)
    out[0], out[-1] = z0, z1  # exact endpoints despite rounding
    return out


def path_norms(z: np.ndarray) -> np.ndarray:
    """Euclidean norms ||z|| along a path z (N, D) -> (N,) float32."""
    return np.linalg.norm(np.asarray(z, np.float64).reshape(len(z), -1), axis=1).astype(np.float32)


def typical_norm(latent_dim: int) -> float:
    """sqrt(d): the norm near which almost all of N(0, I_d)'s mass lies for large d (the "typical shell")."""
    return float(np.sqrt(latent_dim))


def traversal_values(n: int, span: float = 3.0) -> np.ndarray:
    """n evenly spaced values in [-span, span] (float32): +-3 covers 99.7% of the prior."""
    return np.linspace(-span, span, n, dtype=np.float32)


def traverse(z, dims, values) -> np.ndarray:
    """Per-dimension traversals of z (D,) -> (len(dims) * len(values), D) float32.

    Row-major: block i holds z with z[dims[i]] set to each of `values` in turn, the rest unchanged.
    """
    z = np.asarray(z, np.float32).reshape(-1)
    values = np.asarray(values, np.float32)
    out = np.tile(z, (len(dims) * len(values), 1))
    for i, d in enumerate(dims):
        out[i * len(values):(i + 1) * len(values), d] = values
    return out


def manifold_grid(n: int, dims=(0, 1), base=None, latent_dim: int = 2) -> np.ndarray:
    """The classic n x n manifold of z -> (n * n, D) float32 (Kingma & Welling 2014, fig. 4).

    Coordinates are the prior's quantiles Phi^-1(linspace(0.05, 0.95, n)), so each cell holds equal
    prior mass. Row-major with y decreasing downward (x increasing rightward), so the grid renders
    the way the map is drawn. Other dims come from `base` (default zeros; its length sets D).
    """
    base = np.zeros(latent_dim, np.float32) if base is None else np.asarray(base, np.float32).reshape(-1)
    q = np.array([NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, n)], np.float32)
    ys, xs = np.meshgrid(q[::-1], q, indexing="ij")
    out = np.tile(base, (n * n, 1))
    out[:, dims[0]], out[:, dims[1]] = xs.reshape(-1), ys.reshape(-1)
    return out


# --- decoding and image grids ------------------------------------------------------------------------


Z_LIMIT = 1e4  # |z| beyond this is clamped: far past +-5 sigma the images saturate, and 3e38 overflows to NaN


def decode_batch(model, z: np.ndarray, batch_size: int = 256, device="cpu") -> np.ndarray:
    """Decode z (N, D) to pixel means (N, C, H, W) float32 in [0, 1], in batches.

    NaN or inf in z raises ValueError; finite values are clamped to +-Z_LIMIT, so the output is always finite.
    """
    z = np.asarray(z, np.float64).reshape(-1, model.config.latent_dim)
    if not np.isfinite(z).all():
        raise ValueError("z holds NaN or inf; a latent must be finite")
    z = np.clip(z, -Z_LIMIT, Z_LIMIT).astype(np.float32)
    with _inference(model, device):
        out = [model.decode_mean(torch.as_tensor(z[i:i + batch_size], device=device)).float().cpu().numpy()
               for i in range(0, len(z), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, *model.config.input_shape), np.float32)
