"""Cached loaders: a checkpoint's model, a dataset's test split, the test set encoded (Context), decodes and
2-D projections, each memoised across reruns and sessions by Streamlit's caches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from explorer.shared.state import checkpoints_root
from vae_core import checkpoint as ck
from vae_core import data, modality
from vae_core.data import DataError
from vae_core.losses import kl_per_dim
from vae_core.models import VAE
from vae_core.projection import project_latents
from vae_core.served import PathRefused, server_spec


@st.cache_resource(show_spinner="Loading the model...", max_entries=8)
def _load_model(name: str, weights_sha: str, root: str):
    return ck.load_checkpoint(name, Path(root))


def load_model(name: str):
    """(model, info) for a checkpoint; the cache is keyed by the weights' hash, so retraining shows."""
    info = ck.read_info(name, checkpoints_root())
    return _load_model(name, info.weights_sha256, str(checkpoints_root()))


def checkpoint_infos() -> dict[str, ck.CheckpointInfo]:
    """What each checkpoint of the folder says about itself, by name; an unreadable one is skipped with a warning."""
    found = {}
    for name in ck.list_checkpoints(checkpoints_root()):
        try:
            found[name] = ck.read_info(name, checkpoints_root())
        except ck.CheckpointError as exc:
            st.warning(f"Skipped {name!r}: {exc}")
    return found


@st.cache_data(show_spinner="Loading the dataset...", max_entries=4)
def load_test_set(spec: str) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """The test split (x: images (N, C, H, W) or sentences (N,) str, labels (N,) or None, class names) of a spec.
    Served to others, a spec's path must lie in the data or uploads folder (vae_core.served): DataError if not."""
    try:  # a checkpoint's config.json may name any path (/etc, ../..): every page's data read passes here
        spec = server_spec(spec)
    except PathRefused as exc:
        raise DataError(str(exc)) from None
    # Looked up when called, not bound at import: a stand-in for load_dataset that a test had in place when this
    # module was first imported (tests/test_explorer_main.py) once stayed here for the rest of the process.
    return modality.items_of(data.load_dataset(spec, shared=True))  # only read, and st.cache_data copies it


@st.cache_data(show_spinner="Encoding the test set...", max_entries=8)
def _encode(_model, weights_sha: str, spec: str, cache_dir: str) -> tuple[np.ndarray, np.ndarray]:
    # On disk too: a fresh server reads the encodings back instead of spending seconds on them.
    return modality.encode_items(_model, load_test_set(spec)[0], cache_dir=Path(cache_dir))


@st.cache_data(max_entries=64, show_spinner=False)
def _decode(_model, weights_sha: str, z: np.ndarray) -> np.ndarray:
    return modality.decode_items(_model, z)


def label_name(labels: np.ndarray | None, class_names, i: int) -> str:
    """Point i's label as shown to a user: its class name if the dataset has names, "-" without labels."""
    if labels is None:
        return "-"
    y = int(labels[i])
    return class_names[y] if class_names and 0 <= y < len(class_names) else str(y)


@dataclass
class Context:
    """The current checkpoint with its test set encoded: mu, logvar (N, D); x (N, C, H, W), or (N,) sentences."""

    name: str
    model: VAE
    info: ck.CheckpointInfo
    x: np.ndarray
    labels: np.ndarray | None
    class_names: list[str] | None
    mu: np.ndarray
    logvar: np.ndarray

    @property
    def sha(self) -> str:
        return self.info.weights_sha256

    @property
    def latent_dim(self) -> int:
        return self.mu.shape[1]

    def decode(self, z) -> np.ndarray:
        """z (M, D) -> images (M, C, H, W) in [0, 1] (sentences (M,) for text), memoised per checkpoint."""
        return _decode(self.model, self.sha, np.asarray(z, np.float32).reshape(-1, self.latent_dim))

    def label(self, i: int) -> str:
        return label_name(self.labels, self.class_names, i)

    def dims_by_kl(self, k: int) -> list[int]:
        """The k latent dims carrying most information (mean KL over the test set), in dim order."""
        kl = kl_per_dim(self.mu, self.logvar).mean(0)
        return sorted(int(d) for d in np.argsort(-kl, kind="stable")[:k])

    def z_or_default(self) -> np.ndarray:
        """The session's z if it fits this model, else the selected point's mu, else the origin."""
        z, i = st.session_state.get("z"), st.session_state.get("selected")
        if z is not None and len(z) == self.latent_dim:
            return np.asarray(z, np.float32)
        if i is not None and 0 <= i < len(self.mu):
            return self.mu[i].copy()
        return np.zeros(self.latent_dim, np.float32)


def open_context(name: str, spec: str | None = None) -> Context:
    """A checkpoint with a test set encoded: its own data's, or spec's; raises CheckpointError or DataError."""
    model, info = load_model(name)
    spec = spec or info.train_config.data
    x, labels, class_names = load_test_set(spec)
    mu, logvar = _encode(model, info.weights_sha256, spec, str(ck.cache_dir(info)))
    return Context(name, model, info, x, labels, class_names, mu, logvar)


def current() -> Context | None:
    """The picked checkpoint, loaded and encoded; on failure an st.error and None."""
    name = st.session_state.get("checkpoint")
    if not name:
        st.info(f"No checkpoints in {str(checkpoints_root())!r} yet: train one on the Train page or with "
                "`python -m vae_core train --data digits --out checkpoints/digits-2d`.")
        return None
    try:
        return open_context(name)
    except (ck.CheckpointError, DataError) as exc:
        st.error(f"Cannot open checkpoint {name!r}: {exc}")
        return None


@st.cache_resource(show_spinner="Projecting the latents (UMAP: ~10 s the first time, then cached)...",
                   max_entries=16)
def _project(_ctx: Context, name: str, weights_sha: str, method: str):
    kw = {"dims": tuple(_ctx.dims_by_kl(2))} if method == "identity" else {}
    return project_latents(_ctx.mu, method, cache_dir=ck.cache_dir(_ctx.info), key="test", **kw)


def projection(ctx: Context, method: str):
    """(points (N, 2), fitted projection with transform / inverse_transform), cached in memory and on disk."""
    return _project(ctx, ctx.name, ctx.sha, method)
