"""Served mode: what a server that strangers can reach lets them read from its disk.

Locally (`make run`) the Train page's IDX folder box reads any folder the user types: the user owns the machine.
A server for a class is started with `python -m explorer --served [--data-dir DIR]` (or the environment
LATENT_LAB_SERVED=1 and LATENT_LAB_DATA_DIR=DIR under a plain `streamlit run`); then a typed folder must lie inside
DIR once every symlink is followed, and so must every file in it, and with no DIR no folder is read at all:
uploads are the only way in. The page calls `server_folder`; the rules live here, with their unit tests.

Other pages read the data spec a checkpoint's config.json names (`idx:/some/folder`), and a checkpoint can be
copied in by anyone with the CLI or written by hand, so in served mode `server_spec` holds those paths to the
same rule (inside the data folder), with one more place allowed: the app's own uploads folder, where a checkpoint
trained on an uploaded .npz points. Built-in sets (mnist, digits, shapes, grammar, pydoc) name no path.
"""

from __future__ import annotations

import os
from pathlib import Path

SERVED_ENV = "LATENT_LAB_SERVED"
DATA_DIR_ENV = "LATENT_LAB_DATA_DIR"


class PathRefused(ValueError):
    """A visitor's path would make the server read outside its data folder."""


def is_served(environ: dict | None = None) -> bool:
    """True when the app is served to others (LATENT_LAB_SERVED set to 1/true/yes)."""
    env = os.environ if environ is None else environ
    return env.get(SERVED_ENV, "").strip().lower() in ("1", "true", "yes")


def data_dir(environ: dict | None = None) -> Path | None:
    """The folder a served app may read datasets from (LATENT_LAB_DATA_DIR), or None."""
    env = os.environ if environ is None else environ
    given = env.get(DATA_DIR_ENV, "").strip()
    return Path(given).expanduser() if given else None


def confine(user_path: str, root: Path) -> Path:
    """The folder `user_path` names inside `root` (relative paths are taken from `root`), fully resolved.

    Refused with PathRefused: a path outside `root` (/etc, ../.., a symlink that leads out) and a folder holding
    a file or link that resolves outside it (a link to /etc/shadow named train-images-idx3-ubyte). The message
    never shows the server's own paths."""
    text = str(user_path).strip()
    if not text or "\0" in text:
        raise PathRefused("give a folder inside the server's data folder")
    base = Path(root).expanduser().resolve()
    target = (base / text).resolve()  # an absolute user_path replaces base; resolve() follows every symlink
    if not target.is_relative_to(base):
        raise PathRefused(f"{text!r} is outside the server's data folder: give a folder inside it, e.g. 'mnist'")
    if target.is_dir():
        for entry in target.iterdir():
            if not entry.resolve().is_relative_to(base):
                raise PathRefused(f"{text!r} holds {entry.name!r}, which leads outside the server's data folder")
    return target


def server_folder(user_path: str, environ: dict | None = None) -> str:
    """The folder the server should read for what a visitor typed: as typed when the app runs locally; confined
    to the data folder when served (PathRefused when it lies outside, or when the server reads no folders)."""
    return _confined(user_path, environ, "this server reads no folders from its disk: upload an .npz file instead")


PATH_KINDS = ("idx", "npz", "folder", "text")  # the spec kinds whose argument is a path on the server


def server_spec(spec: str, environ: dict | None = None) -> str:
    """The data spec the server should load for a checkpoint's `spec`: as written when the app runs locally or
    the spec names a built-in set; when served, a path spec with its path confined to the data folder (or the
    uploads folder), resolved. PathRefused, naming the spec, for anything else; a malformed spec is left to
    load_dataset's DataError."""
    if not is_served(environ):
        return spec
    kind, _, arg = str(spec).strip().partition(":")
    if kind not in PATH_KINDS or not arg:
        return spec
    from .uploads import upload_folder  # numpy and the data module: only for a path spec on a served app

    uploads = upload_folder().resolve()
    target = Path(arg).resolve() if Path(arg).is_absolute() and "\0" not in arg else None
    if target is not None and target.is_relative_to(uploads) and target.is_file():
        return f"{kind}:{target}"
    root = data_dir(environ)
    refusal = (f"its data {spec!r} is outside the server's data folder; a served app reads only the data "
               "folder and uploads (retrain it on the Train page, or move its data into the data folder)")
    if root is None:
        raise PathRefused(f"its data {spec!r} names a path on the server, and this server reads no folders from "
                          "its disk (retrain it on an uploaded .npz)")
    try:
        return f"{kind}:{confine(arg, root)}"
    except PathRefused:
        raise PathRefused(refusal) from None


def server_text_path(user_path: str, environ: dict | None = None) -> str:
    """The text file or folder (train.txt, test.txt) the server should read for what a visitor typed: as typed
    locally; confined to the data folder when served, as server_folder does for IDX folders."""
    return _confined(user_path, environ, "this server reads no files from its disk: upload a .txt file instead")


def _confined(user_path: str, environ: dict | None, no_folder: str) -> str:
    """user_path as typed locally; served, confined to the data folder, or PathRefused(no_folder) without one."""
    if not is_served(environ):
        return user_path
    root = data_dir(environ)
    if root is None:
        raise PathRefused(no_folder)
    return str(confine(user_path, root))
