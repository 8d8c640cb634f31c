"""Inside the VAE: the encoder's Gaussian, the reparameterisation trick, the aggregate posterior and its holes,
and the ELBO as reconstruction + KL, per example and per latent dimension (the computing is
vae_core.analysis.posterior)."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.colors import hex_to_rgb, qualitative

from explorer import display, shared
from vae_core.analysis import posterior as post
from vae_core.data import first_of_each_label, seeded_subset
from vae_core.losses import kl_per_dim
from vae_core.metrics import active_unit_mask

DRAWS, SHOWN = 8, 8  # reparameterised draws per image; prior draws shown from each end of the hole ranking
CLOUD = 2000  # test codes drawn as the grey cloud of section 1
COLORS, GREY = qualitative.D3, "#888888"
LAYOUT = dict(margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", y=1.02, yanchor="bottom",
                                                                traceorder="normal"))


@st.cache_data(show_spinner="Looking for holes...", max_entries=8)
def holes(_ctx: shared.Context, sha: str) -> tuple[np.ndarray, np.ndarray]:
    """SHOWN best-covered then SHOWN deepest-hole prior draws (2 SHOWN, D); their decodes' distance to real ones."""
    ranked = post.prior_holes(_ctx.mu, _ctx.logvar, n=256)
    z = np.concatenate([ranked.z[:SHOWN], ranked.z[-SHOWN:]])
    return z, post.nearest_distance(_ctx.decode(z), _ctx.decode(_ctx.mu))


@st.cache_data(show_spinner=False, max_entries=64)
def elbo(_ctx: shared.Context, sha: str, chosen: tuple[int, ...]) -> post.ELBOSplit:
    """Per-image ELBO terms, reconstruction averaged over 16 seeded draws of z."""
    return post.elbo_split(_ctx.model, _ctx.x[list(chosen)], samples=16, generator=torch.Generator().manual_seed(0))


def remember(key: str, default) -> str:
    """This checkpoint's own key for a widget, with its default; the app frame keeps it across pages (the
    inside_* families of explorer/page_keys.py)."""
    key = f"{key}_{ctx.name}"
    st.session_state.setdefault(key, default)
    return key


def plane_figure(rings: list[tuple], under: go.Scattergl | go.Heatmap) -> go.Figure:
    """A square z[dx]-z[dy] map: `under` first, then (centre, logvar, color, name, fill) ellipses at 1 and 2
    sigma; the prior N(0, I) is drawn at 1, 2 and 3 sigma."""
    fig = go.Figure(under)
    for centre, logvar, color, name, fill in [((0, 0), (0, 0), GREY, "prior N(0, I): 1σ, 2σ, 3σ", False), *rings]:
        for k in (1, 2, 3) if color == GREY else (1, 2):
            e = post.ellipse(centre, logvar, k)
            fig.add_trace(go.Scatter(
                x=e[:, 0], y=e[:, 1], mode="lines", name=name, legendgroup=name, showlegend=k == 1, hoverinfo="skip",
                line=dict(color=color, width=1.5 if fill else 1, dash="solid" if k == 1 else "dot"),
                fill="toself" if fill and k == 1 else None, fillcolor=f"rgba{(*hex_to_rgb(color), 0.18)}"))
    fig.update_layout(height=480, xaxis_title=f"z{dx}", yaxis_title=f"z{dy}", **LAYOUT)
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


ctx = shared.header_with_context(
    "Inside the VAE",
    "What the encoder really outputs, how a VAE samples a code, and what its loss adds up to. "
    "Pick up to four test images: sections 1 and 3 follow them.")
d = ctx.latent_dim
if d < 2:
    st.warning("This page draws 2-D maps of the latent space: it needs a latent of at least 2 dimensions.")
    st.stop()
top = ctx.dims_by_kl(2)
first_of_each = first_of_each_label(ctx.labels, 3, len(ctx.mu))

st.header("1 · The encoder gives a Gaussian, not a point")
c1, c2, c3, c4 = st.columns([4, 1, 1, 2], vertical_alignment="bottom")
chosen = c1.multiselect("Test images", range(len(ctx.mu)), key=remember("inside_samples", first_of_each),
                        max_selections=4, format_func=lambda i: f"#{i} · {ctx.label(i)}")
dx = c2.selectbox("x: dim", range(d), format_func="z{}".format, key=remember("inside_dx", top[0]))
dy = c3.selectbox("y: dim", range(d), format_func="z{}".format, key=remember("inside_dy", top[1]))
st.session_state.setdefault("inside_seed", 0)
c4.button("Sample z = μ + σ·ε", key="inside_sample", width="stretch", icon=":material/casino:",
          on_click=lambda: st.session_state.update(inside_seed=st.session_state["inside_seed"] + 1))
