"""Uploads: images and .npz datasets are checked before anything big is allocated; one clear error."""

import io
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

from vae_core.data import DataError
from vae_core.uploads import (
    MAX_IMAGE_PIXELS,
    UploadError,
    check_npz_upload,
    check_upload_size,
    describe_data,
    load_uploaded_image,
    load_uploaded_npz,
    save_upload,
)


def encode(im: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def npz_bytes(compressed: bool = False, **arrays) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def with_png_size(png: bytes, width: int, height: int) -> bytes:
    """The same PNG with the IHDR claiming another size (CRC fixed, so Pillow believes it)."""
    assert png[12:16] == b"IHDR"
    ihdr = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:8] + png[8:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def peak_mb(fn) -> float:
    """Peak traced allocation (MB) while fn() runs and raises UploadError."""
    tracemalloc.start()
    try:
        with pytest.raises(UploadError):
            fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# --- images --------------------------------------------------------------------------------------


def test_a_grey_png_round_trips_exactly():
    pixels = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    x = load_uploaded_image(encode(Image.fromarray(pixels)), (1, 28, 28))
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x[0], pixels / 255.0, atol=1e-6)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP"])
def test_common_formats_become_the_target_shape_in_range(fmt):
    im = Image.new("RGB", (60, 40), (250, 250, 250))
    im.paste((10, 120, 200), (10, 10, 50, 30))
    for shape in [(1, 28, 28), (3, 32, 32), (1, 8, 8)]:
        x = load_uploaded_image(encode(im, fmt), shape)
        assert x.shape == shape and x.dtype == np.float32
        assert np.isfinite(x).all() and 0.0 <= x.min() and x.max() <= 1.0


def test_aspect_is_kept_by_padding_with_the_border_colour():
    im = Image.new("L", (40, 10), 0)  # a wide white bar on black
    im.paste(255, (0, 3, 40, 7))
    x = load_uploaded_image(encode(im), (1, 8, 8))[0]
    assert (x[:2] == 0).all() and (x[-2:] == 0).all()  # padding above and below, black like the border
    assert x[3:5].mean() > 0.4 and x[2:6].max() < 1  # the 40 x 10 image, scaled to 8 x 2, in rows 3-4
    white_bg = Image.new("L", (10, 40), 255)  # a tall image on white pads with white
    assert (load_uploaded_image(encode(white_bg), (1, 8, 8))[0][:, 0] == 1.0).all()


def test_transparency_is_black_and_colour_follows_the_target_channels():
    im = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (2, 2, 6, 6))
    rgb = load_uploaded_image(encode(im), (3, 8, 8))
    assert rgb[:, 0, 0].tolist() == [0, 0, 0] and rgb[:, 3, 3].tolist() == [1, 0, 0]
    grey = load_uploaded_image(encode(im), (1, 8, 8))
    assert grey[0, 0, 0] == 0 and 0.2 < grey[0, 3, 3] < 0.4  # ITU-R 601 luma of pure red


def test_sixteen_bit_grey_is_scaled_not_clipped():
    ramp = (np.arange(16 * 16).reshape(16, 16) * 200).astype(np.uint16)
    x = load_uploaded_image(encode(Image.fromarray(ramp)), (1, 16, 16))
    assert x.min() == 0 and x.max() == 1 and len(np.unique(x)) > 100


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_real_decompression_bomb_is_refused_without_decoding():
    bomb = encode(Image.new("1", (20000, 20000)))  # 400 million pixels in ~50 kB
    assert len(bomb) < 100_000
    assert peak_mb(lambda: load_uploaded_image(bomb)) < 20
    with pytest.raises(UploadError, match="decompression bomb"):
        load_uploaded_image(bomb)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(10_000, 10_000), (4097, 10), (4096, 4096 + 1), (60_000, 60_000)])
def test_a_header_claiming_too_many_pixels_is_refused_before_decoding(size):
    liar = with_png_size(encode(Image.new("L", (8, 8))), *size)  # tiny file, huge IHDR
    with pytest.raises(UploadError, match="too large|decompression bomb"):
        load_uploaded_image(liar)
    assert peak_mb(lambda: load_uploaded_image(liar)) < 5


def test_a_genuinely_huge_image_is_refused():
    big = encode(Image.new("L", (5000, 5000)))  # 25 million pixels > 16 million
    assert 5000 * 5000 > MAX_IMAGE_PIXELS
    with pytest.raises(UploadError, match="5000x5000 pixels is too large"):
        load_uploaded_image(big)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"hello, this is a text file\n" * 10, "not an image"),
        (b"%PDF-1.4\n" + bytes(200), "not an image"),
        (encode(Image.new("L", (64, 64), 128))[:60], "cannot decode|not a readable"),  # truncated PNG
        (encode(Image.new("RGB", (64, 64)), "JPEG")[:200], "cannot decode|not a readable"),
        (with_png_size(encode(Image.new("L", (8, 8))), 0, 8), "not an image|no pixels"),
    ],
    ids=["zero-bytes", "text", "pdf", "truncated-png", "truncated-jpeg", "zero-width"],
)
def test_bad_image_files_raise_one_clear_error(data, message):
    with pytest.raises(UploadError, match=message) as err:
        load_uploaded_image(data)
    assert "\n" not in str(err.value) and str(err.value).startswith("the uploaded image:")


