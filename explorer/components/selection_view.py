"""The selected test point and its reconstruction, drawn by the browser in the frame after a map click.

Per checkpoint the browser gets, once, what any click needs, as static files named by their content's hash
(static_files.py): the test images as one sprite sheet (PNG), each point's mu (raw float32) and the labels.
A map_overlay with answer_clicks=True sends a "latent-lab:pick" event; this view draws the clicked point's
original and decode(mu) (the in-browser decoder, decoder_runtime.js), and loads mu into the decoder panel's
sliders. A click between the dots on an identity or PCA map sends the panel the spot's z. Python's rerun
follows with the same selection and draws neither image again (how: selection_view.js).

Hooks for tests: `[data-testid="selection-view"]` carries data-index (the point shown), data-drawn-at
(performance.now() in the frame that drew it), data-draws (images pairs drawn so far), data-ready.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import streamlit as st

from explorer.components.latent_decoder import decoder_source
from explorer.components.static_files import publish, static_folder, static_url
from vae_core.images import sprite_columns, sprite_sheet

_LOG = logging.getLogger(__name__)
_HERE = Path(__file__).parent
_component = st.components.v2.component(
    "latent_lab.selection_view",
    html=(_HERE / "selection_view.html").read_text(),
    css=(_HERE / "selection_view.css").read_text(),
    js=(_HERE / "decoder_runtime.js").read_text() + (_HERE / "selection_view.js").read_text(),
)
# (weights hash, shapes, a sample of pixels, folder) -> source: hashing the whole test set (31 MB for MNIST)
# on every rerun would cost ~50 ms.
_sources: dict[tuple, dict] = {}


def points_meta(x: np.ndarray, mu: np.ndarray, labels: np.ndarray | None, class_names: list[str] | None) -> dict:
    """What the browser needs to find image i in the sheet and name its label."""
    return {"n": int(len(mu)), "latent_dim": int(mu.shape[1]), "tile": [int(x.shape[2]), int(x.shape[3])],
            "cols": sprite_columns(len(x)), "labels": None if labels is None else [int(y) for y in labels],
            "names": None if class_names is None else [str(s) for s in class_names]}


def points_source(ctx) -> dict:
    """Where the browser finds ctx's sprite sheet, mu and labels: static file URLs, or inline without static
    serving (then resent with every rerun: keep serving on)."""
    x, mu = np.ascontiguousarray(ctx.x, np.float32), np.ascontiguousarray(ctx.mu, "<f4")
    folder = static_folder("points")
    key = (ctx.sha, x.shape, mu.shape, hashlib.sha1(x.reshape(-1)[::97].tobytes()).hexdigest(), folder)
    if key in _sources and (folder is None or (folder / f"{_sources[key]['hash']}.png").exists()):
        return _sources[key]
    meta = points_meta(x, mu, ctx.labels, ctx.class_names)
    meta_bytes = json.dumps(meta).encode()
    digest = hashlib.sha256(x.tobytes() + mu.tobytes() + meta_bytes).hexdigest()[:32]
    if folder is None:
        _LOG.warning("server.enableStaticServing is off: the test set's sprite sheet goes inline with every rerun")
        sprite = "data:image/png;base64," + base64.b64encode(sprite_sheet(x)).decode()
        src = {"hash": digest, "meta": meta, "mu_b64": base64.b64encode(mu.tobytes()).decode(), "sprite_url": sprite}
    else:
        publish(folder, f"{digest}.png", make=lambda: sprite_sheet(x))
        publish(folder, f"{digest}.bin", mu.tobytes())
        publish(folder, f"{digest}.json", meta_bytes)
        src = {"hash": digest, **{f"{part}_url": static_url(folder, f"{digest}.{ext}")
                                  for part, ext in (("sprite", "png"), ("mu", "bin"), ("meta", "json"))}}
    _sources[key] = src
    return src


def selection_view(ctx, selected: int | None, *, chart: str, decoder: str,
                   inverse: tuple[np.ndarray, np.ndarray] | None, key: str, size: int = 112) -> None:
    """Show test point `selected` of ctx (a shared.Context: model, x, mu, labels, class_names, sha) as its
    original and decode(mu), about `size` CSS pixels wide each, and answer clicks on the map whose
    st.plotly_chart key is `chart` in the browser, moving the latent_decoder whose key is `decoder`.

    inverse = (A (D, 2), c (D,)), the map's inverse z = A p + c (vae_core.projection.linear_inverse), lets a
    click between the dots decode the spot in the browser; None (UMAP) leaves that click to Python.
    """
    inv = None if inverse is None else {"A": np.asarray(inverse[0], float).tolist(),
                                        "c": np.asarray(inverse[1], float).tolist()}
    data = {"chart": chart, "decoder": decoder, "selected": selected, "src": decoder_source(ctx.model),
            "points": points_source(ctx), "inverse": inv, "size": int(size)}
    _component(key=key, data=data)
