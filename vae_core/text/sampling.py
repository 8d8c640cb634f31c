"""Sentences from the prior: z ~ N(0, I), decoded greedily or by drawing each character from the decoder's
softmax at a temperature (what the Generate page shows for a text checkpoint).

A draw from the prior far from the data may never emit EOS; decoded to DECODE_LEN (256) characters it is a wall
of repeats, slow to decode and to read. `length_cap` gives a cap near the corpus' longest sentence instead,
and `prior_sentences(..., ellipsis=True)` ends the sentences that ran into it with an ellipsis."""

from __future__ import annotations

import math

import numpy as np
import torch

from .items import DECODE_LEN, id_sentences
from .model import TextVAE

SLACK = 1.25  # a cap a quarter above the longest sentence: room for a sample a little longer than any seen


@torch.no_grad()
def prior_sentences(model: TextVAE, n: int, seed: int = 0, temperature: float = 1.0, greedy: bool = False,
                    max_len: int = DECODE_LEN, ellipsis: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(z (n, D) float32, sentences (n,) str) for n draws z ~ N(0, I); the same seed gives the same z and, when
    sampling, the same characters. greedy takes the most likely character (temperature is then unused);
    otherwise each character is drawn from softmax(logits / temperature): below 1 safer, above 1 wilder.
    Decoding stops at EOS or after max_len tokens; with `ellipsis`, a sentence stopped before its EOS ends in
    "…"."""
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
    return z, np.array(id_sentences(model, ids, ellipsis), dtype=str)


def length_cap(lines, slack: float = SLACK) -> int:
    """Characters a sentence from the prior may run to: the longest of `lines` (the corpus' sentences) times
    `slack`, rounded up, at least one more than the longest, at most DECODE_LEN."""
    longest = max((len(str(s)) for s in np.asarray(lines).reshape(-1)), default=0)
    if longest == 0:
        raise ValueError("no sentence to take a length cap from: the lines are empty")
    if not slack >= 1:
        raise ValueError(f"slack must be >= 1, got {slack}")
    return min(DECODE_LEN, max(longest + 1, math.ceil(longest * slack)))

