"""explorer/display: the one place that knows how to show an item; pages draw no item themselves."""

import re
from pathlib import Path

import numpy as np
import pytest

from explorer import display
from explorer.display import image

VIEWS = Path(__file__).resolve().parents[1] / "explorer" / "views"


class Where:
    """Stands in for a Streamlit container: records what is drawn in it."""

    def __init__(self):
        self.drawn = []

    def image(self, pixels, width, caption=None):
        self.drawn.append((pixels.shape, width, caption))


def test_images_go_to_the_image_renderer_and_other_shapes_are_refused():
    assert display.renderer((1, 8, 8)) is image
    with pytest.raises(ValueError, match="no renderer"):
        display.renderer((12,))  # a sequence of tokens: a text renderer is still to come


def test_an_item_a_batch_and_a_decoded_z():
    where, x = Where(), np.random.default_rng(0).random((5, 1, 8, 8), np.float32)
    display.item(x[0], 96, "one", where=where)
    display.batch(x, 5, 48, "five", width="natural", where=where)
    display.batch(x, 5, 48, width="stretch", where=where)

    class Ctx:
        def decode(self, z):
            return x[: len(np.atleast_2d(z))]

    display.decoded(Ctx(), np.zeros(2), tile=96, where=where)
    display.decoded(Ctx(), np.zeros((3, 2)), 3, 48, where=where)
    (item_shape, item_w, _), (grid_shape, grid_w, caption), (_, stretch, _), (one, _, _), (three, _, _) = where.drawn
    assert item_w == 96 and item_shape[1] == 96 and caption == "five"
    assert grid_w == grid_shape[1] and stretch == "stretch" and one == item_shape and three[1] < grid_shape[1]


@pytest.mark.parametrize("path", sorted(VIEWS.glob("*.py")), ids=lambda p: p.stem)
def test_no_page_draws_an_item_itself(path):
    """A new kind of data then adds a renderer, not an edit of every page."""
    drawn_here = r"\bcrisp(?:_grid)?\(|latent_decoder\(|selection_view\(|interpolation_strip\("
    assert re.findall(drawn_here, path.read_text(encoding="utf-8")) == []


def test_the_map_tooltip_shows_sentences_for_text():
    from types import SimpleNamespace

    from explorer.components.points import points_source
    from explorer.display import text

    sentences = ["the red box", "x" * (text.MAX_HOVER + 5)]
    ctx = SimpleNamespace(x=np.array(sentences), mu=np.zeros((2, 3), np.float32), labels=None, class_names=None,
                          sha="sha-hover")
    hover = display.map_hover(ctx)
    # the map reads the sentences from the point set, the one copy the text selection view reads too (whole:
    # the browser cuts the tooltip's at tip_chars)
    assert hover["points_source"] is points_source(ctx) and hover["tip_chars"] == text.MAX_HOVER
    assert hover["points_source"]["meta"]["texts"] == sentences and "texts" not in hover
