"""Explore: the latent map of the test set, a selected point's reconstruction, and the decoder panel."""

import numpy as np
import streamlit as st

from explorer import display, shared
from explorer.components.map_overlay import MapClick, MapMarker
from explorer.components.point_map import point_map
from vae_core.projection import default_method, linear_inverse, linear_map

ctx = shared.header_with_context(
    "Explore the latent space",
    "Each dot is one test image, placed at the mean μ of its encoding q(z|x). Nearby dots decode "
    "to similar images. Click a dot to see its reconstruction, or click between the dots to decode "
    "that spot; to pick a group, choose the box or lasso tool above the map and drag. For a text model each "
    "dot is a test sentence.", modalities=("image", "text"))


def take_click(ctx: shared.Context, click: MapClick) -> None:
    """A click on a dot selects its test image and puts z at its μ; between the dots it decodes the spot (the
    z the projection's inverse maps it to)."""
    if click.index is not None and click.index < len(ctx.mu):
        st.session_state.update(selected=click.index, z=ctx.mu[click.index].tolist(), group=[])
    elif click.index is None:
        _, proj = shared.projection(ctx, st.session_state.get("explore_method", "identity"))
        st.session_state["z"] = proj.inverse_transform(np.array([[click.x, click.y]]))[0].tolist()


@st.fragment
def explore(ctx: shared.Context) -> None:
    """Map, selection, decoder and group. A fragment: a click or a slider release reruns only this part,
    not the app frame (checkpoint list, sidebar, lesson bar), which keeps those changes near 150 ms."""
    selected = st.session_state.get("selected")
    if selected is not None and not 0 <= selected < len(ctx.mu):
        selected = st.session_state["selected"] = None

    methods = list(shared.PROJECTIONS)
    default = default_method(ctx.latent_dim)
    st.session_state.setdefault("explore_method", default)
    colors = (["label"] if ctx.labels is not None else []) + [f"z{d}" for d in ctx.dims_by_kl(10)]
    if st.session_state.get("explore_color") not in colors:
        st.session_state["explore_color"] = colors[0]

    noun = display.noun(ctx)
    article = "an" if noun[0] in "aeiou" else "a"
    map_col, side_col = st.columns([3, 2], gap="large")
    method = st.session_state["explore_method"]
    points, proj = shared.projection(ctx, method)
    with side_col:
        with st.container(key="selected"):
            # Drawn by the browser: a click on the map shows here in the next frame, before this rerun.
            display.selection(ctx, selected, chart="explore_map", decoder="explore_decoder",
                              inverse=linear_inverse(proj), key="explore_selection")

        st.subheader("Decoder")
        st.caption(f"Move z by hand: the decoder turns any point of the latent space into {article} {noun}.")
        reset_col, sample_col = st.columns(2)
        reset_col.button("Reset to selected point", disabled=selected is None, key="explore_reset", width="stretch",
                         on_click=lambda: st.session_state.update(z=ctx.mu[selected].tolist()))
        sample_col.button("Sample from prior", key="explore_sample", width="stretch",
                          help="z ~ N(0, I): what the decoder makes of a random point of the prior",
                          on_click=lambda: st.session_state.update(
                              z=np.random.default_rng().standard_normal(ctx.latent_dim).tolist()))
        z = shared.decoder_panel(ctx, ctx.z_or_default(), key="explore_decoder")
        st.session_state["z"] = z.tolist()
        shared.set_query(i=selected, z=z.tolist())

    with map_col:
        left, right = st.columns([3, 2])
        left.radio("Projection", methods, format_func=shared.PROJECTIONS.get, horizontal=True,
                   key="explore_method", help="Identity: the two most informative latent dims as they "
                   "are. PCA: the plane of largest variance. UMAP: keeps neighbourhoods, bends distances.")
        color = right.selectbox("Colour by", colors, key="explore_color")
        # The canvas map (point_map): drawn by the browser, so the page is interactive long before plotly
        # would have loaded (bench/README.md, "pointmap"). Its markers move at a click before the rerun.
        markers = [MapMarker(*points[selected], kind="ring", color="black")] if selected is not None else []
        markers.append(MapMarker(*proj.transform(z[None])[0], kind="x"))
        point_map(points, key="explore_map", **shared.point_map_args(ctx, method, proj, color), markers=markers,
                  live_source="explore_decoder", linear=linear_map(proj), **display.map_hover(ctx),
                  on_click=lambda click: take_click(ctx, click), answer_clicks=True,
                  on_select=lambda picked: st.session_state.update(group=picked))  # a box or lasso: a group
        if method == "umap":
            st.caption("UMAP keeps neighbourhoods but bends distances; the z marker's position is interpolated.")

    group = st.session_state.get("group", [])
    with st.container(key="explore_group"):
        if group:
            st.subheader(f"Selected group: {len(group)} {noun}s")
            shown = np.asarray(group[:48])
            display.batch(ctx.x[shown], 16, 48, width="natural",
                          caption="the group's originals" + (" (first 48)" if len(group) > 48 else ""))
            display.decoded(ctx, ctx.mu[shown].mean(0), tile=96, caption="decode(mean of their μ)")


explore(ctx)
