"""User image files behind the specs npz:FILE and folder:DIR (split from data.py, which dispatches to them).

Both read the user's file or folder afresh on each call and refuse anything malformed with one DataError
that names the file and what is wrong, before allocating what a header claims.
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .data import MAX_BYTES, MAX_IMAGE_FILE, MAX_SIDE, DataError, Dataset, _check_size, _split, _to_float

# --- npz:FILE ----------------------------------------------------------------


NPZ_RATIO = {zipfile.ZIP_STORED: 1, zipfile.ZIP_DEFLATED: 1100}  # deflate expands at most ~1032x


def load_npz(path: Path) -> Dataset:
    """npz:FILE: arrays x (and optionally y, x_test, y_test), read without pickle; DataError if malformed."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    errors = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, MemoryError, NotImplementedError)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic == b"\x93NUM":  # checked here: np.load would allocate whatever a lone .npy's header says
            raise DataError(f"{path}: is a single .npy array; expected an .npz with an array 'x'")
        if magic not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise DataError(f"{path}: not a readable .npz file (not a zip archive, as np.savez writes)")
        npz = np.load(path, allow_pickle=False)  # never unpickle
    except DataError:
        raise
    except errors as e:
        raise DataError(f"{path}: not a readable .npz file ({e})") from e
    arrays = {}
    with npz:
        names = sorted(npz.files)
        for name in ("x", "y", "x_test", "y_test"):
            try:
                if name in names:
                    _check_npz_member(path, npz.zip, name)
                    arrays[name] = npz[name]
            except DataError:
                raise
            except errors as e:
                # numpy says why, e.g. "Object arrays cannot be loaded when allow_pickle=False"
                raise DataError(f"{path}: cannot load array '{name}': {e}") from e
    if "x" not in arrays:
        raise DataError(f"{path}: no array 'x' (found {names or 'none'})")
    if ("y" in arrays) != ("y_test" in arrays) and "x_test" in arrays:
        raise DataError(f"{path}: has only one of 'y' and 'y_test'; give both or neither")
    if "y_test" in arrays and "x_test" not in arrays:
        raise DataError(f"{path}: has 'y_test' but no 'x_test'")
    x = _npz_images(path, "x", arrays["x"])
    y = _npz_labels(path, "y", arrays.get("y"), len(x))
    if "x_test" not in arrays:
        return _split(str(path), x, y, None)
    x_test = _npz_images(path, "x_test", arrays["x_test"])
    if x_test.shape[1:] != x.shape[1:]:
        raise DataError(f"{path}: 'x_test' images are {x_test.shape[1:]} but 'x' are {x.shape[1:]}")
    y_test = _npz_labels(path, "y_test", arrays.get("y_test"), len(x_test))
    return Dataset("", x, y, x_test, y_test)


