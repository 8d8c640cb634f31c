"""Arrays kept on disk between processes: .npz files named by a content hash, written atomically, read without
pickle. What the app computes once per model (the test set's encodings, 2-D projections) is read back by the
next server instead of recomputed: encoding MNIST's 10,000 test images was 2.7 s of a fresh server's first
page view (bench/README.md, "startup")."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .atomic import atomic_write


def cache_file(cache_dir: Path, prefix: str, key: str, digest: str) -> Path:
    """The file for one cached result: prefix, a readable key, and the first 20 hex digits of a digest of what it
    depends on (the key keeps names readable; the digest keeps different inputs apart)."""
    safe_key = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:64]
    return Path(cache_dir) / f"{prefix}-{safe_key + '-' if safe_key else ''}{digest[:20]}.npz"


def load_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a cache file, or None if it is missing or unreadable (the caller recomputes and saves)."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as a:
            return {name: a[name] for name in a.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def save_arrays(path: Path, **arrays: np.ndarray) -> bool:
    """np.savez written atomically (vae_core.atomic): readers never see half a file. Returns False, having
    written nothing, where the folder cannot be written (a read-only checkpoints folder): a cache is optional."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as f:
            np.savez(f, **arrays)
    except OSError:
        return False
    return True


def load_or_compute(path: Path | None, compute: Callable[[], dict[str, np.ndarray]],
                    valid: Callable[[dict[str, np.ndarray]], bool] = lambda arrays: True) -> dict[str, np.ndarray]:
    """The arrays saved at `path` where `valid` accepts them; otherwise compute()'s, saved there for the next call
    (in this process or the next). With path None, compute() only. A file of another layout (an older version,
    another length) is what `valid` turns away: it is recomputed and replaced."""
    if path is not None:
        arrays = load_arrays(path)
        if arrays is not None and valid(arrays):
            return arrays
    arrays = compute()
    if path is not None:
        save_arrays(path, **arrays)
    return arrays
