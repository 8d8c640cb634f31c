"""Evaluation numbers: -ELBO, recon, KL and IWAE NLL in nats per example, active units,
AUROC for anomaly detection and bit conversions (docs/ARCHITECTURE.md, "Loss numbers")."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .losses import iwae_log_likelihood, kl_divergence, reconstruction_nll

# Pixel values decoded per decoder call in the IWAE loop (samples x images x C*H*W): bounds memory
# for any k and image size (~5,000 28x28 images per call, ~1.3 GB peak with the default conv VAE).
IWAE_PIXEL_BUDGET = 1 << 22
IWAE_CHUNK = 100  # importance samples drawn per decoder call, at most


def active_unit_mask(mu: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """Active latent units (D,) bool: Cov_x(E_q[z_u]) > threshold (Burda et al. 2016, sec. 5.2).

    mu (N, D) are the posterior means over a dataset; a unit whose mean ignores x carries no
    information about it, whatever its KL.
    """
    mu = np.asarray(mu, np.float64)
    return mu.var(axis=0) > threshold if len(mu) else np.zeros(mu.shape[1], bool)


def active_units(mu: np.ndarray, threshold: float = 0.01) -> int:
    """Number of active latent units in mu (N, D); see active_unit_mask."""
    return int(active_unit_mask(mu, threshold).sum())


def _ood_labels_scores(scores_in, scores_out) -> tuple[np.ndarray, np.ndarray]:
    s_in, s_out = np.ravel(scores_in).astype(np.float64), np.ravel(scores_out).astype(np.float64)
    if not len(s_in) or not len(s_out):
        raise ValueError("auroc needs at least one in-distribution and one out-of-distribution score")
    return np.r_[np.zeros(len(s_in)), np.ones(len(s_out))], np.r_[s_in, s_out]


def auroc(scores_in, scores_out) -> float:
    """Area under the ROC curve with out-of-distribution as the positive class scoring higher
    (e.g. score = -ELBO). 1.0: perfectly separated, 0.5: indistinguishable."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(*_ood_labels_scores(scores_in, scores_out)))


def roc_curve_points(scores_in, scores_out) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve (false positive rate, true positive rate, thresholds), out-of-distribution positive."""
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(*_ood_labels_scores(scores_in, scores_out))
    return fpr, tpr, thresholds


def bits_per_image(nats: float) -> float:
    """Nats per image -> bits per image (nats / ln 2)."""
    return float(nats) / math.log(2)


def bits_per_dim(nats: float, n_pixels: int) -> float:
    """Nats per image -> bits per pixel value (C * H * W of them)."""
    return bits_per_image(nats) / n_pixels


@dataclass
class EvalResult:
    """Test-set averages in nats per example; nll_iwae is None unless iwae_k > 0."""

    neg_elbo: float
    recon: float
    kl: float
    nll_iwae: float | None
    active_units: int
    n: int

    def to_dict(self) -> dict:
        return asdict(self)


def elbo_noise(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """The eps [n x D] of the one-z ELBO, drawn up front on the CPU from a generator of its own, so the
    numbers are the same for any batch size, device or iwae_k."""
    return torch.randn((n, latent_dim), generator=torch.Generator().manual_seed(seed))


@contextmanager
def seeded_eval(model, device, seed: int) -> Iterator[torch.device]:
    """Evaluate under this: the model moved to `device` in eval mode, and the global RNG (which IWAE draws
    from) forked and seeded with seed + 1; the RNG and the model's train/eval mode are restored on exit.
    Yields the torch.device."""
    model.to(device)
    was_training = model.training
    model.eval()
    dev = torch.device(device)
    try:
        with torch.random.fork_rng(devices=[dev.index or 0] if dev.type == "cuda" else []):
            torch.manual_seed(seed + 1)
            yield dev
    finally:
        model.train(was_training)


@torch.no_grad()
def evaluate(model, x: np.ndarray, batch_size: int = 500, iwae_k: int = 0, device="cpu", seed: int = 0,
             progress: Callable[[int, int], None] | None = None) -> EvalResult:
    """-ELBO = recon + KL (one z per example) and, if iwae_k > 0, the IWAE NLL -log p(x) with k samples,
    averaged over x (N, C, H, W) in [0, 1].

    Seeded: the same call gives the same numbers, and the ELBO does not depend on iwae_k. The
    global torch RNG is left as it was. `progress(done, total)` is called after each batch with
    counts of images. Moves the model to `device`; its train/eval mode is restored afterwards.
    """
    n = len(x)
    if n == 0:
        raise ValueError("evaluate needs at least one image")
    eps_all = elbo_noise(n, model.config.latent_dim, seed)
    chunk = 1
    if iwae_k > 0:  # small image batches: each call decodes chunk x batch images
        per_call = max(1, IWAE_PIXEL_BUDGET // model.config.n_pixels)
        chunk = min(iwae_k, IWAE_CHUNK, per_call)
        batch_size = max(1, min(batch_size, per_call // chunk))
    recon_sum = kl_sum = logpx_sum = 0.0
    mus = []
    with seeded_eval(model, device, seed) as dev:
        for start in range(0, n, batch_size):
            xb = torch.as_tensor(np.asarray(x[start:start + batch_size], np.float32), device=dev)
            mu, logvar = model.encode(xb)
            eps = eps_all[start:start + batch_size].to(dev, mu.dtype)
            logits = model.decode(mu + torch.exp(0.5 * logvar) * eps)
            recon_sum += reconstruction_nll(model, logits, xb).double().sum().item()
            kl_sum += kl_divergence(mu, logvar).double().sum().item()
            mus.append(mu.float().cpu().numpy())
            if iwae_k > 0:
                logpx = iwae_log_likelihood(model, xb, iwae_k, chunk=chunk)
                logpx_sum += logpx.double().sum().item()
            if progress is not None:
                progress(min(start + batch_size, n), n)
    recon, kl = recon_sum / n, kl_sum / n
    return EvalResult(neg_elbo=recon + kl, recon=recon, kl=kl,
                      nll_iwae=-logpx_sum / n if iwae_k > 0 else None,
                      active_units=active_units(np.concatenate(mus)), n=n)


def rate_distortion(result: EvalResult) -> tuple[float, float]:
    """(rate, distortion) = (KL, recon) in nats: one point of the beta trade-off (Alemi et al. 2018)."""
    return result.kl, result.recon
