"""Datasets behind one spec string: digits, mnist, mnist-bin, shapes, idx:DIR, npz:FILE, folder:DIR.

Every loader returns float32 images [N x C x H x W] in [0, 1] with a fixed
train/test split (IDX files are parsed in idx.py). Anything malformed raises DataError with one message that
names the file and what is wrong. Nothing here touches the network.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vae_core import shapes

KINDS = ("digits", "mnist", "mnist-bin", "shapes", "idx", "npz", "folder")
MAX_SIDE = 256  # larger images are not what these small VAEs are for
MAX_BYTES = 2**31  # refuse a dataset whose float32 pixels would exceed 2 GiB
MAX_IMAGE_FILE = 2**24  # bytes per file of a folder dataset: a 256x256 image needs far less
TEST_EVERY = 5  # without its own test set, every 5th image (20%) is held out
SHAPES_TRAIN, SHAPES_TEST = 12_000, 2_000
# MNIST ships with the repository as the four gzipped IDX files (data/mnist/README.md: source, licence). The
# hashes catch a damaged or replaced copy that would still parse.
MNIST_DIR = Path(__file__).resolve().parents[1] / "data" / "mnist"
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}


class DataError(ValueError):
    """Bad dataset spec or malformed data file; message names the file and what is wrong."""


@dataclass
class Dataset:
    """Images [N x C x H x W] float32 in [0, 1], int64 labels [N] or None, split train/test.

    load_dataset returns fresh arrays on each call, so callers may modify them.
    """

    spec: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    class_names: list[str] | None = None
    factors_train: dict[str, np.ndarray] | None = None  # ground-truth factors (shapes only)
    factors_test: dict[str, np.ndarray] | None = None

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of every image."""
        return tuple(self.x_train.shape[1:])


