"""Compare: two checkpoints side by side on the same test data: their latent maps, reconstructions of the same
inputs, and a table of −ELBO, reconstruction, KL and active units."""

import numpy as np
import pandas as pd
import streamlit as st

from explorer import display, shared
from vae_core import checkpoint as ck
from vae_core.data import DataError, seeded_subset
from vae_core.metrics import evaluate
from vae_core.modality import modality_of
from vae_core.projection import default_method, project_latents

N_INPUTS = 10


@st.cache_data(show_spinner="Evaluating on the test set...", max_entries=16)
def evaluation(_model, name: str, sha: str, spec: str) -> dict:
    """-ELBO, recon, KL (nats per image) and active units on a test set, seeded: the same numbers every time."""
    return evaluate(_model, shared.load_test_set(spec)[0]).to_dict()


@st.cache_data(max_entries=16, show_spinner=False)
def plane(_mu, name: str, sha: str, spec: str, dims: tuple) -> tuple[np.ndarray, tuple[str, str]]:
    """The map's 2-D points: a latent of 2 dims as it is, a bigger one by PCA (instant, and the same every time)."""
    if default_method(_mu.shape[1]) == "identity":
        return project_latents(_mu, "identity", dims=dims)[0], (f"z{dims[0]}", f"z{dims[1]}" if len(dims) > 1 else "")
    return project_latents(_mu, "pca")[0], ("PC 1", "PC 2")


def describe(name: str) -> str:
    cfg = infos[name].model_config
    return f"{name} · {'×'.join(map(str, cfg.input_shape))} · z={cfg.latent_dim}"


shared.header(
    "Compare two checkpoints",
    "Two models side by side on the same test images: how the latent size, β or architecture changes "
    "the map, the reconstructions and the numbers.")
readable = shared.checkpoint_infos()
# The maps, images and numbers below are the image kind's.
infos = {name: info for name, info in readable.items() if modality_of(info.model_config) == "image"}
text_models = [name for name in readable if name not in infos]
if text_models:
    st.caption(f"Compare shows image models; not listed: {', '.join(text_models)} (text).")
names = list(infos)
if len(names) < 2:
    st.info("Compare needs two checkpoints: train a second one on the Train page.")
    st.stop()

first = st.session_state.get("checkpoint") if st.session_state.get("checkpoint") in names else names[0]
if st.session_state.get("cmp_a") not in names:
    st.session_state["cmp_a"] = first
if st.session_state.get("cmp_b") not in names:
    st.session_state["cmp_b"] = ck.comparison_partner(first, infos) or next(n for n in names if n != first)
col_a, col_b = st.columns(2)
a = col_a.selectbox("Checkpoint A", names, key="cmp_a", format_func=describe)
b = col_b.selectbox("Checkpoint B", names, key="cmp_b", format_func=describe)
shape_a, shape_b = (tuple(infos[n].model_config.input_shape) for n in (a, b))
if shape_a != shape_b:
    twins = [n for n in names if n != a and tuple(infos[n].model_config.input_shape) == shape_a]
    st.warning(f"These two cannot run on the same data: {a} takes {'×'.join(map(str, shape_a))} images and {b} "
               f"takes {'×'.join(map(str, shape_b))}. Pick two checkpoints with the same input shape"
               + (f", such as {', '.join(twins[:3])}." if twins else f"; none other takes {a}'s, so train a second "
                  "model on its data (another latent size or β) on the Train page."))
    st.stop()
if a == b:
    st.info("A and B are the same checkpoint: pick another for B to see a difference.")
specs = list(dict.fromkeys(infos[n].train_config.data for n in (a, b)))
if st.session_state.get("cmp_data") not in specs:
    st.session_state.pop("cmp_data", None)
spec = st.radio("Test data", specs, horizontal=True, key="cmp_data",
                help="The two were trained on different data: both are scored on the set you pick.") \
    if len(specs) > 1 else specs[0]
try:
    sides = [shared.open_context(n, spec) for n in (a, b)]
except (ck.CheckpointError, DataError) as exc:
    st.error(f"Cannot open a checkpoint: {exc}")
    st.stop()

st.subheader("The numbers")
st.caption(f"On the {len(sides[0].x):,} test images of `{spec}`, in nats per image: −ELBO = reconstruction + KL "
           "(lower is better); active units are latent dims whose μ changes with the input.")
rows = []
for side, tag in zip(sides, "AB", strict=True):
    r, cfg, train = evaluation(side.model, side.name, side.sha, spec), side.info.model_config, side.info.train_config
    rows.append({"": tag, "checkpoint": side.name, "trained on": train.data, "arch": cfg.arch, "β": train.beta,
                 "epochs": side.info.epochs_done, "−ELBO": r["neg_elbo"], "reconstruction": r["recon"], "KL": r["kl"],
                 "active units": f"{r['active_units']} of {cfg.latent_dim}"})
with st.container(key="cmp_table"):
    st.table(pd.DataFrame(rows).set_index("").style.format("{:.1f}", subset=["−ELBO", "reconstruction", "KL"])
             .format("{:g}", subset=["β"]))

st.subheader("Latent maps")
st.caption("Each dot is one test image at its μ, coloured by label: a map with cleanly separated colours has "
           "learned the classes without being told them.")
for col, side, tag in zip(st.columns(2, gap="large"), sides, "AB", strict=True):
    points, titles = plane(side.mu, side.name, side.sha, spec, tuple(side.dims_by_kl(2)))
    col.markdown(f"**{tag}: {side.name}**")
    col.plotly_chart(shared.latent_map(side, points, titles, height=420), key=f"cmp_map_{tag}",
                     config={"displaylogo": False})

st.subheader("Reconstructions of the same inputs")
seed = st.session_state.setdefault("cmp_seed", 0)
idx = seeded_subset(len(sides[0].x), N_INPUTS, seed)
st.button("Other inputs", key="cmp_resample", on_click=lambda: st.session_state.update(cmp_seed=seed + 1))
with st.container(key="cmp_recons"):
    for name, images in [("originals", sides[0].x[idx])] + [(f"{tag}: {side.name}", side.decode(side.mu[idx]))
                                                            for side, tag in zip(sides, "AB", strict=True)]:
        label_col, grid_col = st.columns([1, 6], vertical_alignment="center")
        label_col.markdown(f"**{name}**")
        display.batch(images, len(idx), 72, where=grid_col)
st.caption("Each model reconstructs decode(μ) of the same test images: blur means the latent keeps too little "
           "about the image, a wrong digit means it keeps the wrong things.")
