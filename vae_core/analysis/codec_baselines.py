"""What general-purpose lossless formats make of the same images, for comparison with the codec's file.

Each format gets the whole batch as one file, its best case (one header, context across images): PNG and
WebP-lossless a grid of the images, gzip, bz2 and lzma the pixel bytes. Binary images are also offered as one
bit per pixel (PNG mode "1"; np.packbits for the stream compressors), and each format reports the smaller.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import math

import numpy as np

from ..images import to_uint8

WEBP_MAX_SIDE = 16383  # libwebp's limit per side


def _grid(pixels: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W[, C]) -> one image of ceil(sqrt(N)) columns, zero-padded."""
    n, h, w = pixels.shape[:3]
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    padded = np.zeros((rows * cols, *pixels.shape[1:]), np.uint8)
    padded[:n] = pixels
    tiles = padded.reshape(rows, cols, h, w, *pixels.shape[3:]).swapaxes(1, 2)
    return tiles.reshape(rows * h, cols * w, *pixels.shape[3:])


def _image_bytes(grid: np.ndarray, fmt: str, mode: str | None = None) -> int:
    from PIL import Image

    image = Image.fromarray(grid)
    if mode:
        image = image.convert(mode)
    buf = io.BytesIO()
    if fmt == "PNG":
        image.save(buf, format="PNG", optimize=True)
    else:
        image.save(buf, format="WEBP", lossless=True, quality=100, method=6)
    return len(buf.getvalue())


def webp_supported() -> bool:
    """Whether this Pillow was built with WebP."""
    from PIL import features

    return bool(features.check("webp"))


def baseline_sizes(x: np.ndarray, webp: bool = True) -> dict[str, dict]:
    """Images (N, C, H, W) in [0, 1] -> {format: {"bytes", "bits_per_dim", "input"}} for png, webp, gzip, bz2,
    lzma; webp is None where Pillow lacks it, the grid is too large for it, or `webp` is False (its best effort,
    method 6, is the slowest of them all: 4 s for a grid of 100 MNIST images on the loaded 2-core machine)."""
    pixels = to_uint8(x)
    dims = int(np.prod(x.shape))
    binary = bool(((x == 0) | (x == 1)).all())
    streams = {"8-bit pixels": pixels.tobytes()}
    if binary:
        streams["1 bit per pixel"] = np.packbits(pixels > 0).tobytes()
    compressors = {"gzip": lambda b: gzip.compress(b, 9, mtime=0), "bz2": lambda b: bz2.compress(b, 9),
                   "lzma": lambda b: lzma.compress(b, preset=9 | lzma.PRESET_EXTREME)}
    out: dict[str, dict | None] = {}
    for name, compress in compressors.items():
        size, what = min((len(compress(data)), what) for what, data in streams.items())
        out[name] = {"bytes": size, "input": what}
    grid = _grid(pixels)
    png = [(_image_bytes(grid, "PNG"), "8-bit grid")]
    if binary:
        png.append((_image_bytes(grid, "PNG", "1"), "1-bit grid"))
    size, what = min(png)
    out["png"] = {"bytes": size, "input": what}
    out["webp"] = None
    if webp and webp_supported() and max(grid.shape[:2]) <= WEBP_MAX_SIDE:
        out["webp"] = {"bytes": _image_bytes(grid, "WEBP"), "input": "8-bit grid, lossless"}
    for row in out.values():
        if row is not None:
            row["bits_per_dim"] = 8 * row["bytes"] / dims
    return out
