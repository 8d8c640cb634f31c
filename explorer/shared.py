"""What every page shares: cached loaders, the current checkpoint's context, state in the URL, the
latent map and the decoder panel.

Session state (initialised once by app.py, see `init_state`):
  checkpoint  the picked checkpoint's name               URL ?ckpt=
  selected    the selected test index, or None           URL ?i=
  z           the current latent (list of floats) or None URL ?z=
  group       indices picked with box/lasso on the map (not in the URL: it can be long)
Pages add their own widget keys (explore_*, interp_*, gen_*), listed in explorer/page_keys.py so that
`keep_page_state` keeps them across page switches (Streamlit drops the state of widgets a run did not draw).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.colors import qualitative

from explorer import page_keys
from vae_core import checkpoint as ck
from vae_core.data import DataError, load_dataset
from vae_core.latent import decode_batch, encode_dataset
from vae_core.losses import kl_per_dim
from vae_core.models import VAE
from vae_core.projection import project_latents

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CHECKPOINT = "mnist-2d"
PROJECTIONS = {"identity": "Identity", "pca": "PCA", "umap": "UMAP"}
HOVER_PX = 6  # a dot's hover label, and a click's pick of it, reach this far (px) beyond its edge



def checkpoints_root() -> Path:
    """$LATENT_LAB_CHECKPOINTS, else ./checkpoints, else the bundled folder beside this package."""
    root = ck.default_root()
    return root if root.is_dir() or "LATENT_LAB_CHECKPOINTS" in os.environ else REPO / "checkpoints"


# --- the app frame ------------------------------------------------------------------------------------


def run_through_app() -> None:
    """Make sure this page runs inside app.py (sidebar, state, navigation), called first by every page.

    Until some run calls st.navigation, Streamlit treats explorer/pages/ as a legacy pages folder, so
    the first request of a fresh server for /interpolate runs that file alone. Switch legacy mode off
    (what st.navigation does) and rerun: app.py then routes the same URL to the same page.
    """
    if st.session_state.get("_app_frame"):
        return
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


# --- query string ------------------------------------------------------------------------------------


def query_int(name: str) -> int | None:
    """A non-negative integer query parameter, or None if absent or malformed (pages check the range)."""
    try:
        v = int(st.query_params.get(name, ""))
    except ValueError:
        return None
    return v if v >= 0 else None


def query_floats(name: str) -> list[float] | None:
    """A comma-separated list of finite floats, or None."""
    try:
        vals = [float(s) for s in st.query_params.get(name, "").split(",") if s.strip()]
    except ValueError:
        return None
    return vals if vals and all(np.isfinite(vals)) else None


def set_query(**values) -> None:
    """Write shareable values into the URL (None removes a key); unchanged keys are left alone."""
    for key, value in values.items():
        if value is None:
            st.query_params.pop(key, None)
        else:
            text = ",".join(f"{v:.4g}" for v in value) if isinstance(value, (list, tuple)) else str(value)
            if st.query_params.get(key) != text:
                st.query_params[key] = text


def resolve_checkpoint(requested: str | None, names: list[str]) -> tuple[str | None, str | None]:
    """(name to open, error message): a bad or unknown name from the URL falls back to the default."""
    fallback = DEFAULT_CHECKPOINT if DEFAULT_CHECKPOINT in names else (names[0] if names else None)
    if requested is None:
        return fallback, None
    try:
        ck.validate_name(requested)
    except ck.CheckpointError as exc:
        return fallback, f"{exc}; opened {fallback!r} instead."
    if requested not in names:
        return fallback, f"no checkpoint named {requested!r}; opened {fallback!r}."
    return requested, None


def init_state(names: list[str]) -> None:
    """Once per session: the checkpoint, selection and z from the URL, else defaults."""
    if "_initialised" in st.session_state:
        return
    st.session_state["_initialised"] = True
    name, error = resolve_checkpoint(st.query_params.get("ckpt"), names)
    st.session_state["checkpoint"] = name
    st.session_state["_url_error"] = error
    st.session_state["selected"] = query_int("i")
    st.session_state["z"] = query_floats("z")
    st.session_state["group"] = []
    for key, param in (("interp_a", "a"), ("interp_b", "b"), ("interp_steps", "n"), ("gen_seed", "seed")):
        if (v := query_int(param)) is not None:
            st.session_state[key] = v
    if st.query_params.get("m") in ("lerp", "slerp"):
        st.session_state["interp_method"] = st.query_params["m"]


def keep_page_state() -> None:
    """Re-set every session key the page-key table keeps, before any page runs: Streamlit keeps the value of a
    widget that a run does not draw only if the run sets it (explorer/page_keys.py)."""
    for key in list(st.session_state):
        if page_keys.kept(key):
            st.session_state[key] = st.session_state[key]


def reset_selection() -> None:
    """A new checkpoint: indices and z of the old one mean nothing."""
    st.session_state.update(selected=None, z=None, group=[])
    set_query(i=None, z=None, a=None, b=None)


# --- cached loaders ----------------------------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the model...", max_entries=8)
def _load_model(name: str, weights_sha: str, root: str):
    return ck.load_checkpoint(name, Path(root))


def load_model(name: str):
    """(model, info) for a checkpoint; the cache is keyed by the weights' hash, so retraining shows."""
    info = ck.read_info(name, checkpoints_root())
    return _load_model(name, info.weights_sha256, str(checkpoints_root()))


