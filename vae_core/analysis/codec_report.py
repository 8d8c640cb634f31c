"""The codec on a handful of images, as the Compression page shows it: the real file, decoded again and
compared pixel for pixel, its size next to PNG, gzip, bz2 and lzma of the same images (WebP on request) and to
the model's -ELBO; and a file someone uploads, decoded back to images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .codec import CodecError, check_pixels, neg_elbo_bits, to_unit
from .codec_baselines import baseline_sizes
from .codec_file import compress, decompress, unpack


@dataclass(frozen=True)
class CodecReport:
    """One compression and its check: the file's bytes, the images decoded from them (float32 in [0, 1]), whether they
    equal the originals, and one row per format ({"format", "bytes", "bits_per_dim"}, the codec's file first)."""

    data: bytes
    decoded: np.ndarray
    exact: bool
    images: int
    dims: int
    neg_elbo_bits_per_dim: float
    rows: list[dict]

    @property
    def bits_per_dim(self) -> float:
        """The codec file's size, header and seed words included, in bits per pixel."""
        return 8 * len(self.data) / self.dims

    def row(self, fmt: str) -> dict | None:
        """The row of one format (e.g. "bz2"), or None if it was not measured."""
        return next((r for r in self.rows if r["format"] == fmt), None)


def compress_and_check(model, x: np.ndarray, checkpoint: str, weights_sha256: str, webp: bool = False) -> CodecReport:
    """Compress images x (N, C, H, W) (binary, or 8-bit for a beta-binomial model) into a codec file, decompress
    that file with the same model and compare; CodecError (from the codec) if the model or the images cannot be
    coded. WebP-lossless is measured only when asked: on 100 MNIST images it took 4 s of the 7.6 s (the codec
    under 1 s; bench and CLI measure it)."""
    if len(x) == 0:
        raise CodecError("no images to compress")
    data = compress(model, x, checkpoint, weights_sha256)
    levels = decompress(model, data, checkpoint, weights_sha256)
    dims = int(np.prod(x.shape))
    rows = [{"format": "bits-back ANS (this file)", "bytes": len(data), "bits_per_dim": 8 * len(data) / dims}]
    for name, row in baseline_sizes(x, webp=webp).items():
        if row is not None:
            rows.append({"format": name, "bytes": row["bytes"], "bits_per_dim": row["bits_per_dim"]})
    exact = bool(np.array_equal(levels, check_pixels(model, x)))  # the pixel levels, compared one by one
    return CodecReport(data=data, decoded=to_unit(model, levels), exact=exact, images=len(x),
                       dims=dims, neg_elbo_bits_per_dim=float(neg_elbo_bits(model, x).sum() / dims), rows=rows)


UPLOAD_MAX_IMAGES = 10_000  # a page decodes at ~600 images/s: beyond this, the command line


def decode_upload(model, data: bytes, checkpoint: str, weights_sha256: str,
                  max_images: int = UPLOAD_MAX_IMAGES) -> np.ndarray:
    """An uploaded codec file -> float32 images (N, C, H, W) in [0, 1]; CodecError with the reason when the
    bytes are not a codec file, are damaged, belong to another checkpoint, or hold more than max_images."""
    count = unpack(data)[0].count
    if count > max_images:
        raise CodecError(f"the file holds {count:,} images; the page decodes at most {max_images:,} (python -m "
                         "vae_core decompress has no such limit)")
    return to_unit(model, decompress(model, data, checkpoint, weights_sha256))
