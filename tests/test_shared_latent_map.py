"""explorer/shared/latent_map.py: the map figure every page draws (Explore, Compare, Train, ...)."""

from types import SimpleNamespace

import numpy as np
import pytest

from explorer.shared.latent_map import latent_map, scatter_map
from explorer.shared.loaders import label_name

POINTS = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]], np.float32)
LABELS = np.array([1, 0, 1, 2])


def indices(fig) -> list[int]:
    return sorted(int(i) for trace in fig.data for i in trace.customdata)


@pytest.mark.parametrize("labels, names, i, shown", [
    (None, None, 0, "-"), (LABELS, None, 3, "2"), (LABELS, ["zero", "one", "two"], 0, "one"),
    (LABELS, ["zero", "one"], 3, "2"),  # a label beyond the names falls back to its number
])
def test_label_name(labels, names, i, shown):
    assert label_name(labels, names, i) == shown


def test_one_trace_per_label_named_and_holding_its_points():
    fig = scatter_map(POINTS, ("z0", "z1"), LABELS, ["zero", "one", "two"])
    assert [t.name for t in fig.data] == ["zero", "one", "two"]
    one = fig.data[1]
    assert list(one.customdata) == [0, 2] and list(one.x) == [0.0, 4.0] and list(one.y) == [1.0, 5.0]
    assert indices(fig) == [0, 1, 2, 3]
    assert fig.layout.xaxis.title.text == "z0" and fig.layout.yaxis.title.text == "z1"
    assert fig.layout.yaxis.scaleanchor == "x"


def test_coloured_by_values_is_one_trace_with_a_colour_bar():
    fig = scatter_map(POINTS, ("PC 1", "PC 2"), LABELS, None, values=("z1", POINTS[:, 1]), equal_axes=False)
    assert len(fig.data) == 1 and fig.data[0].marker.colorbar.title.text == "z1"
    assert list(fig.data[0].marker.color) == [1.0, 3.0, 5.0, 7.0]
    assert list(fig.data[0].text) == ["1", "0", "1", "2"]  # hover still names each point's label
    assert fig.layout.yaxis.scaleanchor is None


def test_without_labels_one_plain_trace():
    fig = scatter_map(POINTS, ("z0", "z1"), uirevision="run-7")
    assert len(fig.data) == 1 and indices(fig) == [0, 1, 2, 3] and fig.layout.uirevision == "run-7"


def test_a_contexts_map_colours_by_label_or_by_a_latent_dimension():
    mu = np.arange(12, dtype=np.float32).reshape(4, 3)
    x = np.zeros((4, 1, 2, 2), np.float32)  # images: no hover text
    ctx = SimpleNamespace(name="m", labels=LABELS, class_names=None, mu=mu, x=x)
    assert len(latent_map(ctx, POINTS, ("z0", "z1")).data) == 3
    by_dim = latent_map(ctx, POINTS, ("z0", "z1"), color="z2")
    assert list(by_dim.data[0].marker.color) == [2.0, 5.0, 8.0, 11.0]
    assert by_dim.data[0].marker.colorbar.title.text == "z2"
    unlabelled = SimpleNamespace(name="m", labels=None, class_names=None, mu=mu, x=x)
    assert list(latent_map(unlabelled, POINTS, ("z0", "z1")).data[0].marker.color) == [0.0, 3.0, 6.0, 9.0]


def test_hover_texts_go_with_their_points():
    fig = scatter_map(POINTS, ("z0", "z1"), LABELS, None, texts=["a b", "c", "d e", "f"])
    assert list(fig.data[1].text) == ["a b", "d e"] and "%{text}" in fig.data[1].hovertemplate


def test_point_map_args_colour_by_label_with_class_names_or_by_a_latent_dimension():
    from explorer.shared.latent_map import point_map_args

    mu = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -2.0], [2.5, 1.0, 0.0], [3.5, 2.0, 1.0]], np.float32)
    ctx = SimpleNamespace(mu=mu, labels=LABELS, class_names=["zero", "one"])  # class 2 has no name
    pca = SimpleNamespace()
    args = point_map_args(ctx, "pca", pca, "label")
    assert args["color"] == "label" and args["label_names"] == ["zero", "one", "2"]
    assert args["titles"] == ("PC 1", "PC 2") and args["equal_axes"] is True
    assert list(args["labels"]) == list(LABELS)
    args = point_map_args(ctx, "umap", pca, "z2")
    assert args["color"] == "value" and args["color_title"] == "z2" and list(args["values"]) == [2.0, -2.0, 0.0, 1.0]
    assert args["equal_axes"] is False and args["titles"] == ("UMAP 1", "UMAP 2")
    ident = SimpleNamespace(dims_=np.array([2, 0]))
    unlabelled = SimpleNamespace(mu=mu, labels=None, class_names=None)
    args = point_map_args(unlabelled, "identity", ident, "label")  # no labels: coloured by z0
    assert args["color"] == "value" and args["color_title"] == "z0" and args["titles"] == ("z2", "z0")
