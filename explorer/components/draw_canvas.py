"""A canvas to draw on (white strokes on black, a thick round brush, a Clear button); after each stroke the
picture goes to Python as a PNG data URL of CANVAS x CANVAS pixels (a few kB), which
vae_core.analysis.drawing turns into a model input.

Hooks for tests: the root has `data-testid="draw-canvas"` and `data-strokes`, the strokes drawn so far.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from vae_core.analysis.drawing import CANVAS

_HERE = Path(__file__).parent
_HTML = """<div class="draw-canvas" data-testid="draw-canvas" data-strokes="0">
  <canvas aria-label="drawing canvas: draw with the mouse, a pen or a finger"></canvas>
  <button type="button">Clear</button>
</div>"""
_component = st.components.v2.component(
    "latent_lab.draw_canvas",
    html=_HTML,
    css=(_HERE / "draw_canvas.css").read_text(),
    js=(_HERE / "draw_canvas.js").read_text(),
)


def draw_canvas(*, key: str, size: int = 280, brush: float = 11.0) -> str | None:
    """Draw the canvas, `size` CSS pixels wide, with a brush `brush` canvas pixels thick (of CANVAS); returns
    the picture as a "data:image/png;base64,..." URL as of the last stroke, or None while it is empty.

    The picture also goes back into the canvas on a rerun, so a drawing outlives a fresh page mount.
    """
    state = st.session_state.get(key)
    image = state.get("image") if state else None
    data = {"side": CANVAS, "size": int(size), "brush": float(brush), "image": image}
    result = _component(key=key, data=data, default={"image": None}, on_image_change=lambda: None)
    return result.get("image") or None
