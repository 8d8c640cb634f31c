"""The interpolation strip, drawn by the browser: the path from mu_A to mu_B (lerp or slerp, interpolate.js,
the same maths as vae_core.latent) decoded by the in-browser decoder, with its own steps slider that redraws
the strip on every input while dragged. The release sends the steps to Python (on_steps), whose rerun then
draws what depends on them (the path on the map, the norms, the GIF).

Hooks for tests: `[data-testid="interpolation-strip"]` carries data-steps, data-draws and data-drawn-at;
its canvas holds the tiles, one pixel of white around each.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from explorer.components import bundle, points
from explorer.components.latent_decoder import decoder_source

_HERE = Path(__file__).parent
JS_FILES = ("program_loader.js", "decoder_runtime.js", "points.js", "interpolate.js", "interpolation_strip.js")
_component = st.components.v2.component(
    "latent_lab.interpolation_strip",
    html=(_HERE / "interpolation_strip.html").read_text(),
    css=(_HERE / "interpolation_strip.css").read_text(),
    js=bundle(JS_FILES),
)
METHODS = ("lerp", "slerp")


def interpolation_strip(ctx, a: int, b: int, method: str, steps: int, *, key: str,
                        on_steps: Callable[[int], None], step_range: tuple[int, int] = (3, 24)) -> None:
    """Draw the strip from test point a to b of ctx (a shared.Context) in `steps` steps by `method`; a drag of
    its steps slider redraws it live, and its release calls on_steps(new steps) first thing in the rerun."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not (0 <= a < len(ctx.mu) and 0 <= b < len(ctx.mu)):
        raise ValueError(f"a={a} and b={b} must be test indices below {len(ctx.mu)}")

    def released() -> None:
        value = (st.session_state.get(key) or {}).get("steps")
        if isinstance(value, int) and step_range[0] <= value <= step_range[1]:
            on_steps(value)

    data = {"src": decoder_source(ctx.model), "points": points.points_source(ctx), "a": int(a), "b": int(b),
            "method": method, "steps": int(steps), "min_steps": step_range[0], "max_steps": step_range[1],
            "tile": [int(s) for s in ctx.x.shape[2:]]}  # the canvas's shape before anything is loaded
    _component(key=key, data=data, on_steps_change=released)
