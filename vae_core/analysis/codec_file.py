"""The codec's file: a small header, the ANS words, a CRC32. No pickle, nothing but struct-packed numbers.

Layout (little-endian):

    magic      4 bytes   b"LLBB" (Latent Lab bits-back)
    version    u8        2 (version 1 had no block field: every block one image)
    name_len   u8        then the checkpoint's name, name_len bytes of UTF-8
    sha256     32 bytes  the checkpoint's weights sha256 (checkpoint.CheckpointInfo.weights_sha256)
    count      u32       images
    c, h, w    3 x u16   image shape
    latent     u8        latent_bits: 2**latent bits buckets per latent dimension
    seed       u16       seed words at the bottom of the stack (counted in the payload)
    max_block  u16       the largest block of images coded together (codec.block_sizes)
    words      u32       payload length in 32-bit words
    payload    words x u32
    crc32      u32       of every byte before it

Every problem is one CodecError (a ValueError) whose message says what is wrong with the file.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from .codec import LATENT_BITS, MAX_BLOCK, CodecError, decode, encode

MAGIC, VERSION = b"LLBB", 2
MAX_IMAGES = 1_000_000  # a forged header could otherwise ask decode to allocate for 4 billion images
_HEAD = struct.Struct("<4sBB")  # magic, version, name_len
_REST = struct.Struct("<32sIHHHBHHI")  # sha256, count, c, h, w, latent_bits, seed words, max_block, payload words
_CRC = struct.Struct("<I")


@dataclass(frozen=True)
class Header:
    """What a codec file says about itself."""

    checkpoint: str
    weights_sha256: str
    count: int
    shape: tuple[int, int, int]
    latent_bits: int
    seed_words: int
    max_block: int
    words: int


def pack(header: Header, words: np.ndarray) -> bytes:
    """Header + payload + CRC32 -> the file's bytes."""
    name = header.checkpoint.encode("utf-8")
    if len(name) > 255:
        raise CodecError(f"checkpoint name of {len(name)} bytes; at most 255 fit in the header")
    body = (_HEAD.pack(MAGIC, VERSION, len(name)) + name
            + _REST.pack(bytes.fromhex(header.weights_sha256), header.count, *header.shape, header.latent_bits,
                         header.seed_words, header.max_block, len(words))
            + np.asarray(words, "<u4").tobytes())
    return body + _CRC.pack(zlib.crc32(body))


def unpack(data: bytes) -> tuple[Header, np.ndarray]:
    """The file's bytes -> (header, uint32 words); CodecError for a wrong magic or version, a truncated file, or
    one whose bytes changed (CRC32 mismatch)."""
    data = bytes(data)
    if not data:
        raise CodecError("empty file: not a Latent Lab codec file")
    if len(data) < len(MAGIC) and MAGIC.startswith(data):
        raise CodecError(f"truncated codec file: {len(data)} bytes, shorter than its header")
    if data[:4] != MAGIC:
        raise CodecError("not a Latent Lab codec file (wrong magic bytes)")
    if len(data) < _HEAD.size:
        raise CodecError(f"truncated codec file: {len(data)} bytes, shorter than its header")
    _, version, name_len = _HEAD.unpack_from(data)
    if version != VERSION:
        raise CodecError(f"codec file version {version}; this program reads version {VERSION}")
    fixed = _HEAD.size + name_len + _REST.size
    if len(data) < fixed + _CRC.size:
        raise CodecError(f"truncated codec file: {len(data)} bytes, shorter than its header")
    sha, count, c, h, w, latent_bits, seed, max_block, n_words = _REST.unpack_from(data, _HEAD.size + name_len)
    expected = fixed + 4 * n_words + _CRC.size
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "over-long"
        raise CodecError(f"{what} codec file: {len(data):,} bytes, its header says {expected:,}")
    (crc,) = _CRC.unpack_from(data, expected - _CRC.size)
    if zlib.crc32(data[:expected - _CRC.size]) != crc:
        raise CodecError("corrupt codec file: its CRC32 does not match its bytes")
    try:
        name = data[_HEAD.size:_HEAD.size + name_len].decode("utf-8")
    except UnicodeDecodeError:
        raise CodecError("corrupt codec file: the checkpoint name is not UTF-8") from None
    if count > MAX_IMAGES:
        raise CodecError(f"codec file claims {count:,} images; at most {MAX_IMAGES:,} are read")
    words = np.frombuffer(data, "<u4", n_words, fixed).astype(np.uint32)
    if max_block < 1:
        raise CodecError("corrupt codec file: its block size is 0")
    return Header(name, sha.hex(), count, (c, h, w), latent_bits, seed, max_block, n_words), words


def compress(model, x: np.ndarray, checkpoint: str, weights_sha256: str, latent_bits: int = LATENT_BITS,
             max_block: int = MAX_BLOCK) -> bytes:
    """Binary images x (N, C, H, W) -> a codec file's bytes, naming the checkpoint that must decode it."""
    coded = encode(model, x, latent_bits, max_block)
    header = Header(checkpoint, weights_sha256, len(x), tuple(model.config.input_shape), latent_bits, coded.seed_words,
                    coded.max_block, len(coded.words))
    return pack(header, coded.words)


def decompress(model, data: bytes, checkpoint: str, weights_sha256: str) -> np.ndarray:
    """A codec file's bytes -> uint8 pixel levels (N, C, H, W), 0/1 or 0..255 (codec.to_unit makes images of them);
    CodecError if the file is not one,
    is damaged, or was made with another checkpoint."""
    header, words = unpack(data)
    if header.weights_sha256 != weights_sha256:
        raise CodecError(f"this file was compressed with checkpoint {header.checkpoint!r} (weights sha256 "
                         f"{header.weights_sha256[:12]}...), not {checkpoint!r} ({weights_sha256[:12]}...); "
                         f"decompress it with {header.checkpoint!r}")
    if header.shape != tuple(model.config.input_shape):
        raise CodecError(f"the file holds {header.shape} images, the model codes {tuple(model.config.input_shape)}")
    return decode(model, words, header.count, header.latent_bits, header.max_block)

