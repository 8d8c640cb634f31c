"""Neighbours and latent arithmetic: a test image's nearest neighbours in latent space beside those in pixel
space, attribute vectors applied with a strength slider that decodes live in the browser, and analogies
a − b + c, decoded and placed on the map."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explorer import display, shared
from explorer.components.map_overlay import MapClick, map_overlay
from explorer.display.attribute_picker import attribute_picker
from vae_core.analysis import neighbours as nb
from vae_core.data import load_dataset
from vae_core.projection import default_method

STRENGTHS = np.linspace(-2.0, 2.0, 9)


@st.cache_data(max_entries=4, show_spinner=False)
def groupings(spec: str, _labels, class_names: tuple | None) -> dict[str, tuple[np.ndarray, list[str]]]:
    """name -> (group per test image, group names): the labels, and on shapes each generative factor."""
    factors = load_dataset(spec).factors_test if spec.startswith("shapes") else None
    return nb.groupings(_labels, class_names, factors)


def markers(fig, xy: np.ndarray, name: str, symbol: str, color: str = "black", size: int = 12) -> None:
    """Markers (no hover, not selectable) at the map positions xy (M, 2); WebGL, so they sit above the dots."""
    xy = np.atleast_2d(xy)
    fig.add_trace(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name, hoverinfo="skip",
                               marker=dict(symbol=symbol, size=size, color=color, line=dict(width=2.5, color=color))))


@st.cache_resource(max_entries=16, show_spinner=False)
def with_strength(_model, sha: str, vector: tuple):
    """The decoder with the attribute's strength s as one more input: its slider decodes live in the browser."""
    return nb.attribute_decoder(_model, np.array(vector))


def pick_from_map(click: MapClick) -> None:
    """A click on a dot of the map picks that test image."""
    if click.index is not None:
        st.session_state["selected"] = click.index


def jump(step: int = 1) -> None:
    """Select the next test image (after the current one) with the chosen label."""
    want, i = st.session_state.get("nb_label"), st.session_state.get("selected") or 0
    order = (i + step + np.arange(n)) % n
    hits = order if want is None else order[[ctx.label(int(j)) == want for j in order]]
    if len(hits):
        st.session_state["selected"] = int(hits[0])


ctx = shared.header_with_context(
    "Neighbours and latent arithmetic",
    "Images close together in the latent space share meaning; images close in pixel space merely share "
    "pixels. Directions in the latent space can carry meaning too: add one to any image (or sentence).",
    modalities=("image", "text"))
if display.page_view(ctx, "neighbours"):  # sentences have no pixel space: the text renderer draws its own body
    st.stop()
n = len(ctx.mu)
i = st.session_state.get("selected")
i = st.session_state["selected"] = i if i is not None and 0 <= i < n else 0
st.session_state["nb_index"] = i
shared.set_query(i=i)

st.subheader("Nearest neighbours")
c1, c2, c3, c4 = st.columns([1.2, 1.2, 0.8, 2])
c1.number_input("Test image #", 0, n - 1, key="nb_index", on_change=lambda: st.session_state.update(
    selected=int(st.session_state["nb_index"])))
labels = sorted({ctx.label(j) for j in range(n)}, key=lambda s: (len(s), s)) if ctx.labels is not None else []
c2.selectbox("Find by label", labels, index=None, placeholder="any label", key="nb_label", on_change=jump,
             kwargs={"step": 0})
c3.button("Next ▸", key="nb_next", on_click=jump, help="The next test image with this label", width="stretch")
st.session_state.setdefault("nb_k", 8)
k = c4.slider("Neighbours k", 3, 16, key="nb_k")
lat_idx, lat_d = nb.neighbours_of(ctx.mu, i, k)
pix_idx, pix_d = nb.neighbours_of(nb.pixels(ctx.x), i, k)

query_col, grids_col, map_col = st.columns([1, 3.2, 2.6], gap="medium")
with query_col, st.container(key="nb_query"):
    display.item(ctx.x[i], 96, f"#{i} · label {ctx.label(i)}")
    display.decoded(ctx, ctx.mu[i], tile=96, caption="decode(μ)")
