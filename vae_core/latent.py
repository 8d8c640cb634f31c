"""Latent-space tools for the explorer: encode a dataset, 2-D projections with a disk cache and an
inverse map (2-D point -> z), interpolation, traversals, manifold grids and image grids.

Arrays are numpy float32 throughout; torch appears only where the model runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin

METHODS = ("identity", "pca", "umap")
CACHE_VERSION = 1  # bump when the .npz layout changes, so old files miss instead of misloading


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


# --- projections: scikit-learn estimators, interchangeable in the explorer ---------------------------


def _f32(a) -> np.ndarray:
    return np.atleast_2d(np.asarray(a, dtype=np.float32))


class IdentityProjection(TransformerMixin, BaseEstimator):
    """Two latent dims as they are (a 1-D latent: y = 0); the inverse sets the rest from `base` or 0."""

    def __init__(self, dims=(0, 1), base=None):
        self.dims = dims
        self.base = base

    def fit(self, z, y=None):
        d = _f32(z).shape[1]
        dims = tuple(int(i) for i in self.dims)[: min(2, d)]
        if len(set(dims)) != len(dims) or any(not 0 <= i < d for i in dims):
            raise ValueError(f"dims must be distinct indices below latent_dim={d}, got {self.dims}")
        self.dims_, self.n_features_in_ = dims, d
        self.base_ = np.zeros(d, np.float32) if self.base is None else np.asarray(self.base, np.float32)
        return self

    def transform(self, z) -> np.ndarray:
        z = _f32(z)
        out = np.zeros((len(z), 2), np.float32)
        out[:, : len(self.dims_)] = z[:, list(self.dims_)]
        return out

    def inverse_transform(self, points) -> np.ndarray:
        """points (M, 2) -> z (M, D): the chosen dims from the point, the rest from base_."""
        p = _f32(points)
        z = np.tile(self.base_, (len(p), 1))
        z[:, list(self.dims_)] = p[:, : len(self.dims_)]
        return z

    def to_arrays(self) -> dict:
        return {"dims": np.asarray(self.dims_, np.int64), "base": self.base_}

    @classmethod
    def from_arrays(cls, a) -> IdentityProjection:
        return cls(dims=tuple(int(i) for i in a["dims"]), base=a["base"]).fit(a["base"][None])


class PCAProjection(TransformerMixin, BaseEstimator):
    """The plane of the two principal components; exactly invertible for points in that plane."""

    def fit(self, z, y=None):
        from sklearn.decomposition import PCA

        z = _f32(z)
        k = min(2, z.shape[1])
        pca = PCA(n_components=k, svd_solver="full").fit(z)  # "full" is deterministic
        # A 1-D latent gets a zero second component, so shapes stay (2, D) and y is always 0.
        comps, ratio = np.zeros((2, z.shape[1]), np.float32), np.zeros(2, np.float32)
        comps[:k], ratio[:k] = pca.components_, pca.explained_variance_ratio_
        return self._set(pca.mean_, comps, ratio)

    def _set(self, mean, components, ratio):
        self.mean_ = np.asarray(mean, np.float32)
        self.components_ = np.asarray(components, np.float32)  # (2, D), orthonormal rows
        self.explained_variance_ratio_ = np.asarray(ratio, np.float32)
        self.n_features_in_ = self.mean_.shape[0]
        return self

    def transform(self, z) -> np.ndarray:
        return ((_f32(z) - self.mean_) @ self.components_.T).astype(np.float32)

    def inverse_transform(self, points) -> np.ndarray:
        """points (M, 2) -> z = mean_ + p @ components_ (M, D)."""
        return (self.mean_ + _f32(points) @ self.components_).astype(np.float32)

    def to_arrays(self) -> dict:
        return {"mean": self.mean_, "components": self.components_, "ratio": self.explained_variance_ratio_}

    @classmethod
    def from_arrays(cls, a) -> PCAProjection:
        return cls()._set(a["mean"], a["components"], a["ratio"])


def _kdtree(points: np.ndarray):
    from scipy.spatial import cKDTree  # imported on use: scipy.spatial costs ~0.25 s at import

    return cKDTree(np.asarray(points, np.float64))


def _idw(tree, queries: np.ndarray, values: np.ndarray, k: int, power: float) -> np.ndarray:
    """Inverse-distance-weighted mean of `values` at the k nearest tree points -> (M, values.shape[1])."""
    k = max(1, min(k, tree.n))
    d, idx = tree.query(np.asarray(queries, np.float64), k=k)
    d, idx = d.reshape(len(queries), k), idx.reshape(len(queries), k)
    with np.errstate(divide="ignore", over="ignore"):
        w = 1.0 / d**power
    # A query on (or numerically at) a fitted point returns that point's value, not a blend.
    exact = ~np.isfinite(w).all(axis=1)
    w[exact] = 1.0
    w /= w.sum(axis=1, keepdims=True)
    out = np.einsum("mk,mkd->md", w, values[idx].astype(np.float64)).astype(np.float32)
    out[exact] = values[idx[exact, 0]]
    return out


class UMAPProjection(TransformerMixin, BaseEstimator):
    """UMAP map (McInnes et al. 2018) with fast approximate out-of-sample maps in both directions.

    umap's own transform/inverse_transform take seconds (DESIGN.md), too slow per click, so both
    directions interpolate between the k nearest fitted points with inverse-distance weights:
    `inverse_transform` over a KD-tree of the 2-D embedding, `transform` over one of the latents.
    Both are exact on fitted points. Only the embedding and the fitted z are needed (no pickling).
    """

    def __init__(self, n_neighbors=15, min_dist=0.1, n_epochs=None, random_state=0, inverse_neighbors=8,
                 power=2.0):
        self.n_neighbors, self.min_dist, self.n_epochs = n_neighbors, min_dist, n_epochs
        self.random_state, self.inverse_neighbors = random_state, inverse_neighbors
        self.power = power  # Shepard weights 1/d^2: smooth, and dominated by the nearest point up close

    def fit(self, z, y=None):
        import umap  # imported here: it pulls in numba, slow for pages that never use UMAP

        z = _f32(z)
        self.umap_ = umap.UMAP(n_components=2, n_neighbors=min(self.n_neighbors, len(z) - 1),
                               min_dist=self.min_dist, n_epochs=self.n_epochs,
                               random_state=self.random_state,
                               n_jobs=1 if self.random_state is not None else -1).fit(z)  # seeded: 1 thread
        return self._set(z, self.umap_.embedding_)

    def _set(self, z, embedding):
        self.z_ = np.asarray(z, np.float32)
        self.embedding_ = np.asarray(embedding, np.float32)
        self.n_features_in_ = self.z_.shape[1]
        self.tree_, self.latent_tree_ = _kdtree(self.embedding_), _kdtree(self.z_)
        return self

    def fit_transform(self, z, y=None, **fit_params) -> np.ndarray:
        return self.fit(z).embedding_.copy()

    def transform(self, z) -> np.ndarray:
        """z (M, D) -> points (M, 2), interpolated from the nearest fitted latents."""
        return _idw(self.latent_tree_, _f32(z), self.embedding_, self.inverse_neighbors, self.power)

    def inverse_transform(self, points, k: int | None = None) -> np.ndarray:
        """points (M, 2) -> z (M, D), interpolated from the k nearest embedded points."""
        return _idw(self.tree_, _f32(points), self.z_, k or self.inverse_neighbors, self.power)

    def to_arrays(self) -> dict:
        return {"z": self.z_, "inverse_neighbors": np.int64(self.inverse_neighbors),
                "power": np.float64(self.power)}

    @classmethod
    def from_arrays(cls, a) -> UMAPProjection:
        proj = cls(inverse_neighbors=int(a["inverse_neighbors"]), power=float(a["power"]))
        return proj._set(a["z"], a["embedding"])


_CLASSES = {"identity": IdentityProjection, "pca": PCAProjection, "umap": UMAPProjection}


def make_projection(method: str, **kw):
    """A fresh projection estimator for method in {"identity", "pca", "umap"}."""
    if method not in _CLASSES:
        raise ValueError(f"unknown projection method {method!r}; expected one of {', '.join(METHODS)}")
    return _CLASSES[method](**kw)


def project_latents(mu: np.ndarray, method: str, cache_dir: Path | None = None, key: str = "",
                    random_state=0, **kw) -> tuple[np.ndarray, object]:
    """Fit a projection on mu (N, D) -> (embedding (N, 2) float32, fitted projection).

    With `cache_dir`, the embedding and the arrays the inverse map needs are kept in an .npz named by
    method, key and a hash of mu and the parameters; a later identical call loads it instead of
    refitting (the projection then has `from_cache_ = True`). Files are written atomically and read
    with allow_pickle=False; an unreadable file is refitted and replaced.
    """
    make_projection(method)  # validates the method before any work
    mu = np.ascontiguousarray(mu, dtype=np.float32)
    if method == "umap":
        kw.setdefault("random_state", random_state)
    path = None
    if cache_dir is not None:
        # Array parameters (a base z) hash by their full values, not numpy's abbreviated repr.
        params = sorted((k, v.tolist() if isinstance(v, np.ndarray) else v) for k, v in kw.items())
        h = hashlib.sha256(f"{CACHE_VERSION}|{method}|{key}|{params}|{mu.shape}".encode())
        h.update(mu.tobytes())
        safe_key = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:64]  # readability only; the hash keeps keys apart
        path = Path(cache_dir) / f"{method}-{safe_key + '-' if safe_key else ''}{h.hexdigest()[:20]}.npz"
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as a:
                    proj = _CLASSES[method].from_arrays(a)
                    emb = a["embedding"].astype(np.float32)
                proj.from_cache_ = True
                return emb, proj
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                pass  # corrupt or stale layout: refit below and overwrite
    proj = make_projection(method, **kw)
    emb = proj.fit_transform(mu).astype(np.float32)
    proj.from_cache_ = False
    if path is not None:
        _atomic_savez(path, embedding=emb, **proj.to_arrays())
    return emb, proj


def _atomic_savez(path: Path, **arrays) -> None:
    """np.savez to a temp file beside `path`, fsync, then os.replace: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def nearest_indices(points2d: np.ndarray, query, k: int = 1) -> np.ndarray:
    """Indices (M, k) of the k nearest of points2d (N, 2) to each query (M, 2) or (2,), nearest first."""
    k = max(1, min(k, len(points2d)))
    q = _f32(query)
    _, idx = _kdtree(points2d).query(q.astype(np.float64), k=k)
    return np.asarray(idx, np.int64).reshape(len(q), k)


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


