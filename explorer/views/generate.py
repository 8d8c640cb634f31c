"""Generate: decode draws from the prior, the classic manifold grid, and per-dimension traversals (images, or
sentences through the display seam)."""

import numpy as np
import streamlit as st

from explorer import display, shared
from vae_core.latent import manifold_grid, traversal_values
from vae_core.losses import kl_per_dim

ctx = shared.header_with_context(
    "Generate new images or sentences",
    "The decoder turns any z into an image (or a sentence), so drawing z from the prior N(0, I) makes new ones "
    "that are in no dataset.", modalities=("image", "text"))
d = ctx.latent_dim
for key, default in (("gen_temperature", 1.0), ("gen_seed", 0), ("gen_grid", 15), ("gen_steps", 9),
                     ("gen_span", 3.0), ("gen_base", "the origin (prior mean)")):
    st.session_state.setdefault(key, default)  # not as widget defaults: the URL and other pages set them

samples_tab, manifold_tab, traversal_tab = st.tabs(["Samples from the prior", "Manifold grid",
                                                    "Traversals"])
with samples_tab:
    c1, c2, _ = st.columns([2, 1, 2])
    temperature = c1.slider("Temperature T", 0.1, 2.0, step=0.1, key="gen_temperature",
                            help=display.temperature_help(ctx))
    seed = c2.number_input("Seed", 0, 2**31 - 1, key="gen_seed")
    shared.set_query(seed=seed)
    display.prior_samples(ctx, seed, temperature, key="gen")

with manifold_tab:
    c1, c2, c3 = st.columns([2, 1, 1])
    grid = c1.slider("Grid size", 5, 25, key="gen_grid")
    top = ctx.dims_by_kl(2)
    if d >= 2:
        dx = c2.selectbox("x: dim", range(d), top[0], "z{}".format, key=f"gen_dx_{ctx.name}")
        dy = c3.selectbox("y: dim", range(d), top[-1], "z{}".format, key=f"gen_dy_{ctx.name}")
    if d < 2 or dx == dy:
        st.warning("The manifold grid needs two different latent dimensions.")
    else:
        zs = manifold_grid(grid, dims=(dx, dy), latent_dim=d)
        display.manifold(ctx, zs, grid, (dx, dy), key="gen_manifold",
                         caption=f"z{dx} left→right, z{dy} bottom→top, over the prior's 5%…95% quantiles; "
                                 "other dims 0. Each cell covers equal prior mass (Kingma & Welling 2014, fig. 4).")

with traversal_tab:
    st.caption(f"Change one latent dimension at a time, keeping the others fixed: which factor of the "
               f"{display.noun(ctx)} does each dimension control? Dimensions most informative first, "
               "each along its values.")
    c1, c2, c3 = st.columns([1, 1, 2])
    steps = c1.slider("Values per row", 5, 15, key="gen_steps")
    span = c2.slider("Range ±", 1.0, 4.0, step=0.5, key="gen_span")
    base_name = c3.radio("Start from", ["the origin (prior mean)", "the current z (Explore page)"],
                         key="gen_base", horizontal=True)
    base = np.zeros(d, np.float32) if base_name.startswith("the origin") else ctx.z_or_default()
    kl = kl_per_dim(ctx.mu, ctx.logvar).mean(0)
    dims = sorted(ctx.dims_by_kl(10), key=lambda i: -kl[i])
    values = traversal_values(steps, span)
    display.traversals(ctx, base, dims, values, kl, key="gen_traversals")
    st.caption(f"Values {values[0]:g} … {values[-1]:g}. KL: mean nats this dimension carries about x; "
               "a dimension with KL ≈ 0 is unused and its row does not change.")
