"""Train: settings, Start/Stop, live progress, loss curves, the KL per epoch and the latent map while it learns.
Images (bundled sets, an .npz, an IDX folder) or text (the bundled corpora, a .txt, a path) with the text model's
settings, its collapse remedies included.

The run lives in a vae_core.jobs.training.TrainingJob (a child process, one per browser session); this
page only reads its snapshot, polling with fragments while a job is active.
"""

import re

import plotly.graph_objects as go
import streamlit as st

from explorer import shared
from vae_core.config import TrainConfig
from vae_core.jobs import training
from vae_core.served import PathRefused, server_folder, server_text_path
from vae_core.text.cli import MODEL_DEFAULTS as TEXT_MODEL
from vae_core.text.cli import TRAIN_DEFAULTS as TEXT_TRAIN
from vae_core.uploads import check_npz_upload, check_upload_size, describe_data, save_upload

# The library's defaults are the page's, so the page and `python -m vae_core train` start from the same run.
DEFAULTS = TrainConfig()
INTRO = ("Training minimises −ELBO = reconstruction + β·KL. Watch the loss fall and the latent map organise itself, "
         "then open the new checkpoint on any page.")
# Learning rates on offer: a rough 1-3 ladder, plus the library's default wherever it falls.
LR_CHOICES = sorted({1e-4, 3e-4, 1e-3, 3e-3, 1e-2, DEFAULTS.lr})
SOURCES = {"digits": "Digits 8×8", "mnist": "MNIST 28×28", "shapes": "Shapes 32×32", "npz": "Upload .npz",
           "idx": "IDX folder", "grammar": "Grammar sentences", "pydoc": "Python docs sentences",
           "txt": "Upload .txt", "textpath": "Text file or folder"}
TEXT_SOURCES = ("grammar", "pydoc", "txt", "textpath")
SETTINGS = {"train_source": "digits", "train_idx": "", "train_arch": "mlp", "train_latent": 2,
            "train_beta": 1.0, "train_warmup": 0, "train_epochs": 20, "train_lr": DEFAULTS.lr, "train_batch": 128,
            "train_seed": 0, "train_overwrite": False, "train_textpath": "", "train_hidden": TEXT_MODEL["hidden"],
            "train_word_dropout": TEXT_TRAIN["word_dropout"], "train_free_bits": TEXT_TRAIN["free_bits"]}
# What changes when the data switches between images and text: the text side is `python -m vae_core train`'s.
KIND_DEFAULTS = {False: {"train_latent": 2, "train_warmup": 0, "train_batch": 128},
                 True: {"train_latent": 16, "train_warmup": int(TEXT_TRAIN["warmup_epochs"]),
                        "train_batch": TEXT_TRAIN["batch_size"]}}
CURVES = [("test_neg_elbo", "−ELBO", "#1f3b73"), ("test_recon", "reconstruction", "#4c9be8"),
          ("test_kl", "KL", "#e8743b")]  # test-set terms; the train loss is β-weighted, so not comparable
# Seconds between redraws while a job runs; nothing polls when none does. Redrawing changed plots costs
# the browser far more than the server, and on a 2-core machine that CPU comes out of training: with
# fast epochs the page trained at 0.73x the CLI's speed at 0.5 s / 2 s, 0.81x at 1 s / 3 s, 0.95x here.
PROGRESS_EVERY, CHARTS_EVERY = 1.0, 5.0
LAYOUT = dict(height=440, font=dict(size=15), margin=dict(l=10, r=10, t=50, b=10))


def switch_kind(before: str) -> None:
    """Between image and text data, the settings that differ take the other kind's defaults."""
    now = st.session_state["train_source"]
    if (before in TEXT_SOURCES) != (now in TEXT_SOURCES):
        st.session_state.update(KIND_DEFAULTS[now in TEXT_SOURCES])


registry, root = training.default_registry(), shared.checkpoints_root()
shared.set_defaults(SETTINGS | {"train_name": training.free_name("my-vae", root)})  # kept: explorer/page_keys.py
if st.session_state.pop("train_renew_name", False):  # the last run took this name: offer a fresh one
    st.session_state["train_name"] = training.free_name(re.sub(r"-\d+$", "", st.session_state["train_name"])
                                                        or "my-vae", root)
frame = shared.header_with_job("Train a VAE", INTRO, registry, "train_session", [1.2, 2.4])
job, session = frame.job, frame.session

