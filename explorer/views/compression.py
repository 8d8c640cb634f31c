"""Compression: the rate term as a code length in bits, against raw pixels and PNG, with the reconstruction
bought at that rate; how beta moves a model along the rate-distortion trade; and a real lossless file made by
bits-back coding with the bundled mnist-bin model, decoded again on the page."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from explorer import display, shared
from vae_core import checkpoint as ck
from vae_core.analysis import codec_report, compression
from vae_core.analysis.codec import CodecError
from vae_core.data import DataError, first_of_each_label

BARS = {"rate (bits)": ("VAE rate (lossy)", "#d62728"), "PNG pixel data (bits)": ("PNG pixel data", "#2ca02c"),
        "PNG file (bits)": ("PNG file", "#98df8a"), "raw (bits)": ("raw 8-bit pixels", "#7f7f7f")}


CURVE_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"]  # one per latent size on the β chart
CODEC_CHECKPOINT = "mnist-bin"  # the bundled Bernoulli model the codec runs with, whichever checkpoint is picked
CODEC_SHOWN = 16  # images drawn of the originals and of the decoded file


@st.cache_data(show_spinner="Measuring code lengths of the test set...", max_entries=8)
def table(_ctx, name: str, weights_sha: str) -> compression.CompressionTable:
    """The test set's code lengths, kept on disk for the next server too; the rates reuse the map's encodings."""
    return compression.cached_table(_ctx.model, _ctx.x, encoded=(_ctx.mu, _ctx.logvar),
                                    cache_dir=ck.cache_dir(_ctx.info))


# cache_resource: the report holds the file's bytes and arrays; nothing is pickled, the object is shared as is.
@st.cache_resource(show_spinner="Compressing with bits-back ANS and decoding the file again...", max_entries=8)
def codec_run(name: str, weights_sha: str, n: int) -> codec_report.CodecReport:
    model, info = shared.load_model(name)
    x = shared.load_test_set(info.train_config.data)[0][:n]
    return codec_report.compress_and_check(model, x, name, weights_sha)


def codec_section() -> None:
    """Compress the first test images of the codec's checkpoint, show the file against the others, check it."""
    try:
        info = ck.read_info(CODEC_CHECKPOINT, shared.checkpoints_root())
    except ck.CheckpointError:
        st.info(f"The codec runs with the bundled `{CODEC_CHECKPOINT}` checkpoint, which this checkpoints folder "
                "does not have (`make checkpoints` makes it).")
        return
    spec = info.train_config.data
    n = st.select_slider(f"First test images of `{spec}` to compress", [10, 100, 1000], value=100,
                         key="comp_codec_n")
    try:  # the data first: a report cached by an earlier run would skip the check inside codec_run
        x = shared.load_test_set(spec)[0][:CODEC_SHOWN]
        report = codec_run(CODEC_CHECKPOINT, info.weights_sha256, n)
    except DataError as exc:  # its data is missing, or (served) outside the data folder
        st.error(f"The codec's checkpoint `{CODEC_CHECKPOINT}` cannot run here: {exc}")
        return
    rows = {r["format"]: {"bytes": r["bytes"], "bits per pixel": r["bits_per_dim"]} for r in report.rows}
    # The bound as a size: what a file exactly at the model's -ELBO would take.
    rows["model −ELBO (its bound)"] = {"bytes": round(report.neg_elbo_bits_per_dim * report.dims / 8),
                                       "bits per pixel": report.neg_elbo_bits_per_dim}
    bz2 = report.row("bz2")
    with st.container(key="comp_codec_result"):
        st.dataframe(pd.DataFrame.from_dict(rows, orient="index").round(4), key="comp_codec_table",
                     column_config={"_index": st.column_config.TextColumn("format", width="medium")})
        st.caption(f"{report.images} images, {report.dims:,} pixels: the file is {len(report.data):,} bytes, "
                   f"{report.bits_per_dim:.4f} bits per pixel (header and the first image's seed bits included); "
                   f"the model's −ELBO is {report.neg_elbo_bits_per_dim:.4f}"
                   + (f", bz2 {bz2['bits_per_dim']:.4f}." if bz2 else ".")
                   + " Small batches pay relatively more for the header and seed.")
        if report.exact:
            st.success(f"Exact round trip: the {report.images} images decoded from the file equal the originals, "
                       "pixel for pixel (checked with np.array_equal).")
        else:
            st.error("The images decoded from the file differ from the originals.")
        shown = min(CODEC_SHOWN, report.images)
        display.batch(x, shown, 40, caption=f"the first {shown} originals", width="natural")
        display.batch(report.decoded[:shown], shown, 40,
                      caption="the same images decoded from the file", width="natural")
    st.download_button("Download the file", report.data, file_name=f"{CODEC_CHECKPOINT}-{n}.llbb",
                       mime="application/octet-stream", key="comp_codec_download")
    upload = st.file_uploader(f"Decompress a file made with `{CODEC_CHECKPOINT}` (here or by `python -m vae_core "
                              "compress`)", key="comp_codec_upload")
    if upload is not None:
        model, _ = shared.load_model(CODEC_CHECKPOINT)
        with st.container(key="comp_codec_uploaded"):
            try:
                images = codec_report.decode_upload(model, upload.getvalue(), CODEC_CHECKPOINT, info.weights_sha256)
            except CodecError as e:
                st.error(f"{upload.name}: {e}")
            else:
                display.batch(images[:64], min(16, len(images)), 40, width="natural",
                              caption=f"{upload.name}: {len(images)} images decoded"
                              + (f", the first {min(64, len(images))} shown" if len(images) > 64 else ""))


