"""A latent map drawn by the browser on a 2-D canvas: N points (up to 70,000) coloured by a class label (with a
legend that hides and shows classes) or by a value (with a colour bar), axes, pan, wheel zoom, hover with the
point's image, clicks, box and lasso selection. Meant to replace `st.plotly_chart` + `map_overlay` on a page.

Why not plotly: on a 2-core machine with software WebGL, a page with one st.plotly_chart became interactive
4-6 s after the request, almost all of it spent loading and starting plotly's 4.7 MB bundle; an empty page took
~1.6 s. This component is a few hundred lines of JS and draws 10,000 points in a few milliseconds
(bench/README.md, "pointmap").

What travels: the coordinates (float32 x, y pairs) and the colouring (int32 codes or float32 values) go once
per change as static files named by a hash of their content (static_files.py); each rerun sends only the URLs,
markers and settings, a few hundred bytes. The tooltip's images (the sprite sheet) or sentences come from the
point set of points.py, which the selection views load too: a text checkpoint's sentences travel once.

Clicks come to Python as map_overlay.MapClick (the point within hover reach, else the spot's map
coordinates); with answer_clicks the browser also sends map_overlay's "latent-lab:pick" window event, so a
selection_view draws the point at once. Box and lasso selections come back as the selected indices.

Hooks for tests (on `[data-testid="point-map"]`): data-points-drawn (points drawn in the last redraw),
data-drawn-at (performance.now() of that redraw), data-redraw-ms (its duration), data-redraws, data-clicks,
data-clicked-at, data-hover-index, data-selected (how many the last selection held), data-mode, data-ready,
data-markers (the markers as drawn: kind, x, y, and label when it has one), data-path (the drawn path's
vertex count);
and `window.__latentLabMaps[key]` with toPixel(x, y) -> page coordinates (CSS px) and toMap(px, py).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st

from explorer.components import bundle
from explorer.components.map_overlay import MapClick, MapMarker, click_callback, marker_data
from explorer.components.static_files import publish, static_folder, static_url

_HERE = Path(__file__).parent
JS_FILES = ("program_loader.js", "points.js", "point_map_draw.js", "point_map.js")  # base64ToFloat32 is in the loader
_component = st.components.v2.component(
    "latent_lab.point_map",
    html=(_HERE / "point_map.html").read_text(),
    css=(_HERE / "point_map.css").read_text(),
    js=bundle(JS_FILES),
)

COLORINGS = ("label", "value", "none")
MAX_POINTS = 200_000  # well above MNIST's 70,000: a guard against passing an image array by mistake
# Plotly's qualitative T10 then Pastel, as explorer/shared/latent_map.py colours classes (checked in the tests).
PALETTE = ("#4C78A8", "#F58518", "#E45756", "#72B7B2", "#54A24B", "#EECA3B", "#B279A2", "#FF9DA6", "#9D755D",
           "#BAB0AC", "rgb(102, 197, 204)", "rgb(246, 207, 113)", "rgb(248, 156, 116)", "rgb(220, 176, 242)",
           "rgb(135, 197, 95)", "rgb(158, 185, 243)", "rgb(254, 136, 177)", "rgb(201, 219, 116)",
           "rgb(139, 224, 164)", "rgb(180, 151, 231)", "rgb(179, 179, 179)")
# ColorBrewer RdBu reversed (plotly's "RdBu_r"): low values blue, high red, as latent_map.py's colour scale.
RDBU_R = ("#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d",
          "#b2182b", "#67001f")


def _as_points(points) -> np.ndarray:
    xy = np.asarray(points, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"points must be an (N, 2) array of map coordinates, got shape {xy.shape}")
    if len(xy) > MAX_POINTS:
        raise ValueError(f"point_map draws at most {MAX_POINTS:,} points, got {len(xy):,}")
    bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
    if len(bad):
        raise ValueError(f"points must be finite: {len(bad)} row(s) hold NaN or inf, the first is row {bad[0]}")
    return xy


def _coloring(n: int, color: str, labels, label_names, values) -> tuple[str, np.ndarray | None, dict]:
    """The colouring's kind, its per-point array (int32 codes or float32 values) and what the legend or bar needs."""
    if color not in COLORINGS:
        raise ValueError(f"color must be one of {COLORINGS}, got {color!r}")
    if color == "label":
        if labels is None:
            raise ValueError('color="label" needs labels (one per point)')
        y = np.asarray(labels)
        if y.shape != (n,):
            raise ValueError(f"labels must hold one value per point: {n} points, labels of shape {y.shape}")
        if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0):
            raise ValueError("labels must be non-negative integers (class indices)")
        classes = [int(c) for c in np.unique(y)]
        if label_names is not None and classes and classes[-1] >= len(label_names):
            raise ValueError(f"label_names names {len(label_names)} classes, but labels go up to {classes[-1]}")
        names = [str(c) for c in classes] if label_names is None else [str(label_names[c]) for c in classes]
        codes = np.searchsorted(classes, y).astype("<i4")  # class k of the legend, in the legend's order
        legend = [{"name": name, "color": PALETTE[k % len(PALETTE)]} for k, name in enumerate(names)]
        return "label", codes, {"legend": legend}
    if color == "value":
        if values is None:
            raise ValueError('color="value" needs values (one per point)')
        v = np.asarray(values, dtype=np.float64)
        if v.shape != (n,):
            raise ValueError(f"values must hold one number per point: {n} points, values of shape {v.shape}")
        if not np.isfinite(v).all():
            raise ValueError("values must be finite (no NaN or inf)")
        lo, hi = (float(v.min()), float(v.max())) if n else (0.0, 1.0)
        return "value", v.astype("<f4"), {"scale": list(RDBU_R), "vmin": lo, "vmax": hi}
    return "none", None, {}


