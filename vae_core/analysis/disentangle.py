"""How well each latent dimension tracks a known generative factor: absolute Pearson correlation, mutual
information and the mutual information gap (MIG), for data with ground truth such as `shapes`.

codes are posterior means mu (N, D); factors is a dict name -> (N,) array (Dataset.factors_test). Matrices are
(D, K): one row per latent dimension, one column per factor, in the dict's order.

Mutual information uses a histogram estimator on equal-frequency bins (as disentanglement_lib does for MIG,
there with equal-width bins): each continuous variable is cut into `bins` bins holding equally many values, a
discrete factor (integers, or at most `bins` distinct values) keeps its own categories. Equal-frequency bins make
the estimate unchanged by any increasing transform of a latent, and H(v_k) = log(bins) for a continuous factor.
With N values the estimate of independent variables is biased upwards by about (bins - 1)^2 / (2 N) nats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 20


@dataclass(frozen=True)
class FactorReport:
    """Factor-vs-latent numbers for one model. correlation, mi, normalized_mi (D, K); entropy, gaps (K,)."""

    factor_names: tuple[str, ...]
    correlation: np.ndarray  # |Pearson r| between mu_d and v_k, in [0, 1]
    mi: np.ndarray  # I(mu_d; v_k) in nats
    entropy: np.ndarray  # H(v_k) in nats, on the same bins
    active: np.ndarray  # (D,) bool: dims counted; the rows of the others are zero
    gaps: np.ndarray  # per factor: (top MI - second MI) / H(v_k)
    mig: float  # mean of gaps

    @property
    def normalized_mi(self) -> np.ndarray:
        """I(mu_d; v_k) / H(v_k): the share of factor k's information that dim d holds, in [0, 1]."""
        return self.mi / np.maximum(self.entropy, 1e-12)

    @property
    def best_dims(self) -> np.ndarray:
        """(K,) the latent dim with the most information about each factor."""
        return self.mi.argmax(axis=0)


def _factor_matrix(codes: np.ndarray, factors: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple[str, ...]]:
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2:
        raise ValueError(f"codes must be (N, D), got shape {codes.shape}")
    if not factors:
        raise ValueError("factors is empty")
    names = tuple(factors)
    v = np.stack([np.asarray(factors[k]).reshape(-1) for k in names], axis=1)
    if len(v) != len(codes):
        raise ValueError(f"codes hold {len(codes)} rows but the factors {len(v)}")
    if len(codes) < 2:
        raise ValueError("need at least two examples")
    return codes, names


def correlation_matrix(codes: np.ndarray, factors: dict[str, np.ndarray]) -> np.ndarray:
    """|Pearson r| between each dim of codes (N, D) and each factor -> (D, K); a constant column gives 0.

    Pearson sees straight-line relations only, and for a categorical factor (shape) depends on its coding.
    """
    codes, names = _factor_matrix(codes, factors)
    v = np.stack([np.asarray(factors[k], np.float64).reshape(-1) for k in names], axis=1)
    a, b = codes - codes.mean(0), v - v.mean(0)
    na, nb = np.sqrt((a**2).sum(0)), np.sqrt((b**2).sum(0))
    denom = np.outer(na, nb)
    r = np.divide(a.T @ b, denom, out=np.zeros_like(denom), where=denom > 1e-12)
    return np.clip(np.abs(r), 0.0, 1.0)


def discretize(values: np.ndarray, bins: int = BINS) -> np.ndarray:
    """(N,) values -> (N,) int64 bin indices: categories for a discrete variable, else equal-frequency bins."""
    values = np.asarray(values).reshape(-1)
    uniq, inverse = np.unique(values, return_inverse=True)
    if np.issubdtype(values.dtype, np.integer) or len(uniq) <= bins:
        return inverse.astype(np.int64)
    edges = np.quantile(values.astype(np.float64), np.linspace(0, 1, bins + 1)[1:-1])
    return np.searchsorted(edges, values, side="right").astype(np.int64)


def entropy(labels: np.ndarray) -> float:
    """H of discrete labels (N,) in nats."""
    p = np.bincount(labels) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """I(a; b) in nats of two discrete label arrays (N,), from their joint histogram."""
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    joint = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb) / len(a)
    pa, pb = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
    nz = joint > 0
    return float(max(0.0, (joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])).sum()))


def mutual_information_matrix(codes: np.ndarray, factors: dict[str, np.ndarray], bins: int = BINS) -> np.ndarray:
    """I(code_d; v_k) in nats for codes (N, D) and each factor -> (D, K) (histogram estimator, see module doc)."""
    codes, names = _factor_matrix(codes, factors)
    zs = [discretize(codes[:, d], bins) for d in range(codes.shape[1])]
    vs = [discretize(factors[k], bins) for k in names]
    return np.array([[mutual_information(z, v) for v in vs] for z in zs]).reshape(len(zs), len(vs))


def factor_report(codes: np.ndarray, factors: dict[str, np.ndarray], bins: int = BINS,
                  active: np.ndarray | None = None) -> FactorReport:
    """Correlation and MI matrices plus the MIG (Chen et al. 2018, "Isolating Sources of Disentanglement in VAEs").

    MIG = mean over factors k of (I(z_j1; v_k) - I(z_j2; v_k)) / H(v_k), where j1 and j2 are the latent dims with
    the most and the second most information about v_k. It is 1 when every factor is held by one dim alone, and
    near 0 when each factor is spread over several dims (or held by none). `active` (D,) bool leaves out dims
    that a sampled z carries no information in (see metrics.active_unit_mask): their tiny wiggles in mu would
    otherwise count, since correlation and binned MI ignore scale. Their rows are zero.
    """
    codes, names = _factor_matrix(codes, factors)
    active = np.ones(codes.shape[1], bool) if active is None else np.asarray(active, bool).reshape(-1)
    if len(active) != codes.shape[1]:
        raise ValueError(f"active has {len(active)} entries for {codes.shape[1]} latent dims")
    corr = correlation_matrix(codes, factors) * active[:, None]
    mi = mutual_information_matrix(codes, factors, bins) * active[:, None]
    h = np.array([entropy(discretize(factors[k], bins)) for k in names])
    top = -np.sort(-mi, axis=0)
    second = top[1] if len(top) > 1 else np.zeros(len(names))
    gaps = np.divide(top[0] - second, h, out=np.zeros(len(names)), where=h > 1e-12)
    return FactorReport(names, corr, mi, h, active, gaps, float(gaps.mean()))


def mig(codes: np.ndarray, factors: dict[str, np.ndarray], bins: int = BINS, active: np.ndarray | None = None) -> float:
    """The mutual information gap of codes (N, D) for these factors, in [0, 1] (see factor_report)."""
    return factor_report(codes, factors, bins, active).mig


__all__ = ["BINS", "FactorReport", "correlation_matrix", "discretize", "entropy", "mutual_information",
           "mutual_information_matrix", "factor_report", "mig"]
