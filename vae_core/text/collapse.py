"""Posterior collapse, measured: the numbers and sentences the collapse lesson sets side by side for two text
VAEs (one trained with the remedies, one without).

A collapsed VAE's encoder says the same thing for every sentence (q(z|x) = p(z), KL ~ 0) and its decoder has
learnt to ignore z: it is a plain language model. Three ways to see it, all here:
- the KL per epoch, read from the checkpoint's history (the Trainer records train_kl and test_kl every epoch);
- greedy decodes of draws from the prior: one and the same sentence for every z when z is ignored;
- a sentence decoded from its own mu and from a random z: with collapse nothing changes. Measured as the
  decoder's -log p(x | z) of the sentence itself (with collapse it is the same for mu and for a random z), and shown
  as greedy sentences (with collapse mu's is one sentence whatever the input; the greedy sentence of a random z can
  still differ, as the argmax between nearly equally likely words flips with the smallest change of the logits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .items import decode_greedy, encode_lines
from .losses import sequence_nll, trim
from .model import TextVAE

# Below this many nats of test KL per sentence the latent carries (almost) nothing: the lesson calls it collapse.
# The remedied grammar-16d model keeps ~29 nats; its collapsed twin ends at 0.02.
COLLAPSE_KL = 0.5


@dataclass(frozen=True)
class KLCurve:
    """The KL term per epoch (nats per sentence) of a training history, and the last epoch's active units."""

    epochs: list[int]
    test_kl: list[float]
    train_kl: list[float]
    active_units: int | None  # of the last epoch; None when the history does not record it

    @property
    def final_kl(self) -> float:
        """The last epoch's test KL."""
        return self.test_kl[-1]

    @property
    def collapsed(self) -> bool:
        """True when the last epoch's test KL is below COLLAPSE_KL."""
        return self.final_kl < COLLAPSE_KL


def kl_curve(history: list[dict]) -> KLCurve:
    """The KL per epoch from a checkpoint's history rows (checkpoint.read_info(...).history); ValueError when
    there is no epoch or a row lacks test_kl."""
    if not history:
        raise ValueError("the checkpoint has no training history: train at least one epoch")
    missing = [i + 1 for i, row in enumerate(history) if "test_kl" not in row]
    if missing:
        raise ValueError(f"history rows {missing} have no test_kl: the checkpoint was saved without test numbers")
    last = history[-1].get("active_units")
    return KLCurve(epochs=[int(row.get("epoch", i + 1)) for i, row in enumerate(history)],
                   test_kl=[float(row["test_kl"]) for row in history],
                   train_kl=[float(row.get("train_kl", float("nan"))) for row in history],
                   active_units=None if last is None else int(last))


def prior_draws(latent_dim: int, n: int, seed: int) -> np.ndarray:
    """n draws z ~ N(0, I) (n, latent_dim) float32 from a seeded numpy generator: the same for every model of
    that size, so two models decode the very same z."""
    if n < 1:
        raise ValueError(f"need at least one draw, got {n}")
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def prior_samples(model: TextVAE, n: int = 8, seed: int = 0) -> list[str]:
    """Greedy sentences of n seeded draws from the prior: varied when z matters, one sentence when it does not."""
    return decode_greedy(model, prior_draws(model.config.latent_dim, n, seed)).tolist()


@dataclass(frozen=True)
class Swap:
    """A sentence, its greedy decode from its own mu and from a random z in mu's place, and -log p(sentence | z)
    for both z (nats)."""

    sentence: str
    from_mu: str
    from_random: str
    nll_mu: float
    nll_random: float

    @property
    def unchanged(self) -> bool:
        """True when the random z decodes to the same greedy sentence as mu."""
        return self.from_mu == self.from_random

    @property
    def nll_rise(self) -> float:
        """How much less likely the decoder finds the sentence with the random z (nats; ~0 when z is ignored)."""
        return self.nll_random - self.nll_mu


@torch.no_grad()
def swap_z(model: TextVAE, sentences, seed: int = 0) -> list[Swap]:
    """For each sentence: the reconstruction from mu against a random z ~ N(0, I) (seeded) in its place, as greedy
    sentences and as the decoder's -log p(sentence | z)."""
    sentences = [str(s) for s in sentences]
    if not sentences:
        raise ValueError("give at least one sentence")
    mu, _ = encode_lines(model, sentences)
    z = prior_draws(model.config.latent_dim, len(sentences), seed)
    ids = trim(torch.as_tensor(model.config.vocab.encode_batch(sentences), device=model.out.weight.device))
    nll = [sequence_nll(model.decode(torch.as_tensor(v, device=ids.device), ids), ids).tolist() for v in (mu, z)]
    return [Swap(s, a, b, na, nb) for s, a, b, na, nb in
            zip(sentences, decode_greedy(model, mu).tolist(), decode_greedy(model, z).tolist(), *nll, strict=True)]


def unchanged_share(swaps: list[Swap]) -> float:
    """The share of swaps whose greedy sentence did not change when z was replaced."""
    if not swaps:
        raise ValueError("no swaps to count")
    return sum(s.unchanged for s in swaps) / len(swaps)


def mean_nll_rise(swaps: list[Swap]) -> float:
    """The mean rise of -log p(sentence | z) when mu is replaced by a random z (nats; ~0 with collapse)."""
    if not swaps:
        raise ValueError("no swaps to count")
    return sum(s.nll_rise for s in swaps) / len(swaps)
