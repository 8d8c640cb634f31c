"""Anomaly scores: -ELBO per image against metrics.evaluate, resizing, seeded OOD sets, the verdict, and
the bundled digits model telling shapes and noise from digits."""

from pathlib import Path

import numpy as np
import pytest
import torch

from vae_core.analysis import anomaly
from vae_core.checkpoint import load_checkpoint
from vae_core.data import load_dataset
from vae_core.metrics import auroc, evaluate

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "checkpoints" / "digits-2d"
needs_bundled = pytest.mark.skipif(not (BUNDLED / "model.safetensors").exists(),
                                   reason="checkpoints/digits-2d is missing (make checkpoints)")


@pytest.fixture(scope="module")
def digits_model():
    return load_checkpoint(BUNDLED)[0]


@pytest.fixture(scope="module")
def digits_scores(digits_model):
    return anomaly.score_images(digits_model, load_dataset("digits").x_test)


def test_scores_are_per_image_elbo_and_average_to_evaluate(tiny_mlp):
    x = np.random.default_rng(0).uniform(size=(37, 1, 8, 8)).astype(np.float32)
    scores = anomaly.score_images(tiny_mlp, x, batch_size=10)
    assert scores.shape == (37,) and scores.dtype == np.float64 and np.isfinite(scores).all()
    assert scores.mean() == pytest.approx(evaluate(tiny_mlp, x).neg_elbo, rel=1e-6)  # oracle: same noise
    np.testing.assert_allclose(scores, anomaly.score_images(tiny_mlp, x, batch_size=37), rtol=1e-6)  # seeded


def test_scores_from_given_encodings_equal_the_encoded_ones(tiny_mlp):
    from vae_core.modality import encode_items

    x = np.random.default_rng(2).uniform(size=(23, 1, 8, 8)).astype(np.float32)
    encoded = encode_items(tiny_mlp, x)
    np.testing.assert_allclose(anomaly.score_items(tiny_mlp, x, encoded=encoded), anomaly.score_items(tiny_mlp, x),
                               rtol=1e-6)
    wrong = (encoded[0] + 1.0, encoded[1])  # proof that the given encodings are the ones used
    assert not np.allclose(anomaly.score_items(tiny_mlp, x, encoded=wrong), anomaly.score_items(tiny_mlp, x))


def test_cached_scores_are_read_back_from_disk_and_keyed_by_items_and_k(tiny_mlp, tmp_path, monkeypatch):
    x = np.random.default_rng(3).uniform(size=(9, 1, 8, 8)).astype(np.float32)
    first = anomaly.cached_scores(tiny_mlp, x, cache_dir=tmp_path)
    np.testing.assert_array_equal(first, anomaly.score_items(tiny_mlp, x))
    assert len(list(tmp_path.glob("scores-k0-*.npz"))) == 1

    def no_scoring(*args, **kwargs):
        raise AssertionError("scored again instead of reading the cache")

    monkeypatch.setattr(anomaly, "score_items", no_scoring)
    np.testing.assert_array_equal(anomaly.cached_scores(tiny_mlp, x, cache_dir=tmp_path), first)
    with pytest.raises(AssertionError, match="scored again"):  # other items, or another k: another file
        anomaly.cached_scores(tiny_mlp, x[:5], cache_dir=tmp_path)
    with pytest.raises(AssertionError, match="scored again"):
        anomaly.cached_scores(tiny_mlp, x, iwae_k=5, cache_dir=tmp_path)
    monkeypatch.undo()
    next(tmp_path.glob("scores-k0-*.npz")).write_bytes(b"not a zip")  # a damaged file is scored again
    np.testing.assert_array_equal(anomaly.cached_scores(tiny_mlp, x, cache_dir=tmp_path), first)


def test_sets_scored_side_by_side_equal_one_after_another(tiny_mlp):
    from vae_core.modality import encode_items

    rng = np.random.default_rng(4)
    sets = {name: rng.uniform(size=(n, 1, 8, 8)).astype(np.float32) for name, n in (("a", 31), ("b", 7), ("c", 12))}
    encoded = {"a": encode_items(tiny_mlp, sets["a"])}
    tiny_mlp.train()
    state = torch.get_rng_state()
    serial = anomaly.score_sets(tiny_mlp, sets, encoded=encoded, workers=1)
    threads = anomaly.score_sets(tiny_mlp, sets, encoded=encoded, workers=3)
    assert torch.equal(state, torch.get_rng_state()) and tiny_mlp.training
    assert list(threads) == ["a", "b", "c"]
    for name, items in sets.items():
        np.testing.assert_array_equal(threads[name], serial[name])
        np.testing.assert_allclose(threads[name], anomaly.score_images(tiny_mlp, items), rtol=1e-6)
    iwae = anomaly.score_sets(tiny_mlp, sets, iwae_k=4, workers=3)  # the global RNG: one set at a time, seeded
    np.testing.assert_array_equal(iwae["b"], anomaly.score_images(tiny_mlp, sets["b"], iwae_k=4))


