"""Draw: a digit drawn on a canvas (or an uploaded picture) is prepared like the dataset, encoded as a posterior
ellipse on the map, reconstructed, and samples from its posterior are decoded."""

from collections import Counter

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explorer import display, shared
from explorer.components.draw_canvas import draw_canvas
from vae_core.analysis import drawing
from vae_core.analysis.neighbours import knn
from vae_core.analysis.posterior import ellipse, mass_within, reparameterize
from vae_core.latent import encode_dataset
from vae_core.uploads import UploadError, load_uploaded_image

SAMPLES = 8


@st.cache_data(max_entries=8, show_spinner=False)
def ink_fill(_x, spec: str, n: int) -> float:
    """How much of the frame the dataset's own ink fills: drawings are resized to match."""
    return drawing.ink_fraction(_x)


def picture(source: str, shape) -> np.ndarray | None:
    """The drawing or upload as the model's input (C, H, W), or None with a message shown."""
    if source == "Draw":
        url = draw_canvas(key="draw_canvas", size=280)
        if url is None:
            st.info(drawing.EMPTY)
            return None
        grey, empty = drawing.decode_data_url(url), drawing.EMPTY
    else:
        upload = st.file_uploader("A picture of a digit or a shape", type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
                                  key="draw_upload", help="Dark ink on white paper is inverted first.")
        if upload is None:
            return None
        grey = load_uploaded_image(upload.getvalue(), (1, drawing.CANVAS, drawing.CANVAS))[0]
        empty = "No strokes found: the picture is one flat colour."
    return drawing.prepare(grey, shape, fill=ink_fill(ctx.x, ctx.info.train_config.data, len(ctx.x)),
                           empty_message=empty)


ctx = shared.header_with_context(
    "Draw",
    "Draw a digit, or upload a picture: it is cropped, resized and centred the way the training images "
    "were, then the encoder turns it into a Gaussian q(z|x) and the decoder turns that back into images.")
shape = tuple(ctx.model.config.input_shape)

input_col, result_col, map_col = st.columns([2, 1.7, 3.3], gap="large")
with input_col:
    source = st.radio("Input", ["Draw", "Upload"], horizontal=True, key="draw_source", label_visibility="collapsed")
    try:
        x = picture(source, shape)
    except (drawing.DrawingError, UploadError) as exc:
        st.warning(str(exc))
        x = None
if x is None:
    st.stop()

enc = encode_dataset(ctx.model, x[None])
mu, logvar = enc.mu[0], enc.logvar[0]
seed = st.session_state.setdefault("draw_seed", 0)
z, _ = reparameterize(mu, logvar, SAMPLES, seed=seed)
near, _ = knn(ctx.mu, mu, 10)
near = near[0]

with result_col, st.container(key="draw_result"):
    seen, recon = st.columns(2)
    display.item(x, 112, "as the model sees it", where=seen)
    display.decoded(ctx, mu, tile=112, caption="reconstruction, decode(μ)", where=recon)
    display.decoded(ctx, z, 4, 56, caption=f"{SAMPLES} samples z ~ q(z|x), decoded: what "
             "the encoder thinks your drawing could be")
    st.button("New samples", key="draw_resample", on_click=lambda: st.session_state.update(draw_seed=seed + 1))
    display.batch(ctx.x[near[:5]], 5, 48, "the test images nearest to μ")
    if ctx.labels is not None:
        label, count = Counter(ctx.label(int(j)) for j in near).most_common(1)[0]
        st.caption(f"{count} of the 10 test images nearest to μ are labelled **{label}**.")

with map_col:
    points, proj = shared.projection(ctx, "identity")  # two latent dims as they are: the ellipse is exact
    dims = list(proj.dims_)
    fig = shared.latent_map(ctx, points, shared.axis_titles(ctx, "identity", proj), height=480)
    for k, dash in ((1, "solid"), (2, "dot")) if len(dims) == 2 else ():  # a 1-D latent has no ellipse
        e = ellipse(mu[dims], logvar[dims], k=k)
        fig.add_trace(go.Scattergl(x=e[:, 0], y=e[:, 1], mode="lines", name=f"{k}σ of q(z|x)", hoverinfo="skip",
                                   line=dict(color="black", width=2, dash=dash)))
    s = proj.transform(z)
    fig.add_trace(go.Scattergl(x=s[:, 0], y=s[:, 1], mode="markers", name="samples", hoverinfo="skip",
                               marker=dict(size=8, color="white", line=dict(width=1.5, color="black"))))
    m = proj.transform(mu[None])  # WebGL like the dots, or the dense map would hide it
    fig.add_trace(go.Scattergl(x=m[:, 0], y=m[:, 1], mode="markers", name="your μ", hoverinfo="skip",
                               marker=dict(symbol="star", size=18, color="#d62728",
                                           line=dict(width=1.5, color="white"))))
    fig.update_layout(legend=dict(orientation="h", y=-0.18, title=None), margin=dict(b=40))
    st.plotly_chart(fig, key="draw_map", config={"displaylogo": False})
    st.caption(f"The star is μ; the ellipses hold {mass_within(1):.0%} and {mass_within(2):.0%} of q(z|x) in the "
               "two latent dims shown: a wide ellipse means the encoder is unsure where your drawing belongs.")
