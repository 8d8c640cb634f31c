"""Drawings made to look like the dataset: ink kept, cropped, resized, centred; shapes and range; an empty
canvas says "draw something first"; the canvas's PNG data URL decodes safely."""

import base64
import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vae_core.analysis.drawing import EMPTY, DrawingError, decode_data_url, ink_fraction, light_on_dark, prepare


def stroke(side: int = 140, box=(50, 20, 70, 100)) -> np.ndarray:
    """A thick white vertical stroke (a "1") on black, grey (side, side) in [0, 1]."""
    im = Image.new("L", (side, side), 0)
    ImageDraw.Draw(im).rounded_rectangle(box, radius=8, fill=255)
    return np.asarray(im, np.float32) / 255


def data_url(grey: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(np.round(grey * 255).astype(np.uint8)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 8, 8), (3, 32, 32), (1, 20, 28)])
def test_a_drawn_stroke_keeps_its_ink_shape_and_range(shape):
    g = stroke()
    x = prepare(g, shape, fill=20 / 28)
    assert x.shape == shape and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    # The ink survives the resize: it covers the same share of its square (80 x 80 before, n x n after).
    n = round(20 / 28 * min(shape[1:]))
    assert x[0].sum() / n**2 == pytest.approx(g.sum() / 80**2, rel=0.1)
    assert x.max() > 0.75
    np.testing.assert_array_equal(x[0], x[-1])  # grey copied into every channel


def test_the_ink_is_cropped_resized_to_the_fill_and_centred():
    off_centre = stroke(box=(100, 5, 120, 60))  # a short stroke in the top-right corner
    x = prepare(off_centre, (1, 28, 28), fill=20 / 28)[0]
    rows, cols = np.flatnonzero(x.max(1) > 0.3), np.flatnonzero(x.max(0) > 0.3)
    assert 18 <= rows[-1] - rows[0] + 1 <= 21  # the longer side spans ~20 of 28 pixels, as MNIST
    assert cols[-1] - cols[0] + 1 < 12  # and the stroke stays narrow
    com = [(x.sum(1 - a) * np.arange(28)).sum() / x.sum() for a in (0, 1)]
    np.testing.assert_allclose(com, [13.5, 13.5], atol=0.75)  # centre of mass in the middle
    same = prepare(stroke(box=(10, 70, 30, 125)), (1, 28, 28), fill=20 / 28)[0]
    np.testing.assert_allclose(same, x, atol=0.05)  # where it was drawn does not matter


def test_an_empty_canvas_says_draw_something_first():
    with pytest.raises(DrawingError, match="Draw something first"):
        prepare(np.zeros((140, 140), np.float32), (1, 28, 28))
    with pytest.raises(DrawingError, match="flat"):
        prepare(np.full((50, 50), 0.7), (1, 8, 8), empty_message="flat picture")
    assert "empty" in EMPTY


def test_dark_ink_on_paper_is_inverted_and_the_background_removed():
    paper = 0.9 - 0.8 * stroke()  # dark pen on light grey paper
    g = light_on_dark(paper)
    np.testing.assert_allclose(g, stroke(), atol=1e-5)
    np.testing.assert_allclose(prepare(paper, (1, 28, 28)), prepare(stroke(), (1, 28, 28)), atol=1e-4)


def test_ink_fraction_measures_how_large_the_dataset_draws():
    x = np.zeros((3, 1, 28, 28), np.float32)
    x[0, 0, 4:24, 10:14] = 1  # 20 rows tall
    x[1, 0, 4:24, 4:24] = 1
    x[2, 0, 8:18, 8:12] = 1  # 10 tall
    assert ink_fraction(x) == pytest.approx(20 / 28)
    assert ink_fraction(np.zeros((2, 1, 8, 8))) == 1.0


def test_the_canvas_data_url_decodes_to_grey_pixels():
    g = stroke()
    np.testing.assert_allclose(decode_data_url(data_url(g)), g, atol=1 / 255)
    for bad in ("", "data:image/jpeg;base64,AAAA", "data:image/png;base64,@@@", "data:image/png;base64,AAAA",
                "data:image/png;base64," + "A" * (3 * 2**20)):
        with pytest.raises(DrawingError):
            decode_data_url(bad)
