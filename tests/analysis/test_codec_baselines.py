"""Baseline sizes (vae_core/analysis/codec_baselines.py) against the formats' own decoders."""

import bz2
import io

import numpy as np
from PIL import Image

from vae_core.analysis import codec_baselines as cb


def test_grid_places_image_i_at_row_i_div_cols():
    pixels = np.arange(5 * 2 * 3, dtype=np.uint8).reshape(5, 2, 3)
    grid = cb._grid(pixels)
    assert grid.shape == (2 * 2, 3 * 3)  # 2 rows of 3 columns of 2x3 images, zero padded
    assert np.array_equal(grid[2:4, 3:6], pixels[4]) and not grid[2:4, 6:9].any()


def test_sizes_are_real_files_of_the_images():
    x = (np.random.default_rng(0).random((9, 1, 8, 8)) < 0.3).astype(np.float32)
    sizes = cb.baseline_sizes(x)
    assert set(sizes) == {"gzip", "bz2", "lzma", "png", "webp"}
    packed = np.packbits(x.reshape(9, 8, 8) > 0).tobytes()
    assert sizes["bz2"]["bytes"] <= len(bz2.compress(packed, 9))
    for row in sizes.values():
        if row is not None:
            assert row["bits_per_dim"] == 8 * row["bytes"] / x.size
    # the PNG the function measured decodes back to the images (1-bit grid for binary images)
    buf = io.BytesIO()
    Image.fromarray(cb._grid((x[:, 0] * 255).astype(np.uint8))).convert("1").save(buf, "PNG", optimize=True)
    assert np.array_equal(np.asarray(Image.open(buf).convert("L"))[:8, :8], x[0, 0] * 255)
    assert sizes["png"]["bytes"] <= len(buf.getvalue())


def test_webp_can_be_left_out():
    x = (np.random.default_rng(1).random((4, 1, 8, 8)) < 0.3).astype(np.float32)
    sizes = cb.baseline_sizes(x, webp=False)
    assert sizes["webp"] is None and sizes["png"]["bytes"] > 0
