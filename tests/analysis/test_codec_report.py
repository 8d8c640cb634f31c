"""The codec as the Compression page runs it (vae_core/analysis/codec_report.py): a real file, checked."""

import numpy as np
import pytest
import torch

from vae_core.analysis import codec_file, codec_report
from vae_core.analysis.codec import CodecError
from vae_core.config import default_model_config
from vae_core.models import VAE

SHA = "cd" * 32


def model(seed=0):
    torch.manual_seed(seed)
    return VAE(default_model_config((1, 8, 8), 4, arch="mlp", hidden=(32,)))


def binary(n, seed=0):
    return (np.random.default_rng(seed).random((n, 1, 8, 8)) < 0.3).astype(np.float32)


def test_a_report_holds_the_real_file_its_exact_round_trip_and_the_baselines():
    x = binary(20)
    report = codec_report.compress_and_check(model(), x, "tiny", SHA)
    assert report.exact and report.decoded.dtype == np.float32 and np.array_equal(report.decoded, x)
    assert (report.images, report.dims) == (20, 20 * 64)
    assert codec_file.unpack(report.data)[0].count == 20  # a file decompress can read, not a size estimate
    first = report.rows[0]
    assert first["format"].startswith("bits-back") and first["bytes"] == len(report.data)
    assert report.bits_per_dim == pytest.approx(first["bits_per_dim"]) == 8 * len(report.data) / (20 * 64)
    assert {r["format"] for r in report.rows} == {"bits-back ANS (this file)", "png", "gzip", "bz2", "lzma"}
    assert report.row("bz2")["bits_per_dim"] > 0 and report.row("nothing") is None
    assert report.neg_elbo_bits_per_dim > 0


def test_grey_images_and_no_images_are_refused_with_a_message():
    x = binary(3)
    x[1, 0, 0, 0] = 0.4
    with pytest.raises(CodecError, match="grey levels"):
        codec_report.compress_and_check(model(), x, "tiny", SHA)
    with pytest.raises(CodecError, match="no images"):
        codec_report.compress_and_check(model(), binary(0), "tiny", SHA)


def test_an_uploaded_file_decodes_back_and_a_bad_one_says_why():
    x = binary(5, seed=3)
    data = codec_file.compress(model(), x, "tiny", SHA)
    back = codec_report.decode_upload(model(), data, "tiny", SHA)
    assert back.dtype == np.float32 and np.array_equal(back, x)
    with pytest.raises(CodecError, match="not a Latent Lab codec file"):
        codec_report.decode_upload(model(), b"\x89PNG\r\n\x1a\n", "tiny", SHA)
    with pytest.raises(CodecError, match="compressed with checkpoint 'tiny'"):
        codec_report.decode_upload(model(), data, "other", "ef" * 32)


def test_an_upload_of_more_images_than_the_page_decodes_is_refused_before_decoding():
    data = codec_file.compress(model(), binary(12, seed=4), "tiny", SHA)
    with pytest.raises(CodecError, match="holds 12 images; the page decodes at most 10"):
        codec_report.decode_upload(model(), data, "tiny", SHA, max_images=10)
