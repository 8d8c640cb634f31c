"""Test-only page, in no menu (tests/e2e/test_point_map_browser.py and bench pointmap serve it alone): the point_map
component over seeded points, chosen by query parameters.

`?n=2000&seed=0&color=label&equal=1&sprites=1&answer=1` (these are the defaults): n points in ten seeded blobs,
labels 0..9 named "class k", one 8x8 image per point for the tooltip (random grey levels, so every image
differs), markers as the Explore page would set them; the x marker follows "latent-lab:z" events from a
decoder keyed "demo_decoder" through the map (z0, z1, z2) -> (z1 + 0.5, 2 z0 - 1). color=value colours by
each point's x. With $BENCH_MAP_POINTS (an .npz of `points` and `labels`, bench/startup.py's floor_points)
it shows those points instead (the first ?n= of them if given; ?blobs=1 keeps the blobs), without images.
Python writes what reached it: the last click, the selection, the number of runs. tests/e2e import
`demo_points` and `demo_images` to know the same data.
"""

import json
import os
from types import SimpleNamespace

import numpy as np
import streamlit as st

from explorer.components import points
from explorer.components.map_overlay import MapMarker
from explorer.components.point_map import point_map


def demo_points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n map points in ten Gaussian blobs on a circle of radius 4, and their labels 0..9."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    angle = labels * 2 * np.pi / 10
    centres = np.stack([4 * np.cos(angle), 4 * np.sin(angle)], 1)
    return (centres + rng.normal(0, 0.6, (n, 2))).astype(np.float32), labels


def demo_images(n: int, seed: int = 0) -> np.ndarray:
    """One 8x8 image per point, grey levels k/255 so that the sprite sheet's PNG holds them exactly."""
    return (np.random.default_rng(seed + 1).integers(0, 256, (n, 1, 8, 8)) / 255).astype(np.float32)


@st.cache_data
def bench_points(path: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as a:
        return a["points"], a["labels"]


def main() -> None:
    q = st.query_params
    n, seed = int(q.get("n", 2000)), int(q.get("seed", 0))
    if os.environ.get("BENCH_MAP_POINTS") and q.get("blobs") != "1":
        xy, labels = bench_points(os.environ["BENCH_MAP_POINTS"])
        if "n" in q:
            xy, labels = xy[:n], labels[:n]
        source = None
    else:
        xy, labels = demo_points(n, seed)
        source = None
        if q.get("sprites", "1") == "1":
            images = demo_images(n, seed)
            ctx = SimpleNamespace(x=images, mu=xy, labels=labels, class_names=[f"class {k}" for k in range(10)],
                                  sha=f"point-map-demo-{n}-{seed}")
            source = points.points_source(ctx)
    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    selected = st.session_state.get("selected")
    markers = [MapMarker(*xy[selected], kind="ring", color="black")] if selected is not None else []
    markers.append(MapMarker(*st.session_state.get("spot", (0.0, 0.0)), kind="x"))

    def on_click(click) -> None:
        st.session_state["last_click"] = {"index": click.index, "x": click.x, "y": click.y}
        if click.index is not None:
            st.session_state["selected"] = click.index
            st.session_state["spot"] = tuple(float(v) for v in xy[click.index])
        else:
            st.session_state["spot"] = (click.x, click.y)

    color = q.get("color", "label")
    group = point_map(xy, key="demo_map", color=color, labels=labels,
                      label_names=[f"class {k}" for k in range(int(labels.max()) + 1)], values=xy[:, 0],
                      color_title="x", titles=("dim 1", "dim 2"), equal_axes=q.get("equal", "1") == "1",
                      markers=markers, points_source=source, on_click=on_click, live_source="demo_decoder",
                      linear=(np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]]), np.array([0.5, -1.0])),
                      answer_clicks=q.get("answer", "1") == "1")
    with st.container(key="demo-click"):
        st.text(json.dumps(st.session_state.get("last_click")))
    with st.container(key="demo-selection"):
        st.text(json.dumps(group))
    with st.container(key="demo-runs"):
        st.text(str(st.session_state["runs"]))


if __name__ == "__main__":
    main()
