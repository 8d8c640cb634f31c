"""Factor-vs-latent matrices and the MIG on synthetic codes whose answers are known."""

import numpy as np
import pytest

from vae_core.analysis import disentangle as dis
from vae_core.data import load_dataset

N = 4000


@pytest.fixture
def factors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"shape": rng.integers(0, 3, N), "x": rng.uniform(0, 1, N).astype(np.float32),
            "y": rng.uniform(0, 1, N).astype(np.float32)}


def standard(v) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return (v - v.mean()) / v.std()


def test_a_latent_equal_to_a_factor_gets_correlation_one_and_the_top_mi(factors):
    rng = np.random.default_rng(1)
    codes = np.stack([rng.normal(size=N), factors["x"], rng.normal(size=N)], axis=1)
    corr = dis.correlation_matrix(codes, factors)
    mi = dis.mutual_information_matrix(codes, factors)
    assert corr.shape == mi.shape == (3, 3)
    assert corr[1, 1] == pytest.approx(1.0, abs=1e-9)
    assert mi[:, 1].argmax() == 1
    report = dis.factor_report(codes, factors)
    assert report.normalized_mi[1, 1] == pytest.approx(1.0, abs=1e-9)  # same bins: I(x; x) = H(x)
    assert report.entropy[1] == pytest.approx(np.log(dis.BINS), abs=1e-3)
    assert report.entropy[0] == pytest.approx(np.log(3), abs=0.01)  # discrete: its own three categories
    assert report.best_dims[1] == 1


def test_independent_noise_gets_about_zero(factors):
    codes = np.random.default_rng(2).normal(size=(N, 4))
    report = dis.factor_report(codes, factors)
    assert report.correlation.max() < 0.06
    bias = (dis.BINS - 1) ** 2 / (2 * N)  # the histogram estimator's known upward bias
    assert report.mi.max() < 2 * bias and report.normalized_mi.max() < 0.05
    assert report.mig < 0.03


def test_mi_sees_a_nonlinear_relation_that_correlation_misses(factors):
    codes = np.stack([np.cos(2 * np.pi * factors["x"]), np.exp(3 * factors["y"])], axis=1)  # x: not monotone
    report = dis.factor_report(codes, factors)
    assert report.correlation[0, 1] < 0.05 and report.normalized_mi[0, 1] > 0.5
    assert report.normalized_mi[1, 2] == pytest.approx(1.0, abs=1e-9)  # an increasing map keeps every bit


def test_mig_of_a_disentangled_code_beats_a_rotated_one(factors):
    rng = np.random.default_rng(3)
    clean = np.stack([standard(factors[k]) for k in ("shape", "x", "y")], axis=1) + 0.05 * rng.normal(size=(N, 3))
    # An orthonormal matrix whose first column mixes all three factors equally: every dim holds parts of several.
    rotation = np.array([[1, 1, 1], [1, -1, 0], [1, 1, -2]]) / np.sqrt([[3], [2], [6]])
    assert np.allclose(rotation @ rotation.T, np.eye(3))
    good, mixed = dis.factor_report(clean, factors), dis.factor_report(clean @ rotation, factors)
    assert good.mig > 0.6 and mixed.mig < 0.3 and good.mig > mixed.mig + 0.4
    assert list(good.best_dims) == [0, 1, 2]
    assert dis.mig(clean, factors) == pytest.approx(good.mig)


def test_inactive_dims_are_left_out(factors):
    codes = np.stack([factors["x"], 1e-4 * factors["x"]], axis=1)  # dim 1 only wiggles
    full = dis.factor_report(codes, factors)
    assert full.gaps[1] == pytest.approx(0.0, abs=1e-9)  # two equal copies: no gap
    kept = dis.factor_report(codes, factors, active=np.array([True, False]))
    assert kept.gaps[1] == pytest.approx(1.0, abs=1e-9) and not kept.mi[1].any() and not kept.correlation[1].any()


def test_constant_dims_and_bad_shapes():
    factors = {"x": np.linspace(0, 1, 100)}
    report = dis.factor_report(np.zeros((100, 2)), factors)
    assert not report.correlation.any() and not report.mi.any() and report.mig == 0.0
    with pytest.raises(ValueError, match="rows"):
        dis.factor_report(np.zeros((99, 2)), factors)
    with pytest.raises(ValueError, match="active"):
        dis.factor_report(np.zeros((100, 2)), factors, active=np.ones(3, bool))
    with pytest.raises(ValueError, match="empty"):
        dis.correlation_matrix(np.zeros((100, 2)), {})


def test_the_true_factors_of_shapes_are_their_own_best_code():
    ds = load_dataset("shapes")
    f = ds.factors_test
    report = dis.factor_report(np.stack([f[k] for k in f], axis=1).astype(np.float64), f)
    assert report.factor_names == ("shape", "x", "y", "scale", "rotation")
    assert list(report.best_dims) == [0, 1, 2, 3, 4] and report.mig > 0.9  # the factors are independent
