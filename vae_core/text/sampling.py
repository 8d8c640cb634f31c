"""Sentences from the prior: z ~ N(0, I), decoded greedily or by drawing each character from the decoder's
softmax at a temperature (what the Generate page shows for a text checkpoint)."""

from __future__ import annotations

import numpy as np
import torch

from .items import DECODE_LEN
from .model import TextVAE


@torch.no_grad()
def prior_sentences(model: TextVAE, n: int, seed: int = 0, temperature: float = 1.0, greedy: bool = False,
                    max_len: int = DECODE_LEN) -> tuple[np.ndarray, np.ndarray]:
    """(z (n, D) float32, sentences (n,) str) for n draws z ~ N(0, I); the same seed gives the same z and, when
    sampling, the same characters. greedy takes the most likely character (temperature is then unused);
    otherwise each character is drawn from softmax(logits / temperature): below 1 safer, above 1 wilder."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not greedy and not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    d = model.config.latent_dim
    z = np.random.default_rng(int(seed)).standard_normal((n, d)).astype(np.float32)
    if n == 0:
        return z, np.zeros(0, dtype=str)
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(int(seed))  # the characters' own stream, apart from z's
    ids = model.generate(torch.as_tensor(z, device=device), max_len=max_len, temperature=float(temperature),
                         greedy=greedy, generator=generator)
    vocab = model.config.vocab
    return z, np.array([vocab.decode(row) for row in ids.cpu().tolist()], dtype=str)
