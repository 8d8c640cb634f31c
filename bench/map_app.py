"""The latent map alone, for bench/map.py: `streamlit run bench/map_app.py` with $BENCH_MAP_POINTS (an .npz
of `points` (N, 2) and `labels` (N,)); `?n=` shows the first n points. One Scattergl trace per label, styled
as the Explore page's map, with pan as the drag mode and wheel zoom on.
"""

import os

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.colors import qualitative


@st.cache_data
def load(path: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as a:
        return a["points"], a["labels"]


points, labels = load(os.environ["BENCH_MAP_POINTS"])
n = int(st.query_params.get("n", len(points)))
points, labels = points[:n], labels[:n]
fig = go.Figure()
for k, y in enumerate(np.unique(labels)):
    m = labels == y
    fig.add_trace(go.Scattergl(x=points[m, 0], y=points[m, 1], mode="markers", name=str(y),
                               customdata=np.flatnonzero(m), hovertemplate="#%{customdata}<extra></extra>",
                               marker=dict(size=6, opacity=0.8, color=qualitative.T10[k % 10])))
fig.update_layout(height=520, margin=dict(l=10, r=10, t=30, b=10), dragmode="pan", uirevision="map")
st.plotly_chart(fig, key="map", on_select="rerun", selection_mode=("points", "box", "lasso"),
                config={"scrollZoom": True, "displaylogo": False})
st.caption(f"{n} points")
