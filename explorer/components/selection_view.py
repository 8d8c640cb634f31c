"""The selected test point and its reconstruction, drawn by the browser in the frame after a map click.

Per checkpoint the browser gets, once, what any click needs (points.py): the test images as one sprite
sheet, each point's mu and the labels.
A map_overlay with answer_clicks=True sends a "latent-lab:pick" event; this view draws the clicked point's
original and decode(mu) (the in-browser decoder, decoder_runtime.js), and loads mu into the decoder panel's
sliders. A click between the dots on an identity or PCA map sends the panel the spot's z. Python's rerun
follows with the same selection and draws neither image again (how: selection_core.js, which the text twin,
text_selection.py, shares).

Hooks for tests: `[data-testid="selection-view"]` carries data-index (the point shown), data-drawn-at
(performance.now() in the frame that drew it), data-draws (images pairs drawn so far), data-ready.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from explorer.components import bundle, points
from explorer.components.latent_decoder import decoder_source

_HERE = Path(__file__).parent
JS_FILES = ("program_loader.js", "decoder_runtime.js", "points.js", "selection_core.js", "selection_view.js")


def declare(view: str, js_files: tuple[str, ...]):
    """The Streamlit component of one selection view: `view`.html, selection_core.css then `view`.css, and the JS
    files joined (the image view here and text_selection.py share their core CSS and click handling)."""
    return st.components.v2.component(f"latent_lab.{view}", html=(_HERE / f"{view}.html").read_text(),
                                      css=bundle(("selection_core.css", f"{view}.css")), js=bundle(js_files))


def payload(ctx, selected: int | None, noun: str, *, chart: str, decoder: str,
            inverse: tuple[np.ndarray, np.ndarray] | None, src: dict, size: int = 0) -> dict:
    """What either selection view is sent: the selection and its title ("Test `noun` #i · label ..."), the keys of
    the map and decoder panel it links, the decoder program `src`, the point set, and the map's inverse as lists."""
    inv = None if inverse is None else {"A": np.asarray(inverse[0], float).tolist(),
                                        "c": np.asarray(inverse[1], float).tolist()}
    title = None if selected is None else f"Test {noun} #{selected} · label {ctx.label(selected)}"
    return {"chart": chart, "decoder": decoder, "selected": selected, "src": src,
            "points": points.points_source(ctx), "inverse": inv, "size": int(size), "title": title}


_component = declare("selection_view", JS_FILES)


def selection_view(ctx, selected: int | None, *, chart: str, decoder: str,
                   inverse: tuple[np.ndarray, np.ndarray] | None, key: str, size: int = 112) -> None:
    """Show test point `selected` of ctx (a shared.Context: model, x, mu, labels, class_names, sha) as its
    original and decode(mu), about `size` CSS pixels wide each, and answer clicks on the map whose
    st.plotly_chart key is `chart` in the browser, moving the latent_decoder whose key is `decoder`.

    inverse = (A (D, 2), c (D,)), the map's inverse z = A p + c (vae_core.projection.linear_inverse), lets a
    click between the dots decode the spot in the browser; None (UMAP) leaves that click to Python.
    """
    data = payload(ctx, selected, "image", chart=chart, decoder=decoder, inverse=inverse,
                   src=decoder_source(ctx.model), size=size)
    _component(key=key, data={**data, "tile": [int(s) for s in ctx.x.shape[2:]]})
