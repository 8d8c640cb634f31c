"""Export a VAE decoder as a tiny program for the in-browser decoder (explorer/components).

The program is a JSON-able list of ops plus ONE float32 array holding every weight.
Tensors between ops are flat float32 vectors; a 3-D feature map is stored
channels-last (HWC), so the convolutions read each input pixel's channels
contiguously and the image comes out ready for RGBA drawing. Every layer is
computed as dot products (accumulators stay in registers, nothing is stored
inside the inner loop), with the weights laid out so that loop runs over
contiguous memory:

- linear            W [out x in] (torch's own)        y[o] = b[o] + W[o, :] . x
- conv2d            W [cout/B x k x k x cin x B]      gather, zero padding
- conv_transpose2d  same layout                       gather from s * i - p + tap = o
- reshape           CHW (torch's Unflatten order) -> HWC
- activation        fn: relu | elu(alpha) | leaky_relu(slope) | silu | tanh, in place
- residual          x + body(x)
- sigmoid           the last op: the pixel mean, as VAE.decode_mean

Convolutions compute B = `block` output channels at once (8 when cout allows,
else 1), so each input value loaded feeds B accumulators. Every op carries its
input/output shapes (`in_shape`, `out_shape`, torch's CHW order) so an
interpreter can allocate its buffers once.
"""

from __future__ import annotations

import base64
import hashlib
import json

import numpy as np
import torch
from torch import nn

from .models import ResidualBlock

FORMAT_VERSION = 1
BLOCK = 8  # output channels per conv block: the JS kernel keeps 8 accumulators in registers

_ACTIVATIONS = {nn.ReLU: "relu", nn.ELU: "elu", nn.LeakyReLU: "leaky_relu", nn.SiLU: "silu", nn.Tanh: "tanh"}


