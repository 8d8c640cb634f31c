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
_component = st.components.v2.component(
    "latent_lab.selection_view",
    html=(_HERE / "selection_view.html").read_text(),
    css=bundle(("selection_core.css", "selection_view.css")),
    js=bundle(JS_FILES),
)


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
    title = None if selected is None else f"Test image #{selected} · label {ctx.label(selected)}"
    data = {"chart": chart, "decoder": decoder, "selected": selected, "src": decoder_source(ctx.model),
            "points": points.points_source(ctx), "inverse": inv, "size": int(size), "title": title,
            "tile": [int(s) for s in ctx.x.shape[2:]]}
    _component(key=key, data=data)
