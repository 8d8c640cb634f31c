"""vae_core.images: uint8 conversion, nearest-neighbour zoom, image grids and their PNG, GIF frames."""

import io

import numpy as np
import pytest
from PIL import Image

from vae_core.images import (
    crisp,
    crisp_grid,
    gif_bytes,
    images_to_grid,
    save_png_grid,
    scale_for,
    sprite_columns,
    sprite_sheet,
    to_uint8,
    upscale,
)


def test_to_uint8_grey_and_colour():
    x = np.array([0.0, 0.5, 1.0, 2.0], np.float32).reshape(1, 1, 2, 2)
    assert to_uint8(x).tolist() == [[[0, 128], [255, 255]]]
    rgb = np.random.default_rng(0).random((3, 3, 4, 5), dtype=np.float32)
    out = to_uint8(rgb)
    assert out.shape == (3, 4, 5, 3) and out.dtype == np.uint8
    assert out[1, 2, 3, 0] == round(rgb[1, 0, 2, 3] * 255)
    assert to_uint8(rgb[0]).shape == (1, 4, 5, 3)  # a single (C, H, W) image
    with pytest.raises(ValueError, match="shape"):
        to_uint8(np.zeros((2, 2, 4, 4)))


def test_upscale_is_nearest_neighbour():
    img = np.arange(6, dtype=np.uint8).reshape(2, 3)
    big = upscale(img, 4)
    assert big.shape == (8, 12)
    assert (big[::4, ::4] == img).all() and (big[4:8, 8:12] == img[1, 2]).all()
    assert set(np.unique(big)) == set(img.ravel())  # no blended values
    assert upscale(np.zeros((2, 2, 3), np.uint8), 3).shape == (6, 6, 3)
    with pytest.raises(ValueError):
        upscale(img, 0)


def test_scale_for_and_crisp_images():
    assert scale_for(8) == 14 and scale_for(28) == 4 and scale_for(500) == 1
    img = np.random.default_rng(0).random((1, 8, 8), dtype=np.float32)
    big = crisp(img)
    assert big.shape == (112, 112) and big.dtype == np.uint8
    assert (big[::14, ::14] == to_uint8(img)[0]).all()
    grid = crisp_grid(np.stack([img] * 5), ncols=3, tile=32, pad=2)
    assert grid.shape == (2 * (32 + 2) + 2, 3 * (32 + 2) + 2)  # 8 px x 4 = 32 px tiles, 2 rows of 3
    assert (grid[2:34, 2:34] == upscale(to_uint8(img)[0], 4)).all() and grid[0].min() == 255


@pytest.mark.parametrize("channels", [1, 3])
def test_gif_has_one_frame_per_step_and_loops(channels):
    steps = 7
    rng = np.random.default_rng(0)
    images = np.repeat(rng.random((1, channels, 8, 8), dtype=np.float32), steps, axis=0)  # all identical
    data = gif_bytes(images, scale=4, duration_ms=80)
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == steps  # the progress bar keeps equal decodes apart
        assert gif.info["loop"] == 0
        assert gif.size[0] == 32 and gif.size[1] > 32  # upscaled, plus the bar underneath
        gif.seek(0)
        first = np.asarray(gif.convert("L"))[:32]
        gif.seek(steps - 1)
        assert np.asarray(gif.convert("L"))[-1].min() > 200  # the bar is full on the last frame
    assert first.std() > 0


def test_images_to_grid_sizes():
    images = np.random.default_rng(5).random((5, 1, 4, 6), dtype=np.float32)
    grid = images_to_grid(images, ncols=3, pad=1)
    assert grid.shape == (2 * 5 + 1, 3 * 7 + 1) and grid.dtype == np.uint8
    np.testing.assert_array_equal(grid[1:5, 1:7], np.round(images[0, 0] * 255))
    assert grid[0].min() == 255  # padding is white
    assert images_to_grid(np.zeros((4, 3, 2, 2)), ncols=2, pad=0).shape == (4, 4, 3)
    with pytest.raises(ValueError):
        images_to_grid(np.zeros((0, 1, 2, 2)), ncols=2)


def test_save_png_grid(tmp_path):
    path = save_png_grid(np.ones((6, 1, 8, 8), np.float32), tmp_path / "grid.png", ncols=3)
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == (3 * 9 + 1, 2 * 9 + 1)


@pytest.mark.parametrize("channels", [1, 3])
def test_sprite_sheet_puts_image_i_at_row_i_div_ncols(channels):
    images = np.random.default_rng(0).random((10, channels, 5, 4)).astype(np.float32)
    ncols = sprite_columns(len(images))
    assert ncols == 4 and sprite_columns(16) == 4 and sprite_columns(1) == 1  # ceil(sqrt(n))
    sheet = np.asarray(Image.open(io.BytesIO(sprite_sheet(images))))
    assert sheet.shape[:2] == (3 * 5, 4 * 4)
    for i in (0, 3, 4, 9):
        r, c = divmod(i, ncols)
        np.testing.assert_array_equal(sheet[r * 5:(r + 1) * 5, c * 4:(c + 1) * 4], to_uint8(images[i])[0])