def _check_npz_member(path: Path | str, zf: zipfile.ZipFile, name: str, max_values: int = MAX_BYTES // 4) -> None:
    """Refuse a member whose .npy header claims more than the member can hold, or more than
    max_values values (MAX_BYTES as float32), before numpy allocates the array the header describes."""
    member = name if name in zf.namelist() else f"{name}.npy"  # the order NpzFile looks them up
    info = zf.getinfo(member)
    if info.flag_bits & 0x1:
        raise DataError(f"{path}: '{name}' is encrypted")
    if info.compress_type not in NPZ_RATIO:
        raise DataError(f"{path}: '{name}' uses zip compression {info.compress_type}; np.savez writes "
                        "stored or deflated members")
    with zf.open(member) as f:
        if f.read(6) != b"\x93NUMPY":
            raise DataError(f"{path}: '{name}' is not a .npy array")
        version = tuple(f.read(2))
        readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in readers:
            raise DataError(f"{path}: '{name}' has .npy format version {version}; expected 1.0 or 2.0")
        shape, _, dtype = readers[version](f)
    if dtype.hasobject:
        raise DataError(f"{path}: cannot load array '{name}': it holds Python objects (dtype {dtype}), which "
                        "would need unpickling (Object arrays cannot be loaded when allow_pickle=False)")
    if any(d < 0 for d in shape):
        raise DataError(f"{path}: '{name}' claims a negative shape {shape}")
    values = math.prod(shape)
    if values > max_values:
        raise DataError(f"{path}: '{name}' has shape {shape}: {values:,} values, more than the {max_values:,} "
                        "allowed")
    room = min(info.file_size, info.compress_size * NPZ_RATIO[info.compress_type])
    if values * dtype.itemsize > room:
        raise DataError(f"{path}: '{name}' claims shape {shape} of {dtype} ({values * dtype.itemsize:,} bytes), "
                        f"but its zip member holds at most {room:,} bytes")


def _npz_images(path: Path, name: str, x: np.ndarray) -> np.ndarray:
    """Check an npz image array and return it as float32 [N x C x H x W]."""
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise DataError(
            f"{path}: '{name}' has shape {x.shape}; expected (N, H, W) or (N, H, W, C), C 1 or 3"
        )
    _check_size(path, x.shape[0], x.shape[3], x.shape[1], x.shape[2])
    x = x.transpose(0, 3, 1, 2)
    if x.dtype in (np.uint8, np.bool_):
        return _to_float(x)
    if x.dtype.kind != "f":
        raise DataError(f"{path}: '{name}' has dtype {x.dtype}; use uint8 or floats in [0, 1]")
    if not np.isfinite(x).all():
        raise DataError(f"{path}: '{name}' contains NaN or infinite values")
    if x.min() < 0 or x.max() > 1:
        raise DataError(
            f"{path}: '{name}' floats must lie in [0, 1] (found {x.min():g} to {x.max():g})"
        )
    return np.ascontiguousarray(x, dtype=np.float32)


def _npz_labels(path: Path, name: str, y: np.ndarray | None, n: int) -> np.ndarray | None:
    if y is None:
        return None
    if y.dtype.kind not in "iu" or y.shape != (n,):
        raise DataError(f"{path}: '{name}' must be {n} integer labels, got {y.dtype} {y.shape}")
    if n and y.min() < 0:
        raise DataError(f"{path}: '{name}' has negative labels")
    return y.astype(np.int64)


# --- folder:DIR (one subfolder per class) ------------------------------------


def load_folder(folder: Path) -> Dataset:
    """folder:DIR: one subfolder of same-sized images per class, read from memory; DataError if malformed."""
    from PIL import Image  # only folder datasets need Pillow

    if not folder.is_dir():
        raise DataError(f"{folder}: no such directory (expected one subfolder per class)")
    try:
        classes = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        files = [
            sorted(f for f in c.iterdir() if f.is_file() and not f.name.startswith("."))
            for c in classes
        ]
    except OSError as e:
        raise DataError(f"{folder}: cannot list: {e.strerror or e}") from e
    if not classes:
        raise DataError(f"{folder}: no class subfolders (expected one subfolder per class)")
    for c, fs in zip(classes, files, strict=True):
        if not fs:
            raise DataError(f"{c}: class folder has no images")
    images, labels, size = [], [], None
    for label, fs in enumerate(files):
        for f in fs:
            try:
                if f.stat().st_size > MAX_IMAGE_FILE:
                    raise DataError(f"{f}: {f.stat().st_size:,} bytes is too big for an image of at most "
                                    f"{MAX_SIDE}x{MAX_SIDE}")
                # From memory: reading a file, Pillow allocates whatever a chunk header claims (2 GB for 43 bytes).
                with Image.open(io.BytesIO(f.read_bytes())) as im:
                    if size is None:  # the first image fixes the size for all
                        size, first = im.size, f
                        _check_size(f, sum(map(len, files)), 3, size[1], size[0])
                    if im.size != size:
                        raise DataError(
                            f"{f}: is {im.size[0]}x{im.size[1]} but {first} is "
                            f"{size[0]}x{size[1]}; all images must have the same size"
                        )
                    images.append(np.asarray(im.convert("RGB")))
            except DataError:
                raise
            except Exception as e:  # Pillow's plugins raise many types for a bad file
                raise DataError(f"{f}: not a readable image ({e})") from e
            labels.append(label)
    x = np.stack(images).transpose(0, 3, 1, 2)
    if (x[:, 0] == x[:, 1]).all() and (x[:, 1] == x[:, 2]).all():
        x = x[:, :1]  # every image is grey: keep one channel
    names = [c.name for c in classes]
    return _split(str(folder), _to_float(x), np.array(labels, np.int64), names)
