"""vae_core.images: uint8 conversion, nearest-neighbour zoom, GIF frames, norms along a path."""

import io

import numpy as np
import pytest
from PIL import Image

from vae_core.images import (
    crisp,
    crisp_grid,
    gif_bytes,
    path_norms,
    scale_for,
    to_uint8,
    typical_norm,
    upscale,
)
from vae_core.latent import lerp, slerp


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


def test_path_norms_show_the_lerp_dip():
    d = 64
    rng = np.random.default_rng(1)
    z0, z1 = rng.standard_normal(d), rng.standard_normal(d)
    straight, arc = path_norms(lerp(z0, z1, 11)), path_norms(slerp(z0, z1, 11))
    assert straight.shape == (11,)
    assert np.isclose(straight[0], np.linalg.norm(z0), rtol=1e-5)
    # Two random codes are nearly orthogonal: the midpoint of the line is ~1/sqrt(2) as long.
    assert straight[5] < 0.8 * typical_norm(d)
    assert arc.min() > 0.9 * min(straight[0], straight[-1])
    assert typical_norm(4) == 2.0
