"""Interpolate: walk from one test image's code to another's, by a straight line or a great circle."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explorer import display, shared
from explorer.components.map_overlay import MapClick, MapMarker
from explorer.components.point_map import point_map
from vae_core import interpolate
from vae_core.latent import path_norms, typical_norm
from vae_core.projection import default_method

ctx = shared.header_with_context(
    "Interpolate between two images or sentences",
    "Encode two images (or sentences), walk between their codes μ_A and μ_B, and decode every step. "
    "A smooth, meaningful morph shows the latent space has no holes along the way.", modalities=("image", "text"))
noun = display.noun(ctx).capitalize()
n = len(ctx.mu)


def random_pair() -> None:
    a, b = np.random.default_rng().choice(n, size=2, replace=False)
    st.session_state.update(interp_a=int(a), interp_b=int(b))


def take_map_click(click: MapClick) -> None:
    """A click on a point of this page's map makes it image A or B (as "A click on the map sets" says);
    after A the choice moves on to B, so two clicks pick a pair."""
    if click.index is None or click.index >= n:
        return
    end = st.session_state.get("interp_click_sets", "A")
    st.session_state[f"interp_{end.lower()}"] = click.index
    st.session_state["interp_click_sets"] = "B" if end == "A" else "A"


def from_explore() -> None:
    group, sel = st.session_state.get("group", []), st.session_state.get("selected")
    if len(group) >= 2:
        st.session_state.update(interp_a=group[0], interp_b=group[-1])
    elif sel is not None:
        st.session_state["interp_a"] = sel


for key, default in (("interp_a", 0), ("interp_b", min(1, n - 1))):
    if not 0 <= st.session_state.get(key, -1) < n:
        st.session_state[key] = default
st.session_state.setdefault("interp_method", "slerp")
st.session_state.setdefault("interp_steps", 10)

c1, c2, c3, _ = st.columns([1, 1, 1.3, 2])
a = c1.number_input(f"{noun} A (test index)", 0, n - 1, key="interp_a")
b = c2.number_input(f"{noun} B (test index)", 0, n - 1, key="interp_b")
method = c3.radio("Path", ["lerp", "slerp"], key="interp_method", horizontal=True,
                  help="lerp: straight line. slerp: great circle, keeps the norm of z.")
steps = st.session_state["interp_steps"] = min(max(int(st.session_state["interp_steps"]), 3), 24)
b1, b2, _ = st.columns([1, 1.4, 3])
b1.button("Random pair", icon=":material/casino:", on_click=random_pair, key="interp_random")
b2.button("Use the Explore selection", on_click=from_explore, key="interp_from_explore",
          disabled=st.session_state.get("selected") is None and len(st.session_state.get("group", [])) < 2)
shared.set_query(a=a, b=b, m=method, n=steps)

# Drawn by the browser, which redraws it while the steps slider is dragged; the release reruns the page.
display.interpolation(ctx, a, b, method, steps, key="interp_strip",
                      on_steps=lambda value: st.session_state.update(interp_steps=value))
z_a, z_b = display.path_ends(ctx, a, b, key="interp_strip")  # a typed sentence's μ for text
path = interpolate(z_a, z_b, steps, method)
display.path_download(ctx, path, f"{ctx.name}-{method}-{a}-{b}", key="interp_gif")

map_col, norm_col = st.columns([3, 2], gap="large")
with map_col:
    st.subheader("The path on the map")
    default = default_method(ctx.latent_dim)
    method_2d = st.session_state.get("explore_method", default)
    points, proj = shared.projection(ctx, method_2d)
    xy = proj.transform(path)
    # The canvas map, as on Explore: no plotly to load for it, and a click is drawn by the browser.
    ends = [MapMarker(*xy[0], kind="diamond", color="black", label="A"),
            MapMarker(*xy[-1], kind="diamond", color="black", label="B")]
    point_map(points, key="interp_map", **shared.point_map_args(ctx, method_2d, proj), height=420, path=xy,
              markers=ends, **display.map_hover(ctx), on_click=take_map_click)
    st.session_state.setdefault("interp_click_sets", "A")
    st.radio("A click on the map sets", ["A", "B"], key="interp_click_sets", horizontal=True,
             help="Click a point to make it image A, then another for B.")
    st.caption(f"Projection: {shared.PROJECTIONS[method_2d]} (chosen on the Explore page).")

with norm_col:
    st.subheader("‖z‖ along the path")
    t = np.linspace(0, 1, steps)
    norms = go.Figure()
    for name in ("lerp", "slerp"):
        other = interpolate(z_a, z_b, steps, name)
        norms.add_trace(go.Scatter(x=t, y=path_norms(other), name=name, mode="lines+markers",
                                   line=dict(width=3 if name == method else 1.5,
                                             dash=None if name == method else "dot")))
    norms.add_hline(y=typical_norm(ctx.latent_dim), line_dash="dash", line_color="grey",
                    annotation_text=f"√d = {typical_norm(ctx.latent_dim):.2f}")
    norms.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10),
                        xaxis_title="t (position on the path)",
                        yaxis_title="‖z‖", yaxis_rangemode="tozero", legend=dict(orientation="h", y=1.1))
    st.plotly_chart(norms, key="interp_norms", config={"displaylogo": False})
    st.caption("Why slerp: the prior N(0, I) puts almost all its mass near ‖z‖ ≈ √d, so a straight line "
               "between two codes dips through the rarely-seen centre; the great circle keeps the norm.")