def decode_batch(model, z: np.ndarray, batch_size: int = 256, device="cpu") -> np.ndarray:
    """Decode z (N, D) to pixel means (N, C, H, W) float32 in [0, 1], in batches."""
    z = np.asarray(z, np.float32).reshape(-1, model.config.latent_dim)
    with _inference(model, device):
        out = [model.decode_mean(torch.as_tensor(z[i:i + batch_size], device=device)).float().cpu().numpy()
               for i in range(0, len(z), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, *model.config.input_shape), np.float32)


def images_to_grid(images: np.ndarray, ncols: int, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile images (N, C, H, W) in [0, 1] -> uint8 (H', W') for C == 1 or (H', W', 3) for C == 3.

    rows = ceil(N / ncols); H' = rows * (H + pad) + pad, W' likewise; padding (white by default,
    so dark-background digits stay apart) surrounds every tile; unused cells are padding too.
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must be a non-empty (N, C, H, W) array, got shape {images.shape}")
    n, c, h, w = images.shape
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    grid = np.full((c, nrows * (h + pad) + pad, ncols * (w + pad) + pad), pad_value, np.float32)
    for i in range(n):
        r, col = divmod(i, ncols)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, y:y + h, x:x + w] = images[i]
    grid = np.round(np.clip(grid, 0.0, 1.0) * 255).astype(np.uint8)
    return grid[0] if c == 1 else grid.transpose(1, 2, 0)


def save_png_grid(images: np.ndarray, path, ncols: int, pad: int = 1) -> Path:
    """Write images (N, C, H, W) in [0, 1] as one PNG grid (see images_to_grid); returns the path."""
    from PIL import Image

    path = Path(path)
    Image.fromarray(images_to_grid(images, ncols, pad)).save(path, format="PNG")
    return path
