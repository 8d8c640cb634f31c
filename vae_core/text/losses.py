"""Text ELBO terms in the project's convention: nats per sentence, summed over its tokens (characters and EOS);
-ELBO = recon + KL. A padded position is ignored by the loss (cross-entropy's ignore_index), so padding never
changes it; nats per token divide by the number of real tokens.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..losses import ELBOTerms, importance_weighted, kl_for_loss, kl_per_dim
from .model import TextVAE
from .vocab import PAD


def trim(x: torch.Tensor) -> torch.Tensor:
    """Drop the columns that are padding in every row: the batch then costs only its longest sentence."""
    n = int((x != PAD).sum(1).max()) if len(x) else 0
    return x[:, : max(n, 1)]


def token_counts(x: torch.Tensor) -> torch.Tensor:
    """Real tokens per sentence (characters + EOS) of padded ids [B x T] -> [B]."""
    return (x != PAD).sum(1)


def sequence_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x | z), summed over each sentence's real tokens -> [B]; logits [B x T x V], targets x [B x T]."""
    return F.cross_entropy(logits.transpose(1, 2).float(), x, ignore_index=PAD, reduction="none").sum(1)


def text_elbo_terms(model: TextVAE, x: torch.Tensor, beta: float = 1.0, free_bits: float = 0.0,
                    word_dropout: float = 0.0) -> ELBOTerms:
    """One stochastic ELBO estimate per sentence and the training loss: mean of recon + beta * KL (free bits
    floor the KL the optimiser sees; word dropout blanks decoder inputs). recon and kl are the true terms."""
    x = trim(x)
    out = model(x, word_dropout=word_dropout if model.training else 0.0)
    recon = sequence_nll(out.logits, x)
    kl_dims = kl_per_dim(out.mu, out.logvar)
    return ELBOTerms(loss=(recon + beta * kl_for_loss(kl_dims, free_bits)).mean(), recon=recon, kl=kl_dims.sum(1))


@torch.no_grad()
def text_iwae_log_likelihood(model: TextVAE, x: torch.Tensor, k: int, chunk: int = 50) -> torch.Tensor:
    """Importance-weighted estimate of log p(x) with k samples per sentence -> [B] (Burda et al. 2016).

    A language model (no z) has the exact log p(x), whatever k.
    """
    x = trim(x)
    if not model.config.conditioned:
        return -sequence_nll(model.decode(None, x), x)
    mu, logvar = model.encode(x)

    def log_px_given_z(z: torch.Tensor, n: int) -> torch.Tensor:
        xs = x.unsqueeze(0).expand(n, *x.shape).flatten(0, 1)
        return -sequence_nll(model.decode(z, xs), xs)

    return importance_weighted(mu, logvar, k, chunk, log_px_given_z)
