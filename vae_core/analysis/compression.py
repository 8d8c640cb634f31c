"""A VAE as a lossy compressor: the rate term KL(q(z|x) || p(z)) is the code length of z in bits
(bits-back coding, Hinton & van Camp 1993; Townsend et al. 2019), compared with the raw pixels and a
PNG file of the same image; the distortion is what the reconstruction at that rate leaves out.

Images are float32 (N, C, H, W) in [0, 1]; mu, logvar are (N, D); bits and nats are per image.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import torch

from ..images import to_uint8
from ..losses import reconstruction_nll

LN2 = math.log(2)


def rate_bits(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(N(mu, exp(logvar)) || N(0, I)) in bits, summed over dims: (N, D) -> (N,) float64.

    With bits-back coding, sending z at the posterior's precision costs this many bits on average.
    """
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    return 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar).sum(axis=-1) / LN2


def raw_bits(shape: tuple[int, ...]) -> int:
    """Bits of the uncompressed 8-bit pixels of one image of shape (C, H, W)."""
    return int(np.prod(shape)) * 8


def png_bits(image: np.ndarray, headers: bool = True) -> int:
    """Bits of a PNG file (Pillow, optimised) of one image (C, H, W) in [0, 1] as 8-bit pixels: lossless.

    The file holds ~57 bytes of signature and chunk headers whatever the image; `headers=False` counts
    only the compressed pixels (the IDAT chunks' data), which is what matters for tiny images.
    """
    from PIL import Image

    pixels = to_uint8(image)[0]
    buf = io.BytesIO()
    Image.fromarray(pixels, "L" if pixels.ndim == 2 else "RGB").save(buf, format="PNG", optimize=True)
    data = buf.getvalue()
    return len(data) * 8 if headers else _idat_bytes(data) * 8


def _idat_bytes(png: bytes) -> int:
    """Payload bytes of a PNG's IDAT chunks (each chunk: 4-byte length, 4-byte type, data, 4-byte CRC)."""
    pos, total = 8, 0  # after the 8-byte signature
    while pos + 8 <= len(png):
        length, kind = int.from_bytes(png[pos:pos + 4], "big"), png[pos + 4:pos + 8]
        total += length if kind == b"IDAT" else 0
        pos += 12 + length
    return total


@dataclass
class CompressionTable:
    """Per-image code lengths (N,) of a test set: the VAE's rate, the PNG file and its compressed pixels
    alone in bits, the raw size in bits, and the distortion -log p(x | z = mu) in nats of decode(mu)."""

    rate_bits: np.ndarray
    png_bits: np.ndarray
    png_data_bits: np.ndarray
    raw_bits: int
    distortion_nats: np.ndarray

    def row(self, i: int) -> dict:
        """One image's numbers, labelled for a table."""
        return _labelled(self.rate_bits[i], self.png_bits[i], self.png_data_bits[i], self.raw_bits,
                         self.distortion_nats[i])

    def means(self) -> dict:
        """Dataset means, labelled like `row`."""
        return _labelled(self.rate_bits.mean(), self.png_bits.mean(), self.png_data_bits.mean(), self.raw_bits,
                         self.distortion_nats.mean())


def _labelled(rate, png, png_data, raw, distortion) -> dict:
    return {"rate (bits)": float(rate), "PNG file (bits)": float(png), "PNG pixel data (bits)": float(png_data),
            "raw (bits)": int(raw), "raw ÷ rate": raw / max(float(rate), 1e-9), "distortion (nats)": float(distortion)}


@torch.no_grad()
def compression_table(model, x: np.ndarray, batch_size: int = 500) -> CompressionTable:
    """Rate, PNG size and distortion of every image in x (N, C, H, W); deterministic (z = mu, no sampling)."""
    was_training = model.training
    model.eval()
    rates, distortions = [], []
    try:
        for start in range(0, len(x), batch_size):
            xb = torch.as_tensor(np.ascontiguousarray(x[start:start + batch_size], np.float32))
            mu, logvar = model.encode(xb)
            rates.append(rate_bits(mu.numpy(), logvar.numpy()))
            distortions.append(reconstruction_nll(model, model.decode(mu), xb).double().numpy())
    finally:
        model.train(was_training)
    empty = np.zeros(0, np.float64)
    return CompressionTable(rate_bits=np.concatenate(rates) if rates else empty,
                            png_bits=np.array([png_bits(im) for im in x], np.int64),
                            png_data_bits=np.array([png_bits(im, headers=False) for im in x], np.int64),
                            raw_bits=raw_bits(model.config.input_shape),
                            distortion_nats=np.concatenate(distortions) if distortions else empty)


def rate_distortion_points(infos, data: str, input_shape) -> list[dict]:
    """One point per checkpoint trained on `data` at `input_shape`, from its last evaluated epoch:
    beta, mean rate (test KL in bits) and mean distortion (test recon in nats), sorted by beta.

    `infos` are checkpoint.CheckpointInfo objects; checkpoints without test numbers are skipped.
    """
    points = []
    for info in infos:
        if info.train_config.data != data or tuple(info.model_config.input_shape) != tuple(input_shape):
            continue
        last = next((h for h in reversed(info.history) if "test_kl" in h and "test_recon" in h), None)
        if last is None:
            continue
        points.append({"checkpoint": info.name, "beta": float(info.train_config.beta),
                       "latent dim": info.model_config.latent_dim, "rate (bits)": last["test_kl"] / LN2,
                       "distortion (nats)": float(last["test_recon"]), "epochs": info.epochs_done})
    return sorted(points, key=lambda p: (p["beta"], p["checkpoint"]))
