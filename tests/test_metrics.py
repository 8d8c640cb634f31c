"""Metrics: active units, AUROC, bits and evaluate()."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vae_core.config import ModelConfig
from vae_core.metrics import (
    EvalResult,
    active_unit_mask,
    active_units,
    auroc,
    bits_per_dim,
    bits_per_image,
    evaluate,
    rate_distortion,
    roc_curve_points,
)
from vae_core.models import VAE


@pytest.fixture(scope="module")
def model() -> VAE:
    torch.manual_seed(0)
    return VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch="mlp", hidden=(32,)))


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return np.random.default_rng(0).random((64, 1, 8, 8), dtype=np.float32)


def test_active_units_on_synthetic_means():
    rng = np.random.default_rng(0)
    mu = np.column_stack([
        rng.normal(0, 1.0, 1000),   # active
        np.full(1000, 3.0),         # constant: inactive however large
        rng.normal(0, 0.05, 1000),  # variance 0.0025 < 0.01: inactive
        rng.normal(0, 0.3, 1000),   # variance 0.09: active
    ])
    np.testing.assert_array_equal(active_unit_mask(mu), [True, False, False, True])
    assert active_units(mu) == 2
    assert active_units(mu, threshold=0.001) == 3


def test_auroc_and_roc_curve():
    assert auroc([0.1, 0.2, 0.3], [0.5, 0.9]) == 1.0
    assert auroc([0.5, 0.9], [0.1, 0.2, 0.3]) == 0.0  # out-of-distribution must score higher
    assert auroc([1.0, 1.0, 1.0], [1.0, 1.0]) == 0.5
    fpr, tpr, _ = roc_curve_points([0.1, 0.2, 0.3], [0.5, 0.9])
    assert fpr[0] == 0.0 and tpr[-1] == 1.0 and np.all(np.diff(fpr) >= 0)
    with pytest.raises(ValueError):
        auroc([], [1.0])


def test_bits_conversions():
    assert bits_per_image(math.log(2)) == pytest.approx(1.0)
    assert bits_per_image(100.0) == pytest.approx(144.26950408889634)
    assert bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0)


def test_evaluate_elbo_iwae_and_determinism(model, x):
    calls = []
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    result = evaluate(model, x, batch_size=20, iwae_k=50, seed=0, progress=lambda d, t: calls.append((d, t)))
    assert torch.equal(torch.rand(1), before)  # the global RNG is untouched (training stays reproducible)
    assert isinstance(result, EvalResult) and result.n == 64
    assert result.neg_elbo == result.recon + result.kl
    assert result.kl > 0 and result.recon > 0
    # IWAE with 50 samples is a tighter bound on log p(x) than the one-sample ELBO.
    assert result.nll_iwae <= result.neg_elbo + 0.5
    assert 0 <= result.active_units <= 3
    assert calls[-1] == (64, 64) and [d for d, _ in calls] == sorted(d for d, _ in calls)

    again = evaluate(model, x, batch_size=20, iwae_k=50, seed=0)
    assert again == result
    other = evaluate(model, x, batch_size=64, seed=0)  # no IWAE, other batch size: same ELBO noise
    assert other.nll_iwae is None
    assert other.neg_elbo == pytest.approx(result.neg_elbo, rel=1e-6)
    assert evaluate(model, x, seed=1).neg_elbo != result.neg_elbo
    assert model.training  # the caller's mode is restored
    assert rate_distortion(result) == (result.kl, result.recon)


def test_eval_result_to_dict(model, x):
    row = evaluate(model, x[:8]).to_dict()
    assert set(row) == {"neg_elbo", "recon", "kl", "nll_iwae", "active_units", "n"}
    assert row["nll_iwae"] is None and row["n"] == 8 and isinstance(row["neg_elbo"], float)
