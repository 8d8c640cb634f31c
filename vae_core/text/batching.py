"""Batches of sentences of similar length, so that a training batch pads little.

A batch costs its longest sentence times its size (text.losses.trim cuts the columns that are padding in every
row). pydoc's sentences run from 12 to 250 characters, and in shuffled batches of 64 57% of the positions were
padding. Sorting by length within buckets of a few batches ("sortish" batching) brings that near zero while the
batches stay random: the buckets come from the epoch's shuffled order and the batches are shuffled again. Only
the grouping changes; each sentence's loss is the same in any batch (tests/text/test_text_batching.py).
"""

from __future__ import annotations

import torch

BUCKET_BATCHES = 16  # batches per bucket: enough sentences to sort that lengths match, few enough to stay random


def bucket_order(lengths: torch.Tensor, order: torch.Tensor, batch_size: int, seed: int) -> torch.Tensor:
    """`order` (indices into lengths) regrouped so that each run of batch_size indices holds similar lengths.

    The order is cut into buckets of BUCKET_BATCHES batches, each bucket is sorted by length (ties keep their
    shuffled order), cut into batches, and the full batches are shuffled by a generator seeded with `seed`; a
    last partial batch stays last, so the caller's slices order[b * batch_size:(b + 1) * batch_size] are the
    batches. The same arguments give the same order; the result is a permutation of `order`.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    lengths = lengths.to(order.device)
    span = BUCKET_BATCHES * batch_size
    parts = []
    for start in range(0, len(order), span):
        bucket = order[start:start + span]
        parts.append(bucket[torch.argsort(lengths[bucket], stable=True)])
    grouped = torch.cat(parts) if parts else order
    full = len(grouped) // batch_size
    shuffle = torch.randperm(full, generator=torch.Generator().manual_seed(seed)).to(order.device)
    batches = grouped[: full * batch_size].view(full, batch_size)[shuffle].flatten()
    return torch.cat([batches, grouped[full * batch_size:]])
