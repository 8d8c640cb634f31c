"""explorer/components/map_overlay.py: what the browser overlay gets and what its click reports become (its
drawing and its clicks are checked in Chromium by tests/e2e/test_pages.py)."""

import json

import numpy as np
import pytest

from explorer.components.map_overlay import MapClick, MapMarker, marker_data, parse_click
from vae_core.projection import linear_map, make_projection


def test_markers_become_plain_json_with_their_map_coordinates():
    ring = MapMarker(*np.array([0.5, -1.25], np.float32), kind="ring", color="black")
    data = marker_data("explore_map", [ring, MapMarker(2, 3)])
    assert data == {"chart": "explore_map", "live": None, "markers": [
        {"x": 0.5, "y": -1.25, "kind": "ring", "color": "black", "size": 9, "label": ""},
        {"x": 2.0, "y": 3.0, "kind": "x", "color": "#d62728", "size": 9, "label": ""}]}
    json.dumps(data)  # numpy scalars would not serialise


def test_markers_that_are_not_finite_are_left_out():
    data = marker_data("m", [MapMarker(float("nan"), 0), MapMarker(0, float("inf")), MapMarker(1, 1)])
    assert [(m["x"], m["y"]) for m in data["markers"]] == [(1.0, 1.0)]


def test_live_drag_needs_a_source_and_a_linear_projection():
    z = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    proj = make_projection("pca").fit(z)
    data = marker_data("m", [], live_source="explore_decoder", linear=linear_map(proj))
    w, b = np.array(data["live"]["W"]), np.array(data["live"]["b"])
    assert data["live"]["source"] == "explore_decoder" and w.shape == (2, 4) and b.shape == (2,)
    np.testing.assert_allclose(z @ w.T + b, proj.transform(z), atol=1e-5)  # what the browser computes
    assert marker_data("m", [], live_source="explore_decoder", linear=None)["live"] is None  # UMAP
    assert marker_data("m", [], linear=linear_map(proj))["live"] is None


def test_unknown_marker_kind_is_refused():
    with pytest.raises(ValueError, match="marker kind must be one of.*'star'"):
        MapMarker(0, 0, kind="star")


def test_a_click_report_becomes_a_map_click():
    assert parse_click({"index": 7, "x": 0.5, "y": -1, "n": 3}) == MapClick(7, 0.5, -1.0)
    assert parse_click({"index": None, "x": 2, "y": 3}) == MapClick(None, 2.0, 3.0)  # between the dots
    assert parse_click({"x": 2, "y": 3}) == MapClick(None, 2.0, 3.0)


@pytest.mark.parametrize("value", [None, "7", [], {}, {"index": 1}, {"x": 1, "y": "a"}, {"x": float("nan"), "y": 0},
                                   {"index": -1, "x": 0, "y": 0}, {"index": "two", "x": 0, "y": 0}])
def test_a_malformed_click_report_is_ignored(value):
    assert parse_click(value) is None
