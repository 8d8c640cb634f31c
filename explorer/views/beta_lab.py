"""Beta lab: train a small sweep of β values in the background (vae_core.jobs.sweep), then compare them: the
rate-distortion curve, reconstructions and samples per β, active units and, on shapes, how each latent dimension
tracks the true factors (vae_core.analysis.disentangle). Saved sweeps are found and shown without retraining."""

from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explorer import display, shared
from vae_core import checkpoint as ck
from vae_core.analysis import disentangle, sweep_results
from vae_core.data import load_dataset
from vae_core.jobs import sweep, training
from vae_core.metrics import active_unit_mask

INTRO = ("β weights the KL term of the loss: the higher β, the less information z keeps, so reconstructions blur, "
         "samples look alike, and the few dimensions left tend to become more independent.")
DATASETS = {"mnist": "MNIST 28×28", "digits": "Digits 8×8", "shapes": "Shapes 32×32"}
MEASURES = {"mi": "mutual information", "corr": "|correlation|"}
LAYOUT = dict(height=330, margin=dict(l=10, r=50, t=40, b=10), font=dict(size=14))  # r: room for labels
PLAIN = {"displayModeBar": False}
# Streamlit runs gc.collect(2) after every run, fragment runs too: ~1 s holding the GIL with torch loaded, which
# the training thread waits for. Polling each second keeps the bar live and leaves the sweep most of the time.
POLL_S = 2.0


@st.cache_data(show_spinner="Encoding the test set with each β...", max_entries=32)
def view(name: str, sha: str, spec: str) -> sweep_results.MemberView:
    return sweep_results.member_view(shared.load_model(name)[0], shared.load_test_set(spec)[0])


@st.cache_data(show_spinner="Comparing latent dimensions with the true factors...", max_entries=32)
def report(_mu: np.ndarray, _active: np.ndarray, sha: str, spec: str) -> disentangle.FactorReport:
    return disentangle.factor_report(_mu, load_dataset(spec).factors_test, active=_active)


def use_preset() -> None:
    """Another dataset: its own preset epochs and latent size (the β values stay)."""
    p = sweep.preset(st.session_state["beta_data"])
    st.session_state.update(beta_epochs=p.epochs, beta_latent=p.latent_dim)


def picked_data() -> str | None:
    """The dataset of the sidebar's checkpoint, if it opens."""
    try:
        return ck.read_info(st.session_state["checkpoint"], root).train_config.data
    except (KeyError, TypeError, ck.CheckpointError):
        return None


def factor_section(reports: dict[str, disentangle.FactorReport]) -> None:
    """The MIG of every model and the factor-vs-latent matrix of the chosen one."""
    mig_col, map_col = st.columns([1, 1.5], gap="large")
    fig = go.Figure(go.Bar(x=list(reports), y=[r.mig for r in reports.values()], marker_color="#e45756",
                           text=[f"{r.mig:.2f}" for r in reports.values()]))
    fig.update_layout(title="MIG: mutual information gap", yaxis_range=[0, 1], **LAYOUT)
    mig_col.plotly_chart(fig, key="beta_mig", config=PLAIN)
    mig_col.caption("Per factor: the share of its information held by its best dimension minus that of the "
                    "runner-up, averaged over the factors. 1: each factor has a dimension of its own "
                    "(disentangled); 0: the factors are smeared over several dimensions. A higher β pushes "
                    "towards independent dimensions but does not guarantee that they line up with the factors.")
    with map_col:
        c1, c2 = st.columns(2)
        r = reports[c1.selectbox("Model", list(reports), index=len(reports) - 1, key="beta_model")]
        measure = c2.segmented_control("Measure", list(MEASURES), format_func=MEASURES.get, key="beta_measure",
                                       default="mi", required=True)
        matrix = r.normalized_mi if measure == "mi" else r.correlation
        fig = go.Figure(go.Heatmap(z=matrix, x=list(r.factor_names), zmin=0, zmax=1, colorscale="Blues",
                                   y=[f"z{d}" + ("" if r.active[d] else " (off)") for d in range(len(matrix))],
                                   text=np.round(matrix, 2), texttemplate="%{text}"))
        fig.update_layout(yaxis_autorange="reversed", **{**LAYOUT, "margin": dict(l=10, r=10, t=10, b=10)})
        st.plotly_chart(fig, key="beta_factors", config=PLAIN)
        st.caption("Rows: latent dimensions; columns: the true factors. Disentangled means one dark cell per column, "
                   "each in its own row. Mutual information (as a share of the factor's) sees any relation, "
                   "correlation only straight lines. A circle's rotation is invisible, so no model can learn it.")


root, sweeps = shared.checkpoints_root(), sweep.default_sweeps()
picked = picked_data()
start = sweep.preset(picked if picked in DATASETS else "digits")
shared.set_defaults(dict(beta_data=start.data, beta_betas=list(start.betas), beta_epochs=start.epochs,
                         beta_latent=start.latent_dim))
frame = shared.header_with_job("Beta lab", INTRO, sweeps, "beta_session", [1, 2.6])
job, session = frame.job, frame.session
with frame.settings:
    data = st.segmented_control("Dataset", list(DATASETS), format_func=DATASETS.get, key="beta_data", required=True,
                                on_change=use_preset)
    betas = st.pills("β values", sweep.BETA_CHOICES, selection_mode="multi", format_func="{:g}".format,
                     key="beta_betas")
    c1, c2 = st.columns(2)
    epochs = c1.number_input("Epochs per β", 1, 1000, key="beta_epochs")
    latent = c2.number_input("Latent size", 1, 64, key="beta_latent")
    if st.button("Start sweep", type="primary", width="stretch", disabled=bool(job and job.active)):
        try:
            settings = replace(sweep.preset(data), betas=tuple(betas), epochs=int(epochs), latent_dim=int(latent))
            job = sweeps.start(session, sweep.SweepJob(settings, root, session))
        except training.BAD_SETTINGS as exc:
            st.error(str(exc))
    st.caption("Each β trains the same small MLP from the same start and is saved as checkpoint `beta-<data>-<β>` "
               "(also in the sidebar picker); a new sweep replaces earlier runs with the same β.")
