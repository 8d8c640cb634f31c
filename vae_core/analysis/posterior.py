"""The probabilistic latent made visible: posterior ellipses, reparameterised samples, the per-example
ELBO split, the aggregate posterior against the prior, and its "holes" (Kingma & Welling 2014;
Hoffman & Johnson 2016, "ELBO surgery"; Rosca et al. 2018 on holes in the aggregate posterior).

Every posterior here is the encoder's diagonal Gaussian q(z|x) = N(mu, diag(exp(logvar))), so its
marginal in any two dims is the same Gaussian restricted to those dims: 2-D pictures are exact.
Arrays are numpy (float64 inside, float32 out where they feed the decoder); torch only where the model runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import ndtr

from ..losses import kl_per_dim, reconstruction_nll

LOG_2PI = math.log(2 * math.pi)


# --- one posterior ----------------------------------------------------------------------------------


def ellipse(mu, logvar, k: float = 1.0, n: int = 72) -> np.ndarray:
    """Points at Mahalanobis distance k from a 2-D diagonal Gaussian N(mu, exp(logvar)) -> (n, 2) float64.

    The curve is closed: the last point repeats the first, so a plotted line joins up.
    """
    mu, sigma = np.asarray(mu, np.float64).reshape(2), np.exp(0.5 * np.asarray(logvar, np.float64).reshape(2))
    t = np.linspace(0.0, 2.0 * np.pi, n)
    return mu + k * sigma * np.stack([np.cos(t), np.sin(t)], axis=1)


def mahalanobis(z, mu, logvar) -> np.ndarray:
    """Distance of points z (M, D) from N(mu, diag(exp(logvar))), mu/logvar (D,) -> (M,)."""
    z, mu, logvar = (np.asarray(a, np.float64) for a in (z, mu, logvar))
    return np.sqrt((((z - mu) ** 2) * np.exp(-logvar)).sum(-1))


def mass_within(k: float, dims: int = 2) -> float:
    """Probability mass of a dims-D standard Gaussian inside radius k (1 and 2 dims only): 39% at 1 sigma in 2-D."""
    if dims == 1:
        return math.erf(k / math.sqrt(2))
    if dims == 2:
        return 1.0 - math.exp(-0.5 * k * k)
    raise ValueError(f"dims must be 1 or 2, got {dims}")


def reparameterize(mu, logvar, n: int, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """n draws z = mu + sigma * eps, eps ~ N(0, I), for one posterior mu/logvar (D,) -> (z, eps), each (n, D).

    The randomness lives in eps alone, so z is a differentiable function of mu and sigma. `seed` is anything
    np.random.default_rng takes (an int, a tuple of ints, None).
    """
    mu, logvar = np.asarray(mu, np.float64).reshape(-1), np.asarray(logvar, np.float64).reshape(-1)
    eps = np.random.default_rng(seed).standard_normal((n, len(mu)))
    return (mu + np.exp(0.5 * logvar) * eps).astype(np.float32), eps.astype(np.float32)


# --- the ELBO, per example ----------------------------------------------------------------------------


@dataclass
class ELBOSplit:
    """Per-example terms in nats: recon, kl (N,); kl_dims (N, D) sums to kl. -ELBO = recon + kl."""

    recon: np.ndarray
    kl: np.ndarray
    kl_dims: np.ndarray

    @property
    def neg_elbo(self) -> np.ndarray:
        return self.recon + self.kl


@torch.no_grad()
def elbo_split(model, x, samples: int = 1, generator: torch.Generator | None = None) -> ELBOSplit:
    """-ELBO of images x (N, C, H, W) split into reconstruction (mean over `samples` draws of z) and analytic KL.

    With samples=1 and no generator, z comes from model.reparameterize on the global RNG, exactly as
    losses.elbo_terms draws it; a seeded generator gives repeatable numbers. The caller's mode is kept.
    """
    was_training = model.training
    model.eval()
    try:
        x = torch.as_tensor(np.asarray(x, np.float32))
        mu, logvar = model.encode(x)
        recon = torch.zeros(len(x), dtype=torch.float64)
        for _ in range(samples):
            if generator is None:
                z = model.reparameterize(mu, logvar)
            else:
                z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator).to(mu)
            recon += reconstruction_nll(model, model.decode(z), x).double()
        kl_dims = kl_per_dim(mu.double(), logvar.double())
    finally:
        model.train(was_training)
    return ELBOSplit((recon / samples).numpy(), kl_dims.sum(1).numpy(), kl_dims.numpy())


# --- the aggregate posterior and the prior ------------------------------------------------------------


def prior_log_density(z) -> np.ndarray:
    """log N(z; 0, I) for z (M, D) -> (M,)."""
    z = np.asarray(z, np.float64)
    return -0.5 * (z**2 + LOG_2PI).sum(-1)


def aggregate_log_density(z, mu, logvar, chunk: int = 256) -> np.ndarray:
    """log q(z) of the aggregate posterior q(z) = 1/N sum_i N(z; mu_i, sigma_i^2) at z (M, D); mu/logvar (N, D).

    The exact mixture (not a kernel estimate): each encoded image contributes its own Gaussian.
    Evaluated in chunks of z so memory stays at chunk x N x D.
    """
    z, mu, logvar = (np.asarray(a, np.float64) for a in (z, mu, logvar))
    inv_var, norm = np.exp(-logvar), -0.5 * (logvar + LOG_2PI).sum(-1)  # (N, D), (N,)
    out = np.empty(len(z))
    for start in range(0, len(z), chunk):
        d2 = ((z[start:start + chunk, None, :] - mu[None]) ** 2 * inv_var[None]).sum(-1)  # (m, N)
        log_comp = norm[None] - 0.5 * d2
        top = log_comp.max(1, keepdims=True)
        out[start:start + chunk] = (top[:, 0] + np.log(np.exp(log_comp - top).sum(1))) - math.log(len(mu))
    return out


@dataclass
class DensityGrid:
    """Cell-averaged densities on a steps x steps grid of a 2-D plane: cell centres xs, ys (steps,);
    q, p (steps, steps) with rows = ys. Multiply by cell_area for each cell's probability mass."""

    xs: np.ndarray
    ys: np.ndarray
    q: np.ndarray
    p: np.ndarray

    @property
    def cell_area(self) -> float:
        return float((self.xs[1] - self.xs[0]) * (self.ys[1] - self.ys[0]))


