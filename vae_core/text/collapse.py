"""Posterior collapse, measured: the numbers and sentences the collapse lesson sets side by side for two text
VAEs (one trained with the remedies, one without).

A collapsed VAE's encoder says the same thing for every sentence (q(z|x) = p(z), KL ~ 0) and its decoder has
learnt to ignore z: it is a plain language model. Three ways to see it, all here:
- the KL per epoch, read from the checkpoint's history (the Trainer records train_kl and test_kl every epoch);
- greedy decodes of draws from the prior: one and the same sentence for every z when z is ignored;
- a sentence decoded from its own mu and from a random z: with collapse nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .items import decode_greedy, encode_lines
from .model import TextVAE

# Below this many nats of test KL per sentence the latent carries (almost) nothing: the lesson calls it collapse.
# The remedied grammar-16d model keeps ~10 nats; a collapsed one ends near 0.
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
    """A sentence, its greedy decode from its own mu, and the greedy decode of a random z in mu's place."""

    sentence: str
    from_mu: str
    from_random: str

    @property
    def unchanged(self) -> bool:
        """True when the random z decodes to the same sentence as mu: the decoder ignored z."""
        return self.from_mu == self.from_random


@torch.no_grad()
def swap_z(model: TextVAE, sentences, seed: int = 0) -> list[Swap]:
    """For each sentence: the reconstruction from mu against the decode of a random z ~ N(0, I) (seeded)."""
    sentences = [str(s) for s in sentences]
    if not sentences:
        raise ValueError("give at least one sentence")
    mu, _ = encode_lines(model, sentences)
    from_mu = decode_greedy(model, mu).tolist()
    from_random = decode_greedy(model, prior_draws(model.config.latent_dim, len(sentences), seed)).tolist()
    return [Swap(s, a, b) for s, a, b in zip(sentences, from_mu, from_random, strict=True)]


def unchanged_share(swaps: list[Swap]) -> float:
    """The share of swaps whose sentence did not change when z was replaced (1.0: z is ignored)."""
    if not swaps:
        raise ValueError("no swaps to count")
    return sum(s.unchanged for s in swaps) / len(swaps)
