"""Test-set numbers for text models: -ELBO, recon, KL and IWAE NLL in nats per sentence, nats per token, active
units and the share of sentences that greedy decoding from mu reproduces exactly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..losses import kl_divergence
from ..metrics import EvalResult, active_units, elbo_noise, seeded_eval
from .losses import sequence_nll, text_iwae_log_likelihood, token_counts, trim
from .model import TextVAE
from .vocab import EOS, PAD


@dataclass
class TextEvalResult(EvalResult):
    """EvalResult's averages (per sentence) and the text ones; exact_recon is None unless asked for."""

    nats_per_token: float  # -ELBO over all real tokens (characters + EOS)
    iwae_nats_per_token: float | None
    exact_recon: float | None  # share of sentences whose greedy decoding from mu equals them


def exact_matches(model: TextVAE, x: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
    """bool [B]: greedy decoding from mu gives back exactly the ids of x (up to and including EOS)."""
    x = trim(x)
    ids = model.generate(mu, max_len=x.shape[1], greedy=True)
    ids = torch.nn.functional.pad(ids, (0, x.shape[1] - ids.shape[1]), value=PAD)
    ends = (ids == EOS).any(1)
    return ends & (ids == x).all(1)


@torch.no_grad()
def evaluate_text(model: TextVAE, x: np.ndarray, batch_size: int = 250, iwae_k: int = 0, device="cpu",
                  seed: int = 0, exact: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> TextEvalResult:
    """Averages over padded ids x [N x T] of one-z ELBO terms, and with iwae_k > 0 the IWAE NLL.

    Seeded like metrics.evaluate: the noise comes from generators of its own, so the same call gives the same
    numbers and the global RNG is left as it was. exact=True adds the exact-reconstruction rate from mu.
    """
    n = len(x)
    if n == 0:
        raise ValueError("evaluate needs at least one sentence")
    eps_all = elbo_noise(n, model.config.latent_dim, seed)
    sums = dict(recon=0.0, kl=0.0, logpx=0.0, tokens=0, exact=0)
    mus = []
    if iwae_k > 0:  # IWAE decodes iwae_k copies of each sentence: keep a call's work bounded
        batch_size = max(1, min(batch_size, 2000 // min(iwae_k, 50)))
    with seeded_eval(model, device, seed) as dev:
        for start in range(0, n, batch_size):
            xb = trim(torch.as_tensor(np.asarray(x[start:start + batch_size]), device=dev))
            if model.config.conditioned:
                mu, logvar = model.encode(xb)
                z = mu + torch.exp(0.5 * logvar) * eps_all[start:start + len(xb)].to(dev)
                sums["kl"] += kl_divergence(mu, logvar).double().sum().item()
            else:
                mu = z = None
            sums["recon"] += sequence_nll(model.decode(z, xb), xb).double().sum().item()
            sums["tokens"] += int(token_counts(xb).sum())
            if mu is not None:
                mus.append(mu.float().cpu().numpy())
            if iwae_k > 0:
                sums["logpx"] += text_iwae_log_likelihood(model, xb, iwae_k).double().sum().item()
            if exact and mu is not None:
                sums["exact"] += int(exact_matches(model, xb, mu).sum())
            if progress is not None:
                progress(min(start + batch_size, n), n)
    recon, kl = sums["recon"] / n, sums["kl"] / n
    nll = -sums["logpx"] / n if iwae_k > 0 else None
    return TextEvalResult(
        neg_elbo=recon + kl, recon=recon, kl=kl, nll_iwae=nll,
        active_units=active_units(np.concatenate(mus)) if mus else 0, n=n,
        nats_per_token=(sums["recon"] + sums["kl"]) / sums["tokens"],
        iwae_nats_per_token=None if nll is None else -sums["logpx"] / sums["tokens"],
        exact_recon=(sums["exact"] / n if model.config.conditioned else 0.0) if exact else None)