@st.cache_data(show_spinner="Loading the dataset...", max_entries=4)
def load_test_set(spec: str) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """The test split (x (N, C, H, W), labels (N,) or None, class names) of a dataset spec."""
    ds = load_dataset(spec)
    return ds.x_test, ds.y_test, ds.class_names


@st.cache_data(show_spinner="Encoding the test set...", max_entries=8)
def _encode(_model, weights_sha: str, spec: str) -> tuple[np.ndarray, np.ndarray]:
    enc = encode_dataset(_model, load_test_set(spec)[0])
    return enc.mu, enc.logvar


@st.cache_data(max_entries=64, show_spinner=False)
def _decode(_model, weights_sha: str, z: np.ndarray) -> np.ndarray:
    return decode_batch(_model, z)


@dataclass
class Context:
    """The current checkpoint with its test set encoded: mu, logvar (N, D); x (N, C, H, W)."""

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
        """z (M, D) -> images (M, C, H, W) in [0, 1], memoised per checkpoint."""
        return _decode(self.model, self.sha, np.asarray(z, np.float32).reshape(-1, self.latent_dim))

    def label(self, i: int) -> str:
        if self.labels is None:
            return "-"
        y = int(self.labels[i])
        return self.class_names[y] if self.class_names and 0 <= y < len(self.class_names) else str(y)

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
    mu, logvar = _encode(model, info.weights_sha256, spec)
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


def axis_titles(ctx: Context, method: str, proj) -> tuple[str, str]:
    if method == "identity":
        dims = list(proj.dims_) + [None]
        return f"z{dims[0]}", (f"z{dims[1]}" if dims[1] is not None else "")
    return ("PC 1", "PC 2") if method == "pca" else ("UMAP 1", "UMAP 2")


# --- the latent map ----------------------------------------------------------------------------------


def latent_map(ctx: Context, points: np.ndarray, titles: tuple[str, str], color: str = "label",
               equal_axes: bool = True, height: int = 520) -> go.Figure:
    """Scattergl of the test set; customdata carries each point's dataset index, hover shows it.

    Clicks are reported by a map_overlay (explorer/components/map_overlay.py), which picks the dot whose hover
    label shows, so the hover reach is kept short: a click a little further from every dot decodes the spot.
    """
    fig = go.Figure()
    idx = np.arange(len(points))
    size = 6 if len(points) <= 2000 else 4  # MNIST's 10,000 test images: smaller dots keep the clusters apart
    hover = "#%{customdata} · label %{meta}<extra></extra>"
    if color == "label" and ctx.labels is not None:
        palette = qualitative.T10 + qualitative.Pastel
        for k, y in enumerate(np.unique(ctx.labels)):
            m = ctx.labels == y
            name = ctx.label(int(idx[m][0]))
            fig.add_trace(go.Scattergl(x=points[m, 0], y=points[m, 1], mode="markers", name=name,
                                       customdata=idx[m], meta=name, hovertemplate=hover,
                                       marker=dict(size=size, opacity=0.8, color=palette[k % len(palette)])))
    else:
        d = int(color[1:]) if color.startswith("z") else 0
        fig.add_trace(go.Scattergl(
            x=points[:, 0], y=points[:, 1], mode="markers", name=color, customdata=idx,
            text=[ctx.label(i) for i in idx], hovertemplate="#%{customdata} · label %{text}<extra></extra>",
            marker=dict(size=size, opacity=0.85, color=ctx.mu[:, d], colorscale="RdBu_r",
                        colorbar=dict(title=f"z{d}", thickness=12)), showlegend=False))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), xaxis_title=titles[0],
                      yaxis_title=titles[1], legend=dict(title="label", itemsizing="constant"),
                      uirevision=f"{ctx.name}-{titles}", dragmode="pan", hovermode="closest",
                      hoverdistance=HOVER_PX)
    if equal_axes:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def selected_indices(event) -> list[int]:
    """Dataset indices of the points a map selection holds (markers without customdata are skipped)."""
    points = (event or {}).get("selection", {}).get("points", [])
    out = [p.get("customdata") for p in points]
    out = [int(c[0] if isinstance(c, list) else c) for c in out if c is not None]
    return list(dict.fromkeys(out))  # keep order, drop repeats


# --- the decoder panel -------------------------------------------------------------------------------


def decoder_panel(ctx: Context, z: np.ndarray, key: str, max_dims: int = 8) -> np.ndarray:
    """Sliders over z and its image, decoded in the browser while a slider is dragged; returns the new z (D,).

    With more than max_dims dimensions the sliders show the most informative ones (by KL), and a picker
    (session key "decoder_dims") chooses others.
    """
    from explorer.components.latent_decoder import latent_decoder

    dims = list(range(ctx.latent_dim))
    if ctx.latent_dim > max_dims:
        chosen = [d for d in st.session_state.get("decoder_dims") or [] if d < ctx.latent_dim]
        st.session_state["decoder_dims"] = chosen or ctx.dims_by_kl(max_dims)
        dims = st.multiselect("Dimensions on the sliders", dims, key="decoder_dims", max_selections=16,
                              format_func=lambda d: f"z{d}", help="Preset: the dimensions with the most KL.")
        dims = sorted(dims) or ctx.dims_by_kl(max_dims)
    z = latent_decoder(ctx.model, [float(v) for v in z], dims, key=key, size=168)
    return np.asarray(z, np.float32)