class _Packer:
    """Appends arrays to one float32 buffer and hands back their offsets."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, array: torch.Tensor | np.ndarray) -> int:
        flat = np.ascontiguousarray(np.asarray(array, dtype=np.float32)).ravel()
        offset = self.size
        self.parts.append(flat)
        self.size += flat.size
        return offset

    def weights(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, np.float32)


def _bias(module: nn.Module, n: int) -> np.ndarray:
    return np.zeros(n, np.float32) if module.bias is None else module.bias.detach().cpu().numpy()


def _check_conv(module: nn.Conv2d | nn.ConvTranspose2d) -> tuple[int, int, int]:
    """(kernel, stride, padding) of a square, dense, zero-padded conv; anything else is refused."""
    k, s, p = module.kernel_size, module.stride, module.padding
    square = k[0] == k[1] and s[0] == s[1] and isinstance(p, tuple) and p[0] == p[1]
    plain = module.groups == 1 and module.dilation == (1, 1) and module.padding_mode == "zeros"
    if isinstance(module, nn.ConvTranspose2d):
        plain = plain and module.output_padding == (0, 0)
    if not (square and plain):
        raise ValueError(f"unsupported decoder module for browser export: {module!r}")
    return k[0], s[0], p[0]


def _walk(modules, shape: tuple[int, ...], packer: _Packer) -> tuple[list[dict], tuple[int, ...]]:
    """Translate modules applied to a tensor of `shape` (without batch) into ops."""
    ops: list[dict] = []
    for m in modules:
        op: dict = {"in_shape": list(shape)}
        if isinstance(m, nn.Linear):
            if shape != (m.in_features,):
                raise ValueError(f"{m!r} expects {m.in_features} inputs, gets shape {shape}")
            w = m.weight.detach().cpu().numpy()  # [out x in]: each output is a contiguous dot product
            op |= {"op": "linear", "in": m.in_features, "out": m.out_features,
                   "w": packer.add(w), "b": packer.add(_bias(m, m.out_features))}
            shape = (m.out_features,)
        elif type(m) in _ACTIVATIONS:
            op |= {"op": "activation", "fn": _ACTIVATIONS[type(m)]}
            if isinstance(m, nn.ELU):
                op["alpha"] = float(m.alpha)
            if isinstance(m, nn.LeakyReLU):
                op["slope"] = float(m.negative_slope)
        elif isinstance(m, nn.Unflatten):
            target = tuple(int(v) for v in m.unflattened_size)
            if m.dim != 1 or len(shape) != 1 or len(target) != 3 or int(np.prod(target)) != shape[0]:
                raise ValueError(f"unsupported decoder module for browser export: {m!r} on shape {shape}")
            op |= {"op": "reshape", "shape": list(target)}
            shape = target
        elif isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            k, s, p = _check_conv(m)
            if len(shape) != 3 or shape[0] != m.in_channels:
                raise ValueError(f"{m!r} expects {m.in_channels} channels, gets shape {shape}")
            w = m.weight.detach().cpu().numpy()
            if isinstance(m, nn.Conv2d):  # torch [cout, cin, k, k]
                w, name = w.transpose(0, 2, 3, 1), "conv2d"
                size = [(n + 2 * p - k) // s + 1 for n in shape[1:]]
            else:  # torch [cin, cout, k, k]
                w, name = w.transpose(1, 2, 3, 0), "conv_transpose2d"
                size = [(n - 1) * s - 2 * p + k for n in shape[1:]]
            block = BLOCK if m.out_channels % BLOCK == 0 else 1
            w = w.reshape(-1, block, k, k, m.in_channels).transpose(0, 2, 3, 4, 1)  # [cout/B, k, k, cin, B]
            op |= {"op": name, "cin": m.in_channels, "cout": m.out_channels, "k": k, "stride": s,
                   "padding": p, "block": block, "w": packer.add(w),
                   "b": packer.add(_bias(m, m.out_channels))}
            shape = (m.out_channels, *size)
        elif isinstance(m, ResidualBlock):
            body, body_shape = _walk(m.body, shape, packer)
            if body_shape != shape:
                raise ValueError(f"residual body changes shape {shape} -> {body_shape}")
            op |= {"op": "residual", "body": body}
        elif isinstance(m, nn.Sequential):
            inner, shape = _walk(m, shape, packer)
            ops += inner
            continue
        else:
            raise ValueError(f"unsupported decoder module for browser export: {type(m).__name__} ({m!r})")
        op["out_shape"] = list(shape)
        ops.append(op)
    return ops, shape


@torch.no_grad()
def decoder_program(model: nn.Module) -> tuple[list[dict], np.ndarray]:
    """Ops for model.decoder (a VAE, or an nn.Sequential decoder itself) and its packed float32 weights."""
    decoder = getattr(model, "decoder", model)
    first = next((m for m in decoder.modules() if isinstance(m, nn.Linear)), None)
    if first is None:
        raise ValueError("decoder has no nn.Linear to take the latent vector")
    packer = _Packer()
    ops, shape = _walk(decoder, (first.in_features,), packer)
    if len(shape) != 3:
        raise ValueError(f"decoder must end in an image (C, H, W), ends in shape {shape}")
    ops.append({"op": "sigmoid", "in_shape": list(shape), "out_shape": list(shape)})
    return ops, packer.weights()


def program_hash(ops: list[dict], weights: np.ndarray) -> str:
    """sha256 hex of the program and its weights: names the static files the browser caches."""
    h = hashlib.sha256(json.dumps(ops, sort_keys=True, separators=(",", ":")).encode())
    h.update(np.ascontiguousarray(weights, dtype="<f4").tobytes())
    return h.hexdigest()


def export_decoder(model: nn.Module) -> dict:
    """JSON-able payload for the browser: ops, base64 little-endian float32 weights, shapes, hash."""
    ops, weights = decoder_program(model)
    return {
        "format": FORMAT_VERSION,
        "hash": program_hash(ops, weights),
        "latent_dim": ops[0]["in_shape"][0],
        "image_shape": ops[-1]["out_shape"],  # (C, H, W) of the image; the program emits it as HWC
        "ops": ops,
        "weights_b64": base64.b64encode(weights.astype("<f4").tobytes()).decode("ascii"),
    }


__all__ = ["FORMAT_VERSION", "decoder_program", "program_hash", "export_decoder"]