def plane_extent(mu2, logvar2, prior_k: float = 3.5) -> tuple[float, float]:
    """A square (lo, hi) covering the prior to prior_k sigma and every posterior in mu2/logvar2 (N, 2) to 3 sigma."""
    mu2, sigma2 = np.asarray(mu2, np.float64), np.exp(0.5 * np.asarray(logvar2, np.float64))
    lo = min(-prior_k, float((mu2 - 3 * sigma2).min(initial=0.0)))
    hi = max(prior_k, float((mu2 + 3 * sigma2).max(initial=0.0)))
    return lo, hi


def _interval_masses(mu, sigma, edges) -> np.ndarray:
    """Mass of N(mu_i, sigma_i^2) in each interval between consecutive edges: mu, sigma (N,) -> (N, len(edges) - 1)."""
    cdf = ndtr((edges[None, :] - mu[:, None]) / sigma[:, None])
    return np.diff(cdf, axis=1)


def density_grid(mu, logvar, dims=(0, 1), steps: int = 120, extent: tuple[float, float] | None = None) -> DensityGrid:
    """Aggregate posterior q and prior p in the plane of two latent dims, marginalising the rest.

    Marginals of diagonal Gaussians are the same Gaussians restricted to the kept dims, and each one's
    mass in a grid cell is a product of two normal-CDF differences; so the cell averages are exact, and
    posteriors narrower than a cell are neither missed nor aliased, as sampling the density at points would.
    """
    mu2, sigma2 = np.asarray(mu, np.float64)[:, list(dims)], np.exp(0.5 * np.asarray(logvar, np.float64)[:, list(dims)])
    lo, hi = extent or plane_extent(mu2, 2 * np.log(sigma2))
    edges = np.linspace(lo, hi, steps + 1)
    centres, area = 0.5 * (edges[1:] + edges[:-1]), (edges[1] - edges[0]) ** 2
    mx, my = _interval_masses(mu2[:, 0], sigma2[:, 0], edges), _interval_masses(mu2[:, 1], sigma2[:, 1], edges)
    q = my.T @ mx / len(mu2) / area  # rows: y cells, columns: x cells
    prior = _interval_masses(np.zeros(1), np.ones(1), edges)[0]
    return DensityGrid(centres, centres.copy(), q, np.outer(prior, prior) / area)


# --- holes: where the prior has mass and the aggregate posterior has none ----------------------------


def hole_score(z, mu, logvar) -> np.ndarray:
    """log p(z) - log q(z) for prior points z (M, D): high where the prior expects codes but no image encodes.

    0 where the two densities agree; each +1 is a factor e fewer encoded images than the prior expects.
    """
    return prior_log_density(z) - aggregate_log_density(z, mu, logvar)


def nearest_distance(images, reference, chunk: int = 512) -> np.ndarray:
    """RMS pixel distance from each of images (M, ...) to its closest image in reference (N, ...) -> (M,).

    Against the test set's reconstructions it asks "does the decoder ever draw this for a real image?".
    """
    a = np.asarray(images, np.float64).reshape(len(images), -1)
    b = np.asarray(reference, np.float64).reshape(len(reference), -1)
    b2 = (b**2).sum(1)
    out = np.empty(len(a))
    for start in range(0, len(a), chunk):
        part = a[start:start + chunk]
        d2 = (part**2).sum(1)[:, None] + b2[None] - 2.0 * part @ b.T
        out[start:start + chunk] = np.sqrt(np.maximum(d2.min(1), 0.0) / a.shape[1])
    return out


@dataclass
class Holes:
    """Prior draws z (M, D) sorted from best covered to deepest hole, with their hole scores (M,)."""

    z: np.ndarray
    score: np.ndarray


def prior_holes(mu, logvar, n: int = 256, seed: int = 0) -> Holes:
    """n seeded draws from the prior N(0, I), scored with hole_score and sorted by it (ascending)."""
    z = np.random.default_rng(seed).standard_normal((n, np.shape(mu)[1]))
    score = hole_score(z, mu, logvar)
    order = np.argsort(score, kind="stable")
    return Holes(z[order].astype(np.float32), score[order])
