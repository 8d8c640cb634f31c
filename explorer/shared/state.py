"""The app frame's state: where checkpoints are, the session state app.py initialises once, the keys kept
across pages, and the values shared through the URL.

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
import uuid
from pathlib import Path

import numpy as np
import streamlit as st

from explorer import page_keys
from vae_core import checkpoint as ck

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CHECKPOINT = "mnist-2d"


def checkpoints_root() -> Path:
    """$LATENT_LAB_CHECKPOINTS, else ./checkpoints, else the bundled folder beside this package."""
    root = ck.default_root()
    return root if root.is_dir() or "LATENT_LAB_CHECKPOINTS" in os.environ else REPO / "checkpoints"


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


def set_defaults(values: dict) -> None:
    """A page's starting settings, for the keys this session has no value for yet (not widget defaults: the URL,
    lessons and other pages set them too)."""
    for key, value in values.items():
        st.session_state.setdefault(key, value)


def session_job(registry, id_key: str):
    """This browser session's job in a vae_core.jobs registry, or None; the session's opaque id is kept under
    id_key (one job per session and page kind)."""
    return registry.get(st.session_state.setdefault(id_key, uuid.uuid4().hex))


def reset_selection() -> None:
    """A new checkpoint: indices and z of the old one mean nothing."""
    st.session_state.update(selected=None, z=None, group=[])
    set_query(i=None, z=None, a=None, b=None)