with frame.settings:
    source = st.segmented_control("Dataset", list(SOURCES), format_func=SOURCES.get, key="train_source",
                                  required=True, on_change=switch_kind, args=(st.session_state["train_source"],))
    spec, data_error, text = source, None, source in TEXT_SOURCES
    if source == "npz":
        upload = st.file_uploader("Arrays x (N,H,W[,C]) uint8 or floats in [0,1], optional y", type="npz")
        if upload is not None:
            try:  # size and array-header limits before the file is saved or loaded
                spec = f"npz:{save_upload(check_npz_upload(upload.getvalue(), name=upload.name))}"
                st.caption(describe_data(spec, name=upload.name))
            except training.BAD_SETTINGS as exc:
                data_error = str(exc)
                st.error(data_error)
    elif source == "idx":
        folder = st.text_input("Folder with train-images-idx3-ubyte etc.", key="train_idx").strip()
        try:  # served to others, the folder must lie inside the server's data folder (vae_core.served)
            spec = f"idx:{server_folder(folder)}" if folder else None
        except PathRefused as exc:
            spec, data_error = None, str(exc)
            st.error(data_error)
    elif source == "txt":
        upload = st.file_uploader("Sentences, one a line (UTF-8)", type="txt")
        if upload is not None:
            try:
                spec = f"text:{save_upload(check_upload_size(upload.getvalue()), suffix='.txt')}"
                st.caption(describe_data(spec, name=upload.name))
            except training.BAD_SETTINGS as exc:
                spec, data_error = None, str(exc)
                st.error(data_error)
        else:
            spec = None
    elif source == "textpath":
        typed = st.text_input("A .txt file, or a folder with train.txt and test.txt", key="train_textpath").strip()
        try:  # served to others, confined to the server's data folder like the IDX folder
            spec = f"text:{server_text_path(typed)}" if typed else None
        except PathRefused as exc:
            spec, data_error = None, str(exc)
            st.error(data_error)
    if text:
        st.caption("A GRU sentence VAE (Bowman et al. 2016). Against **posterior collapse**: a KL warm-up, "
                   "word dropout and free bits.")
        t1, t2, t3 = st.columns(3)
        hidden = t1.select_slider("GRU width", [16, 32, 64, 128, 256], key="train_hidden")
        word_dropout = t2.number_input("Word dropout", 0.0, 0.95, step=0.05, key="train_word_dropout",
                                       help="share of the decoder's input characters blanked, so it must use z")
        free_bits = t3.number_input("Free bits", 0.0, 8.0, step=0.125, key="train_free_bits",
                                    help="nats of KL per latent dimension that cost nothing, so z is not shut off")
    else:
        arch = st.segmented_control("Architecture", ["mlp", "conv"], key="train_arch", required=True)
    c1, c2 = st.columns(2)
    latent = c1.number_input("Latent size", 1, 64, key="train_latent")
    beta = c2.number_input("β (KL weight)", 0.0, 100.0, step=0.5, key="train_beta")
    epochs = c1.number_input("Epochs", 1, 1000, key="train_epochs")
    warmup = c2.number_input("KL warm-up epochs", 0, 1000, key="train_warmup")
    lr = c1.select_slider("Learning rate", LR_CHOICES, format_func="{:g}".format,
                          key="train_lr")
    batch = c2.select_slider("Batch size", [16, 32, 64, 128, 256, 512], key="train_batch")
    seed = c1.number_input("Seed", 0, 2**31 - 1, key="train_seed")
    name = st.text_input("Save as checkpoint", key="train_name", max_chars=64)
    overwrite = st.checkbox("overwrite", key="train_overwrite", help="Replace a checkpoint with this name.")
    if st.button("Start training", type="primary", width="stretch", disabled=bool(job and job.active)):
        try:
            if not spec or data_error:
                raise training.JobError(data_error or f"upload a {'.txt' if text else '.npz'} file or give a "
                                        f"{'text file' if text else 'IDX folder'} first")
            remedies = dict(word_dropout=float(word_dropout), free_bits=float(free_bits)) if text else {}
            model = {"hidden": int(hidden)} if text else {"arch": arch}
            config = TrainConfig(data=spec, epochs=int(epochs), batch_size=int(batch), lr=lr, beta=beta,
                                 warmup_epochs=warmup, seed=int(seed), **remedies)
            job = registry.start(session, training.TrainingJob(name.strip(), config, int(latent), model,
                                                               overwrite, root))
        except training.BAD_SETTINGS as exc:
            st.error(str(exc))


def curves(history) -> go.Figure:
    fig, epochs = go.Figure(), [row["epoch"] for row in history]
    for key, label, color in CURVES:
        fig.add_scatter(x=epochs, y=[row[key] for row in history], name=label, mode="lines+markers",
                        line=dict(width=3, color=color))
    fig.update_layout(title="Test loss (nats / image)", xaxis_title="epoch", **LAYOUT,
                      legend=dict(orientation="h", y=-0.25))
    return fig.update_xaxes(dtick=max(1, round(len(epochs) / 8)))  # whole epochs only


