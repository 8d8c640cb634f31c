"""Datasets behind one spec string: digits, mnist, mnist-bin, shapes, idx:DIR, npz:FILE, folder:DIR, and the text specs
grammar, pydoc and text:PATH (loaded by vae_core/text/data.py into a TextDataset).

Every loader returns float32 images [N x C x H x W] in [0, 1] with a fixed
train/test split (IDX files are parsed in idx.py). Anything malformed raises DataError with one message that
names the file and what is wrong. Nothing here touches the network.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vae_core import shapes

if TYPE_CHECKING:
    from .text.data import TextDataset

KINDS = ("digits", "mnist", "mnist-bin", "shapes", "idx", "npz", "folder", "text", "grammar", "pydoc")
TEXT_KINDS = ("text", "grammar", "pydoc")
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


def seeded_subset(n: int, k: int, seed: int = 0) -> np.ndarray:
    """min(k, n) distinct indices of n items, ascending, the same for the same seed: a fixed sample of a set
    too large to show whole (every index when n <= k)."""
    if n <= k:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split 'kind[:arg]' into (kind, arg); e.g. 'idx:/data/mnist' -> ('idx', '/data/mnist')."""
    kind, sep, arg = spec.strip().partition(":")
    if kind not in KINDS:
        raise DataError(
            f"unknown dataset spec {spec!r}: expected digits, mnist, mnist-bin, shapes[:SIZE], "
            "idx:DIR, npz:FILE, folder:DIR, grammar, pydoc or text:PATH"
        )
    if kind in ("idx", "npz", "folder", "text") and not arg:
        raise DataError(f"dataset spec {spec!r} needs a path: {kind}:PATH")
    if kind in ("digits", "mnist", "mnist-bin", "grammar", "pydoc") and sep:
        raise DataError(f"dataset spec {spec!r}: {kind} takes no argument")
    return kind, (arg if sep else None)


def is_text_spec(spec: str) -> bool:
    """Whether a spec names text (grammar, pydoc, text:PATH) rather than images; DataError if it is malformed."""
    return parse_spec(spec)[0] in TEXT_KINDS


def load_dataset(spec: str, *, shared: bool = False) -> Dataset | TextDataset:
    """Load the dataset a spec names (a TextDataset for the text specs); raises DataError for anything malformed.

    The built-in image sets are read once per process and copied for each caller, so that its edits never reach
    the next one. With shared=True, for a caller that only reads, the arrays are the cached ones themselves:
    copying MNIST's 70,000 images took 0.4-1.5 s of the app's first page view."""
    _copy = copy.copy if shared else copy.deepcopy
    kind, arg = parse_spec(spec)
    if kind in TEXT_KINDS:
        from .text.data import load_text_dataset  # text/data.py builds on this module's DataError

        return load_text_dataset(kind, arg, spec)
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
        from .idx import load_idx  # idx.py and imagefiles.py build on this module's errors and checks
        from .imagefiles import load_folder, load_npz

        ds = {"idx": load_idx, "npz": load_npz, "folder": load_folder}[kind](path)
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

