"""Files that visitors upload in the app: one image, or an .npz dataset, checked before anything big
is allocated.

Every problem raises UploadError (a DataError, so a ValueError) with one message that says what is
wrong: an empty or oversized file, not an image, an image with too many pixels (a decompression
bomb claims a huge size in a tiny file), an .npz with object arrays. Nothing is ever unpickled.

    x = load_uploaded_image(data, target_shape=(1, 28, 28))   # float32 (1, 28, 28) in [0, 1]
    ds = load_uploaded_npz(data)                              # a Dataset, as load_dataset("npz:...")
    spec = f"npz:{save_upload(check_npz_upload(data))}"      # kept by content hash, to train on
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .atomic import write_atomic
from .data import MAX_SIDE, DataError, Dataset, load_dataset
from .imagefiles import _check_npz_member

MAX_UPLOAD_BYTES = 20 * 2**20  # as server.maxUploadSize = 20 (MB) in .streamlit/config.toml
MAX_IMAGE_SIDE = 4096  # width or height of an uploaded image, in pixels
MAX_IMAGE_PIXELS = 16_000_000  # width x height; checked from the header, before decoding
MAX_NPZ_VALUES = 64_000_000  # per array in an uploaded .npz (MNIST's 70,000 x 28 x 28 is 55 million)
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")  # what Pillow may try; no exotic decoders


class UploadError(DataError):
    """An uploaded file is empty, too big, not what was expected, or malformed; the message says which."""


def check_upload_size(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES, what: str = "the uploaded file") -> bytes:
    """Return `data` if it is non-empty and at most max_bytes long, else raise UploadError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UploadError(f"{what}: expected bytes, got {type(data).__name__}")
    size = len(data)
    if size == 0:
        raise UploadError(f"{what}: the file is empty (0 bytes)")
    if size > max_bytes:
        raise UploadError(f"{what}: {size / 2**20:.1f} MB is more than the {max_bytes / 2**20:.0f} MB allowed")
    return bytes(data)


