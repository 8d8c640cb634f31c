"""Atomic file writes: a reader of the path sees the old file or the whole new one, never part of one.

The content goes to a hidden temp file beside the target (same folder, so os.replace is a rename on
one filesystem), is flushed and fsync'ed, and only then replaces the target. If anything fails before
that, the temp file is deleted and the old file, if any, is left as it was. The folder is not fsync'ed:
after a power cut the rename itself may be lost, which leaves the old file, never half of the new one.

    write_atomic(path, data)            # bytes
    with atomic_write(path) as f:       # or a binary file to write into, e.g. np.savez(f, x=x)
        np.savez(f, x=x)

The target's folder must exist. Checkpoints are folders and have their own swap (checkpoint.py).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# What open() gives under the usual umask 022; mkstemp's own 0600 would hide the file from other users
# (a second server user reading exported decoders, say). Pass 0o600 for files that should stay private.
FILE_MODE = 0o644


@contextmanager
def atomic_write(path: str | os.PathLike, mode: int = FILE_MODE) -> Iterator[BinaryIO]:
    """A binary file for `path`'s new content; on leaving the block without an exception it is fsync'ed
    and replaces `path` (permissions `mode`). On an exception `path` is untouched and no temp file stays."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike, data: bytes, mode: int = FILE_MODE) -> Path:
    """Write `data` to `path` atomically (see atomic_write); returns the path."""
    with atomic_write(path, mode) as f:
        f.write(data)
    return Path(path)


__all__ = ["FILE_MODE", "atomic_write", "write_atomic"]