if dx == dy:
    st.warning("Pick two different dimensions for the maps.")
    st.stop()
plane, names = [dx, dy], {i: f"#{i} · {ctx.label(i)}" for i in chosen}
draws = {i: post.reparameterize(ctx.mu[i], ctx.logvar[i], DRAWS, seed=(st.session_state["inside_seed"], i))[0]
         for i in chosen}

# The grey cloud is context: CLOUD codes show its shape as well as MNIST's 10,000 do, and a browser without a GPU
# redraws that WebGL trace on every visit: the page's warm visit took 2.77 s with all 10,000, 1.88 s with 2,000
# (bench/README.md, "pages", session 11).
cloud = seeded_subset(len(ctx.mu), CLOUD)
cloud_name = "μ of every test image" if len(ctx.mu) <= CLOUD else f"μ of {CLOUD:,} test images"
map_col, img_col = st.columns([5, 4], gap="large")
with map_col:
    fig = plane_figure([(ctx.mu[i, plane], ctx.logvar[i, plane], COLORS[j], names[i], True)
                        for j, i in enumerate(chosen)],
                       go.Scattergl(x=ctx.mu[cloud, dx], y=ctx.mu[cloud, dy], mode="markers", name=cloud_name,
                                    hoverinfo="skip", marker=dict(size=4, color="rgba(120,120,120,0.35)")))
    for j, i in enumerate(chosen):
        fig.add_trace(go.Scatter(x=draws[i][:, dx], y=draws[i][:, dy], mode="markers", legendgroup=names[i],
                                 showlegend=False, hoverinfo="skip", marker=dict(symbol="x", size=8, color=COLORS[j])))
    st.plotly_chart(fig, key="inside_posterior", config={"displaylogo": False})
    st.caption(f"The encoder maps an image x to a whole distribution q(z|x) = N(μ, σ²): the coloured ellipses hold "
               f"{post.mass_within(1):.0%} (1σ) and {post.mass_within(2):.0%} (2σ) of it. Grey rings: the prior "
               "N(0, I) that the KL term pulls every q(z|x) towards. Drag a box on the map to zoom in.")
with img_col, st.container(key="inside_draws"):
    st.subheader("The reparameterisation trick")
    st.caption("z = μ + σ·ε with ε ~ N(0, I): the randomness sits in ε, so z is a smooth function of μ and σ "
               "and training can backpropagate through the sampling. Each row: the image x, decode(μ), a gap, "
               f"then the decodes of {DRAWS} draws of z (the × on the map). Press the button for new ε.")
    for j, i in enumerate(chosen):
        row = np.concatenate([ctx.x[i][None], ctx.decode(ctx.mu[i]), np.ones_like(ctx.x[:1]), ctx.decode(draws[i])])
        st.markdown(f"<span style='color:{COLORS[j]}'>●</span> {names[i]}", unsafe_allow_html=True)
        display.batch(row, len(row), 48, width="stretch")
    if not chosen:
        st.info("Pick a test image above.")

st.header("2 · The aggregate posterior and its holes")
hz, dist = holes(ctx, ctx.sha)
lo, hi = post.plane_extent(ctx.mu[:, plane], ctx.logvar[:, plane])
grid = post.density_grid(ctx.mu, ctx.logvar, plane,
                         extent=(min(lo, hz[:, plane].min() - 0.3), max(hi, hz[:, plane].max() + 0.3)))
map_col, img_col = st.columns([5, 4], gap="large")
with map_col:
    fig = plane_figure([], go.Heatmap(x=grid.xs, y=grid.ys, z=np.sqrt(grid.q), colorscale="Blues", showscale=False,
                                      customdata=grid.q, hovertemplate="q(z) = %{customdata:.3f}<extra></extra>"))
    for part, name, symbol, color in ((hz[:SHOWN], "prior draws that q(z) covers", "circle", COLORS[2]),
                                      (hz[SHOWN:], "prior draws in holes", "x", COLORS[3])):
        fig.add_trace(go.Scatter(x=part[:, dx], y=part[:, dy], mode="markers", name=name, hoverinfo="skip",
                                 marker=dict(symbol=symbol, size=10, color=color, line=dict(width=1, color="white"))))
    st.plotly_chart(fig, key="inside_aggregate", config={"displaylogo": False})
    st.caption("Blue: the aggregate posterior q(z), the average of q(z|x) over all test images: where encoded images "
               "really live. Grey rings: the prior p(z) that generation samples from. Where p(z) has mass and q(z) "
               "has almost none lies a hole" + (f"; holes are found in all {d} dims, so one can sit over blue in "
                                                "this plane and be empty in another dim." if d > 2 else "."))