def load_uploaded_image(data: bytes, target_shape: tuple[int, int, int] = (1, 28, 28),
                        max_bytes: int = MAX_UPLOAD_BYTES, what: str = "the uploaded image") -> np.ndarray:
    """An uploaded PNG/JPEG/GIF/BMP/WebP -> float32 (C, H, W) in [0, 1] for a model's input_shape.

    Grey for C == 1, RGB for C == 3; transparent pixels become black (the datasets here draw light
    strokes on black). The image is scaled to fit H x W keeping its aspect ratio, centred, and the
    rest is filled with the colour of its border.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    c, h, w = (int(v) for v in target_shape)
    if c not in (1, 3) or not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise ValueError(f"target_shape must be (1 or 3, H, W) with H, W in 1..{MAX_SIDE}, got {target_shape}")
    data = check_upload_size(data, max_bytes, what)
    try:  # reads the header only; Pillow may warn (DecompressionBombWarning) before our stricter check
        im = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except Image.DecompressionBombError as exc:
        raise UploadError(f"{what}: refused as a decompression bomb ({exc})") from None
    except UnidentifiedImageError:
        raise UploadError(f"{what}: not an image (expected PNG, JPEG, GIF, BMP or WebP)") from None
    except Exception as exc:  # noqa: BLE001 - Pillow's plugins raise many types for a bad file
        raise UploadError(f"{what}: not a readable image: {_short(exc)}") from None
    with im:
        width, height = im.size
        if width < 1 or height < 1:
            raise UploadError(f"{what}: the image has no pixels ({width}x{height})")
        if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
            raise UploadError(f"{what}: {width}x{height} pixels is too large (at most {MAX_IMAGE_SIDE} per side "
                              f"and {MAX_IMAGE_PIXELS / 1e6:.0f} million pixels)")
        try:
            if im.format == "JPEG":
                im.draft(None, (w, h))  # let the decoder shrink big photos (by 1/2, 1/4, 1/8) as it reads
            pixels = _to_mode(ImageOps.exif_transpose(im), "L" if c == 1 else "RGB")
        except Exception as exc:  # noqa: BLE001 - truncated data, bad chunks, unsupported modes
            raise UploadError(f"{what}: cannot decode the image: {_short(exc)}") from None
    return _fit(pixels, h, w)


def _to_mode(im, mode: str):
    """Decode and convert to L or RGB, with any transparency composited over black."""
    from PIL import Image

    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16/32-bit grey: scale to 8 bits first
        a = np.asarray(im, np.float32)
        lo, span = a.min(), a.max() - a.min()
        grey = np.round(255 * (a - lo) / span) if span > 0 else np.zeros(a.shape)
        im = Image.fromarray(grey.astype(np.uint8))
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        im = Image.alpha_composite(black, rgba)
    return im.convert(mode)


def _fit(im, h: int, w: int) -> np.ndarray:
    """Scale into h x w keeping the aspect ratio, centre, pad with the border colour -> (C, h, w) floats."""
    from PIL import Image

    scale = min(w / im.width, h / im.height)
    size = (max(1, min(w, round(im.width * scale))), max(1, min(h, round(im.height * scale))))
    def pixels(img) -> np.ndarray:  # (h', w', C) floats in [0, 1]
        a = np.asarray(img, np.float32) / 255.0
        return a[..., None] if a.ndim == 2 else a

    small = pixels(im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0))
    full_w, full_h = im.size
    strips = [(0, 0, full_w, 1), (0, full_h - 1, full_w, full_h), (0, 0, 1, full_h), (full_w - 1, 0, full_w, full_h)]
    edge = np.concatenate([pixels(im.crop(box)).reshape(-1, small.shape[2]) for box in strips])
    out = np.empty((h, w, small.shape[2]), np.float32)
    out[:] = np.median(edge, axis=0)
    top, left = (h - size[1]) // 2, (w - size[0]) // 2
    out[top:top + size[1], left:left + size[0]] = small
    return np.ascontiguousarray(np.clip(out, 0.0, 1.0).transpose(2, 0, 1))


def load_uploaded_npz(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES, name: str = "the uploaded .npz",
                      max_values: int = MAX_NPZ_VALUES) -> Dataset:
    """An uploaded .npz (arrays x, optional y, x_test, y_test) -> Dataset, through vae_core.data's checks.

    The size is checked first, then each array's header (at most max_values values), before numpy
    allocates anything; the file is read from a private temp file with allow_pickle=False, so object
    arrays, absurd headers and bad shapes raise UploadError. The Dataset's spec is "npz:NAME" (the
    file is gone): to train on it, save the bytes first (save_upload).
    """
    data = check_npz_upload(data, max_bytes, max_values, name)
    with tempfile.TemporaryDirectory(prefix="latent-lab-upload-") as folder:
        path = Path(folder) / "upload.npz"
        path.write_bytes(data)
        try:
            ds = load_dataset(f"npz:{path}")
        except DataError as exc:
            raise UploadError(str(exc).replace(str(path), name)) from None
    ds.spec = f"npz:{name}"
    return ds


def check_npz_upload(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES, max_values: int = MAX_NPZ_VALUES,
                     name: str = "the uploaded .npz") -> bytes:
    """The cheap checks of an .npz upload, before it is saved or loaded: its size, and each array's
    .npy header (at most max_values values, no more than its zip member holds). Returns the bytes;
    what these checks cannot see (not a zip, object arrays, bad shapes) load_dataset reports."""
    data = check_upload_size(data, max_bytes, name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = {n.removesuffix(".npy") for n in zf.namelist()}
            for array in ("x", "y", "x_test", "y_test"):
                if array in members:
                    _check_npz_member(name, zf, array, max_values)
    except DataError as exc:
        raise UploadError(str(exc)) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError):
        pass  # load_dataset says what is wrong
    return data


def upload_folder() -> Path:
    """Where save_upload keeps uploaded files (a served app reads these besides its data folder)."""
    return Path(tempfile.gettempdir()) / "latent-lab-uploads"


def save_upload(data: bytes, suffix: str = ".npz") -> Path:
    """Keep an uploaded file under the temp folder, named by its content hash, written atomically.

    Same bytes, same path: re-uploads cost nothing and the checkpoint's data spec stays valid for
    as long as the temp folder is kept.
    """
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:24]}{suffix}"
    if not path.exists():
        write_atomic(path, data, mode=0o600)  # private, as the user's upload is
    return path


def describe_data(spec: str, name: str | None = None) -> str:
    """One line about a dataset, e.g. '1438 train / 359 test images, 1x8x8, 10 classes' or '90 train / 10 test
    sentences, 23 characters'; DataError if bad
    (its message says `name`, e.g. the uploaded file's name, instead of the saved file's path)."""
    try:
        ds = load_dataset(spec)
    except DataError as exc:
        path = spec.partition(":")[2]
        raise DataError(str(exc).replace(path, name) if name and path else str(exc)) from None
    if hasattr(ds, "vocab"):  # text: sentences and the characters they use
        return f"{len(ds.lines_train)} train / {len(ds.lines_test)} test sentences, {len(ds.vocab.alphabet)} characters"
    c, h, w = ds.image_shape
    classes = f", {len(np.unique(ds.y_train))} classes" if ds.y_train is not None else ", no labels"
    return f"{len(ds.x_train)} train / {len(ds.x_test)} test images, {c}x{h}x{w}{classes}"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = ["MAX_UPLOAD_BYTES", "MAX_IMAGE_SIDE", "MAX_IMAGE_PIXELS", "MAX_NPZ_VALUES", "UploadError",
           "check_upload_size", "check_npz_upload", "load_uploaded_image", "load_uploaded_npz", "save_upload",
           "upload_folder", "describe_data"]
