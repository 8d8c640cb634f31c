"""explorer/components/points.py: what the browser gets of a test set (meta, mu, sprite sheet)."""

import base64
import io
from types import SimpleNamespace

import numpy as np
from PIL import Image

from explorer.components import points
from vae_core.images import to_uint8


def fake_context(n=5, labels=True):
    rng = np.random.default_rng(0)
    return SimpleNamespace(x=rng.random((n, 1, 4, 3)).astype(np.float32), mu=rng.normal(size=(n, 2)).astype(np.float32),
                           labels=np.arange(n) % 2 if labels else None, class_names=["even", "odd"] if labels else None,
                           sha=f"sha-{n}-{labels}")


def test_meta_says_where_each_image_is_and_what_it_is_called():
    ctx = fake_context()
    meta = points.points_meta(ctx.x, ctx.mu, ctx.labels, ctx.class_names)
    assert meta == {"n": 5, "latent_dim": 2, "tile": [4, 3], "cols": 3, "labels": [0, 1, 0, 1, 0],
                    "names": ["even", "odd"]}
    assert points.points_meta(ctx.x, ctx.mu, None, None)["labels"] is None


def test_without_static_serving_everything_goes_inline_and_round_trips():
    """Outside a Streamlit run there is no static folder: mu and the sheet travel in the data itself."""
    ctx = fake_context()
    src = points.points_source(ctx)
    mu = np.frombuffer(base64.b64decode(src["mu_b64"]), "<f4").reshape(ctx.mu.shape)
    np.testing.assert_array_equal(mu, ctx.mu)
    sheet = np.asarray(Image.open(io.BytesIO(base64.b64decode(src["sprite_url"].split(",", 1)[1]))))
    np.testing.assert_array_equal(sheet[4:8, 3:6], to_uint8(ctx.x[4])[0])  # image 4: row 1, column 1 of 3
    assert src["meta"]["n"] == 5 and points.points_source(ctx) is src  # memoised


def test_a_different_test_set_gets_a_different_hash():
    assert points.points_source(fake_context(5))["hash"] != points.points_source(fake_context(6))["hash"]


def test_a_text_test_set_sends_its_sentences_and_mu_and_no_sheet():
    """Sentences (x of shape (N,)) travel in the meta, where the text selection view reads sentence i."""
    rng = np.random.default_rng(1)
    ctx = SimpleNamespace(x=np.array(["a red ball", "a big * star", "é"]),
                          mu=rng.normal(size=(3, 4)).astype(np.float32),
                          labels=np.array([0, 1, 0]), class_names=["ball", "star"], sha="sha-text")
    src = points.points_source(ctx)
    assert "sprite_url" not in src
    assert src["meta"] == {"n": 3, "latent_dim": 4, "labels": [0, 1, 0], "names": ["ball", "star"],
                           "texts": ["a red ball", "a big * star", "é"]}
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(src["mu_b64"]), "<f4").reshape(3, 4), ctx.mu)
    other = SimpleNamespace(**{**vars(ctx), "x": np.array(["a red ball", "a big * star", "e"]), "sha": "sha-text"})
    assert points.points_source(other)["hash"] != src["hash"]  # one character differs
