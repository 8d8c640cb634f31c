"""The latent map: a Scattergl of the test set at its 2-D projection (of a checkpoint's Context, or of any
points such as a training run's snapshot), its axis titles, and the arguments of Explore's canvas map
(point_map_args)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from explorer import display
from explorer.shared.loaders import Context, label_name

PROJECTIONS = {"identity": "Identity", "pca": "PCA", "umap": "UMAP"}
HOVER_PX = 6  # a dot's hover label, and a click's pick of it, reach this far (px) beyond its edge


def axis_titles(ctx: Context, method: str, proj) -> tuple[str, str]:
    if method == "identity":
        dims = list(proj.dims_) + [None]
        return f"z{dims[0]}", (f"z{dims[1]}" if dims[1] is not None else "")
    return ("PC 1", "PC 2") if method == "pca" else ("UMAP 1", "UMAP 2")


def scatter_map(points: np.ndarray, titles: tuple[str, str], labels: np.ndarray | None = None,
                class_names=None, values: tuple[str, np.ndarray] | None = None, equal_axes: bool = True,
                height: int = 520, uirevision: str = "map", texts: list[str] | None = None) -> go.Figure:
    """Scattergl of test points (N, 2): one trace per label (or one trace coloured by `values` = (name,
    (N,) floats), or plain without either); customdata carries each point's dataset index, hover shows it and,
    given `texts` (one per point: a text checkpoint's sentences), its text.

    Clicks are reported by a map_overlay (explorer/components/map_overlay.py), which picks the dot whose hover
    label shows, so the hover reach is kept short: a click a little further from every dot decodes the spot.
    """
    fig = go.Figure()
    idx = np.arange(len(points))
    size = 6 if len(points) <= 2000 else 4  # MNIST's 10,000 test images: smaller dots keep the clusters apart
    hover = "#%{customdata} · label %{meta}<extra></extra>"
    if texts is not None:
        hover = "#%{customdata} · %{meta}<br>%{text}<extra></extra>"
    if values is not None:
        name, value = values
        fig.add_trace(go.Scattergl(
            x=points[:, 0], y=points[:, 1], mode="markers", name=name, customdata=idx,
            text=[label_name(labels, class_names, i) for i in idx] if texts is None else texts,
            hovertemplate="#%{customdata} · " + ("label " if texts is None else "") + "%{text}<extra></extra>",
            marker=dict(size=size, opacity=0.85, color=value, colorscale="RdBu_r",
                        colorbar=dict(title=name, thickness=12)), showlegend=False))
    elif labels is not None:
        palette = qualitative.T10 + qualitative.Pastel
        for k, y in enumerate(np.unique(labels)):
            m = labels == y
            name = label_name(labels, class_names, int(idx[m][0]))
            fig.add_trace(go.Scattergl(x=points[m, 0], y=points[m, 1], mode="markers", name=name,
                                       customdata=idx[m], meta=name, hovertemplate=hover,
                                       text=None if texts is None else [texts[i] for i in idx[m]],
                                       marker=dict(size=size, opacity=0.8, color=palette[k % len(palette)])))
    else:
        fig.add_trace(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", name="test images",
                                   customdata=idx, text=texts, hovertemplate="#%{customdata}"
                                   + ("" if texts is None else "<br>%{text}") + "<extra></extra>",
                                   marker=dict(size=size, opacity=0.8, color=qualitative.T10[0])))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), xaxis_title=titles[0],
                      yaxis_title=titles[1], legend=dict(title="label", itemsizing="constant"),
                      uirevision=uirevision, dragmode="pan", hovermode="closest", hoverdistance=HOVER_PX)
    if equal_axes:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)  # distances in z mean the same both ways
    return fig


def latent_map(ctx: Context, points: np.ndarray, titles: tuple[str, str], color: str = "label",
               equal_axes: bool = True, height: int = 520) -> go.Figure:
    """The map of ctx's test set, coloured by label or by one latent dimension of mu (`color` = "z3")."""
    values = None
    if not (color == "label" and ctx.labels is not None):
        d = int(color[1:]) if color.startswith("z") else 0
        values = (f"z{d}", ctx.mu[:, d])
    return scatter_map(points, titles, ctx.labels, ctx.class_names, values, equal_axes, height,
                       uirevision=f"{ctx.name}-{titles}", texts=display.hover_texts(ctx))


def point_map_args(ctx: Context, method: str, proj, color: str = "label") -> dict:
    """The keyword arguments of components.point_map for ctx's test set under a fitted projection: coloured by
    label (with the dataset's class names) or by one latent dimension of mu (`color` = "z3", a colour bar titled
    "z3"), the projection's axis titles, and equal axes except for UMAP, whose distances mean nothing either way.
    """
    args = {"titles": axis_titles(ctx, method, proj), "equal_axes": method != "umap", "labels": ctx.labels}
    if color == "label" and ctx.labels is not None:
        names = ctx.class_names
        top = int(np.max(ctx.labels)) if len(ctx.labels) else -1
        if names is None or top >= len(names):  # names for every class, as label_name falls back to the number
            names = [label_name(np.array([c]), names, 0) for c in range(top + 1)]
        return {**args, "color": "label", "label_names": list(names)}
    d = int(color[1:]) if color.startswith("z") else 0
    return {**args, "color": "value", "values": ctx.mu[:, d], "color_title": f"z{d}"}
