"""MNIST-format (IDX) files: parse, write, load a folder, and an optional download helper.

The download helper is for users who are online; nothing here runs at import and
tests only parse IDX files they write themselves.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from .atomic import write_atomic
from .data import MAX_BYTES, DataError, Dataset, _check_size, _to_float

IDX_FILES = {  # role -> MNIST file name (each may also be .gz)
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
MNIST_MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}


def load_idx(folder: Path) -> Dataset:
    if not folder.is_dir():
        raise DataError(f"{folder}: no such directory (expected an MNIST-format folder)")
    paths = {role: _find_idx(folder, name) for role, name in IDX_FILES.items()}
    arrays = {}
    for role in ("x_train", "x_test"):
        if paths[role] is None:
            raise DataError(f"{folder / IDX_FILES[role]}: missing (plain or .gz)")
        arrays[role] = read_idx(paths[role], ndim=3)
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise DataError(
            f"{paths['x_test']}: images are {arrays['x_test'].shape[1:]} "
            f"but training images are {arrays['x_train'].shape[1:]}"
        )
    # Labels are optional, but only both or neither: a half-labelled set is a mistake.
    have = [role for role in ("y_train", "y_test") if paths[role] is not None]
    if len(have) == 1:
        lacking = "y_test" if have == ["y_train"] else "y_train"
        raise DataError(f"{folder / IDX_FILES[lacking]}: missing, but {paths[have[0]]} exists")
    for role in have:
        images = "x" + role[1:]
        arrays[role] = read_idx(paths[role], ndim=1).astype(np.int64)
        if len(arrays[role]) != len(arrays[images]):
            raise DataError(
                f"{paths[role]}: has {len(arrays[role])} labels "
                f"but {paths[images].name} has {len(arrays[images])} images"
            )
    return Dataset(
        spec="",
        x_train=_to_float(arrays["x_train"][:, None]),
        y_train=arrays.get("y_train"),
        x_test=_to_float(arrays["x_test"][:, None]),
        y_test=arrays.get("y_test"),
    )


def _find_idx(folder: Path, name: str) -> Path | None:
    # Some copies (e.g. on Kaggle) spell 'train-images.idx3-ubyte' with a dot.
    for base in (name, name.replace("-idx", ".idx")):
        for candidate in (folder / base, folder / f"{base}.gz"):
            if candidate.is_file():
                return candidate
    return None


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read an IDX file of unsigned bytes with ndim dimensions (gzip if it ends in .gz)."""
    path = Path(path)
    expected = 0x0800 + ndim  # 0x08 = unsigned byte, then the number of dimensions
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            header = f.read(4)
            magic = int.from_bytes(header, "big")
            if len(header) == 4 and magic != expected:
                raise DataError(
                    f"{path}: bad magic number 0x{magic:08X}, expected 0x{expected:08X} "
                    f"({'images' if ndim == 3 else 'labels'} of unsigned bytes)"
                )
            header += f.read(4 * ndim)
            if len(header) < 4 + 4 * ndim:
                raise DataError(f"{path}: truncated: only {len(header)} bytes, no full IDX header")
            dims = struct.unpack(f">{ndim}I", header[4:])
            count = math.prod(dims)
            # Check before reading, so that an absurd header allocates nothing.
            if ndim == 3:
                _check_size(path, dims[0], 1, dims[1], dims[2])
            elif count > MAX_BYTES // 4:
                raise DataError(f"{path}: header claims {count} entries; that is absurd")
            data = _read_at_most(f, count)
            if len(data) < count:
                raise DataError(
                    f"{path}: truncated: header says shape {dims} ({count} bytes of data) "
                    f"but only {len(data)} bytes follow"
                )
            if f.read(1):
                raise DataError(f"{path}: more data than its header's shape {dims} holds")
    except (OSError, EOFError, zlib.error) as e:  # unreadable, not gzip, corrupt gzip
        raise DataError(f"{path}: cannot read: {e}") from e
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def _read_at_most(f, count: int, chunk: int = 1 << 22) -> bytearray:
    """Up to `count` bytes, read in chunks: a header that claims more than the file holds allocates
    only what is there (f.read(count) would reserve `count` bytes up front)."""
    data = bytearray()
    while len(data) < count and (block := f.read(min(chunk, count - len(data)))):
        data += block
    return data


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 array (images [N x H x W] or labels [N]) as IDX; gzip if path ends in .gz."""
    array = np.asarray(array)
    if array.dtype != np.uint8 or array.ndim == 0:
        raise ValueError(f"write_idx needs a uint8 array with dimensions, got {array.dtype}")
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array).tobytes())


def download_mnist(dest_dir: str | os.PathLike, variant: str = "mnist") -> Path:
    """Download MNIST or Fashion-MNIST (.gz IDX files) into dest_dir; returns the folder.

    For users who are online; load it afterwards with load_dataset(f"idx:{dest_dir}").
    Network failures raise OSError.
    """
    if variant not in MNIST_MIRRORS:
        raise ValueError(f"variant must be one of {sorted(MNIST_MIRRORS)}, got {variant!r}")
    dest = Path(dest_dir).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    for name in IDX_FILES.values():
        target = dest / f"{name}.gz"
        if target.exists():
            continue
        errors = []
        for mirror in MNIST_MIRRORS[variant]:
            try:
                with urllib.request.urlopen(mirror + target.name, timeout=60) as response:
                    data = response.read()
                break
            except OSError as e:
                errors.append(f"{mirror}: {e}")
        else:
            raise OSError(f"could not download {target.name}: " + "; ".join(errors))
        write_atomic(target, data)  # never leave a half file
    load_idx(dest)  # fail now, not later, if a mirror served something broken
    return dest
