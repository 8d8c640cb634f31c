"""Where checkpoints live and what may be written there: names, paths, the guard against replacing what is
not a checkpoint, and recovery of a version that a killed save left aside (split from checkpoint.py, which
reads and writes the folders)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")  # \Z: "$" would let a trailing newline in
TMP_PREFIX = ".tmp-"
CONFIG, WEIGHTS, HISTORY, OPTIMIZER = "config.json", "model.safetensors", "history.json", "optimizer.safetensors"


class CheckpointError(Exception):
    """A checkpoint name, folder or file is invalid; the message says which and why."""


def default_root() -> Path:
    """Where checkpoints live: $LATENT_LAB_CHECKPOINTS or ./checkpoints."""
    return Path(os.environ.get("LATENT_LAB_CHECKPOINTS", "checkpoints"))


def validate_name(name: str) -> str:
    """Return `name` if it is a safe checkpoint name, else raise CheckpointError."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise CheckpointError(
            f"invalid checkpoint name {name!r}: use 1-64 letters, digits, '_', '.', '-', "
            "starting with a letter or digit"
        )
    return name


def checkpoint_path(ref: str | os.PathLike, root: Path | None = None) -> Path:
    """Map 'NAME' or 'ROOT/NAME' to a folder inside the checkpoints root; nothing may escape it."""
    root = Path(root) if root is not None else default_root()
    ref = str(ref).rstrip("/")
    parent, _, name = ref.rpartition("/")
    if parent and Path(parent).resolve() != root.resolve():
        raise CheckpointError(f"checkpoint {ref!r} is outside the checkpoints folder {str(root)!r}")
    return root / validate_name(name)


def command_line_path(ref: str | os.PathLike) -> Path:
    """A checkpoint typed on the command line, whose user owns the filesystem: any folder path is accepted,
    and a bare NAME means NAME in the checkpoints folder. The last part must still be a valid name.

    The app, URLs and the Train page use checkpoint_path instead, which keeps them inside the root."""
    ref = str(ref).rstrip("/")
    if "/" not in ref:
        return checkpoint_path(ref)
    path = Path(ref).expanduser()
    return path.parent / validate_name(path.name)


def check_replaceable(path: Path) -> None:
    """Refuse to write a checkpoint over anything that is not one: a file, or a folder holding other things.

    A save replaces the whole folder, so `train --out ~/Documents` or `--out /etc/passwd` would otherwise
    delete what was there. Absent, empty and checkpoint folders (config.json or model.safetensors) are fine."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise CheckpointError(f"{str(path)!r} exists and is not a checkpoint folder; refusing to replace it")
    if path.is_dir() and any(path.iterdir()) and not ((path / CONFIG).is_file() or (path / WEIGHTS).is_file()):
        raise CheckpointError(f"{str(path)!r} is a folder with other files in it, not a checkpoint; refusing to "
                              "replace it (pick a new folder)")


def _debris(path: Path, old: bool | None = None) -> list[Path]:
    """Temp folders of `path`'s own saves: `.tmp-NAME-XXXX` (old=False) and `.tmp-NAME-old-XXXX` (old=True).

    Matched exactly (the random part has no '-' or '.'), so the debris of 'run' is never that of 'run-2'.
    """
    pattern = re.compile(rf"{re.escape(TMP_PREFIX + path.name)}-(old-)?[a-z0-9_]+")
    found = []
    for p in path.parent.glob(f"{TMP_PREFIX}{path.name}-*"):
        m = pattern.fullmatch(p.name)
        if m and (old is None or bool(m.group(1)) == old):
            found.append(p)
    return found


def _swapped_out(path: Path) -> list[Path]:
    """Previous versions moved aside by a save that was killed before its final rename."""
    return sorted((p / "ckpt" for p in _debris(path, old=True) if (p / "ckpt").is_dir()),
                  key=lambda p: p.stat().st_mtime)


def _readable_path(path: Path) -> Path:
    """The folder to read: `path`, or the previous version a killed save left beside it."""
    if path.is_dir():
        return path
    aside = _swapped_out(path)
    return aside[-1] if aside else path


def _recover_and_clean(path: Path) -> None:
    """Before writing: put back a version a killed save moved aside, drop leftover temp folders."""
    aside = _swapped_out(path)
    if not path.exists() and aside:
        os.replace(aside[-1], path)
    for debris in _debris(path):
        shutil.rmtree(debris, ignore_errors=True)


def recover(ref: str | os.PathLike, root: Path | None = None) -> None:
    """Put back a version that a killed save left moved aside (before resuming a run, say)."""
    path = checkpoint_path(ref, root)
    aside = _swapped_out(path)
    if not path.exists() and aside:
        try:
            os.replace(aside[-1], path)
        except OSError as exc:
            raise CheckpointError(f"could not recover checkpoint {str(path)!r}: {exc.strerror or exc}") from None


def list_checkpoints(root: Path | None = None) -> list[str]:
    """Names of the folders in root that look like checkpoints (temp debris is skipped)."""
    root = Path(root) if root is not None else default_root()
    if not root.is_dir():
        return []
    names = []
    for p in root.iterdir():
        # A folder with weights but no config.json is listed too: opening it says what is missing.
        if p.is_dir() and NAME_RE.match(p.name) and ((p / CONFIG).is_file() or (p / WEIGHTS).is_file()):
            names.append(p.name)
        elif p.name.startswith(TMP_PREFIX) and (p / "ckpt" / CONFIG).is_file():
            name = p.name[len(TMP_PREFIX):].rsplit("-old-", 1)[0]  # killed mid-swap, see _readable_path
            if NAME_RE.match(name) and p in _debris(root / name, old=True):
                names.append(name)
    return sorted(set(names))
