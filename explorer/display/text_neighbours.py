"""The Neighbours page for text (the text renderer, text.py, hands it on): a test sentence's nearest neighbours in
latent space (pixel space has no meaning for sentences), and attribute vectors from the grammar corpus' known
factors ("make it bigger", "change the colour"), applied at several strengths and decoded greedily."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.display.attribute_picker import attribute_picker

STRENGTHS = np.linspace(-2.0, 2.0, 9)


@st.cache_data(max_entries=4, show_spinner=False)
def _groups(spec: str) -> dict:
    from vae_core.data import load_dataset
    from vae_core.text.attributes import factor_groupings

    return factor_groupings(load_dataset(spec).factors_test)


def _preset(by: str, plus: str, minus: str, names: list[str]) -> None:
    st.session_state.update({"nb_by": by, f"nb_plus_{by}": names.index(plus), f"nb_minus_{by}": names.index(minus)})


def neighbours_view(ctx) -> None:
    """The whole page body below the header for a text checkpoint."""
    import pandas as pd

    from explorer.display.text import item
    from vae_core.analysis import neighbours as nb
    from vae_core.text.attributes import read_factors

    n = len(ctx.mu)
    i = st.session_state.get("selected")
    i = st.session_state["selected"] = i if i is not None and 0 <= i < n else 0
    st.session_state["nb_index"] = i
    st.subheader("Nearest neighbours in latent space")
    c1, c2, _ = st.columns([1.2, 2, 2])
    c1.number_input("Test sentence #", 0, n - 1, key="nb_index", on_change=lambda: st.session_state.update(
        selected=int(st.session_state["nb_index"])))
    st.session_state.setdefault("nb_k", 8)
    k = c2.slider("Neighbours k", 3, 16, key="nb_k")
    idx, dist = nb.neighbours_of(ctx.mu, i, k)
    query, table_col = st.columns([1, 2], gap="medium")
    item(ctx.x[i], 0, f"test sentence #{i}", query)
    item(ctx.decode(ctx.mu[i])[0], 0, "its reconstruction: greedy decode of μ", query)
    with table_col.container(key="nb_text_neighbours"):
        st.dataframe(pd.DataFrame({"#": idx, "distance": np.round(dist, 3), "sentence": ctx.x[idx]}),
                     hide_index=True, width="stretch", row_height=32)
    st.caption("The test sentences whose codes μ lie nearest to this one's: the sentences the model thinks alike.")

    st.subheader("Attribute vectors")
    groups = _groups(ctx.info.train_config.data)
    if not groups:
        st.info("Attribute vectors need known factors, as the grammar corpus has; this corpus has none.")
        return
    mine = read_factors(ctx.x[i]) or {}
    b1, b2, _ = st.columns([1, 1, 3])
    sizes, colours = groups["size"][1], groups["colour"][1]
    b1.button("Make it bigger", key="nb_bigger", on_click=_preset, args=("size", sizes[-1], sizes[0], sizes))
    now = mine.get("colour", colours[0])
    b2.button("Change the colour", key="nb_recolour", on_click=_preset,
              args=("colour", colours[(colours.index(now) + 1) % len(colours)], now, colours))
    by, g, names, plus, minus = attribute_picker(groups, help="The grammar's factors; the second object has "
                                                 "size2, colour2 and object2.", keys=("nb_by", "nb_plus", "nb_minus"))
    v = nb.attribute_vector(ctx.mu, g, plus, minus)
    sentences = ctx.decode(nb.along(ctx.mu[i], v, STRENGTHS))
    read = [(read_factors(s) or {}).get(by, "?") for s in sentences]
    with st.container(key="nb_text_attribute"):
        st.dataframe(pd.DataFrame({"s": [f"{s:+g}" for s in STRENGTHS], "sentence": sentences, by: read}),
                     hide_index=True, width="stretch", row_height=32)
    st.caption(f"v = mean μ of {by} {names[plus]} − mean μ of {by} {names[minus]} over the test sentences (length "
               f"{np.linalg.norm(v):.2f}); each row decodes z = μ + s·v of sentence #{i}. The last column reads "
               f"the {by} back from the decoded sentence (? where it is not a grammar sentence).")
