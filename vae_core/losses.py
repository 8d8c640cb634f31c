"""ELBO terms as pure functions; every reduction is per example (summed over pixels / dims).

Reported numbers are nats per example: -ELBO = recon + KL (docs/ARCHITECTURE.md, "Loss numbers").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .models import VAE

LOG_2PI = math.log(2 * math.pi)


@dataclass
class ELBOTerms:
    """Per-example terms, each [B]; `loss` is the batch mean of recon + beta * kl."""

    loss: torch.Tensor
    recon: torch.Tensor
    kl: torch.Tensor


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) under independent Bernoullis, summed over pixels -> [B].

    Binary cross-entropy on continuous [0, 1] pixels, as in pytorch/examples/vae.
    """
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def gaussian_nll(mean: torch.Tensor, x: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """-log N(x; mean, exp(log_std)^2), summed over pixels -> [B]. log_std broadcasts."""
    log_std = log_std.expand_as(x)
    nll = 0.5 * ((x - mean) * torch.exp(-log_std)) ** 2 + log_std + 0.5 * LOG_2PI
    return nll.flatten(1).sum(1)


LEVELS = 255  # beta-binomial: pixels are k / 255, k = 0..255


def beta_binomial_nll(logits: torch.Tensor, x: torch.Tensor, log_conc: torch.Tensor) -> torch.Tensor:
    """-log BetaBinomial(k; n = 255, a = c m, b = c (1 - m)) of 8-bit pixels x = k / 255, summed over pixels
    -> [B]; m = sigmoid(logits) is the pixel mean (as for the other likelihoods), c = exp(log_conc) broadcasts.

    A discrete likelihood: the nats are a code length for the 8-bit image (Townsend et al. 2019 code 8-bit MNIST
    with it). Pixels between levels are rounded to the nearest.
    """
    k = torch.round(x * LEVELS)
    conc = torch.exp(log_conc).expand_as(logits)
    a, b = conc * torch.sigmoid(logits), conc * torch.sigmoid(-logits)
    log_choose = math.lgamma(LEVELS + 1) - torch.lgamma(k + 1) - torch.lgamma(LEVELS - k + 1)
    log_beta_ratio = (torch.lgamma(k + a) + torch.lgamma(LEVELS - k + b) - torch.lgamma(LEVELS + conc)
                      - torch.lgamma(a) - torch.lgamma(b) + torch.lgamma(conc))
    return -(log_choose + log_beta_ratio).flatten(1).sum(1)


def reconstruction_nll(model: VAE, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) under the model's likelihood -> [B]."""
    if model.config.likelihood == "bernoulli":
        return bernoulli_nll(logits, x)
    if model.config.likelihood == "beta-binomial":
        return beta_binomial_nll(logits, x, model.log_conc)
    return gaussian_nll(torch.sigmoid(logits), x, model.log_std)


def kl_per_dim(mu: torch.Tensor | np.ndarray, logvar: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """Analytic KL(N(mu, sigma^2) || N(0, 1)) per latent dimension, [B x D] -> [B x D] (Kingma & Welling, App. B).

    numpy arrays in give a float64 numpy array out: e.g. kl_per_dim(enc.mu, enc.logvar).mean(0), the mean
    KL per dimension over a dataset, (D,).
    """
    if not isinstance(mu, torch.Tensor):
        mu, logvar = (torch.as_tensor(np.asarray(a, np.float64)) for a in (mu, logvar))
        return kl_per_dim(mu, logvar).numpy()
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Analytic KL to the standard normal prior, summed over dimensions -> [B]."""
    return kl_per_dim(mu, logvar).sum(1)


def kl_weight(epoch_progress: float, beta: float, warmup_epochs: float, cycles: int = 0, epochs: float = 0) -> float:
    """The KL weight at a point of training (in epochs).

    Linear warm-up (cycles 0): it rises from 0 to beta over `warmup_epochs` (Bowman et al. 2016). Cyclical
    (cycles > 0, Fu et al. 2019): `epochs` split into that many cycles, the weight rising from 0 to beta over the
    first half of each and staying at beta for the second.
    """
    progress = max(0.0, epoch_progress)
    if cycles > 0 and epochs > 0:
        period = epochs / cycles
        return beta * min(1.0, (progress % period) / (period * CYCLE_RISE))
    if warmup_epochs <= 0:
        return beta
    return beta * min(1.0, progress / warmup_epochs)


CYCLE_RISE = 0.5  # share of each cycle over which the weight rises (Fu et al.'s R = 0.5)


def kl_for_loss(kl_dims: torch.Tensor, free_bits: float = 0.0) -> torch.Tensor:
    """The KL term the optimiser sees, [B x D] -> [B].

    With free bits (Kingma et al. 2016) each dimension's KL, averaged over the batch, counts as at least
    `free_bits` nats: below that floor it has no gradient, so the encoder may use that much information for free
    and the KL cannot be pushed to zero. Without, the plain KL per example.
    """
    if free_bits <= 0:
        return kl_dims.sum(1)
    floor = torch.clamp(kl_dims.mean(0), min=free_bits)  # [D]
    return floor.sum().expand(len(kl_dims))  # a batch-level term: the same for every example, its mean the sum


def elbo_terms(model: VAE, x: torch.Tensor, beta: float = 1.0, free_bits: float = 0.0) -> ELBOTerms:
    """One stochastic ELBO estimate (a single z per example) and the beta-weighted loss (free bits optional)."""
    out = model(x)
    recon = reconstruction_nll(model, out.logits, x)
    kl_dims = kl_per_dim(out.mu, out.logvar)
    return ELBOTerms(loss=(recon + beta * kl_for_loss(kl_dims, free_bits)).mean(), recon=recon, kl=kl_dims.sum(1))


@torch.no_grad()
def iwae_log_likelihood(model: VAE, x: torch.Tensor, k: int, chunk: int = 100) -> torch.Tensor:
    """Importance-weighted estimate of log p(x) with k samples -> [B] (Burda et al. 2016).

    log p(x) >= log mean_k p(x, z_k) / q(z_k | x); it is never below the ELBO in
    expectation and tightens as k grows. Samples are drawn in chunks to bound memory.
    """
    mu, logvar = model.encode(x)

    def log_px_given_z(z: torch.Tensor, n: int) -> torch.Tensor:
        xs = x.unsqueeze(0).expand(n, *x.shape).flatten(0, 1)
        return -reconstruction_nll(model, model.decode(z), xs)

    return importance_weighted(mu, logvar, k, chunk, log_px_given_z)


def importance_weighted(mu: torch.Tensor, logvar: torch.Tensor, k: int, chunk: int, log_px_given_z) -> torch.Tensor:
    """log mean_k p(x | z_k) p(z_k) / q(z_k | x) over z_k ~ q(z | x) = N(mu, exp(logvar)) -> [B], with a standard
    normal prior; the k samples are drawn in chunks of at most `chunk`. log_px_given_z(z, n) gets z [n*B x D]
    (n samples of each of the B examples, sample-major) and returns log p(x | z) [n*B]. Images and text
    (text/losses.py) differ only in that function."""
    std = torch.exp(0.5 * logvar)
    log_weights = []
    for start in range(0, k, chunk):
        n = min(chunk, k - start)
        eps = torch.randn(n, *mu.shape, device=mu.device, dtype=mu.dtype)  # [n x B x D]
        z = mu + std * eps
        log_px_z = log_px_given_z(z.flatten(0, 1), n).view(n, -1)
        log_pz = -0.5 * (z.pow(2) + LOG_2PI).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + LOG_2PI + logvar).sum(-1)
        log_weights.append(log_px_z + log_pz - log_qz)
    return torch.logsumexp(torch.cat(log_weights), dim=0) - math.log(k)