def first_of_each_label(labels: np.ndarray | None, k: int, n: int) -> list[int]:
    """Index of the first item of each of the k lowest labels (N,); without labels the first k of n items."""
    if labels is None:
        return list(range(min(k, n)))
    return [int(np.flatnonzero(labels == y)[0]) for y in np.unique(labels)[:k]]


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split 'kind[:arg]' into (kind, arg); e.g. 'idx:/data/mnist' -> ('idx', '/data/mnist')."""
    kind, sep, arg = spec.strip().partition(":")
    if kind not in KINDS:
        raise DataError(
            f"unknown dataset spec {spec!r}: expected digits, mnist, mnist-bin, shapes[:SIZE], "
            "idx:DIR, npz:FILE or folder:DIR"
        )
    if kind in ("idx", "npz", "folder") and not arg:
        raise DataError(f"dataset spec {spec!r} needs a path: {kind}:PATH")
    if kind in ("digits", "mnist", "mnist-bin") and sep:
        raise DataError(f"dataset spec {spec!r}: {kind} takes no argument")
    return kind, (arg if sep else None)


def load_dataset(spec: str) -> Dataset:
    """Load the dataset a spec names; raises DataError for anything malformed."""
    kind, arg = parse_spec(spec)
    if kind == "digits":
        ds = _copy(_digits())
    elif kind == "mnist":
        ds = _copy(_mnist(MNIST_DIR))
    elif kind == "mnist-bin":  # binarised MNIST (pixels > 0.5 -> 1), what a Bernoulli likelihood models exactly
        ds = _copy(_mnist(MNIST_DIR))
        ds.x_train, ds.x_test = ((x > 0.5).astype(np.float32) for x in (ds.x_train, ds.x_test))
    elif kind == "shapes":
        ds = _copy(_shapes(_shapes_size(spec, arg)))
    else:  # files are read afresh each time: they may change between calls
        path = Path(arg).expanduser()
        from .idx import load_idx  # idx.py builds on this module's errors and checks

        ds = {"idx": load_idx, "npz": _load_npz, "folder": _load_folder}[kind](path)
    ds.spec = spec
    return ds


# --- built-in sets -----------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _digits() -> Dataset:
    from sklearn.datasets import load_digits  # slow import: only when asked for

    bunch = load_digits()
    x = (bunch.images / 16.0).astype(np.float32)[:, None]  # pixel values are 0..16
    return _split("digits", x, bunch.target.astype(np.int64), [str(d) for d in range(10)])


@functools.lru_cache(maxsize=1)
def _mnist(folder: Path) -> Dataset:
    """The real MNIST (LeCun, Cortes, Burges): 60,000 training and 10,000 test digits of 28x28."""
    from .idx import load_idx  # idx.py builds on this module's errors and checks

    for name, expected in MNIST_SHA256.items():
        path = folder / name
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as e:
            raise DataError(f"{path}: cannot read the shipped MNIST file ({e.strerror or e})") from e
        if digest != expected:
            raise DataError(f"{path}: damaged (its sha256 is not the shipped file's); restore it with "
                            "`git checkout -- data/mnist`")
    ds = load_idx(folder)
    ds.class_names = [str(d) for d in range(10)]
    return ds


def _shapes_size(spec: str, arg: str | None) -> int:
    if arg is None:
        return 32
    if not arg.isdigit() or not 16 <= int(arg) <= 64:
        raise DataError(f"dataset spec {spec!r}: shapes:SIZE needs an integer SIZE in 16..64")
    return int(arg)


@functools.lru_cache(maxsize=2)
def _shapes(size: int) -> Dataset:
    x, factors = shapes.generate(SHAPES_TRAIN + SHAPES_TEST, size=size, seed=0)
    train = {k: v[:SHAPES_TRAIN] for k, v in factors.items()}
    test = {k: v[SHAPES_TRAIN:] for k, v in factors.items()}
    return Dataset(
        spec="shapes",
        x_train=x[:SHAPES_TRAIN],
        y_train=train["shape"],
        x_test=x[SHAPES_TRAIN:],
        y_test=test["shape"],
        class_names=list(shapes.SHAPE_NAMES),
        factors_train=train,
        factors_test=test,
    )


# --- npz:FILE ----------------------------------------------------------------


NPZ_RATIO = {zipfile.ZIP_STORED: 1, zipfile.ZIP_DEFLATED: 1100}  # deflate expands at most ~1032x


def _load_npz(path: Path) -> Dataset:
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


def _load_folder(folder: Path) -> Dataset:
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


# --- shared helpers ----------------------------------------------------------


def _check_size(path: Path, n: int, c: int, h: int, w: int) -> None:
    """Refuse empty or absurd sizes before allocating anything."""
    if n == 0 or h == 0 or w == 0:
        raise DataError(f"{path}: contains no images (shape {n}x{h}x{w})")
    if h > MAX_SIDE or w > MAX_SIDE:
        raise DataError(f"{path}: images are {h}x{w}; at most {MAX_SIDE}x{MAX_SIDE} is supported")
    if n * c * h * w * 4 > MAX_BYTES:
        raise DataError(f"{path}: {n} images of {c}x{h}x{w} exceed {MAX_BYTES >> 30} GiB as float")


def _to_float(x: np.ndarray) -> np.ndarray:
    """uint8 (or bool) pixels -> contiguous float32 in [0, 1]."""
    out = np.ascontiguousarray(x, dtype=np.float32)
    if x.dtype == np.uint8:
        out /= 255.0
    return out


def _split(source: str, x: np.ndarray, y: np.ndarray | None, names: list[str] | None) -> Dataset:
    """Hold out every TEST_EVERY-th image as the test set.

    A stride rather than a seeded shuffle: the split never depends on numpy's
    random streams, and files sorted by class give every class its share.
    """
    if len(x) < TEST_EVERY:
        raise DataError(f"{source}: only {len(x)} images; need at least {TEST_EVERY}")
    test = np.arange(len(x)) % TEST_EVERY == TEST_EVERY - 1
    return Dataset(
        spec=source,
        x_train=x[~test],
        y_train=None if y is None else y[~test],
        x_test=x[test],
        y_test=None if y is None else y[test],
        class_names=names,
    )


def _copy(ds: Dataset) -> Dataset:
    """Deep-copy a cached dataset, so that callers' edits never reach the cache."""
    return copy.deepcopy(ds)
