"""A GRU pass over a whole sequence with the weights of an `nn.GRU`, in linear time for training on the CPU.

Why not call the `nn.GRU` itself: on the CPU (no cuDNN, and oneDNN fuses only LSTMs) its backward pass takes the
gradient of each time step's slice of the input projection through `slice_backward`, which fills a zero tensor
the size of the whole sequence per step. A backward pass then costs O(T^2) memory writes: 75% of a pydoc
training step (batch 64, 246 characters) went to `aten::fill_` (bench/README.md, "text training speed").
Unbinding the projection into steps keeps the backward pass O(T). The maths is `nn.GRU`'s (gates r, z, n in
that order in the weights), so checkpoints, `generate` (which steps the `nn.GRU` one character at a time) and
the browser export are unchanged; tests/text/test_text_gru.py checks the outputs against `nn.GRU`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def gru_scan(gru: nn.GRU, x: torch.Tensor, h: torch.Tensor, mask: torch.Tensor | None = None,
             reverse: bool = False, outputs: bool = True) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Run one direction of a one-layer, batch-first `nn.GRU` over x [B x T x E] from state h [B x H].

    mask [B x T] (bool) marks real steps: at a False step the state is carried over unchanged, so the final
    state of each row is its state after its last real step, as with a packed sequence (for reverse=True, rows
    start at their last real step, as the reverse direction of a packed GRU does when h starts at zero).
    Returns (outputs [B x T x H] or None when outputs=False, final state [B x H]).
    """
    suffix = "_reverse" if reverse else ""
    w_ih, w_hh = getattr(gru, f"weight_ih_l0{suffix}"), getattr(gru, f"weight_hh_l0{suffix}")
    b_ih, b_hh = getattr(gru, f"bias_ih_l0{suffix}"), getattr(gru, f"bias_hh_l0{suffix}")
    steps = F.linear(x, w_ih, b_ih).unbind(1)  # the input side of every step in one matrix product
    keep = mask.unsqueeze(2).unbind(1) if mask is not None else None
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    out: list[torch.Tensor | None] = [None] * len(steps)
    for t in order:
        i_r, i_z, i_n = steps[t].chunk(3, 1)
        h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        new = n + z * (h - n)  # (1 - z) * n + z * h
        h = new if keep is None else torch.where(keep[t], new, h)
        if outputs:
            out[t] = h
    return (torch.stack(out, 1) if outputs and out else None), h
