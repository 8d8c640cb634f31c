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

import numpy as np

from explorer.components.selection_view import declare, payload
from explorer.components.text_panel import text_decoder_source

JS_FILES = ("program_loader.js", "text_decoder.js", "points.js", "selection_core.js", "text_selection.js")
_component = declare("text_selection", JS_FILES)


def text_selection(ctx, selected: int | None, *, chart: str, decoder: str,
                   inverse: tuple[np.ndarray, np.ndarray] | None, key: str) -> None:
    """Show test sentence `selected` of ctx (a shared.Context of a text checkpoint) and the greedy decode of its
    mu, and answer clicks on the map whose key is `chart` in the browser, moving the text panel whose key is
    `decoder`. inverse = (A (D, 2), c (D,)), the map's inverse z = A p + c, lets a click between the dots set
    the panel's z in the browser; None (UMAP) leaves that click to Python."""
    _component(key=key, data=payload(ctx, selected, "sentence", chart=chart, decoder=decoder, inverse=inverse,
                                     src=text_decoder_source(ctx.model)))