def test_size_limit_comes_first_and_errors_are_data_errors():
    data = encode(Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)))
    assert len(data) > 1000
    with pytest.raises(UploadError, match="MB allowed"):
        load_uploaded_image(data, max_bytes=1000)
    with pytest.raises(UploadError, match="expected bytes"):
        check_upload_size("not bytes")
    assert issubclass(UploadError, DataError) and issubclass(UploadError, ValueError)
    with pytest.raises(ValueError, match="target_shape"):
        load_uploaded_image(data, (2, 8, 8))


# --- .npz datasets -------------------------------------------------------------------------------


def test_a_good_npz_upload_gives_a_dataset():
    x = np.random.default_rng(0).integers(0, 256, (20, 8, 8), dtype=np.uint8)
    ds = load_uploaded_npz(npz_bytes(x=x, y=np.arange(20) % 3), name="mine.npz")
    assert ds.image_shape == (1, 8, 8) and len(ds.x_train) + len(ds.x_test) == 20
    assert ds.spec == "npz:mine.npz" and ds.x_train.dtype == np.float32


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"just some text\n", "not a readable .npz"),
        (npz_bytes(x=np.empty(6, dtype=object)), "(?i)object"),
        (npz_bytes(x=np.zeros((1, 8, 8), np.uint8)), "only 1 images"),
        (npz_bytes(y=np.arange(6)), "no array 'x'"),
        (npz_bytes(x=np.zeros((6, 8, 8), np.complex64)), "dtype complex64"),
    ],
    ids=["zero-bytes", "text", "object-array", "one-image", "no-x", "complex"],
)
def test_bad_npz_uploads_raise_one_clear_error_naming_the_upload(data, message):
    with pytest.raises(UploadError, match=message) as err:
        load_uploaded_npz(data, name="class.npz")
    text = str(err.value)
    assert "\n" not in text and text.startswith("class.npz") and "latent-lab-upload" not in text


def test_npz_size_limit_is_checked_before_anything_is_written(monkeypatch):
    monkeypatch.setattr("tempfile.TemporaryDirectory", None)  # would fail if reached
    with pytest.raises(UploadError, match="MB allowed"):
        load_uploaded_npz(b"PK" + bytes(2000), max_bytes=1000)


@pytest.fixture(scope="module")
def npz_bomb() -> bytes:
    bomb = npz_bytes(compressed=True, x=np.zeros((70_000, 32, 32), np.uint8))  # 72 million values
    assert len(bomb) < 200_000
    return bomb


def test_an_npz_bomb_is_refused_from_its_header(npz_bomb):
    assert peak_mb(lambda: load_uploaded_npz(npz_bomb)) < 10
    with pytest.raises(UploadError, match="more than the 64,000,000 allowed"):
        load_uploaded_npz(npz_bomb)


def test_the_train_pages_cheap_check_refuses_before_saving_and_passes_the_rest_on(npz_bomb):
    """check_npz_upload (used by the Train page before it saves an upload) checks size and headers only."""
    with pytest.raises(UploadError, match="big.npz: 'x' has shape"):
        check_npz_upload(npz_bomb, name="big.npz")
    with pytest.raises(UploadError, match="empty"):
        check_npz_upload(b"", name="e.npz")
    assert check_npz_upload(b"not a zip at all") == b"not a zip at all"  # load_dataset explains this one
    good = npz_bytes(x=np.zeros((6, 4, 4), np.uint8))
    assert check_npz_upload(good) == good


# --- the server's own limits ---------------------------------------------------------------------


def test_server_limits_uploads_and_keeps_xsrf_protection_on():
    import tomllib
    from pathlib import Path

    from vae_core.uploads import MAX_UPLOAD_BYTES

    repo = Path(__file__).resolve().parents[1]
    server = tomllib.loads((repo / ".streamlit" / "config.toml").read_text()).get("server", {})
    assert server["maxUploadSize"] * 2**20 == MAX_UPLOAD_BYTES  # MB, checked by Streamlit before our code runs
    assert server.get("enableXsrfProtection", True) is True  # Streamlit's default is on: never turned off
    assert server.get("enableCORS", True) is True  # the default: other origins may not call the server
    launcher = (repo / "explorer" / "__main__.py").read_text() + (repo / "Makefile").read_text()
    assert "enableXsrfProtection" not in launcher and "enableCORS" not in launcher


def test_a_saved_upload_is_kept_by_its_content_and_described_by_its_name():
    path = save_upload(b"not an npz")
    assert path == save_upload(b"not an npz") and path.read_bytes() == b"not an npz"
    with pytest.raises(DataError, match="not a readable .npz"):
        describe_data(f"npz:{path}")
    with pytest.raises(DataError, match=r"^mine\.npz: not a readable .npz"):
        describe_data(f"npz:{path}", name="mine.npz")
    assert describe_data("digits") == "1438 train / 359 test images, 1x8x8, 10 classes"


def test_a_text_file_is_described_by_its_sentences_and_characters(tmp_path):
    path = save_upload(b"ab a\nba b\nab\nb a\n", suffix=".txt")
    assert path.suffix == ".txt"
    assert describe_data(f"text:{path}") == "3 train / 1 test sentences, 3 characters"