ctx = shared.header_with_context(
    "Compression",
    "The encoder says how precisely z must be known, q(z|x); the KL term of the ELBO is what sending z "
    "at that precision costs: KL in nats ÷ ln 2 = bits per image (bits-back coding).")
tab = table(ctx, ctx.name, ctx.sha)
n = len(ctx.x)

st.subheader("Bits per image")
if any(i >= n for i in st.session_state.get("comp_images") or []) or not st.session_state.get("comp_images"):
    st.session_state["comp_images"] = first_of_each_label(ctx.labels, 5, n)
chosen = st.multiselect("Test images", range(n), key="comp_images", max_selections=8,
                        format_func=lambda i: f"#{i} ({ctx.label(i)})")
if chosen:
    display.batch(ctx.x[chosen], len(chosen), 96, width="natural",
                  caption=f"originals {', '.join(f'#{i}' for i in chosen)}: "
                  + ", ".join(f"{tab.png_bits[i]}" for i in chosen) + " bits as PNG files")
    display.decoded(ctx, ctx.mu[chosen], len(chosen), 96, width="natural",
                    caption="their reconstructions decode(μ): "
                    + ", ".join(f"{tab.rate_bits[i]:.1f}" for i in chosen) + " bits of rate")
rows = {f"#{i} ({ctx.label(i)})": tab.row(i) for i in chosen} | {f"mean, {n} test images": tab.means()}
distortion_help = "−log p(x | z = μ): what the reconstruction gets wrong, in the model's own units"
st.dataframe(pd.DataFrame.from_dict(rows, orient="index").round(1),
             column_config={"_index": st.column_config.TextColumn(width="medium"),
                            "distortion (nats)": st.column_config.NumberColumn(help=distortion_help)})
bars = go.Figure([go.Bar(x=list(rows), y=[r[c] for r in rows.values()], name=label, marker_color=colour)
                  for c, (label, colour) in BARS.items()])
bars.update_layout(barmode="group", height=340, yaxis=dict(type="log", dtick=1, title="bits per image (log scale)"),
                   margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.12))
st.plotly_chart(bars, key="comp_bars", config={"displaylogo": False})
mean = tab.means()
st.caption(f"On average the VAE sends z in {mean['rate (bits)']:.1f} bits where the raw pixels take "
           f"{tab.raw_bits} and PNG {mean['PNG pixel data (bits)']:.0f} (plus {tab.png_bits[0] - tab.png_data_bits[0]} "
           "bits of file headers). Not a fair race: PNG returns every pixel exactly, the VAE only the "
           "reconstruction; the distortion column is what its few bits leave out.")

st.subheader("The effect of β")
st.caption("The training loss is distortion + β × rate. A larger β makes bits dearer: fewer bits per image, "
           "blurrier reconstructions. Each model trained with its own β is one point of the trade; a line joins "
           "models of one latent size, which differ in β alone.")
infos = []
for name in ck.list_checkpoints(shared.checkpoints_root()):
    try:
        infos.append(ck.read_info(name, shared.checkpoints_root()))
    except ck.CheckpointError:
        continue  # a broken checkpoint is reported by the sidebar when picked
spec, shape = ctx.info.train_config.data, ctx.model.config.input_shape
points = compression.rate_distortion_points(infos, spec, shape)
curves = compression.curves_by_latent_dim(points)
fig = go.Figure([go.Scatter(x=[p["rate (bits)"] for p in curve], y=[p["distortion (nats)"] for p in curve],
                            mode="lines+markers+text", name=f"z = {dim}", textposition="top right",
                            text=[f"β={p['beta']:g} · {p['checkpoint']}" for p in curve],
                            marker=dict(size=11, color=CURVE_COLOURS[k % len(CURVE_COLOURS)]))
                 for k, (dim, curve) in enumerate(curves.items())])
fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="rate: mean KL (bits per image)",
                  yaxis_title="distortion: mean recon (nats)", legend=dict(title="latent size"))
st.plotly_chart(fig, key="comp_beta", config={"displaylogo": False})
if len({p["beta"] for p in points}) < 2:
    st.info(f"Only β = {ctx.info.train_config.beta:g} is trained on `{spec}` at this size so far. Train the same "
            "model with other β (a sweep on the Beta lab page, or `python -m vae_core train --data "
            f"{spec} --beta 4 --out checkpoints/{spec.split(':')[0]}-beta4`) and each appears here as a point.")
else:
    st.dataframe(points, hide_index=True, key="comp_points")

st.subheader("A real file: bits-back coding")
st.caption("Bits-back coding with asymmetric numeral systems (BB-ANS, Townsend et al. 2019) turns a VAE into a "
           "lossless compressor: the encoder picks z, the decoder's pixel probabilities code the image, and the bits "
           "spent on z are read back from the file, so each image costs about its −ELBO. The bundled Bernoulli "
           f"model `{CODEC_CHECKPOINT}` codes binarised MNIST here, whatever checkpoint the sidebar picked.")
codec_section()