with grids_col, st.container(key="nb_grids"):
    for name, idx, d, how in (("latent", lat_idx, lat_d, "distance between the codes μ"),
                              ("pixel", pix_idx, pix_d, "distance between the images themselves")):
        same = nb.share_same(ctx.labels, i, idx)
        st.markdown(f"**Nearest in {name} space** ({how})" + (f" · same label: {same:.0%}" if same is not None
                                                                else ""))
        display.batch(ctx.x[idx], k, 48, caption="labels " + " ".join(
            ctx.label(int(j)) for j in idx) + f" · distance {d[0]:.3g} to {d[-1]:.3g}")
    st.caption("Pixel neighbours cover the same pixels, even when they show another digit or shape; latent "
               "neighbours are the images the model thinks alike. The difference is what the encoder has learned.")

st.subheader("Attribute vectors")
groups = groupings(ctx.info.train_config.data, ctx.labels, tuple(ctx.class_names or ()) or None)
if not groups:
    st.info("Attribute vectors need labels or known factors, and this dataset has neither.")
else:
    by, g, names, plus, minus = attribute_picker(groups, help="On shapes: the generative factors too; a continuous "
                                                 "factor is split into its lowest, middle and highest thirds.",
                                                 keys=("nb_by", "nb_plus", "nb_minus"))
    v = nb.attribute_vector(ctx.mu, g, plus, minus)
    st.caption(f"v = mean μ of {by} {names[plus]} − mean μ of {by} {names[minus]} (length {np.linalg.norm(v):.2f}), "
               f"added to image #{i} with a strength s: z = μ + s·v.")
    live_col, strip_col = st.columns([1.3, 3], gap="medium")
    with live_col:
        d = ctx.latent_dim  # inputs [μ, s]: only s gets a slider; a new image starts again at s = 0
        s = display.live_decoder(ctx.x.shape[1:], with_strength(ctx.model, ctx.sha, tuple(v.tolist())),
                                 [*ctx.mu[i].tolist(), 0.0], [d], key="nb_strength", labels=["strength s"],
                                 value_range=(-3.0, 3.0), size=112)[d]
    display.decoded(ctx, nb.along(ctx.mu[i], v, STRENGTHS), len(STRENGTHS), 64, where=strip_col,
                    caption="s = " + "   ".join(f"{t:+g}" for t in STRENGTHS) + " (decoded on the server)")

st.subheader("Analogies: a − b + c")
st.caption("a is the selected image. Take b of the same label and c of another: a − b keeps how a differs "
           "from b (its style), and adding c moves that style onto c's class.")
for key, default in zip(("nb_b", "nb_c"), nb.analogy_defaults(ctx.labels, i, n), strict=True):
    if not 0 <= st.session_state.get(key, -1) < n:
        st.session_state[key] = default
b1, b2, _ = st.columns([1, 1, 4])
b = b1.number_input("b: test image #", 0, n - 1, key="nb_b")
c = b2.number_input("c: test image #", 0, n - 1, key="nb_c")
result = nb.analogy(ctx.mu[i], ctx.mu[b], ctx.mu[c])
with st.container(key="nb_analogy", horizontal=True):
    for img, cap in ((ctx.x[i], f"a #{i} ({ctx.label(i)})"), (ctx.x[b], f"− b #{b} ({ctx.label(b)})"),
                     (ctx.x[c], f"+ c #{c} ({ctx.label(c)})"), (ctx.decode(result)[0], "= decode(μa − μb + μc)")):
        display.item(img, 96, cap)

with map_col:
    method = default_method(ctx.latent_dim)
    points, proj = shared.projection(ctx, method)
    fig = shared.latent_map(ctx, points, shared.axis_titles(ctx, method, proj), height=380)
    markers(fig, points[pix_idx], "pixel neighbours", "square-open")
    markers(fig, points[lat_idx], "latent neighbours", "diamond-open")
    markers(fig, points[i], "selected (a)", "circle-open", size=18)
    if groups:
        markers(fig, proj.transform(nb.along(ctx.mu[i], v, [s])), f"μ + {s:.2g}·v", "x", color="#d62728", size=14)
    markers(fig, proj.transform(result[None]), "a − b + c", "star", color="#9467bd", size=18)
    fig.update_layout(showlegend=False)
    st.plotly_chart(fig, key="nb_map", config={"displaylogo": False})
    map_overlay("nb_map", [], key="nb_overlay", on_click=pick_from_map)
    st.caption("◇ latent neighbours, □ pixel neighbours, ✕ the attribute's result, ★ the analogy. Click a dot "
               "to pick another image.")
