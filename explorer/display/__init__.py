"""How the explorer shows data: one item, a batch of items, a decoded z, and z decoded live in the browser.

Pages call these and never draw an item themselves, so that a new kind of data (text, next) adds a renderer
module beside image.py and one line in `renderer`, not an edit of every page. An item is one element of the
test split as loaders.load_test_set gives it: a (C, H, W) image in [0, 1] (image.py), or a sentence, a str of
shape () (text.py).
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import streamlit as st

from explorer.display import image, text


def renderer(item_shape: tuple[int, ...]) -> ModuleType:
    """The renderer module for items of this shape: image.py for (C, H, W), text.py for sentences (shape ())."""
    if len(item_shape) == 3:
        return image
    if len(item_shape) == 0:
        return text
    raise ValueError(f"no renderer for items of shape {item_shape}")


def item(x: np.ndarray, size: int, caption: str | None = None, where=st) -> None:
    """One item, about `size` px wide, in `where` (a column or container; the page by default)."""
    renderer(x.shape).item(x, size, caption, where)


def batch(xs: np.ndarray, ncols: int, tile: int, caption: str | None = None, width: str = "content",
          where=st) -> None:
    """Items (N, ...) in rows of ncols, each about `tile` px; width "content", "stretch" or "natural" (the
    batch's own size even in a wider column)."""
    renderer(xs.shape[1:]).batch(xs, ncols, tile, caption, width, where)


def decoded(ctx, z: np.ndarray, ncols: int = 1, tile: int = 96, caption: str | None = None,
            width: str = "content", where=st) -> None:
    """What the checkpoint's decoder makes of z (D,) or (M, D): one item at `tile` px, or a batch."""
    out = ctx.decode(z)
    if np.ndim(z) == 1:
        item(out[0], tile, caption, where)
    else:
        batch(out, ncols, tile, caption, width, where)


def live_decoder(item_shape: tuple[int, ...], model, z: list[float], dims: list[int], key: str,
                 **kw) -> list[float]:
    """Sliders over the dims of z whose decode (an item of item_shape) is drawn in the browser as they move;
    returns the new z. `model` is a VAE or any decoder the renderer's component can run."""
    return renderer(tuple(item_shape)).live_decoder(model, z, dims, key=key, **kw)


def selection(ctx, selected: int | None, *, chart: str, decoder: str, inverse, key: str) -> None:
    """Test point `selected` of ctx (or a hint if None) as its original and decode(mu), drawn in the browser
    the frame after a click on the map `chart` (which also moves the live decoder `decoder`)."""
    renderer(ctx.x.shape[1:]).selection(ctx, selected, chart=chart, decoder=decoder, inverse=inverse, key=key)


def map_hover(ctx) -> dict:
    """What the canvas map's tooltip shows of each test point, as components.point_map keyword arguments: the
    image from the sprite sheet, or the sentence."""
    return renderer(ctx.x.shape[1:]).map_hover(ctx)


def interpolation(ctx, a: int, b: int, method: str, steps: int, *, key: str, on_steps) -> None:
    """The decoded path from test point a to b in `steps` steps by `method`, with a steps slider that redraws it
    as it moves; on_steps(new steps) runs when the slider is released."""
    renderer(ctx.x.shape[1:]).interpolation(ctx, a, b, method, steps, key=key, on_steps=on_steps)


def path_ends(ctx, a: int, b: int, key: str) -> tuple[np.ndarray, np.ndarray]:
    """The two ends (z_A, z_B) of the interpolation drawn with `key`: the codes μ of test items a and b, unless the
    renderer lets an end be given otherwise (text: a typed sentence)."""
    r = renderer(ctx.x.shape[1:])
    return r.path_ends(ctx, a, b, key) if hasattr(r, "path_ends") else (ctx.mu[a], ctx.mu[b])


def hover_texts(ctx) -> list[str] | None:
    """What a map dot's hover label shows of each test item beyond its index and label: the sentence for text,
    nothing for images (a picture does not fit a hover label)."""
    r = renderer(ctx.x.shape[1:])
    return r.hover_texts(ctx.x) if hasattr(r, "hover_texts") else None


def noun(ctx) -> str:
    """What one item of this checkpoint's data is called on a page: "image" or "sentence"."""
    return renderer(ctx.x.shape[1:]).NOUN


def path_download(ctx, path: np.ndarray, filename: str, key: str) -> None:
    """A download of the decoded path (M, D): an animated GIF of images, a text file of sentences."""
    renderer(ctx.x.shape[1:]).path_download(ctx, path, filename, key)


def temperature_help(ctx) -> str:
    """What the Generate page's temperature T does to this checkpoint's samples."""
    return renderer(ctx.x.shape[1:]).temperature_help()


def prior_samples(ctx, seed: int, temperature: float, key: str) -> None:
    """Samples from the prior at temperature T, seeded: a grid of images, or sentences (sampled or greedy)."""
    renderer(ctx.x.shape[1:]).prior_samples(ctx, seed, temperature, key)


def manifold(ctx, zs: np.ndarray, grid: int, dims: tuple[int, int], caption: str, key: str) -> None:
    """The grid x grid manifold zs (row-major, latent.manifold_grid over dims (dx, dy)) decoded: an image grid, or
    a table of sentences."""
    renderer(ctx.x.shape[1:]).manifold(ctx, zs, grid, dims, caption, key)


def traversals(ctx, base: np.ndarray, dims: list[int], values: np.ndarray, kl: np.ndarray, key: str) -> None:
    """base with each of dims set to each of values, decoded: a row of images per dimension, or a column of
    sentences per dimension; kl (D,) labels each dimension."""
    renderer(ctx.x.shape[1:]).traversals(ctx, base, dims, values, kl, key)


def anomaly_upload(ctx, s_in: np.ndarray, quantile: float, iwae_k: int, key: str) -> None:
    """Anomaly detection's own-data section: an uploaded image, or typed and uploaded sentences, scored and judged
    against the quantile of the test scores s_in."""
    renderer(ctx.x.shape[1:]).anomaly_upload(ctx, s_in, quantile, iwae_k, key)


def page_view(ctx, page: str) -> bool:
    """Draw a page's body the renderer's own way, if it has one for this page (text: `neighbours_view`): the
    page then stops. False where the page's own layout applies."""
    view = getattr(renderer(ctx.x.shape[1:]), f"{page}_view", None)
    if view is None:
        return False
    view(ctx)
    return True
