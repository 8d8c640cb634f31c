"""The exported decoder program, run by a plain numpy interpreter, matches torch's decode_mean."""

import base64
import json

import numpy as np
import pytest
import torch
from torch import nn

from vae_core.config import ModelConfig
from vae_core.export import decoder_program, export_decoder, program_hash
from vae_core.models import VAE


def run_program(ops: list[dict], w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Reference interpreter in float64: z [D] -> flat output (HWC for images), as the JS one."""
    for op in ops:
        kind = op["op"]
        if kind == "linear":
            n, m = op["in"], op["out"]
            x = w[op["b"]:op["b"] + m] + w[op["w"]:op["w"] + n * m].reshape(m, n) @ x
        elif kind == "activation":
            x = activation(op, x)
        elif kind == "reshape":
            x = x.reshape(op["shape"]).transpose(1, 2, 0).ravel()  # CHW -> HWC
        elif kind in ("conv2d", "conv_transpose2d"):
            x = conv(op, w, x)
        elif kind == "residual":
            x = x + run_program(op["body"], w, x)
        elif kind == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        else:
            raise AssertionError(f"unknown op {kind}")
    return x


def activation(op: dict, x: np.ndarray) -> np.ndarray:
    fn = op["fn"]
    if fn == "relu":
        return np.maximum(x, 0)
    if fn == "elu":
        return np.where(x > 0, x, op["alpha"] * np.expm1(np.minimum(x, 0)))
    if fn == "leaky_relu":
        return np.where(x > 0, x, op["slope"] * x)
    if fn == "silu":
        return x / (1 + np.exp(-x))
    assert fn == "tanh", fn
    return np.tanh(x)


def conv(op: dict, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Conv / transposed conv on an HWC map: one matmul per kernel tap, shifted into place."""
    (ci, h, wd), (co, ho, wo) = op["in_shape"], op["out_shape"]
    k, s, p = op["k"], op["stride"], op["padding"]
    blocks = w[op["w"]:op["w"] + k * k * ci * co].reshape(co // op["block"], k, k, ci, op["block"])
    kernel = blocks.transpose(1, 2, 3, 0, 4).reshape(k, k, ci, co)  # [ky, kx, cin, cout]
    x = x.reshape(h, wd, ci)
    if op["op"] == "conv2d":
        xp = np.pad(x, ((p, p), (p, p), (0, 0)))
        taps = [(ky, kx) for ky in range(k) for kx in range(k)]
        out = sum(xp[ky:ky + s * ho:s, kx:kx + s * wo:s] @ kernel[ky, kx] for ky, kx in taps)
    else:  # scatter each input pixel to s*i - p + tap, computed on an output padded by p
        out = np.zeros((ho + 2 * p + k, wo + 2 * p + k, co))
        for ky in range(k):
            for kx in range(k):
                out[ky:ky + s * h:s, kx:kx + s * wd:s] += x @ kernel[ky, kx]
        out = out[p:p + ho, p:p + wo]
    return (out + w[op["b"]:op["b"] + co]).ravel()


def seeded_vae(seed: int = 0, **cfg) -> VAE:
    """A seeded model whose images span (0, 1): freshly initialised conv decoders give ~0.5 everywhere."""
    torch.manual_seed(seed)
    model = VAE(ModelConfig(**cfg)).eval()
    last = [m for m in model.decoder.modules() if isinstance(m, (nn.Linear, nn.Conv2d))][-1]
    z = torch.randn(16, model.config.latent_dim, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():  # centre and stretch the logits (std ~2) so pixels spread over the sigmoid
        last.bias.zero_()
        logits = model.decode(z)
        last.bias.fill_(-logits.mean())
        last.weight *= 2 / logits.std()
        last.bias *= 2 / logits.std()
    return model


def check_parity(model: VAE, n: int = 3) -> None:
    ops, weights = decoder_program(model)
    z = torch.randn(n, model.config.latent_dim, generator=torch.Generator().manual_seed(1)) * 2
    want = model.decode_mean(z).permute(0, 2, 3, 1).reshape(n, -1).numpy()  # HWC, as the program
    got = np.stack([run_program(ops, weights.astype(np.float64), zi) for zi in z.numpy().astype(np.float64)])
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-5
    assert want.std() > 0.1  # the images are not flat, so the comparison means something


SHAPES = [(1, 8, 8), (1, 28, 28), (1, 32, 32), (3, 32, 32), (1, 64, 64)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_program_matches_torch(arch, shape):
    hidden = (64, 32) if arch == "mlp" else (400,)
    check_parity(seeded_vae(input_shape=shape, arch=arch, latent_dim=3, hidden=hidden))


@pytest.mark.parametrize("activation", ["relu", "elu", "leaky_relu", "silu", "tanh"])
def test_every_activation(activation):
    check_parity(seeded_vae(input_shape=(3, 16, 16), arch="conv", activation=activation, channels=(8, 16)))
    check_parity(seeded_vae(input_shape=(1, 8, 8), arch="mlp", activation=activation, hidden=(16, 8)))


def test_general_conv_settings():
    """Stride, padding and kernel sizes other than the models' defaults follow torch too."""
    torch.manual_seed(0)
    dec = nn.Sequential(nn.Linear(4, 2 * 5 * 5), nn.Unflatten(1, (2, 5, 5)),
                        nn.ConvTranspose2d(2, 3, 3, stride=2, padding=0), nn.Tanh(),
                        nn.Conv2d(3, 2, 5, stride=2, padding=2, bias=False))
    ops, weights = decoder_program(dec)
    z = torch.randn(4)
    want = torch.sigmoid(dec(z[None]))[0].permute(1, 2, 0).reshape(-1).detach().numpy()
    got = run_program(ops, weights.astype(np.float64), z.numpy().astype(np.float64))
    assert np.abs(got - want).max() <= 1e-5


@pytest.mark.parametrize("module", [nn.Sigmoid(), nn.Dropout(), nn.Conv2d(2, 2, 3, groups=2, padding=1),
                                    nn.ConvTranspose2d(2, 2, 4, 2, 1, output_padding=1)])
def test_unsupported_module_raises(module):
    dec = nn.Sequential(nn.Linear(2, 2 * 4 * 4), nn.Unflatten(1, (2, 4, 4)), module)
    with pytest.raises(ValueError, match=type(module).__name__):
        decoder_program(dec)


def test_export_payload_round_trips():
    model = seeded_vae(input_shape=(1, 28, 28), arch="conv", latent_dim=2)
    payload = json.loads(json.dumps(export_decoder(model)))
    weights = np.frombuffer(base64.b64decode(payload["weights_b64"]), "<f4")
    ops, want = decoder_program(model)
    assert np.array_equal(weights, want)
    assert payload["hash"] == program_hash(ops, want) and len(payload["hash"]) == 64
    assert payload["latent_dim"] == 2 and payload["image_shape"] == [1, 28, 28]
    assert payload["ops"][-1]["op"] == "sigmoid"


def test_hash_follows_the_weights():
    a, again, b = (seeded_vae(seed, input_shape=(1, 8, 8), arch="mlp") for seed in (0, 0, 1))
    assert export_decoder(a)["hash"] == export_decoder(again)["hash"]
    assert export_decoder(a)["hash"] != export_decoder(b)["hash"]
