"""Code lengths: the rate in bits against torch's KL, raw and PNG sizes, the per-image table, and the
rate-distortion points of checkpoints."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from vae_core.analysis import compression as cp
from vae_core.checkpoint import CheckpointInfo
from vae_core.config import ModelConfig, TrainConfig


def test_rate_of_the_prior_is_zero_bits():
    np.testing.assert_allclose(cp.rate_bits(np.zeros((3, 4)), np.zeros((3, 4))), 0.0, atol=1e-12)


def test_rate_of_a_known_mean():
    # KL(N(mu, 1) || N(0, 1)) = mu^2 / 2 nats: mu = (1, 2) gives 2.5 nats.
    assert cp.rate_bits(np.array([[1.0, 2.0]]), np.zeros((1, 2)))[0] == pytest.approx(2.5 / math.log(2))


def test_rate_matches_torch_kl_divergence():
    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(size=(6, 5)), rng.normal(scale=0.5, size=(6, 5))
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar)))
    p = torch.distributions.Normal(torch.zeros(6, 5, dtype=torch.float64), torch.ones(6, 5, dtype=torch.float64))
    expected = torch.distributions.kl_divergence(q, p).sum(1).numpy() / math.log(2)
    np.testing.assert_allclose(cp.rate_bits(mu, logvar), expected, rtol=1e-12)


def test_raw_bits():
    assert cp.raw_bits((1, 8, 8)) == 512
    assert cp.raw_bits((3, 32, 32)) == 3 * 32 * 32 * 8


def test_png_of_a_constant_image_is_smaller_than_of_noise():
    rng = np.random.default_rng(0)
    for shape in ((1, 8, 8), (1, 32, 32), (3, 16, 16)):
        constant, noise = np.full(shape, 0.5, np.float32), rng.uniform(size=shape).astype(np.float32)
        assert cp.png_bits(constant) < cp.png_bits(noise)
        assert cp.png_bits(constant) % 8 == 0
        assert 0 < cp.png_bits(noise, headers=False) < cp.png_bits(noise)
    # the file's fixed headers (signature, IHDR, IDAT and IEND framing) are 57 bytes for a grey image
    assert cp.png_bits(noise[:1]) - cp.png_bits(noise[:1], headers=False) == 57 * 8


def test_compression_table(tiny_mlp):
    x = np.random.default_rng(0).uniform(size=(23, 1, 8, 8)).astype(np.float32)
    table = cp.compression_table(tiny_mlp, x, batch_size=10)
    assert table.rate_bits.shape == table.png_bits.shape == table.distortion_nats.shape == (23,)
    assert table.raw_bits == 512
    with torch.no_grad():
        mu, logvar = tiny_mlp.encode(torch.as_tensor(x))
    np.testing.assert_allclose(table.rate_bits, cp.rate_bits(mu.numpy(), logvar.numpy()), rtol=1e-5)
    assert table.png_bits[4] == cp.png_bits(x[4])
    assert np.isfinite(table.distortion_nats).all() and (table.distortion_nats > 0).all()
    row, means = table.row(4), table.means()
    assert row.keys() == means.keys() and "rate (bits)" in row
    assert row["raw ÷ rate"] == pytest.approx(512 / table.rate_bits[4])
    assert means["rate (bits)"] == pytest.approx(table.rate_bits.mean())
    again = cp.compression_table(tiny_mlp, x, batch_size=10)
    np.testing.assert_array_equal(table.rate_bits, again.rate_bits)  # deterministic: z = mu, no sampling


def test_png_sizes_of_a_batch_equal_png_bits_image_by_image():
    rng = np.random.default_rng(1)
    for shape in ((5, 1, 8, 8), (3, 3, 16, 16)):
        x = rng.uniform(size=shape).astype(np.float32)
        x[0] = 0.5  # a flat image among the noisy ones
        file_bits, data_bits = cp.png_sizes(x)
        assert file_bits.dtype == data_bits.dtype == np.int64 and file_bits.shape == (shape[0],)
        assert file_bits.tolist() == [cp.png_bits(im) for im in x]
        assert data_bits.tolist() == [cp.png_bits(im, headers=False) for im in x]
    assert [a.shape for a in cp.png_sizes(np.zeros((0, 1, 8, 8), np.float32))] == [(0,), (0,)]


def test_given_encodings_give_the_same_table_and_wrong_ones_change_the_rate(tiny_mlp):
    x = np.random.default_rng(0).uniform(size=(23, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        mu, logvar = (t.numpy() for t in tiny_mlp.encode(torch.as_tensor(x)))
    own, given = cp.compression_table(tiny_mlp, x, batch_size=10), cp.compression_table(tiny_mlp, x, 10, (mu, logvar))
    np.testing.assert_allclose(given.rate_bits, own.rate_bits, rtol=1e-6)
    np.testing.assert_allclose(given.distortion_nats, own.distortion_nats, rtol=1e-5)
    shifted = cp.compression_table(tiny_mlp, x, 10, (mu + 1.0, logvar))
    assert (shifted.rate_bits != own.rate_bits).all() and not np.allclose(shifted.distortion_nats, own.distortion_nats)


def test_cached_table_is_read_back_from_disk_and_keyed_by_the_images(tiny_mlp, tmp_path, monkeypatch):
    x = np.random.default_rng(0).uniform(size=(12, 1, 8, 8)).astype(np.float32)
    first = cp.cached_table(tiny_mlp, x, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("compression-*.npz"))) == 1

    def must_not_run(*args, **kwargs):
        raise AssertionError("recomputed although the table is on disk")

    monkeypatch.setattr(cp, "compression_table", must_not_run)
    again = cp.cached_table(tiny_mlp, x, cache_dir=tmp_path)
    for name in ("rate_bits", "png_bits", "png_data_bits", "distortion_nats"):
        np.testing.assert_array_equal(getattr(again, name), getattr(first, name))
    assert again.raw_bits == first.raw_bits == 512 and again.means() == first.means()
    monkeypatch.undo()
    other = cp.cached_table(tiny_mlp, x[:6], cache_dir=tmp_path)  # other images: a file of their own
    assert len(list(tmp_path.glob("compression-*.npz"))) == 2 and other.png_bits.tolist() == first.png_bits[:6].tolist()


def _info(name, beta, data="digits", shape=(1, 8, 8), history=None):
    return CheckpointInfo(name=name, path=Path(name), model_config=ModelConfig(input_shape=shape, latent_dim=2),
                          train_config=TrainConfig(data=data, beta=beta),
                          history=[{"test_kl": 2.0 / beta, "test_recon": 20.0 + beta}] if history is None else history)


def test_rate_distortion_points_keep_same_data_sorted_by_beta():
    infos = [_info("b4", 4.0), _info("b1", 1.0), _info("other-data", 2.0, data="shapes", shape=(1, 32, 32)),
             _info("untested", 0.5, history=[{"train_loss": 1.0}]), _info("b05", 0.5)]
    points = cp.rate_distortion_points(infos, "digits", (1, 8, 8))
    assert [p["checkpoint"] for p in points] == ["b05", "b1", "b4"]
    assert points[1]["rate (bits)"] == pytest.approx(2.0 / math.log(2))
    assert points[1]["distortion (nats)"] == 21.0
    rates = [p["rate (bits)"] for p in points]
    assert rates == sorted(rates, reverse=True)  # in these made-up numbers more beta, less rate
    assert cp.rate_distortion_points([replace(infos[0], history=[])], "digits", (1, 8, 8)) == []


def test_curves_by_latent_dim_join_only_models_that_differ_in_beta():
    points = [{"checkpoint": c, "beta": b, "latent dim": d} for c, b, d in
              [("z16", 1.0, 16), ("b4", 4.0, 8), ("z2", 1.0, 2), ("b05", 0.5, 8), ("b1", 1.0, 8)]]
    curves = cp.curves_by_latent_dim(points)
    assert list(curves) == [2, 8, 16]
    assert [p["checkpoint"] for p in curves[8]] == ["b05", "b1", "b4"]
    assert [p["checkpoint"] for p in curves[2]] == ["z2"] and cp.curves_by_latent_dim([]) == {}
