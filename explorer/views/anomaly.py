"""Anomaly detection: score images (or sentences) by -ELBO, compare the test set with out-of-distribution sets
(histogram, ROC, AUROC), show the least typical test items, and give an uploaded image (typed or uploaded
sentences) a verdict."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explorer import display, shared
from vae_core import checkpoint as ck
from vae_core.analysis import anomaly
from vae_core.metrics import auroc, roc_curve_points

TEST = "test"  # the test set's name among the scored sets (the outside sets have names of their own)
SCORES = {0: "−ELBO", 10: "IWAE, k = 10", 50: "IWAE, k = 50"}
COLOURS = ["#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
LEGEND = dict(x=0.99, y=0.99, xanchor="right", yanchor="top", bgcolor="rgba(255,255,255,0.7)")


@st.cache_data(show_spinner="Scoring the test set and the out-of-distribution sets...", max_entries=8)
def scores(_ctx, name: str, weights_sha: str, spec: str, iwae_k: int):
    """(test scores (N,), {set: (items, scores)}) for one checkpoint, cached by its weights' hash here and in
    its cache folder on disk (for the next server); the test set's -ELBO reuses the map's encodings."""
    sets = anomaly.ood_items(spec, _ctx.model, seed=0)
    scored = anomaly.score_sets(_ctx.model, {TEST: _ctx.x, **sets}, iwae_k, encoded={TEST: (_ctx.mu, _ctx.logvar)},
                                cache_dir=ck.cache_dir(_ctx.info))
    return scored.pop(TEST), {k: (v, scored[k]) for k, v in sets.items()}


def histogram(s_in: np.ndarray, ood: dict, limit: float, noun: str) -> go.Figure:
    """Overlaid score histograms (percent of each set) on shared bins; a log axis when scores span decades."""
    all_scores = np.concatenate([s_in, *(s for _, s in ood.values())])
    log = all_scores.min() > 0 and all_scores.max() / all_scores.min() > 20
    f = np.log10 if log else (lambda a: a)
    lo, hi = float(f(all_scores).min()), float(f(all_scores).max())
    fig = go.Figure()
    for k, (name, s) in enumerate([(f"test {noun}s (in distribution)", s_in)] + [(n, s) for n, (_, s) in ood.items()]):
        fig.add_trace(go.Histogram(x=f(s), name=name, histnorm="percent", opacity=0.6, marker_color=COLOURS[k],
                                   xbins=dict(start=lo, end=hi, size=(hi - lo) / 60 or 1)))
    fig.add_vline(x=float(f(limit)), line_dash="dash", annotation_text="threshold", annotation_position="bottom right")
    fig.update_layout(barmode="overlay", height=380, margin=dict(l=10, r=10, t=10, b=10), yaxis_title="% of set",
                      xaxis_title="score in nats" + (" (log scale)" if log else ""))
    if log:
        steps = (1, 2, 5) if hi - lo < 2.5 else (1,)  # 1-2-5 ticks over a few decades, else powers of ten
        ticks = [m * 10**e for e in range(int(np.floor(lo)), int(np.ceil(hi)) + 1) for m in steps]
        ticks = [t for t in ticks if lo - 0.1 <= np.log10(t) <= hi + 0.1]
        fig.update_xaxes(tickvals=np.log10(ticks), ticktext=[f"{t:,g}" if t < 1e5 else f"{t:.0e}" for t in ticks])
    return fig


ctx = shared.header_with_context(
    "Anomaly detection",
    "A VAE gives every image (or sentence) a score, −ELBO in nats, an upper bound on −log p(x): items unlike "
    "the training data get high scores, so a threshold on the score flags them.", modalities=("image", "text"))
spec = ctx.info.train_config.data
noun = display.noun(ctx)

st.session_state.setdefault("anomaly_quantile", 99.0)  # kept across pages (page_keys): no widget value=
c1, c2 = st.columns([2, 2])
iwae_k = c1.radio("Score", list(SCORES), format_func=SCORES.get, horizontal=True, key="anomaly_score",
                  help="IWAE averages k samples of z per image: a tighter bound on −log p(x), k times slower.")
quantile = c2.select_slider(f"Threshold: percentile of test-{noun} scores", [90.0, 95.0, 99.0, 99.9],
                            key="anomaly_quantile", help=f"Test {noun}s above it are false alarms: 100 − percentile %.")
if anomaly.is_slow(ctx.model, len(ctx.x), iwae_k):
    st.caption(f"IWAE decodes {iwae_k} samples per image: the first run takes minutes here, then it is cached.")
s_in, ood = scores(ctx, ctx.name, ctx.sha, spec, iwae_k)
limit = anomaly.threshold(s_in, quantile / 100)

st.subheader(f"Test {noun}s against {noun}s from elsewhere")
st.caption(f"The other sets are made here, no download: {', '.join(ood)}"
           + (f", all at the model's {'×'.join(map(str, ctx.x.shape[2:]))} pixels" if ctx.x.ndim == 4 else "")
           + f". AUROC is the chance that a random outside {noun} scores higher than a random test {noun}: "
           "1 separates perfectly, 0.5 is guessing.")
with st.container(key="anomaly_auroc"):
    cols = st.columns(len(ood))
    for col, (name, (images, s)) in zip(cols, ood.items(), strict=True):
        col.metric(f"AUROC · {name}", f"{auroc(s_in, s):.3f}",
                   help=f"{np.mean(s > limit):.0%} of {name} {noun}s score above the threshold")
        display.batch(images[:8], 4, 40, f"{name}: {np.mean(s > limit):.0%} flagged", where=col)
hist_col, roc_col = st.columns([3, 2], gap="large")
hist_col.plotly_chart(histogram(s_in, ood, limit, noun), key="anomaly_hist", config={"displaylogo": False})
roc = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="grey"), name="chance"))
for k, (name, (_, s)) in enumerate(ood.items()):
    fpr, tpr, _ = roc_curve_points(s_in, s)
    roc.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=name, line=dict(color=COLOURS[k + 1])))
roc.update_layout(height=380, margin=dict(l=10, r=10, t=10, b=10), xaxis_title=f"false alarms (test {noun}s flagged)",
                  yaxis_title=f"outside {noun}s caught", legend=dict(LEGEND, x=0.98, y=0.02, yanchor="bottom"),
                  xaxis_range=[-0.02, 1.02], yaxis_range=[-0.02, 1.02])
roc_col.plotly_chart(roc, key="anomaly_roc", config={"displaylogo": False})
st.caption("ROC: moving the threshold from high to low trades catching more outside images for more false "
           "alarms. A set the model finds *typical* (AUROC near 0.5) holds nothing the training data lacked.")

st.subheader(f"The least typical test {noun}s")
st.caption(f"The 12 test {noun}s with the highest scores, and what the model makes of them: often odd "
           "handwriting, shapes or wording, sometimes a mislabelled example.")
top = anomaly.worst(s_in, 12)
display.batch(ctx.x[top], 12, 72, width="stretch",
              caption="originals: " + ", ".join(f"#{i} ({ctx.label(i)}) {s_in[i]:.0f}" for i in top))
display.decoded(ctx, ctx.mu[top], 12, 72, "decode(μ)", width="stretch")

display.anomaly_upload(ctx, s_in, quantile, iwae_k, key="anomaly")
