"""Posterior collapse: two sentence VAEs side by side, one trained with the remedies (KL warm-up, word dropout,
free bits) and one without: KL per epoch, active units, samples from the prior, and a reconstruction whose z is
replaced by a random one. The numbers come from vae_core.text.collapse; this page lays them out."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explorer import display, shared
from vae_core.modality import modality_of
from vae_core.text.collapse import COLLAPSE_KL, kl_curve, mean_nll_rise, prior_samples, swap_z

# The bundled pair: the same command, with and without the remedies (Makefile `checkpoints`).
PAIR = ("grammar-16d", "grammar-16d-plain")
VIEWS = ("KL per epoch", "Samples from the prior", "Swap z")
N_SAMPLES, N_SWAPS = 8, 6
COLOURS = ("#1f3b73", "#e8743b")


@st.cache_data(max_entries=32, show_spinner="Decoding samples from the prior...")
def samples(_model, name: str, sha: str, seed: int) -> list[str]:
    return prior_samples(_model, N_SAMPLES, seed)


@st.cache_data(max_entries=32, show_spinner="Decoding with a random z...")
def swaps(_model, name: str, sha: str, sentences: tuple[str, ...], seed: int) -> list:
    return swap_z(_model, list(sentences), seed)


def kl_figure(curves: dict) -> go.Figure:
    fig = go.Figure()
    for (name, curve), colour in zip(curves.items(), COLOURS, strict=False):
        fig.add_scatter(x=curve.epochs, y=curve.test_kl, name=f"{name} (test)", mode="lines+markers",
                        line=dict(width=3, color=colour))
        fig.add_scatter(x=curve.epochs, y=curve.train_kl, name=f"{name} (train)", mode="lines",
                        line=dict(width=1.5, color=colour, dash="dot"))
    fig.add_hline(y=COLLAPSE_KL, line=dict(color="grey", dash="dash"), annotation_text="collapse")
    fig.update_layout(title="KL(q(z|x) ‖ p(z)) per epoch (nats / sentence)", xaxis_title="epoch", height=420,
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.2))
    return fig.update_xaxes(dtick=1)


shared.header(
    "Posterior collapse",
    "A sentence VAE's decoder is a strong language model: it can write good sentences without looking at z. "
    "Trained naively, the encoder then learns to say nothing (KL → 0) and z is ignored. The same model trained "
    "with KL warm-up, word dropout and free bits keeps z in use.")
infos = {name: info for name, info in shared.checkpoint_infos().items()
         if modality_of(info.model_config) == "text"}
if len(infos) < 2:
    st.info("This page compares two text checkpoints; the checkpoints folder holds "
            f"{len(infos)}. Train one on the Train page, or re-create the bundled pair with `make checkpoints`.")
    st.stop()
names = list(infos)
for key, wanted, fallback in (("collapse_a", PAIR[0], names[0]), ("collapse_b", PAIR[1], names[1])):
    if st.session_state.get(key) not in names:  # a first visit, or a lesson naming a checkpoint not here
        st.session_state[key] = wanted if wanted in names else fallback
st.session_state.setdefault("collapse_view", VIEWS[0])
st.session_state.setdefault("collapse_seed", 0)

c1, c2, c3 = st.columns([2, 2, 1])
a = c1.selectbox("With the remedies", names, key="collapse_a")
b = c2.selectbox("Without them", names, key="collapse_b")
seed = c3.number_input("Seed", 0, 2**31 - 1, key="collapse_seed")
view = st.segmented_control("Show", VIEWS, key="collapse_view", required=True)
pair = (a, b)

curves = {}
for name in pair:
    try:
        curves[name] = kl_curve(infos[name].history)
    except ValueError as exc:
        st.error(f"{name}: {exc}")
        st.stop()
cols = st.columns(2)
for col, name in zip(cols, pair, strict=True):
    curve, t = curves[name], infos[name].train_config
    with col.container(border=True, key=f"collapse_card_{pair.index(name)}"):
        st.markdown(f"**{name}** · warm-up {t.warmup_epochs:g} epochs · word dropout {t.word_dropout:g} · "
                    f"free bits {t.free_bits:g}")
        m1, m2 = st.columns(2)
        m1.metric("KL, last epoch", f"{curve.final_kl:.2f} nats")
        m2.metric("Active units", "-" if curve.active_units is None else
                  f"{curve.active_units} of {infos[name].model_config.latent_dim}",
                  help="latent dimensions whose mean over the test set varies (Cov > 0.01): the ones in use")
        (st.warning if curve.collapsed else st.success)(
            f"{'Collapsed' if curve.collapsed else 'Not collapsed'}: KL {'<' if curve.collapsed else '≥'} "
            f"{COLLAPSE_KL} nats")

if view == VIEWS[0]:
    st.plotly_chart(kl_figure(curves), key="collapse_kl", config={"displayModeBar": False})
    st.caption("Solid: the test set's KL after each epoch; dotted: the training batches' mean. Without the "
               "remedies the KL falls towards 0 in the first epoch and never comes back.")
elif view == VIEWS[1]:
    for col, name in zip(st.columns(2), pair, strict=True):
        model, info = shared.load_model(name)
        lines = samples(model, name, info.weights_sha256, int(seed))
        caption = (f"{name}: greedy decodes of {N_SAMPLES} draws z ~ N(0, I) (seed {seed}); "
                   f"{len(set(lines))} different")
        display.batch(np.array(lines, dtype=str), 1, 0, caption, "stretch", where=col)
else:
    model_a, info_a = shared.load_model(a)
    sentences = tuple(str(s) for s in shared.load_test_set(info_a.train_config.data)[0][:N_SWAPS])
    for col, name in zip(st.columns(2), pair, strict=True):
        model, info = shared.load_model(name)
        rows = swaps(model, name, info.weights_sha256, sentences, int(seed))
        with col.container(key=f"collapse_swaps_{pair.index(name)}"):
            m1, m2 = st.columns(2)
            m1.metric("−log p(x | z): random z − μ", f"{mean_nll_rise(rows):+.2f} nats",
                      help="how much less likely the decoder finds each sentence when its μ is replaced by a "
                           "random z, averaged: about 0 when z is ignored")
            m2.metric("Different reconstructions from μ", f"{len({r.from_mu for r in rows})} of {len(rows)}")
            st.dataframe([{"sentence": r.sentence, "decoded from μ": r.from_mu,
                           "decoded from a random z": r.from_random} for r in rows], hide_index=True)
    st.caption(f"The first {N_SWAPS} test sentences of {a}'s data, each encoded to μ and decoded greedily, then "
               "decoded again with μ replaced by a draw z ~ N(0, I). With collapse the sentence is as likely under "
               "the random z as under μ, and μ decodes to one sentence whatever the input; a greedy sentence can "
               "still flip between words that the decoder finds nearly equally likely.")
