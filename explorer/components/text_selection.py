"""The selected test sentence and its reconstruction, drawn by the browser in the frame after a map click: the
text twin of selection_view.py, from the same code (selection_core.js).

Per checkpoint the browser gets, once, each point's mu and the sentences (points.py) and the exported greedy
decoder (text_panel.text_decoder_source: the one the text panel has already fetched). A map with
answer_clicks=True sends a "latent-lab:pick" event; this view shows the clicked sentence and the greedy decode of
its mu (text_decoder.js, as the text panel decodes: up to its 64 tokens), and loads mu into the text panel's
sliders. Python's rerun follows with the same selection and shows nothing again.

Hooks for tests: `[data-testid="selection-view"]` carries data-index, data-drawn-at, data-draws, data-ready
(as the image view); the sentence is `[data-testid="selection-sentence"]`, its decode
`[data-testid="selection-recon"]`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from explorer.components import bundle, points
from explorer.components.text_panel import text_decoder_source

_HERE = Path(__file__).parent
JS_FILES = ("program_loader.js", "text_decoder.js", "points.js", "selection_core.js", "text_selection.js")
_component = st.components.v2.component(
    "latent_lab.text_selection",
    html=(_HERE / "text_selection.html").read_text(),
    css=bundle(("selection_core.css", "text_selection.css")),
    js=bundle(JS_FILES),
)


def text_selection(ctx, selected: int | None, *, chart: str, decoder: str,
                   inverse: tuple[np.ndarray, np.ndarray] | None, key: str) -> None:
    """Show test sentence `selected` of ctx (a shared.Context of a text checkpoint) and the greedy decode of its
    mu, and answer clicks on the map whose key is `chart` in the browser, moving the text panel whose key is
    `decoder`. inverse = (A (D, 2), c (D,)), the map's inverse z = A p + c, lets a click between the dots set
    the panel's z in the browser; None (UMAP) leaves that click to Python."""
    inv = None if inverse is None else {"A": np.asarray(inverse[0], float).tolist(),
                                        "c": np.asarray(inverse[1], float).tolist()}
    title = None if selected is None else f"Test sentence #{selected} · label {ctx.label(selected)}"
    data = {"chart": chart, "decoder": decoder, "selected": selected, "src": text_decoder_source(ctx.model),
            "points": points.points_source(ctx), "inverse": inv, "size": 0, "title": title}
    _component(key=key, data=data)
