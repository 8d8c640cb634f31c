"""explorer/shared.py helpers that need no running app."""

import plotly.graph_objects as go

from explorer import shared


def test_marker_shapes_sit_on_their_point_with_a_pixel_size():
    fig = go.Figure()
    shared.add_marker_shape(fig, (0.5, -1.25), "x")
    shared.add_marker_shape(fig, (2, 3), "ring", color="black", size=12)
    x, ring = fig.layout.shapes
    assert (x.type, x.xanchor, x.yanchor, x.xsizemode, x.ysizemode) == ("path", 0.5, -1.25, "pixel", "pixel")
    assert (ring.type, ring.x0, ring.x1, ring.y0, ring.y1, ring.line.color) == ("circle", -12, 12, -12, 12, "black")
    assert x.layer == ring.layer == "above"  # over the WebGL points
    assert len(fig.data) == 0  # no trace: moving a marker leaves the WebGL scene alone
