"""The test set for the browser: per checkpoint, once, the images as one sprite sheet (PNG), each point's mu
(raw float32) and the labels, as static files named by a hash of their content (static_files.py). A text
checkpoint's point set has no sheet: its sentences travel in the meta (about 100 kB for grammar's 2,000), the
one copy that the map's tooltip and the text selection view both read. Components that draw test points or their
codes in the browser load them with points.js, once per page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging

import numpy as np

from explorer.components.static_files import publish, static_folder, static_url
from vae_core.images import sprite_columns, sprite_sheet

_LOG = logging.getLogger(__name__)
# (weights hash, shapes, a sample of pixels, folder) -> source: hashing the whole test set (31 MB for MNIST)
# on every rerun would cost ~50 ms.
_sources: dict[tuple, dict] = {}


def points_meta(x: np.ndarray, mu: np.ndarray, labels: np.ndarray | None, class_names: list[str] | None) -> dict:
    """What the browser needs to find image i in the sheet (or, for sentences, x of shape (N,), sentence i) and
    name its label."""
    meta = {"n": int(len(mu)), "latent_dim": int(mu.shape[1]),
            "labels": None if labels is None else [int(y) for y in labels],
            "names": None if class_names is None else [str(s) for s in class_names]}
    if x.ndim == 1:
        return {**meta, "texts": [str(s) for s in x]}
    return {**meta, "tile": [int(x.shape[2]), int(x.shape[3])], "cols": sprite_columns(len(x))}


def points_source(ctx) -> dict:
    """Where the browser finds ctx's sprite sheet (none for sentences), mu and labels: static file URLs, or inline
    without static serving (then resent with every rerun: keep serving on)."""
    text = np.ndim(ctx.x) == 1
    x = np.ascontiguousarray(ctx.x, "<U" if text else np.float32)
    mu = np.ascontiguousarray(ctx.mu, "<f4")
    folder = static_folder("points")
    sample = x if text else x.reshape(-1)[::97]  # sentences are few kB: all of them; pixels, a sample
    key = (ctx.sha, x.shape, mu.shape, hashlib.sha1(sample.tobytes()).hexdigest(), folder)
    if key in _sources and (folder is None or (folder / f"{_sources[key]['hash']}.bin").exists()):
        return _sources[key]
    meta = points_meta(x, mu, ctx.labels, ctx.class_names)
    meta_bytes = json.dumps(meta).encode()
    digest = hashlib.sha256(x.tobytes() + mu.tobytes() + meta_bytes).hexdigest()[:32]
    if folder is None:
        _LOG.warning("server.enableStaticServing is off: the test set's sprite sheet goes inline with every rerun")
        src = {"hash": digest, "meta": meta, "mu_b64": base64.b64encode(mu.tobytes()).decode()}
        if not text:
            src["sprite_url"] = "data:image/png;base64," + base64.b64encode(sprite_sheet(x)).decode()
    else:
        if not text:
            publish(folder, f"{digest}.png", make=lambda: sprite_sheet(x))
        publish(folder, f"{digest}.bin", mu.tobytes())
        publish(folder, f"{digest}.json", meta_bytes)
        parts = (("mu", "bin"), ("meta", "json")) + (() if text else (("sprite", "png"),))
        src = {"hash": digest, **{f"{part}_url": static_url(folder, f"{digest}.{ext}") for part, ext in parts}}
    _sources[key] = src
    return src