def test_iwae_scores_are_finite_seeded_and_leave_rng_and_mode_alone(tiny_mlp):
    x = np.random.default_rng(1).uniform(size=(12, 1, 8, 8)).astype(np.float32)
    tiny_mlp.train()
    state = torch.get_rng_state()
    iwae = anomaly.score_images(tiny_mlp, x, iwae_k=20)
    assert torch.equal(state, torch.get_rng_state()) and tiny_mlp.training
    assert iwae.shape == (12,) and np.isfinite(iwae).all()
    np.testing.assert_array_equal(iwae, anomaly.score_images(tiny_mlp, x, iwae_k=20))
    # IWAE is a tighter bound than the ELBO: on average its -log p(x) estimate is lower.
    assert iwae.mean() <= anomaly.score_images(tiny_mlp, x).mean() + 1e-6
    assert anomaly.score_images(tiny_mlp, x[:0]).shape == (0,)


@pytest.mark.parametrize("src, dst", [((1, 32, 32), (1, 8, 8)), ((1, 8, 8), (1, 32, 32)), ((3, 20, 12), (1, 8, 8)),
                                      ((1, 8, 8), (3, 16, 16)), ((1, 8, 8), (1, 8, 8))])
def test_resize_keeps_shape_and_range(src, dst):
    x = np.random.default_rng(0).uniform(size=(5, *src)).astype(np.float32)
    out = anomaly.resize_images(x, dst)
    assert out.shape == (5, *dst) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    const = anomaly.resize_images(np.full((2, *src), 0.3, np.float32), dst)
    np.testing.assert_allclose(const, 0.3, atol=1e-6)  # an average of equal pixels is that pixel


def test_resize_shrinks_by_area_average():
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, :2, :2] = 1.0  # top-left quarter white
    out = anomaly.resize_images(x, (1, 2, 2))
    np.testing.assert_allclose(out[0, 0], [[1.0, 0.0], [0.0, 0.0]], atol=1e-6)
    with pytest.raises(ValueError):
        anomaly.resize_images(np.zeros((1, 2, 4, 4)), (1, 2, 2))


def test_ood_sets_match_the_model_and_depend_only_on_the_seed():
    sets = anomaly.ood_sets("digits", (1, 8, 8), seed=3, n=40)
    assert set(sets) == {"shapes", "noise", "inverted", "rotated 90°"}
    for images in sets.values():
        assert images.shape == (40, 1, 8, 8) and images.dtype == np.float32
        assert images.min() >= 0.0 and images.max() <= 1.0
    again, other = (anomaly.ood_sets("digits", (1, 8, 8), seed=s, n=40) for s in (3, 4))
    for name in sets:
        np.testing.assert_array_equal(sets[name], again[name])
        assert not np.array_equal(sets[name], other[name])
    shapes_model = anomaly.ood_sets("shapes:16", (1, 16, 16), seed=0, n=10)
    assert "digits" in shapes_model and shapes_model["digits"].shape == (10, 1, 16, 16)


def test_only_iwae_scoring_of_many_pixels_is_slow():
    n_ood = 4 * anomaly.OOD_SIZE
    assert not anomaly.scoring_is_slow(784, 10_000, 0)  # -ELBO: never
    assert anomaly.scoring_is_slow(784, 10_000, 10)  # MNIST with k = 10: 9.4e7 pixels
    assert not anomaly.scoring_is_slow(64, 360, 10)  # the 8x8 digits: 1.5e6
    limit = anomaly.SLOW_PIXELS / (64 * 10)  # images at which 8x8 with k = 10 reaches the limit
    assert not anomaly.scoring_is_slow(64, int(limit) - n_ood, 10)
    assert anomaly.scoring_is_slow(64, int(limit) - n_ood + 1, 10)
    assert anomaly.scoring_is_slow(64, 0, 10, n_sets=int(limit // anomaly.OOD_SIZE) + 1)


def test_threshold_worst_and_verdict():
    scores = np.arange(100, dtype=np.float64)
    assert anomaly.threshold(scores, 0.99) == pytest.approx(98.01)
    assert list(anomaly.worst(scores, 3)) == [99, 98, 97]
    odd, usual = anomaly.verdict(150.0, scores), anomaly.verdict(20.0, scores)
    assert odd.anomalous and odd.message.startswith("Unusual") and odd.percentile == 100.0
    assert not usual.anomalous and usual.message.startswith("Looks normal") and usual.percentile == 20.0
    assert anomaly.verdict(float("nan"), scores).anomalous


@needs_bundled
def test_bundled_digits_model_tells_ood_sets_from_digits(digits_model, digits_scores):
    assert np.isfinite(digits_scores).all()
    sets = anomaly.ood_sets("digits", digits_model.config.input_shape, seed=0)
    ood = {name: anomaly.score_images(digits_model, images) for name, images in sets.items()}
    assert all(np.isfinite(s).all() for s in ood.values())
    assert auroc(digits_scores, ood["shapes"]) > 0.9  # measured 0.983
    assert ood["noise"].mean() > digits_scores.mean()
    assert auroc(digits_scores, ood["noise"]) > 0.95


def test_an_mnist_model_meets_shapes_and_the_small_digits():
    sets = anomaly.ood_sets("mnist", (1, 28, 28), seed=0, n=12)
    assert set(sets) == {"shapes", "digits 8×8", "noise", "inverted", "rotated 90°"}
    assert all(images.shape == (12, 1, 28, 28) for images in sets.values())
