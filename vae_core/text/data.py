"""Text datasets behind the specs text:PATH, grammar and pydoc: lines, their vocabulary and token arrays.

text:PATH reads a UTF-8 file with one example per line (blank lines skipped), split by a fixed seed, or a folder
holding train.txt and test.txt. Anything unusable raises DataError with one line naming the file and the reason.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import DataError
from . import corpora
from .vocab import PAD, Vocab

MAX_LINE = 256  # characters per example: longer lines cost these character models too much per step
MAX_FILE = 64 << 20  # bytes per text file
MAX_LINES = 1_000_000
TEST_SHARE = 0.1  # held out from a single file, at least one line
SPLIT_SEED = 0


@dataclass
class TextDataset:
    """Lines of text split train/test, the training split's vocabulary, and the lines as token arrays.

    x_train and x_test are int64 [N x T] (ids, EOS, PAD to the longest line of both splits + 1), so the Trainer
    batches them like images. factors_* hold the grammar's ground truth, None elsewhere.
    """

    spec: str
    lines_train: list[str]
    lines_test: list[str]
    vocab: Vocab
    x_train: np.ndarray
    x_test: np.ndarray
    factors_train: dict[str, np.ndarray] | None = None
    factors_test: dict[str, np.ndarray] | None = None
    y_train: None = None  # no class labels: callers that colour by label see None, as for unlabelled images
    y_test: None = None

    @property
    def max_len(self) -> int:
        """Tokens per row of x_train and x_test (the longest line + EOS)."""
        return self.x_train.shape[1]


def make_dataset(spec: str, train: list[str], test: list[str], factors=(None, None)) -> TextDataset:
    """Build the vocabulary from `train` and encode both splits."""
    vocab = Vocab.build(train)
    length = max(len(s) for s in train + test) + 1
    return TextDataset(spec, list(train), list(test), vocab, vocab.encode_batch(train, length),
                       vocab.encode_batch(test, length), factors[0], factors[1])


def load_text_dataset(kind: str, arg: str | None, spec: str) -> TextDataset:
    """The dataset for a text spec already split by data.parse_spec: ('text', PATH), ('grammar'|'pydoc', None)."""
    if kind == "grammar":
        return _copy(_grammar())
    if kind == "pydoc":
        return _copy(_pydoc())
    path = Path(arg).expanduser()
    if path.is_dir():
        missing = [n for n in ("train.txt", "test.txt") if not (path / n).is_file()]
        if missing:
            raise DataError(f"{path}: a text folder needs train.txt and test.txt (missing {' and '.join(missing)})")
        return make_dataset(spec, read_lines(path / "train.txt"), read_lines(path / "test.txt"))
    if not path.is_file():
        raise DataError(f"{path}: no such file or folder")
    lines = read_lines(path)
    if len(lines) < 2:
        raise DataError(f"{path}: only {len(lines)} line; need at least 2 to split into train and test")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(lines))
    n_test = max(1, round(TEST_SHARE * len(lines)))
    test = set(order[:n_test].tolist())
    return make_dataset(spec, [s for i, s in enumerate(lines) if i not in test],
                        [s for i, s in enumerate(lines) if i in test])


def read_lines(path: Path) -> list[str]:
    """The non-blank lines of a UTF-8 text file, stripped of surrounding spaces (a BOM and CRLF endings are fine);
    DataError if unusable."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            raise DataError(f"{path}: {size:,} bytes; a text file may have at most {MAX_FILE >> 20} MiB")
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from e
    return parse_lines(raw, str(path))


def parse_lines(raw: bytes, name: str) -> list[str]:
    """read_lines for bytes already in memory (an upload); `name` heads each DataError message."""
    if len(raw) > MAX_FILE:
        raise DataError(f"{name}: {len(raw):,} bytes; a text file may have at most {MAX_FILE >> 20} MiB")
    if b"\x00" in raw:  # UTF-8 text never holds NUL; binary files (images, archives) almost always do
        raise DataError(f"{name}: is a binary file (it contains NUL bytes), not UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{name}: is not UTF-8 text (invalid byte 0x{raw[e.start]:02x} at offset {e.start}); "
                        "save it as UTF-8") from None
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if len(line) > MAX_LINE:
            raise DataError(f"{name}: line {number} has {len(line):,} characters; the limit is {MAX_LINE} per "
                            "line (one example per line)")
        lines.append(line)
        if len(lines) > MAX_LINES:
            raise DataError(f"{name}: more than {MAX_LINES:,} lines")
    if not lines:
        raise DataError(f"{name}: is empty (no non-blank lines); expected one example per line")
    return lines


@functools.lru_cache(maxsize=1)
def _grammar() -> TextDataset:
    lines, factors = corpora.generate_grammar(corpora.GRAMMAR_TRAIN + corpora.GRAMMAR_TEST, seed=0)
    n = corpora.GRAMMAR_TRAIN
    return make_dataset("grammar", lines[:n], lines[n:],
                        ({k: v[:n] for k, v in factors.items()}, {k: v[n:] for k, v in factors.items()}))


@functools.lru_cache(maxsize=1)
def _pydoc() -> TextDataset:
    lines = corpora.pydoc_sentences()
    test = np.random.default_rng(SPLIT_SEED).permutation(len(lines))[: round(TEST_SHARE * len(lines))]
    is_test = np.zeros(len(lines), bool)
    is_test[test] = True
    return make_dataset("pydoc", [s for s, t in zip(lines, is_test, strict=True) if not t],
                        [s for s, t in zip(lines, is_test, strict=True) if t])


def _copy(ds: TextDataset) -> TextDataset:
    """A copy of a cached dataset whose arrays and lists callers may change."""
    return TextDataset(ds.spec, list(ds.lines_train), list(ds.lines_test), ds.vocab, ds.x_train.copy(),
                       ds.x_test.copy(), *(None if f is None else {k: v.copy() for k, v in f.items()}
                                           for f in (ds.factors_train, ds.factors_test)))


def lengths(x: np.ndarray) -> np.ndarray:
    """Tokens per row (characters + EOS) of a padded int array [N x T]."""
    return (np.asarray(x) != PAD).sum(1)
