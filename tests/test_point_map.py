"""explorer/components/point_map.py: what the canvas map's browser side gets (the points as files or inline, the
legend or colour scale), one clear error for bad input, and how its selection reports are read (its drawing,
hover, clicks and selections are checked in Chromium by tests/e2e/test_point_map_browser.py)."""

import base64
import json

import numpy as np
import pytest
from plotly.colors import qualitative, sequential

from explorer.components.point_map import (
    PALETTE,
    RDBU_R,
    map_payload,
    parse_selection,
    path_payload,
)

XY = np.array([[0.5, -1.0], [2.0, 3.0], [-4.0, 0.25]], np.float32)
LABELS = np.array([7, 2, 7])


def test_label_colouring_goes_inline_without_static_serving():
    data = map_payload(XY, labels=LABELS, label_names=[f"digit {k}" for k in range(10)])
    assert data["kind"] == "label" and data["n"] == 3
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(data["xy_b64"]), "<f4").reshape(3, 2), XY)
    # codes index the legend, which lists the classes present in order with their palette colours
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(data["color_b64"]), "<i4"), [1, 0, 1])
    assert data["legend"] == [{"name": "digit 2", "color": PALETTE[0]}, {"name": "digit 7", "color": PALETTE[1]}]
    json.dumps(data)


def test_value_colouring_sends_float32_values_and_their_range():
    data = map_payload(XY, color="value", values=[1.5, -2, 4])
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(data["color_b64"]), "<f4"), [1.5, -2, 4])
    assert (data["vmin"], data["vmax"], data["scale"]) == (-2.0, 4.0, list(RDBU_R))


def test_no_colouring_sends_only_the_points():
    data = map_payload(XY, color="none")
    assert data["kind"] == "none" and data["color_b64"] is None and "legend" not in data


def test_static_files_are_named_by_their_content(tmp_path):
    data = map_payload(XY, labels=LABELS, folder=tmp_path)
    xy_file, col_file = tmp_path / f"{data['hash']}-xy.bin", tmp_path / f"{data['hash']}-label.bin"
    assert data["xy_url"].endswith(f"/app/static/{tmp_path.name}/{xy_file.name}")
    assert data["color_url"].endswith(col_file.name) and "xy_b64" not in data
    np.testing.assert_array_equal(np.fromfile(xy_file, "<f4").reshape(3, 2), XY)
    np.testing.assert_array_equal(np.fromfile(col_file, "<i4"), [1, 0, 1])
    again = map_payload(XY.astype(np.float64), labels=LABELS, folder=tmp_path)
    assert again == data  # the same points, the same names: the browser's cache holds
    other = map_payload(XY, color="value", values=XY[:, 0], folder=tmp_path)
    assert other["hash"] != data["hash"] and other["xy_hash"] == data["xy_hash"]  # same xy: the view is kept


def test_the_palettes_are_latent_maps():
    assert list(PALETTE) == qualitative.T10 + qualitative.Pastel  # explorer/shared/latent_map.py's classes
    rgb = [tuple(int(v) for v in c[4:-1].split(",")) for c in sequential.RdBu_r]
    assert [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in RDBU_R] == rgb


@pytest.mark.parametrize("kwargs, message", [
    (dict(points=np.zeros((3, 3))), r"points must be an \(N, 2\) array.*\(3, 3\)"),
    (dict(points=np.zeros(4)), r"points must be an \(N, 2\) array"),
    (dict(points=[[0, 0], [np.nan, 1], [2, np.inf]]), "2 row.*NaN or inf, the first is row 1"),
    (dict(points=XY, labels=[1, 2]), r"labels must hold one value per point: 3 points, labels of shape \(2,\)"),
    (dict(points=XY, labels=[0.5, 1, 2]), "labels must be non-negative integers"),
    (dict(points=XY, labels=[-1, 1, 2]), "labels must be non-negative integers"),
    (dict(points=XY, labels=LABELS, label_names=["a", "b"]), "label_names names 2 classes, but labels go up to 7"),
    (dict(points=XY), 'color="label" needs labels'),
    (dict(points=XY, color="value"), 'color="value" needs values'),
    (dict(points=XY, color="value", values=[1, 2]), "values must hold one number per point"),
    (dict(points=XY, color="value", values=[1, np.nan, 2]), "values must be finite"),
    (dict(points=XY, color="z0"), r"color must be one of \('label', 'value', 'none'\), got 'z0'"),
])
def test_bad_input_gets_one_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        map_payload(**kwargs)


def test_a_selection_report_becomes_indices():
    assert parse_selection({"indices": [4, 1, 9], "n": 2}) == [4, 1, 9]
    assert parse_selection({"indices": [], "n": 3}) == []


@pytest.mark.parametrize("value", [None, [], {}, {"indices": "1,2"}, {"indices": [1, "a"]}, {"indices": [-1]}])
def test_a_malformed_selection_report_is_ignored(value):
    assert parse_selection(value) is None


def test_a_path_goes_as_plain_vertex_pairs():
    path = np.array([[0, 0], [0.5, 1.25], [2, 3]], np.float32)
    assert path_payload(path) == [[0.0, 0.0], [0.5, 1.25], [2.0, 3.0]]
    json.dumps(path_payload(path))  # numpy scalars would not serialise
    assert path_payload(None) is None


@pytest.mark.parametrize("path, message", [
    ([[0, 0]], r"path must be a \(K, 2\) array of map coordinates with K >= 2, got shape \(1, 2\)"),
    (np.zeros((3, 3)), r"got shape \(3, 3\)"),
    ([[0, 0], [np.nan, 1]], "path must be finite"),
])
def test_a_bad_path_gets_one_clear_error(path, message):
    with pytest.raises(ValueError, match=message):
        path_payload(path)
