"""Generate: decode draws from the prior, the classic manifold grid, and per-dimension traversals."""

import numpy as np
import streamlit as st

from explorer import display, shared
from vae_core.latent import manifold_grid, traversal_values, traverse
from vae_core.losses import kl_per_dim

ctx = shared.header_with_context(
    "Generate new images",
    "The decoder turns any z into an image, so drawing z from the prior N(0, I) makes new images "
    "that are in no dataset.")
d = ctx.latent_dim
for key, default in (("gen_temperature", 1.0), ("gen_seed", 0), ("gen_grid", 15), ("gen_steps", 9),
                     ("gen_span", 3.0), ("gen_base", "the origin (prior mean)")):
    st.session_state.setdefault(key, default)  # not as widget defaults: the URL and other pages set them

samples_tab, manifold_tab, traversal_tab = st.tabs(["Samples from the prior", "Manifold grid",
                                                    "Traversals"])
with samples_tab:
    c1, c2, _ = st.columns([2, 1, 2])
    temperature = c1.slider("Temperature T", 0.1, 2.0, step=0.1, key="gen_temperature",
                            help="z ~ N(0, T² I): below 1 typical images, above 1 more varied and odd ones.")
    seed = c2.number_input("Seed", 0, 2**31 - 1, key="gen_seed")
    shared.set_query(seed=seed)
    z = np.random.default_rng(int(seed)).standard_normal((48, d)).astype(np.float32) * temperature
    display.decoded(ctx, z, 12, 64, width="stretch",
                    caption=f"48 samples: z ~ N(0, {temperature:g}² I), decoded (seed {seed})")

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
        display.decoded(ctx, zs, grid, 36, width="natural",
                        caption=f"z{dx} left→right, z{dy} bottom→top, over the prior's 5%…95% quantiles; "
                                "other dims 0. Each cell covers equal prior mass (Kingma & Welling 2014, fig. 4).")

with traversal_tab:
    st.caption("Change one latent dimension at a time, keeping the others fixed: which factor of the "
               "image does each dimension control? Rows: dimensions (most informative first), "
               "columns: values.")
    c1, c2, c3 = st.columns([1, 1, 2])
    steps = c1.slider("Values per row", 5, 15, key="gen_steps")
    span = c2.slider("Range ±", 1.0, 4.0, step=0.5, key="gen_span")
    base_name = c3.radio("Start from", ["the origin (prior mean)", "the current z (Explore page)"],
                         key="gen_base", horizontal=True)
    base = np.zeros(d, np.float32) if base_name.startswith("the origin") else ctx.z_or_default()
    kl = kl_per_dim(ctx.mu, ctx.logvar).mean(0)
    dims = sorted(ctx.dims_by_kl(10), key=lambda i: -kl[i])
    values = traversal_values(steps, span)
    images = ctx.decode(traverse(base, dims, values))
    for r, dim in enumerate(dims):
        label, row = st.columns([1, 9], vertical_alignment="center")
        label.markdown(f"**z{dim}**  \nKL {kl[dim]:.2f}")
        display.batch(images[r * steps:(r + 1) * steps], steps, 64, width="natural", where=row)
    st.caption(f"Values {values[0]:g} … {values[-1]:g}. KL: mean nats this dimension carries about x; "
               "a dimension with KL ≈ 0 is unused and its row does not change.")
