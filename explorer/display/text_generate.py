"""The Generate page's views for text (the text renderer, text.py, hands them on): sentences from the prior,
the manifold grid and the traversals as tables of sentences, one column per latent value or dimension. All three
stop a sentence at vae_core.text.sampling.length_cap characters, with an ellipsis."""

from __future__ import annotations

import numpy as np
import streamlit as st

TEMPERATURE_HELP = ("z ~ N(0, I); each character is drawn from the decoder's softmax(logits / T): below 1 the "
                    "likelier characters, above 1 more varied and odd ones. Greedy decoding ignores T.")
N_SAMPLES = 16


@st.cache_data(max_entries=32, show_spinner=False)
def _samples(_model, weights_sha: str, seed: int, temperature: float, greedy: bool, cap: int) -> np.ndarray:
    from vae_core.text.sampling import prior_sentences

    return prior_sentences(_model, N_SAMPLES, seed, temperature, greedy, max_len=cap, ellipsis=True)[1]


def prior_samples(ctx, seed: int, temperature: float, key: str) -> None:
    """N_SAMPLES sentences from z ~ N(0, I), their characters sampled at `temperature` or decoded greedily."""
    from explorer.display.text import batch

    mode = st.radio("Characters", ["sampled at T", "greedy"], key=f"{key}_decoding", horizontal=True,
                    help="Greedy takes the likeliest character at every step: one sentence per z.")
    greedy = mode == "greedy"
    from vae_core.text.sampling import length_cap

    cap = length_cap(ctx.x)  # some draws never emit EOS: stop them near the longest test sentence
    sentences = _samples(ctx.model, ctx.sha, int(seed), float(temperature), greedy, cap)
    how = "the likeliest character at each step" if greedy else f"characters drawn at T = {temperature:g}"
    with st.container(key=f"{key}_samples"):
        batch(sentences, 1, 0, f"{N_SAMPLES} sentences: z ~ N(0, I) (seed {seed}), {how}; each stops at its "
              f"end-of-sentence token or after {cap} characters (a quarter above the longest test sentence), "
              "where it ends in …", "stretch", st)


@st.cache_data(max_entries=64, show_spinner=False)
def _greedy(_model, weights_sha: str, z: np.ndarray, cap: int) -> np.ndarray:
    from vae_core.text.items import decode_greedy

    return decode_greedy(_model, z, max_len=cap, ellipsis=True)


def capped_decodes(ctx, z: np.ndarray) -> tuple[np.ndarray, int]:
    """(the greedy sentence of each z (M, D), the cap): decoded up to length_cap(ctx.x) characters, as the prior
    samples are, a sentence stopped there ending in …. Far from the data a z may never reach its end token: uncapped,
    its cell would be a wall of 256 characters (and slower to decode)."""
    from vae_core.text.sampling import length_cap

    cap = length_cap(ctx.x)
    return _greedy(ctx.model, ctx.sha, np.asarray(z, np.float32), cap), cap


def _cap_note(cap: int) -> str:
    return f"Each sentence stops at its end-of-sentence token or after {cap} characters, where it ends in …."


def _table(cells: np.ndarray, index: list[str], columns: list[str], key: str) -> None:
    import pandas as pd

    with st.container(key=key):
        st.dataframe(pd.DataFrame(np.asarray(cells, dtype=str), index=index, columns=columns), width="stretch",
                     row_height=32)


def manifold(ctx, zs: np.ndarray, grid: int, dims: tuple[int, int], caption: str, key: str) -> None:
    """The manifold grid's greedy sentences as a table: rows z[dy] (high to low), columns z[dx] (low to high)."""
    dx, dy = dims
    cells, cap = capped_decodes(ctx, zs)
    _table(cells.reshape(grid, grid), [f"z{dy} = {v:+.2f}" for v in zs[::grid, dy]],
           [f"z{dx} = {v:+.2f}" for v in zs[:grid, dx]], key)
    st.caption(f"{caption} {_cap_note(cap)}")


def traversals(ctx, base: np.ndarray, dims: list[int], values: np.ndarray, kl: np.ndarray, key: str) -> None:
    """One column of greedy sentences per dimension, down its values; other dimensions stay at base."""
    from vae_core.latent import traverse

    cells, cap = capped_decodes(ctx, traverse(base, dims, values))
    _table(cells.reshape(len(dims), len(values)).T, [f"{v:+.2f}" for v in values],
           [f"z{d} (KL {kl[d]:.2f})" for d in dims], key)
    st.caption(_cap_note(cap))
