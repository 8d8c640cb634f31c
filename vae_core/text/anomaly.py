"""Anomaly detection on sentences: score each by -ELBO (or the IWAE bound) in nats per sentence, and make
outside sets that need no download (the text twin of analysis/anomaly.py's ood_sets).

Characters the model never saw read as unk, which the decoder rarely predicts: such sentences score high, as
they should.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data import load_dataset, parse_spec
from ..losses import kl_divergence
from ..metrics import elbo_noise, seeded_eval
from .losses import sequence_nll, text_iwae_log_likelihood, trim
from .model import TextVAE

OOD_SIZE = 500  # sentences per outside set, as many as images per set for image models


@torch.no_grad()
def score_sentences(model: TextVAE, lines, iwae_k: int = 0, batch_size: int = 64, seed: int = 0,
                    encoded: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Per-sentence scores (N,) float64 in nats: -ELBO with one seeded z each (the noise of
    text.metrics.evaluate_text, so their mean is its neg_elbo), or with iwae_k > 0 the IWAE estimate of -log p(x).
    `encoded`, the sentences' (mu, logvar) already at hand (modality.encode_items), spares the -ELBO the encoder:
    two of the three GRU passes. The global RNG and the model's train/eval mode are left as they were."""
    lines = [str(s) for s in lines]
    if not lines:
        return np.zeros(0, np.float64)
    vocab = model.config.vocab
    eps = elbo_noise(len(lines), model.config.latent_dim, seed)
    if iwae_k > 0:
        batch_size = max(1, min(batch_size, 2000 // min(iwae_k, 50)))
    # Batches of similar length: a batch costs its longest sentence (trim), and a sentence's score does not depend
    # on its batch. Each keeps its own noise row, so the order changes nothing but the time.
    order = np.argsort([len(s) for s in lines], kind="stable")
    out = np.empty(len(lines), np.float64)
    with seeded_eval(model, next(model.parameters()).device, seed) as dev:
        for start in range(0, len(lines), batch_size):
            idx = order[start:start + batch_size]
            x = trim(torch.as_tensor(vocab.encode_batch([lines[i] for i in idx]), device=dev))
            if iwae_k > 0:
                out[idx] = (-text_iwae_log_likelihood(model, x, iwae_k)).double().cpu().numpy()
                continue
            if encoded is None:
                mu, logvar = model.encode(x)
            else:
                mu, logvar = (torch.as_tensor(a[idx], device=dev) for a in encoded)
            z = mu + torch.exp(0.5 * logvar) * eps[torch.as_tensor(idx)].to(dev)
            out[idx] = (sequence_nll(model.decode(z, x), x).double() + kl_divergence(mu, logvar).double()).cpu().numpy()
    return out


def shuffled_words(lines, rng: np.random.Generator) -> list[str]:
    """Each sentence with its words in a random order (a different one where it has two distinct words): the
    same characters and words, not the grammar."""
    out = []
    for line in lines:
        words = str(line).split(" ")
        if len(set(words)) < 2:
            out.append(str(line))
            continue
        order = rng.permutation(len(words))
        while [words[i] for i in order] == words:
            order = rng.permutation(len(words))
        out.append(" ".join(words[i] for i in order))
    return out


def random_characters(lines, alphabet: str, rng: np.random.Generator) -> list[str]:
    """For each sentence one of the same length, its characters drawn uniformly from the model's alphabet."""
    chars = np.array(list(alphabet))
    return ["".join(rng.choice(chars, len(str(line)))) for line in lines]


def ood_sentences(spec: str, lines, alphabet: str, seed: int = 0, n: int = OOD_SIZE) -> dict[str, np.ndarray]:
    """Outside sets for a text model trained on `spec`, each (n,) str, deterministic in the seed, made from `lines`
    (its test sentences) and the bundled corpora: "shuffled words", the other bundled corpus ("pydoc" for a model
    of grammar, else "grammar"), and "random characters" of the model's alphabet."""
    if not lines:
        raise ValueError("need at least one test sentence to build outside sets from")
    rng = np.random.default_rng(seed)
    own = [str(lines[i]) for i in rng.choice(len(lines), n, replace=len(lines) < n)]
    other = "pydoc" if parse_spec(spec)[0] == "grammar" else "grammar"
    pool = load_dataset(other).lines_test
    sets = {"shuffled words": shuffled_words(own, rng),
            other: [pool[i] for i in rng.choice(len(pool), n, replace=len(pool) < n)],
            "random characters": random_characters(own, alphabet, rng)}
    return {name: np.array(v, dtype=str) for name, v in sets.items()}
