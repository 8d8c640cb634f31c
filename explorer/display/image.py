"""The image renderer: items are (C, H, W) arrays in [0, 1], drawn with sharp square pixels."""

from __future__ import annotations

import numpy as np
import streamlit as st

from vae_core.images import crisp, crisp_grid


def item(x: np.ndarray, size: int, caption: str | None, where) -> None:
    """One image scaled by a whole number to about size px."""
    where.image(crisp(x, size), width=size, caption=caption)


def batch(xs: np.ndarray, ncols: int, tile: int, caption: str | None, width: str, where) -> None:
    """A grid of images, each about tile px."""
    grid = crisp_grid(xs, ncols=ncols, tile=tile)
    where.image(grid, width=grid.shape[1] if width == "natural" else width, caption=caption)


def live_decoder(model, z: list[float], dims: list[int], key: str, **kw) -> list[float]:
    """The canvas decoder component (explorer/components/latent_decoder.py)."""
    from explorer.components.latent_decoder import latent_decoder

    return latent_decoder(model, z, dims, key=key, **kw)


def selection(ctx, selected: int | None, **kw) -> None:
    """The selection view component (explorer/components/selection_view.py): original and decode(mu)."""
    from explorer.components.selection_view import selection_view

    selection_view(ctx, selected, **kw)


def map_hover(ctx) -> dict:
    """The tooltip draws each point's image from the test set's sprite sheet (shared with selection_view)."""
    from explorer.components.points import points_source

    return {"points_source": points_source(ctx)}


def interpolation(ctx, a: int, b: int, method: str, steps: int, **kw) -> None:
    """The interpolation strip component (explorer/components/interpolation_strip.py)."""
    from explorer.components.interpolation_strip import interpolation_strip

    interpolation_strip(ctx, a, b, method, steps, **kw)


NOUN = "image"


def path_download(ctx, path, filename: str, key: str) -> None:
    """The decoded path as an animated GIF."""
    from vae_core.images import gif_bytes, scale_for

    images = ctx.decode(path)
    gif = gif_bytes(images, scale=scale_for(images.shape[-2], 160))
    st.download_button("Download as animated GIF", gif, file_name=f"{filename}.gif", mime="image/gif", key=key,
                       icon=":material/download:", on_click="ignore")


TEMPERATURE_HELP = "z ~ N(0, T² I): below 1 typical images, above 1 more varied and odd ones."


def temperature_help() -> str:
    """What the temperature slider means for images."""
    return TEMPERATURE_HELP


def prior_samples(ctx, seed: int, temperature: float, key: str) -> None:
    """48 images decoded from z ~ N(0, T² I)."""
    z = np.random.default_rng(int(seed)).standard_normal((48, ctx.latent_dim)).astype(np.float32) * temperature
    batch(ctx.decode(z), 12, 64, f"48 samples: z ~ N(0, {temperature:g}² I), decoded (seed {seed})", "stretch", st)


def manifold(ctx, zs, grid: int, dims: tuple[int, int], caption: str, key: str) -> None:
    """The manifold grid as one image grid at its natural size."""
    batch(ctx.decode(zs), grid, 36, caption, "natural", st)


def traversals(ctx, base, dims: list[int], values, kl, key: str) -> None:
    """One row of images per dimension, labelled with its KL."""
    from vae_core.latent import traverse

    images = ctx.decode(traverse(base, dims, values))
    steps = len(values)
    for r, dim in enumerate(dims):
        label, row = st.columns([1, 9], vertical_alignment="center")
        label.markdown(f"**z{dim}**  \nKL {kl[dim]:.2f}")
        batch(images[r * steps:(r + 1) * steps], steps, 64, None, "natural", row)


def anomaly_upload(ctx, s_in, quantile: float, iwae_k: int, key: str) -> None:
    """Anomaly detection's "Score your own image": an uploaded image scaled to the model's size, scored, and its
    verdict against the threshold, with its reconstruction."""
    from vae_core.analysis import anomaly
    from vae_core.latent import encode_dataset
    from vae_core.uploads import UploadError, load_uploaded_image

    st.subheader("Score your own image")
    st.caption(f"Upload an image: it is scaled to {'×'.join(map(str, ctx.x.shape[2:]))} pixels, scored, and "
               f"compared with the threshold ({quantile:g}th percentile of test images). These models saw light "
               "shapes on black, so a dark drawing on white looks unusual to them.")
    upload = st.file_uploader("Image", type=["png", "jpg", "jpeg", "gif", "bmp", "webp"], key=f"{key}_upload")
    if upload is None:
        return
    try:
        x = load_uploaded_image(upload.getvalue(), tuple(ctx.model.config.input_shape))
    except UploadError as exc:
        st.error(str(exc))
        return
    v = anomaly.verdict(float(anomaly.score_images(ctx.model, x[None], iwae_k)[0]), s_in, quantile / 100)
    with st.container(key=f"{key}_verdict"):
        (st.warning if v.anomalous else st.success)(v.message)
        a, b, _ = st.columns([1, 1, 3])
        item(x, 140, "as the model sees it", a)
        item(ctx.decode(encode_dataset(ctx.model, x[None]).mu)[0], 140, "its reconstruction, decode(μ)", b)