with img_col:
    st.subheader("Decoding the prior")
    for label, part in (("best covered by q(z)", slice(None, SHOWN)), ("deepest in holes", slice(SHOWN, None))):
        st.markdown(f"**The {SHOWN} prior draws {label}** · distance to the nearest real decode "
                    f"{dist[part].mean():.3f}")
        display.decoded(ctx, hz[part], SHOWN, 48, width="stretch")
    st.caption(f"Of 256 draws z ~ N(0, I), the {SHOWN} where log p(z) − log q(z) is lowest and the {SHOWN} where it "
               "is highest. Distance: RMS pixel difference to the closest decode(μ) of a test image; decodes from "
               "holes are images the model never draws for a real one.")

st.header("3 · The ELBO = reconstruction + KL")
elbo_col, kl_col = st.columns([5, 4], gap="large")
with elbo_col:
    split = elbo(ctx, ctx.sha, tuple(chosen))
    rows, recon, kl = list(names.values()), list(split.recon), list(split.kl)
    last = ctx.info.history[-1] if ctx.info.history else {}
    if "test_recon" in last and "test_kl" in last:
        rows, recon, kl = rows + ["test-set mean"], recon + [last["test_recon"]], kl + [last["test_kl"]]
    total = np.add(recon, kl)
    fig = go.Figure([go.Bar(y=rows, x=recon, name="reconstruction −log p(x|z)", orientation="h",
                            marker_color=COLORS[0]),
                     go.Bar(y=rows, x=kl, name="KL(q(z|x) ‖ p(z))", orientation="h", marker_color=COLORS[1],
                            text=[f"−ELBO {t:.1f}" for t in total], textposition="outside", cliponaxis=False)])
    fig.update_layout(barmode="stack", height=110 + 55 * len(rows), xaxis_title="nats per image",
                      xaxis_range=[0, 1.3 * max(total, default=1)], yaxis_autorange="reversed", **LAYOUT)
    st.plotly_chart(fig, key="inside_elbo", config={"displaylogo": False})
    st.caption("The loss a VAE minimises, per image: reconstruction (the nats the decoder needs to redraw x from a "
               "sampled z, averaged over 16 draws) plus KL (how far q(z|x) strays from the prior: the price of the "
               "code). −ELBO = reconstruction + KL is an upper bound on −log p(x).")
with kl_col:
    kl_dims, active = kl_per_dim(ctx.mu, ctx.logvar).mean(0), active_unit_mask(ctx.mu)
    dims_key = remember("inside_dims", sorted(st.session_state.get("decoder_dims") or ctx.dims_by_kl(min(d, 8))))
    points = (st.session_state.get("inside_kl") or {}).get("selection", {}).get("points", [])
    picked = sorted({int(p["customdata"]) for p in points if p.get("customdata") is not None} & set(range(d)))
    if picked != st.session_state.get("_inside_kl_picked"):  # a new selection on the chart
        st.session_state["_inside_kl_picked"] = picked
        if picked:  # the chosen bars become the Explore page's slider set
            st.session_state[dims_key] = st.session_state["decoder_dims"] = picked
    fig = go.Figure([go.Bar(x=[f"z{k}" for k in np.flatnonzero(m)], y=kl_dims[m], name=name, marker_color=color,
                            customdata=np.flatnonzero(m), hovertemplate="z%{customdata}: %{y:.2f} nats<extra></extra>",
                            marker_line=dict(color="black", width=[3 * (k in st.session_state[dims_key])
                                                                   for k in np.flatnonzero(m)]))
                     for m, name, color in ((active, "active unit", COLORS[0]), (~active, "inactive", "#bbbbbb"))])
    fig.update_layout(height=300, yaxis_title="mean KL (nats)", xaxis_categoryorder="array",
                      xaxis_categoryarray=[f"z{k}" for k in range(d)], **LAYOUT)
    st.plotly_chart(fig, key="inside_kl", on_select="rerun", selection_mode=("points", "box"),
                    config={"displaylogo": False})
    st.multiselect("Dimensions on the Explore page's sliders", range(d), key=dims_key, max_selections=16,
                   format_func="z{}".format,
                   on_change=lambda: st.session_state.update(decoder_dims=sorted(st.session_state[dims_key])))
    st.page_link("views/explore.py", label="Move them on the Explore page", icon=":material/scatter_plot:")
    st.caption("Mean KL per latent dimension over the test set: a dimension with KL ≈ 0 leaves q(z_d|x) equal to the "
               "prior for every image, so the model does not use it. Active units (variance of μ over the test set "
               "> 0.01) are blue. Click a bar (shift-click for more) to choose the Explore sliders"
               + (f"; with {d} dims, Explore shows them all." if d <= 8 else "."))
