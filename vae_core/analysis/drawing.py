"""A drawing or a photo made to look like the dataset, the way MNIST was made (LeCun et al. 1998): light ink
on black, cropped to the ink's bounding box, padded to a square, resized with antialiasing to the size
the dataset's own ink takes up, and centred by its centre of mass.

    grey = decode_data_url(url)                                  # the canvas's PNG -> (140, 140) in [0, 1]
    x = prepare(grey, (1, 28, 28), fill=ink_fraction(x_test))    # float32 (1, 28, 28), ready to encode
"""

from __future__ import annotations

import base64
import binascii

import numpy as np

from ..uploads import UploadError, load_uploaded_image

CANVAS = 140  # side of the grey working image: the drawing canvas's pixels, and uploads scaled to fit it
INK = 0.2  # a pixel is ink above this fraction of the range between background and the brightest pixel
MAX_DATA_URL = 2 * 2**20  # characters; a 140 x 140 PNG of strokes is a few kB
EMPTY = "Draw something first: the canvas is empty."


class DrawingError(ValueError):
    """The drawing cannot be used (empty canvas, malformed image); the message says why."""


def decode_data_url(url: str, side: int = CANVAS) -> np.ndarray:
    """A "data:image/png;base64,..." URL (what a canvas's toDataURL gives) -> grey (side, side) float32 in [0, 1].

    Decoded by vae_core.uploads (size limits, no exotic formats, transparency becomes black).
    """
    head, sep, body = (url or "").partition(",")
    if not sep or head != "data:image/png;base64" or len(url) > MAX_DATA_URL:
        raise DrawingError("the drawing is not a PNG data URL of a sensible size")
    try:
        data = base64.b64decode(body, validate=True)
        return load_uploaded_image(data, (1, side, side), what="the drawing")[0]
    except (binascii.Error, UploadError) as exc:
        raise DrawingError(f"cannot read the drawing: {exc}") from None


def ink_fraction(x: np.ndarray, threshold: float = INK) -> float:
    """Median over images (N, C, H, W) of the ink's bounding box (its longer side) as a fraction of the image
    side: how large the dataset draws its digits or shapes (MNIST: 20 of 28 pixels). 1.0 if no image has ink."""
    grey = np.asarray(x, np.float32).max(axis=1)  # (N, H, W): the brightest channel
    ink = grey > threshold * grey.max(axis=(1, 2), keepdims=True).clip(1e-6)
    rows, cols = ink.any(2), ink.any(1)
    has = rows.any(1)
    if not has.any():
        return 1.0
    height = grey.shape[1] - rows[has].argmax(1) - rows[has][:, ::-1].argmax(1)
    width = grey.shape[2] - cols[has].argmax(1) - cols[has][:, ::-1].argmax(1)
    return float(np.median(np.maximum(height / grey.shape[1], width / grey.shape[2])))


def light_on_dark(grey: np.ndarray) -> np.ndarray:
    """Grey (H, W) in [0, 1] -> ink bright on a black background: inverted if the border is light (a pen on
    paper), then the border's median subtracted and the rest stretched to [0, 1]."""
    g = np.clip(np.asarray(grey, np.float32), 0.0, 1.0)
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    if np.median(border) > 0.5:
        g, border = 1.0 - g, 1.0 - border
    bg, top = float(np.median(border)), float(g.max())
    if top - bg < 1e-3:
        return np.zeros_like(g)
    return np.clip((g - bg) / (top - bg), 0.0, 1.0)


def prepare(grey: np.ndarray, target_shape: tuple[int, int, int], fill: float = 20 / 28,
            threshold: float = INK, empty_message: str = EMPTY) -> np.ndarray:
    """A grey drawing or photo (H, W) in [0, 1] -> float32 (C, H', W') in [0, 1] for a model's input_shape.

    Light on dark, cropped to the ink, padded to a square, resized (Lanczos, antialiased) so its longer
    side spans `fill` of the smaller image side, centred by centre of mass. Raises DrawingError with
    `empty_message` when there is no ink.
    """
    from PIL import Image

    c, h, w = (int(v) for v in target_shape)
    g = light_on_dark(grey)
    ink = g > threshold
    if not ink.any():
        raise DrawingError(empty_message)
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    crop = g[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    side = max(crop.shape)
    square = np.zeros((side, side), np.float32)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
    n = max(1, min(h, w, round(float(np.clip(fill, 0.05, 1.0)) * min(h, w))))
    small = Image.fromarray(square).resize((n, n), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = np.zeros((h, w), np.float32)
    top, left = (h - n) // 2, (w - n) // 2
    out[top:top + n, left:left + n] = np.clip(np.asarray(small, np.float32), 0.0, 1.0)
    out = _centre_of_mass_to_middle(out)
    return np.repeat(out[None], c, axis=0)


def _centre_of_mass_to_middle(img: np.ndarray) -> np.ndarray:
    """Shift by whole pixels so the centre of mass sits in the middle, never pushing ink out of the frame."""
    mass = img.sum()
    if mass <= 0:
        return img
    rows, cols = np.flatnonzero(img.any(1)), np.flatnonzero(img.any(0))
    shifts = []
    for axis, used in ((0, rows), (1, cols)):
        n = img.shape[axis]
        com = (img.sum(1 - axis) * np.arange(n)).sum() / mass
        shift = int(round((n - 1) / 2 - com))
        shifts.append(int(np.clip(shift, -used[0], n - 1 - used[-1])))
    return np.roll(img, shifts, axis=(0, 1))