def map_payload(points, *, color: str = "label", labels=None, label_names=None, values=None,
                folder: Path | None = None) -> dict:
    """The map's points as the browser loads them: {"hash", "n", "kind", "xy": url or base64, "color": url or
    base64 or None, legend or colour scale}. With a static `folder` the arrays are files named by their hash
    (written once); without one (static serving off) they go inline, resent on every rerun."""
    xy = _as_points(points)
    kind, col, extra = _coloring(len(xy), color, labels, label_names, values)
    xy_bytes = xy.astype("<f4").tobytes()
    col_bytes = b"" if col is None else col.tobytes()
    digest = hashlib.sha256(kind.encode() + len(xy).to_bytes(8, "little") + xy_bytes + col_bytes).hexdigest()[:32]
    # the view (pan, zoom) outlives a change of colouring, as plotly's uirevision keeps it: same xy_hash
    out = {"hash": digest, "xy_hash": hashlib.sha256(xy_bytes).hexdigest()[:32], "n": len(xy), "kind": kind, **extra}
    if folder is None:
        out["xy_b64"] = base64.b64encode(xy_bytes).decode()
        out["color_b64"] = base64.b64encode(col_bytes).decode() if col is not None else None
        return out
    publish(folder, f"{digest}-xy.bin", xy_bytes)
    out["xy_url"] = static_url(folder, f"{digest}-xy.bin")
    out["color_url"] = None
    if col is not None:
        publish(folder, f"{digest}-{kind}.bin", col_bytes)
        out["color_url"] = static_url(folder, f"{digest}-{kind}.bin")
    return out


def path_payload(path) -> list[list[float]] | None:
    """A polyline's vertices ((K, 2) map coordinates, K >= 2) as the browser draws them, or None without one."""
    if path is None:
        return None
    xy = np.asarray(path, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) < 2:
        raise ValueError(f"path must be a (K, 2) array of map coordinates with K >= 2, got shape {xy.shape}")
    if not np.isfinite(xy).all():
        raise ValueError("path must be finite (no NaN or inf)")
    return xy.tolist()


def parse_selection(value) -> list[int] | None:
    """The browser's box or lasso report ({"indices": [...], "n": k}) as a list of indices, None if malformed."""
    if not isinstance(value, dict) or not isinstance(value.get("indices"), list):
        return None
    try:
        out = [int(i) for i in value["indices"]]
    except (TypeError, ValueError):
        return None
    return out if all(i >= 0 for i in out) else None


def point_map(points, *, key: str, color: str = "label", labels=None, label_names=None, values=None,
              color_title: str = "", titles: tuple[str, str] = ("", ""), equal_axes: bool = True, height: int = 520,
              markers: list[MapMarker] | None = None, path=None, live_source: str | None = None,
              linear: tuple[np.ndarray, np.ndarray] | None = None, points_source: dict | None = None,
              on_click: Callable[[MapClick], None] | None = None,
              on_select: Callable[[list[int]], None] | None = None, answer_clicks: bool = False,
              hover_px: int = 6, point_size: float | None = None, tip_chars: int = 120) -> list[int]:
    """Draw `points` ((N, 2) map coordinates of test points 0..N-1) and return the indices of the last box or
    lasso selection ([] before any).

    color: "label" (needs `labels`, class indices; `label_names[c]` names class c in the legend and tooltip),
    "value" (needs `values`, one number per point, shown with a colour bar titled `color_title`) or "none".
    titles: the x and y axis titles; equal_axes: one map unit is as long on both axes (identity, PCA).
    path: a polyline ((K, 2) map coordinates) drawn over the points with a dot at each vertex, under the
    markers (Interpolate's walk from A to B).
    markers, live_source, linear, on_click, answer_clicks: as map_overlay (the "x" marker follows the
    latent_decoder `live_source` through linear = (W, b); on_click(MapClick) runs first in the rerun a click
    causes; answer_clicks sends "latent-lab:pick" with chart=key). on_select(indices) runs first in the rerun
    a box or lasso selection causes. points_source: points.points_source(ctx), for the tooltip: the point's
    image, or a text checkpoint's sentence (the point set's copy, which the text selection view reads too, so the
    sentences travel once), cut to tip_chars characters with an ellipsis.
    hover_px: how far beyond a dot's edge hover and clicks reach it.
    """
    folder = static_folder("pointmap")
    payload = map_payload(points, color=color, labels=labels, label_names=label_names, values=values, folder=folder)
    size = point_size if point_size is not None else (6.0 if payload["n"] <= 2000 else 4.0)  # as latent_map.py

    def selected() -> None:
        picked = parse_selection((st.session_state.get(key) or {}).get("selection"))
        if picked is not None and on_select is not None:
            on_select(picked)

    overlay = marker_data(key, markers or [], live_source, linear)
    data = {"key": key, "map": payload, "markers": overlay["markers"], "path": path_payload(path),
            "live": overlay["live"],
            "answer_clicks": bool(answer_clicks), "titles": [str(titles[0]), str(titles[1])],
            "color_title": str(color_title), "equal": bool(equal_axes), "height": int(height),
            "hover_px": float(hover_px), "size": float(size), "points": points_source, "tip_chars": int(tip_chars)}
    _component(key=key, data=data, on_click_change=click_callback(key, on_click), on_selection_change=selected)
    return parse_selection((st.session_state.get(key) or {}).get("selection")) or []
