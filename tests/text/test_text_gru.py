"""vae_core/text/gru.py: gru_scan gives nn.GRU's outputs, its packed final states, and gradients that flow."""

import torch
from torch.nn.utils.rnn import pack_padded_sequence

from vae_core.text.gru import gru_scan


def test_scan_matches_nn_gru_outputs_and_final_state():
    torch.manual_seed(0)
    gru = torch.nn.GRU(5, 7, batch_first=True)
    x, h0 = torch.randn(3, 11, 5), torch.randn(3, 7)
    want, want_h = gru(x, h0.unsqueeze(0))
    out, h = gru_scan(gru, x, h0)
    assert torch.allclose(out, want, atol=1e-6) and torch.allclose(h, want_h[0], atol=1e-6)


def test_masked_scan_matches_a_packed_bidirectional_gru():
    torch.manual_seed(1)
    gru = torch.nn.GRU(4, 6, batch_first=True, bidirectional=True)
    x, lengths = torch.randn(4, 9, 4), torch.tensor([9, 3, 1, 6])
    mask = torch.arange(9).unsqueeze(0) < lengths.unsqueeze(1)
    x = x.masked_fill(~mask.unsqueeze(2), 100.0)  # padded steps hold garbage that must not leak in
    _, want = gru(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    h0 = torch.zeros(4, 6)
    _, forwards = gru_scan(gru, x, h0, mask, outputs=False)
    out, backwards = gru_scan(gru, x, h0, mask, reverse=True)
    assert torch.allclose(forwards, want[0], atol=1e-6) and torch.allclose(backwards, want[1], atol=1e-6)
    assert out.shape == (4, 9, 6)


def test_scan_gradients_match_nn_gru():
    torch.manual_seed(2)
    gru = torch.nn.GRU(3, 5, batch_first=True)
    x = torch.randn(2, 8, 3)
    gru(x)[0].square().sum().backward()
    want = [p.grad.clone() for p in gru.parameters()]
    gru.zero_grad()
    gru_scan(gru, x, torch.zeros(2, 5))[0].square().sum().backward()
    assert all(torch.allclose(p.grad, w, atol=1e-5) for p, w in zip(gru.parameters(), want, strict=True))
