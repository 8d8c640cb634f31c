"""Export a text VAE's decoder for greedy decoding in the browser (explorer/components/text_decoder.js).

The payload mirrors the image decoders' (vae_core/export.py): JSON metadata and ONE float32 array of weights,
named by a hash of both. The layout is chosen so one decoding step is a handful of contiguous dot products:

- `h0`      z_to_h  W [H x D], b [H]                      h = tanh(W z + b)
- `table`   [V x 3H] = embed @ W_ih[:, :E]^T + b_ih       a token's input gates, looked up, not multiplied
- `wz`      W_ih[:, E:] [3H x D]                          z's input gates, computed once per z
- `whh`     W_hh [3H x H], `bhh` [3H]                     the recurrent gates, torch's order r, z, n
- `out`     W [V x H], `bout` [V]                         the logits; greedy takes the argmax (first on ties)

`greedy_decode` is the float64 numpy reference of that program: tests/text/test_export.py holds it to torch's
`TextVAE.generate(greedy=True)`, and tests/e2e/test_text_decoder_parity.py holds the JS to torch.
"""

from __future__ import annotations

import base64

import numpy as np
import torch

from ..export import program_hash
from .model import TextVAE
from .vocab import BOS, EOS, SPECIALS, UNK

FORMAT_VERSION = 1
# Tokens (characters, EOS included) the browser decodes per z at most: the grammar corpus' longest sentence, 58
# characters, fits; a longer decode (pydoc's sentences reach 250) is cut there. Issue 14's speed target counts 32.
MAX_TOKENS = 64


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64)


@torch.no_grad()
def text_decoder_program(model: TextVAE) -> tuple[dict, np.ndarray]:
    """(layout: sizes and offsets into the weights, float32 weights) of a conditioned TextVAE's decoder."""
    cfg = model.config
    if not cfg.conditioned:
        raise ValueError("a language model without z (conditioned=False) has nothing for the sliders to move")
    e, h = cfg.embed_dim, cfg.hidden
    w_ih = _np(model.decoder.weight_ih_l0)
    arrays = {
        "h0_w": _np(model.z_to_h.weight), "h0_b": _np(model.z_to_h.bias),
        "table": _np(model.embed.weight) @ w_ih[:, :e].T + _np(model.decoder.bias_ih_l0),
        "wz": w_ih[:, e:], "whh": _np(model.decoder.weight_hh_l0), "bhh": _np(model.decoder.bias_hh_l0),
        "out_w": _np(model.out.weight), "out_b": _np(model.out.bias),
    }
    offsets, parts, size = {}, [], 0
    for name, a in arrays.items():
        flat = np.ascontiguousarray(a, dtype=np.float32).ravel()
        offsets[name], size = size, size + flat.size
        parts.append(flat)
    layout = {"latent_dim": cfg.latent_dim, "hidden": h, "vocab_size": cfg.vocab.size, "offsets": offsets}
    return layout, np.concatenate(parts)


def export_text_decoder(model: TextVAE, max_tokens: int = MAX_TOKENS) -> dict:
    """JSON-able payload for the browser: kind "text", layout, vocabulary, base64 little-endian float32 weights."""
    layout, weights = text_decoder_program(model)
    tokens = {"alphabet": model.config.alphabet, "specials": len(SPECIALS), "bos": BOS, "eos": EOS, "unk": UNK,
              "max_tokens": int(max_tokens)}
    meta = {"kind": "text", "format": FORMAT_VERSION, **layout, **tokens}
    return {**meta, "hash": program_hash([meta], weights),
            "weights_b64": base64.b64encode(weights.astype("<f4").tobytes()).decode("ascii")}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def greedy_decode(layout: dict, weights: np.ndarray, z: np.ndarray, max_tokens: int = MAX_TOKENS) -> list[int]:
    """The program run in float64: the greedy token ids for one z (D,), EOS included if reached."""
    h_, d, v = layout["hidden"], layout["latent_dim"], layout["vocab_size"]
    w = np.asarray(weights, np.float64)
    shapes = {"h0_w": (h_, d), "h0_b": (h_,), "table": (v, 3 * h_), "wz": (3 * h_, d), "whh": (3 * h_, h_),
              "bhh": (3 * h_,), "out_w": (v, h_), "out_b": (v,)}
    p = {k: w[layout["offsets"][k]: layout["offsets"][k] + int(np.prod(s))].reshape(s) for k, s in shapes.items()}
    z = np.asarray(z, np.float64)
    h = np.tanh(p["h0_w"] @ z + p["h0_b"])
    gz = p["wz"] @ z
    token, out = BOS, []
    for _ in range(max_tokens):
        gi, gh = p["table"][token] + gz, p["whh"] @ h + p["bhh"]
        r = _sigmoid(gi[:h_] + gh[:h_])
        u = _sigmoid(gi[h_:2 * h_] + gh[h_:2 * h_])
        n = np.tanh(gi[2 * h_:] + r * gh[2 * h_:])
        h = (1 - u) * n + u * h
        token = int(np.argmax(p["out_w"] @ h + p["out_b"]))
        out.append(token)
        if token == EOS:
            break
    return out


__all__ = ["FORMAT_VERSION", "MAX_TOKENS", "text_decoder_program", "export_text_decoder", "greedy_decode"]
