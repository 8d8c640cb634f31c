"""The codec's file format (vae_core/analysis/codec_file.py): every bad file is one clear CodecError."""

import numpy as np
import pytest
import torch

from vae_core.analysis import codec_file
from vae_core.analysis.codec import CodecError
from vae_core.config import default_model_config
from vae_core.models import VAE

SHA = "ab" * 32


def model(seed=0):
    torch.manual_seed(seed)
    return VAE(default_model_config((1, 8, 8), 4, arch="mlp", hidden=(32,)))


@pytest.fixture(scope="module")
def made():
    x = (np.random.default_rng(0).random((12, 1, 8, 8)) < 0.3).astype(np.float32)
    return x, codec_file.compress(model(), x, "tiny", SHA)


def test_a_file_round_trips_and_its_header_says_what_it_holds(made):
    x, data = made
    header, words = codec_file.unpack(data)
    assert (header.checkpoint, header.weights_sha256, header.count, header.shape) == ("tiny", SHA, 12, (1, 8, 8))
    assert data[:4] == b"LLBB" and len(data) == len(codec_file.pack(header, words))
    assert np.array_equal(codec_file.decompress(model(), data, "tiny", SHA), x)


def test_the_block_size_travels_in_the_header():
    """A file decodes with the blocks it was coded in, whatever the default; a forged block size of 0 is refused."""
    x = (np.random.default_rng(1).random((30, 1, 8, 8)) < 0.3).astype(np.float32)
    data = codec_file.compress(model(), x, "tiny", SHA, max_block=3)
    header, words = codec_file.unpack(data)
    assert header.max_block == 3
    assert np.array_equal(codec_file.decompress(model(), data, "tiny", SHA), x)
    forged = codec_file.pack(codec_file.Header(**{**header.__dict__, "max_block": 0}), words)
    with pytest.raises(CodecError, match="block size is 0"):
        codec_file.unpack(forged)


def test_wrong_magic(made):
    with pytest.raises(CodecError, match="not a Latent Lab codec file"):
        codec_file.unpack(b"PK\x03\x04" + made[1][4:])
    with pytest.raises(CodecError, match="not a Latent Lab codec file"):
        codec_file.unpack(b"")


def test_other_version(made):
    data = bytearray(made[1])
    data[4] = 9
    with pytest.raises(CodecError, match="version 9"):
        codec_file.unpack(bytes(data))


@pytest.mark.parametrize("keep", [3, 5, 20, 60, -1])
def test_truncated(made, keep):
    with pytest.raises(CodecError, match="truncated"):
        codec_file.unpack(made[1][:keep])


def test_over_long(made):
    with pytest.raises(CodecError, match="over-long"):
        codec_file.unpack(made[1] + b"\0")


def test_every_flipped_byte_is_caught(made):
    """One bit flipped anywhere in the file: magic, header, payload or CRC; always a CodecError."""
    data = made[1]
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 0x10
        with pytest.raises(CodecError):
            codec_file.decompress(model(), bytes(flipped), "tiny", SHA)


def test_other_checkpoint_names_the_right_one(made):
    with pytest.raises(CodecError, match="compressed with checkpoint 'tiny'.*not 'other'"):
        codec_file.decompress(model(1), made[1], "other", "cd" * 32)


def test_a_forged_image_count_is_refused_before_allocating(made):
    header, words = codec_file.unpack(made[1])
    forged = codec_file.pack(codec_file.Header(**{**header.__dict__, "count": 2**32 - 1}), words)
    with pytest.raises(CodecError, match="claims 4,294,967,295 images"):
        codec_file.unpack(forged)


def test_never_pickles():
    source = open(codec_file.__file__).read()
    assert "pickle" not in source.replace("No pickle", "")
