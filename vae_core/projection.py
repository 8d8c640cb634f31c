"""2-D projections of latents (identity, PCA, UMAP) with a disk cache and an inverse map.

Each projection follows the scikit-learn estimator contract, so the explorer can swap them;
`inverse_transform` maps a 2-D point back to z (exact for identity and PCA, interpolated
between the nearest embedded points for UMAP, whose own inverse is far too slow per click).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .array_cache import cache_file, load_arrays, save_arrays

METHODS = ("identity", "pca", "umap")
CACHE_VERSION = 1  # bump when the .npz layout changes, so old files miss instead of misloading

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
        # A 1-D latent gets a zero second component, so shapes stay (2, D) and y is always 0.
        comps, ratio = np.zeros((2, z.shape[1]), np.float32), np.zeros(2, np.float32)
        if len(z) < 2:  # one point (a tiny test set) has no principal direction: it maps to the origin
            return self._set(z.mean(0) if len(z) else np.zeros(z.shape[1]), comps, ratio)
        with np.errstate(divide="ignore", invalid="ignore"):
            pca = PCA(n_components=k, svd_solver="full").fit(z)  # "full" is deterministic
        # identical points (all-black images, say) have no variance: 0/0 ratios become 0
        comps[:k], ratio[:k] = pca.components_, np.nan_to_num(pca.explained_variance_ratio_)
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

    umap's own transform/inverse_transform take seconds (docs/ARCHITECTURE.md, "Projections"), too slow
    per click, so both directions interpolate between the k nearest fitted points with inverse-distance
    weights: `inverse_transform` over a KD-tree of the 2-D embedding, `transform` over one of the latents.
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
        if len(z) < 4:  # its spectral layout needs more points than dimensions + 1
            raise ValueError(f"UMAP needs at least 4 points, got {len(z)}; use PCA or the identity")
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


def linear_map(proj) -> tuple[np.ndarray, np.ndarray] | None:
    """(W (2, D), b (2,)) with proj.transform(z) == z @ W.T + b, for the projections that are affine
    (identity, PCA); None for UMAP. The browser uses it to move the map's z marker during a drag."""
    if isinstance(proj, IdentityProjection):
        w = np.zeros((2, proj.n_features_in_), np.float32)
        for row, dim in enumerate(proj.dims_):
            w[row, dim] = 1.0
        return w, np.zeros(2, np.float32)
    if isinstance(proj, PCAProjection):
        return proj.components_.copy(), (-proj.components_ @ proj.mean_).astype(np.float32)
    return None


def linear_inverse(proj) -> tuple[np.ndarray, np.ndarray] | None:
    """(A (D, 2), c (D,)) with proj.inverse_transform(p) == p @ A.T + c, for identity and PCA maps; None for
    UMAP. The browser uses it to decode the spot a click on empty map space lands on, before Python answers."""
    if isinstance(proj, IdentityProjection):
        a, c = np.zeros((proj.n_features_in_, 2), np.float32), proj.base_.astype(np.float32).copy()
        for col, dim in enumerate(proj.dims_):
            a[dim, col], c[dim] = 1.0, 0.0
        return a, c
    if isinstance(proj, PCAProjection):
        return proj.components_.T.copy(), proj.mean_.copy()
    return None


def default_method(latent_dim: int) -> str:
    """The map a latent of latent_dim dims opens with: its dims as they are up to 2-D, else PCA (instant and
    deterministic; UMAP takes seconds, so it is only ever picked by hand)."""
    return "identity" if latent_dim <= 2 else "pca"


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
        path = cache_file(Path(cache_dir), method, key, h.hexdigest())
        if (arrays := load_arrays(path)) is not None:
            try:
                proj = _CLASSES[method].from_arrays(arrays)
                emb = arrays["embedding"].astype(np.float32)
                proj.from_cache_ = True
                return emb, proj
            except (KeyError, ValueError):
                pass  # stale layout: refit below and overwrite
    proj = make_projection(method, **kw)
    emb = proj.fit_transform(mu).astype(np.float32)
    proj.from_cache_ = False
    if path is not None:
        save_arrays(path, embedding=emb, **proj.to_arrays())
    return emb, proj


def nearest_indices(points2d: np.ndarray, query, k: int = 1) -> np.ndarray:
    """Indices (M, k) of the k nearest of points2d (N, 2) to each query (M, 2) or (2,), nearest first."""
    k = max(1, min(k, len(points2d)))
    q = _f32(query)
    _, idx = _kdtree(points2d).query(q.astype(np.float64), k=k)
    return np.asarray(idx, np.int64).reshape(len(q), k)
