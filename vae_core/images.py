"""Pixels for people: uint8 conversion, crisp nearest-neighbour upscaling, image grids (and a PNG of one),
sprite sheets for the browser, animated GIFs.

Images come in as float32 (N, C, H, W) in [0, 1], as decode_batch returns them.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Images (N, C, H, W) or (C, H, W) in [0, 1] -> uint8 (N, H, W) for C == 1, (N, H, W, 3) for C == 3."""
    x = np.asarray(images, np.float32)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"images must be (N, 1 or 3, H, W), got shape {x.shape}")
    x = np.round(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8)
    return x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)


def scale_for(side: int, target: int = 112) -> int:
    """The whole-number zoom that brings an image side closest to `target` pixels (at least 1)."""
    return max(1, round(target / max(1, side)))


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour zoom of uint8 (H, W) or (H, W, 3) by a whole factor: pixels stay sharp squares."""
    factor = int(factor)
    if factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor}")
    return np.repeat(np.repeat(np.asarray(image), factor, axis=0), factor, axis=1)


def crisp(image: np.ndarray, target: int = 112) -> np.ndarray:
    """One image (C, H, W) in [0, 1] -> uint8 upscaled to about `target` pixels high, nearest neighbour."""
    return upscale(to_uint8(image)[0], scale_for(np.shape(image)[-2], target))


def images_to_grid(images: np.ndarray, ncols: int, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile images (N, C, H, W) in [0, 1] -> uint8 (H', W') for C == 1 or (H', W', 3) for C == 3.

    rows = ceil(N / ncols); H' = rows * (H + pad) + pad, W' likewise; padding (white by default,
    so dark-background digits stay apart) surrounds every tile; unused cells are padding too.
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must be a non-empty (N, C, H, W) array, got shape {images.shape}")
    n, c, h, w = images.shape
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    grid = np.full((c, nrows * (h + pad) + pad, ncols * (w + pad) + pad), pad_value, np.float32)
    for i in range(n):
        r, col = divmod(i, ncols)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, y:y + h, x:x + w] = images[i]
    grid = np.round(np.clip(grid, 0.0, 1.0) * 255).astype(np.uint8)
    return grid[0] if c == 1 else grid.transpose(1, 2, 0)


def save_png_grid(images: np.ndarray, path, ncols: int, pad: int = 1) -> Path:
    """Write images (N, C, H, W) in [0, 1] as one PNG grid (see images_to_grid); returns the path."""
    from PIL import Image

    path = Path(path)
    Image.fromarray(images_to_grid(images, ncols, pad)).save(path, format="PNG")
    return path


def sprite_columns(n: int) -> int:
    """Tiles per row of a sprite sheet of n images: ceil(sqrt(n)), so the sheet is about square."""
    return max(1, int(np.ceil(np.sqrt(n))))


def sprite_sheet(images: np.ndarray) -> bytes:
    """Images (N, C, H, W) in [0, 1] as one PNG, tiles edge to edge, sprite_columns(N) to a row: image i is
    the tile at row i // ncols, column i % ncols. A browser that has the sheet shows any of the images
    without asking the server (explorer/components/selection_view.js)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(images_to_grid(images, sprite_columns(len(images)), pad=0)).save(buf, format="PNG")
    return buf.getvalue()


def crisp_grid(images: np.ndarray, ncols: int, tile: int = 56, pad: int = 2) -> np.ndarray:
    """Images (N, C, H, W) in [0, 1] tiled ncols wide (see images_to_grid), each upscaled to about
    `tile` pixels with nearest neighbour, `pad` white pixels apart -> uint8 (H', W'[, 3])."""
    f = scale_for(np.shape(images)[-2], tile)
    return images_to_grid(np.repeat(np.repeat(images, f, axis=2), f, axis=3), ncols, pad=pad)


def gif_bytes(images: np.ndarray, scale: int = 1, duration_ms: int = 120, progress: bool = True) -> bytes:
    """An animated GIF (one frame per image, looping forever) of images (N, C, H, W) in [0, 1].

    With `progress` a thin bar along the bottom grows with the frame number: it shows where on the
    path a frame lies, and keeps two identical decodes as two frames (Pillow merges equal neighbours).
    """
    from PIL import Image

    frames = [upscale(f, scale) for f in to_uint8(images)]
    if progress:
        frames = [_with_progress(f, i, len(frames)) for i, f in enumerate(frames)]
    mode = "L" if frames[0].ndim == 2 else "RGB"
    pil = [Image.fromarray(f, mode) for f in frames]
    if mode == "RGB":  # GIF holds 256 colours: one palette fitted to all frames, shared by each
        palette = Image.fromarray(np.concatenate(frames, axis=0), "RGB").quantize(256)
        pil = [im.quantize(palette=palette) for im in pil]
    buf = io.BytesIO()
    pil[0].save(buf, format="GIF", save_all=True, append_images=pil[1:], duration=int(duration_ms), loop=0)
    return buf.getvalue()


def _with_progress(frame: np.ndarray, i: int, n: int) -> np.ndarray:
    """The frame with a bar (height ~ 1/32 of the image, at least 2 px) filled to (i + 1) / n of its width."""
    h, w = frame.shape[:2]
    bar = np.zeros((max(2, h // 32), w) + frame.shape[2:], np.uint8)
    bar[:, : max(1, round(w * (i + 1) / n))] = 255
    return np.concatenate([frame, bar], axis=0)
