"""A VAE as a lossy compressor: the rate term KL(q(z|x) || p(z)) is the code length of z in bits
(bits-back coding, Hinton & van Camp 1993; Townsend et al. 2019), compared with the raw pixels and a
PNG file of the same image; the distortion is what the reconstruction at that rate leaves out.

Images are float32 (N, C, H, W) in [0, 1]; mu, logvar are (N, D); bits and nats are per image.
"""

from __future__ import annotations

import dataclasses
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..array_cache import cache_file, load_or_compute
from ..images import to_uint8
from ..losses import reconstruction_nll

LN2 = math.log(2)
TABLE_CACHE_VERSION = 1  # bump when the table's numbers change, so older cache files are recomputed


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
    file_bits, data_bits = png_sizes(np.asarray(image)[None])
    return int(file_bits[0] if headers else data_bits[0])


def png_sizes(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(file bits, IDAT data bits) int64 (N,) of images (N, C, H, W), each encoded once as png_bits encodes it:
    one PNG per image gives both sizes (encoding twice was 1.9 of the 2.3 s of MNIST's test set table)."""
    from PIL import Image

    pixels = to_uint8(images)
    mode = "L" if pixels.ndim == 3 else "RGB"
    file_bits, data_bits = np.zeros(len(pixels), np.int64), np.zeros(len(pixels), np.int64)
    for i, image in enumerate(pixels):
        buf = io.BytesIO()
        Image.fromarray(image, mode).save(buf, format="PNG", optimize=True)
        data = buf.getvalue()
        file_bits[i], data_bits[i] = len(data) * 8, _idat_bytes(data) * 8
    return file_bits, data_bits


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
def compression_table(model, x: np.ndarray, batch_size: int = 500,
                      encoded: tuple[np.ndarray, np.ndarray] | None = None) -> CompressionTable:
    """Rate, PNG size and distortion of every image in x (N, C, H, W); deterministic (z = mu, no sampling).
    `encoded` (mu, logvar) of x, where the caller has them (the app's map), saves the encoder's pass."""
    was_training = model.training
    model.eval()
    rates, distortions = [], []
    try:
        for start in range(0, len(x), batch_size):
            xb = torch.as_tensor(np.ascontiguousarray(x[start:start + batch_size], np.float32))
            if encoded is None:
                mu, logvar = (t.numpy() for t in model.encode(xb))
            else:
                mu, logvar = (np.asarray(a[start:start + batch_size], np.float32) for a in encoded)
            rates.append(rate_bits(mu, logvar))
            distortions.append(reconstruction_nll(model, model.decode(torch.as_tensor(mu)), xb).double().numpy())
    finally:
        model.train(was_training)
    empty = np.zeros(0, np.float64)
    file_bits, data_bits = png_sizes(x)
    return CompressionTable(rate_bits=np.concatenate(rates) if rates else empty, png_bits=file_bits,
                            png_data_bits=data_bits, raw_bits=raw_bits(model.config.input_shape),
                            distortion_nats=np.concatenate(distortions) if distortions else empty)


def cached_table(model, x: np.ndarray, encoded: tuple[np.ndarray, np.ndarray] | None = None,
                 cache_dir: Path | None = None) -> CompressionTable:
    """compression_table, kept in `cache_dir` (checkpoint.cache_dir, keyed by the weights) in a file named by a
    hash of x, so a later server reads it back: MNIST's 10,000 test images took 2.3 s of a first visit to the
    Compression page (Intel Xeon, 2 cores)."""
    from ..modality import items_digest

    fields = tuple(f.name for f in dataclasses.fields(CompressionTable) if f.name != "raw_bits")  # the (N,) arrays

    def compute() -> dict[str, np.ndarray]:
        table = compression_table(model, x, encoded=encoded)
        return {name: getattr(table, name) for name in fields}

    path = None if cache_dir is None else cache_file(cache_dir, "compression", "",
                                                     items_digest(x, str(TABLE_CACHE_VERSION)))
    arrays = load_or_compute(path, compute,
                             valid=lambda a: all(a.get(n, np.zeros(0)).shape == (len(x),) for n in fields))
    return CompressionTable(raw_bits=raw_bits(model.config.input_shape), **{n: arrays[n] for n in fields})


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


def curves_by_latent_dim(points: list[dict]) -> dict[int, list[dict]]:
    """rate_distortion_points split into one curve per latent size, each sorted by beta, smallest size first: a
    line through beta only compares models that differ in beta alone (a z=2 and a z=16 model at the same beta are
    two curves' points, not one curve's)."""
    curves: dict[int, list[dict]] = {}
    for p in sorted(points, key=lambda p: (p["latent dim"], p["beta"], p["checkpoint"])):
        curves.setdefault(int(p["latent dim"]), []).append(p)
    return curves