def kl_curves(history) -> go.Figure:
    """The KL term alone: beside the reconstruction it is too small to read, and it is where collapse shows."""
    fig, epochs = go.Figure(), [row["epoch"] for row in history]
    fig.add_scatter(x=epochs, y=[row["test_kl"] for row in history], name="test set", mode="lines+markers",
                    line=dict(width=3, color="#e8743b"))
    fig.add_scatter(x=epochs, y=[row.get("train_kl") for row in history], name="training batches",
                    mode="lines", line=dict(width=2, color="#e8743b", dash="dot"))
    fig.update_layout(title="KL per epoch (nats / item)", xaxis_title="epoch", **LAYOUT,
                      legend=dict(orientation="h", y=-0.25))
    return fig.update_xaxes(dtick=max(1, round(len(epochs) / 8)))


def latent_map(snap: training.JobSnapshot) -> go.Figure:
    """The run's map as the other pages draw theirs (shared.scatter_map), titled with its epoch."""
    when = "untrained" if snap.map_epoch == 0 else f"epoch {snap.map_epoch}"
    fig = shared.scatter_map(snap.map_points, snap.map_axes, snap.map_labels, snap.class_names,
                             height=LAYOUT["height"], uirevision=snap.name)
    return fig.update_layout(title=f"Latent map ({when})", font=LAYOUT["font"], margin=LAYOUT["margin"])


def open_checkpoint(name: str) -> None:
    st.session_state["checkpoint"] = name  # the app shell's picker key; runs before the picker is drawn
    shared.reset_selection()
    shared.set_query(ckpt=name)


polling = bool(job and job.active)


@st.fragment(run_every=PROGRESS_EVERY if polling else None)
def progress(job: training.TrainingJob, polling: bool) -> None:
    """Cheap, so it can run often: the progress bar and Stop."""
    snap = job.snapshot()
    if polling and not snap.active:
        st.session_state["train_renew_name"] = snap.checkpoint is not None
        st.rerun()  # the whole page: stop polling, show the outcome, refresh the sidebar picker
    if snap.status == "queued":
        step = "loading the data…"
    elif snap.status == "running":
        loss = f" · batch loss {snap.loss:.2f}" if snap.loss is not None else ""
        step = f"epoch {snap.epoch + 1} of {snap.epochs} · batch {snap.batch}/{snap.n_batches}{loss}"
    else:
        step = f"{snap.epoch} of {snap.epochs} epochs in {snap.seconds:.0f} s"
    st.progress(snap.progress, text=f"**{snap.name}** · {snap.status} · {step}")
    if snap.active and st.button("Stop", icon=":material/stop:", key="train_stop"):
        job.stop()
        st.toast("Stopping after the current batch…")


@st.fragment(run_every=CHARTS_EVERY if polling else None)
def charts(job: training.TrainingJob) -> None:
    """What changes once per epoch, redrawn less often."""
    snap = job.snapshot()
    if history := snap.history:
        first, last = history[0]["test_neg_elbo"], history[-1]["test_neg_elbo"]
        with st.container(key="train-metrics", horizontal=True):
            st.metric("−ELBO, epoch 1", f"{first:.2f}")
            if len(history) > 1:
                st.metric(f"−ELBO, epoch {len(history)}", f"{last:.2f}", f"{last - first:.2f}", "inverse")
            st.metric("Reconstruction", f"{history[-1]['test_recon']:.2f}")
            st.metric("KL", f"{history[-1]['test_kl']:.2f}")
            st.metric("Examples / s", f"{history[-1]['images_per_s']:,.0f}", help="training speed, last epoch")
    c1, c2 = st.columns(2)
    if history:
        c1.plotly_chart(curves(history), key="train_curves", config={"displayModeBar": False})
    else:
        c1.info("Loss curves appear after the first epoch.")
    if snap.map_points is not None:
        c2.plotly_chart(latent_map(snap), key="train_map", config={"displayModeBar": False})
    if history:
        with c1.container(key="train-kl"):
            st.plotly_chart(kl_curves(history), key="train_kl_chart", config={"displayModeBar": False})


with frame.results:
    if job is None:
        st.info("Pick the settings on the left and press **Start training**. Training runs in the "
                "background: you may switch pages meanwhile.")
        st.stop()
    progress(job, polling)
    charts(job)
    snap = job.snapshot()
    kept = f"checkpoint **{snap.checkpoint}** holds epoch {snap.epoch}" if snap.checkpoint else "nothing saved"
    if snap.status == "finished":
        st.success(f"Done: {snap.message}. Saved as checkpoint **{snap.checkpoint}**; it is in the sidebar "
                   "picker on every page.")
    elif snap.status in ("stopped", "diverged"):
        (st.warning if snap.status == "diverged" else st.info)(f"{snap.message.capitalize()}: {kept}.")
    elif snap.status == "failed":
        st.error(f"Training failed: {snap.message}")
    if not snap.active and snap.checkpoint:
        if st.button(f"Open {snap.checkpoint} in Explore", icon=":material/map:", key="train_open",
                     on_click=open_checkpoint, args=(snap.checkpoint,)):
            st.switch_page("views/explore.py")
        with st.expander("History table"):
            st.dataframe(snap.history, hide_index=True)
