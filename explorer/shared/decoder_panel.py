"""The decoder panel: sliders over z and its image, decoded in the browser while a slider moves."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer import display
from explorer.shared.loaders import Context


def decoder_panel(ctx: Context, z: np.ndarray, key: str, max_dims: int = 8) -> np.ndarray:
    """Sliders over z and its image, decoded in the browser while a slider is dragged; returns the new z (D,).

    With more than max_dims dimensions the sliders show the most informative ones (by KL), and a picker
    (session key "decoder_dims") chooses others.
    """
    dims = list(range(ctx.latent_dim))
    if ctx.latent_dim > max_dims:
        chosen = [d for d in st.session_state.get("decoder_dims") or [] if d < ctx.latent_dim]
        st.session_state["decoder_dims"] = chosen or ctx.dims_by_kl(max_dims)
        dims = st.multiselect("Dimensions on the sliders", dims, key="decoder_dims", max_selections=16,
                              format_func=lambda d: f"z{d}", help="Preset: the dimensions with the most KL.")
        dims = sorted(dims) or ctx.dims_by_kl(max_dims)
    z = display.live_decoder(ctx.x.shape[1:], ctx.model, [float(v) for v in z], dims, key=key, size=168)
    return np.asarray(z, np.float32)
