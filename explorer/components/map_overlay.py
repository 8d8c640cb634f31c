"""What the browser adds to a latent map (an st.plotly_chart): markers drawn in an SVG laid over it, and its
clicks: each click on the plot area comes to Python as a MapClick (the test point under the mouse, or the
spot's map coordinates), instead of as a plotly selection (why: map_overlay.js, watchClicks).

Why markers are not shapes in the figure: any change to the figure makes Streamlit send it again and plotly re-parse
it and redraw its WebGL scatter, which in a browser without a GPU was the largest part of a map click
(measured in bench/README.md). Kept out of the figure, a click or a slider release changes only this
component's few hundred bytes. Given a linear projection (vae_core.projection.linear_map), the cross
also follows a latent_decoder's drag live, before the page reruns.

The chart itself should not select on click: no "points" in its selection_mode (box and lasso are fine).

Hooks for tests: the overlay is `svg[data-testid="map-markers"]`; each marker has `data-kind` and its map
coordinates in `data-x` / `data-y`; the svg counts the clicks it reported in `data-clicks`, and
`data-clicked-at` holds the last one's event time (performance.now() clock).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import streamlit as st

_HERE = Path(__file__).parent
_component = st.components.v2.component(
    "latent_lab.map_overlay",
    html='<div data-testid="map-overlay-anchor" hidden></div>',
    js=(_HERE / "map_overlay.js").read_text(),
)
KINDS = ("x", "ring", "diamond")
TEST_DELAY_ENV = "LATENT_LAB_TEST_CLICK_DELAY_S"  # seconds a map click's Python handler waits: e2e tests only


@dataclass(frozen=True)
class MapMarker:
    """A marker at map coordinates (x, y): "x" (a cross, the current z), "ring" (the selected point) or
    "diamond" (an end of a path); `label` is written above it (point_map only)."""

    x: float
    y: float
    kind: str = "x"
    color: str = "#d62728"
    size: int = 9  # half-width in CSS pixels
    label: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"marker kind must be one of {KINDS}, got {self.kind!r}")


def marker_data(chart_key: str, markers: list[MapMarker], live_source: str | None = None,
                linear: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """What the browser gets: finite markers as plain dicts, and the live-drag projection if any."""
    shown = [asdict(m) | {"x": float(m.x), "y": float(m.y)} for m in markers
             if math.isfinite(m.x) and math.isfinite(m.y)]
    live = None
    if live_source is not None and linear is not None:
        w, b = linear
        live = {"source": live_source, "W": np.asarray(w, float).tolist(), "b": np.asarray(b, float).tolist()}
    return {"chart": chart_key, "markers": shown, "live": live}


@dataclass(frozen=True)
class MapClick:
    """A click on the map: index is the test point under the mouse (None between the dots); x, y are the map
    coordinates under the mouse."""

    index: int | None
    x: float
    y: float


def parse_click(value) -> MapClick | None:
    """The browser's click report as a MapClick, or None if it is missing or malformed."""
    if not isinstance(value, dict):
        return None
    try:
        index = value.get("index")
        index = None if index is None else int(index)
        x, y = float(value["x"]), float(value["y"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(x) and math.isfinite(y)) or (index is not None and index < 0):
        return None
    return MapClick(index, x, y)


def click_callback(key: str, on_click: Callable[[MapClick], None] | None) -> Callable[[], None]:
    """The on_click_change callback of a component (this overlay, point_map) keyed `key`: the click it reported,
    as a MapClick, goes to on_click (nothing happens without one, or for a malformed report)."""

    def clicked() -> None:
        click = parse_click((st.session_state.get(key) or {}).get("click"))
        if click is not None and on_click is not None:
            if delay := float(os.environ.get(TEST_DELAY_ENV) or 0):
                time.sleep(delay)  # tests only: Python answers late, so what the browser drew alone shows
            on_click(click)

    return clicked


def map_overlay(chart_key: str, markers: list[MapMarker], *, key: str, live_source: str | None = None,
                linear: tuple[np.ndarray, np.ndarray] | None = None,
                on_click: Callable[[MapClick], None] | None = None, answer_clicks: bool = False) -> None:
    """Draw markers over the st.plotly_chart whose key is chart_key (its first x/y axes), and report its clicks.

    live_source: the key of a latent_decoder whose drags move the "x" marker as they happen, through
    linear = (W (2, D), b (2,)), the projection z -> map point; without it the marker moves on release.
    on_click(click) runs first thing in the rerun that each click on the map causes (like a widget's
    callback), so the page then draws with the new selection; a second click on the same point counts too.
    answer_clicks: the browser moves the markers at once (ring and cross to a clicked point, the cross to a
    clicked spot) and sends a "latent-lab:pick" window event {chart, index, x, y, point} that a
    selection_view answers in the next frame, before on_click's rerun.
    """

    data = marker_data(chart_key, markers, live_source, linear) | {"answer_clicks": answer_clicks}
    _component(key=key, data=data, on_click_change=click_callback(key, on_click))