st.session_state["_beta_done"] = len(job.snapshot().done) if job else 0


@st.fragment(run_every=POLL_S if job and job.active else None)
def live(job: sweep.SweepJob | None, polling: bool) -> None:
    if job is None:
        return
    snap = job.snapshot()
    cur = snap.current
    if polling and (not snap.active or len(snap.done) != st.session_state["_beta_done"]):
        st.rerun()  # a member is done: redraw the results (and stop polling at the end)
    step = f"β = {snap.beta:g} ({snap.index + 1} of {len(snap.betas)})"
    if snap.active:
        running = cur is not None and cur.status == "running"
        step += f" · epoch {min(cur.epoch + 1, cur.epochs)} of {cur.epochs}" if running else " · starting…"
    st.progress(snap.progress, text=f"**Sweep on {snap.data}** · {snap.status} · {step} · {snap.seconds:.0f} s")
    if snap.active and st.button("Stop", icon=":material/stop:", key="beta_stop"):
        job.stop()
        st.toast("Stopping after the current batch…")
    if snap.status == "finished":
        st.success(f"Sweep finished: {snap.message}.")
    elif snap.status in ("stopped", "failed"):
        (st.info if snap.status == "stopped" else st.error)(f"Sweep {snap.status}: {snap.message}")


points = sweep_results.find_sweep(data, root, exclude=training.default_registry().names_in_use())
views = {p.name: view(p.name, p.weights_sha256, data) for p in points}
label = {p.name: f"β = {p.beta:g}" + ("" if p.complete else f" ({p.epochs_done}/{p.epochs} ep.)") for p in points}
with frame.results:
    live(job, bool(job and job.active))
    if not points:
        st.info(f"No β sweep on {DATASETS[data]} is saved yet. Pick the β values and press **Start sweep**: it trains "
                "in the background (a few seconds per β on digits), so you may switch pages meanwhile.")
    else:
        rd_col, au_col = st.columns(2)
        fig = go.Figure(go.Scatter(
            x=[p.rate for p in points], y=[p.distortion for p in points], mode="lines+markers+text",
            text=[label[p.name] for p in points], textposition="top right", cliponaxis=False,
            marker=dict(size=12, color=np.log2([max(p.beta, 1e-3) for p in points]), colorscale="Viridis")))
        fig.update_layout(title="Rate-distortion", xaxis_title="rate: KL (nats per image)",
                          yaxis_title="distortion: reconstruction (nats)", **LAYOUT)
        rd_col.plotly_chart(fig, key="beta_rd", config=PLAIN)
        rd_col.caption("One point per model. A higher β moves it left and up: fewer nats in z, more lost in the "
                       "reconstruction. −ELBO is the sum of the two coordinates.")
        active = [int(views[p.name].active.sum()) for p in points]
        fig = go.Figure(go.Bar(x=[label[p.name] for p in points], y=active, marker_color="#4c78a8",
                               text=[f"{a} of {p.latent_dim}" for a, p in zip(active, points, strict=True)],
                               textposition="outside", cliponaxis=False))
        fig.update_layout(title="Active units", yaxis_title="latent dims in use", **LAYOUT,
                          yaxis_range=[0, 1.15 * max(p.latent_dim for p in points)])
        au_col.plotly_chart(fig, key="beta_active", config=PLAIN)
        au_col.caption("A dimension is active when its μ changes from image to image (variance > 0.01). The KL "
                       "price makes a high-β model switch dimensions off.")

if points:
    st.subheader("Reconstructions and samples per β")
    st.caption("Top: the same test images, encoded and decoded by each model. Bottom: the same random z ~ N(0, I) "
               "decoded by each model. Sharp at low β; blurry, then all alike as β grows.")
    x = shared.load_test_set(data)[0]
    for kind, title in (("recon", "**Test images**"), ("samples", "**Prior samples** z ~ N(0, I)")):
        cols = st.columns(len(points) + 1)
        cols[0].markdown(title)
        if kind == "recon":
            display.batch(x[sweep_results.example_indices(len(x))], 4, 48, width="stretch", where=cols[0])
        for col, p in zip(cols[1:], points, strict=True):
            col.markdown(f"**{label[p.name]}**")
            display.batch(getattr(views[p.name], kind), 4, 48, width="stretch", where=col)

if data == "shapes":
    st.subheader("Which latent dimension tracks which true factor?")
    models = {}  # label -> (mu, active dims, weights' hash); the highest β last, shown first
    if picked == "shapes" and (ctx := shared.current()) is not None and ctx.name not in views:
        models[f"{ctx.name} (sidebar)"] = (ctx.mu, active_unit_mask(ctx.mu), ctx.sha)
    models |= {label[p.name]: (views[p.name].mu, views[p.name].active, p.weights_sha256) for p in points}
    reports = {name: report(mu, act, sha, data) for name, (mu, act, sha) in models.items()}
    if reports:
        factor_section(reports)
    else:
        st.info("Train a sweep on shapes, or pick a shapes checkpoint in the sidebar, to see this.")
