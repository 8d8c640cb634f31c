"""The notebook way for text, for `bench drag --text`: native st.slider widgets over z, the sentence decoded
greedily with torch on each rerun (as the text panel decodes it in the browser, up to 64 tokens).

`streamlit run bench/native_text_app.py` (query `?ckpt=grammar-16d`): a checkpoint of the checkpoints folder.
"""

import time

import numpy as np
import streamlit as st

from vae_core import checkpoint as ck
from vae_core.data import load_dataset
from vae_core.text.export import MAX_TOKENS
from vae_core.text.items import decode_greedy, encode_lines


@st.cache_resource
def load(name: str):
    model, info = ck.load_checkpoint(name, ck.default_root())
    start = encode_lines(model, load_dataset(info.train_config.data).lines_test[:1])[0][0]
    return model, [round(float(v), 2) for v in start]


model, start = load(st.query_params.get("ckpt", "grammar-16d"))
z = [st.slider(f"z{d}", -4.0, 4.0, start[d], 0.01, key=f"z{d}") for d in range(2)]
z += start[len(z):]
st.session_state["runs"] = st.session_state.get("runs", 0) + 1
t0 = time.perf_counter()
sentence = decode_greedy(model, np.asarray([z], np.float32), max_len=MAX_TOKENS)[0]
decode_ms = (time.perf_counter() - t0) * 1000
with st.container(key="native-image"):  # the name bench/drag.py watches; each rerun shows one sentence
    st.code(sentence, language=None)
    st.caption(f"run {st.session_state['runs']}")
with st.container(key="native-decode-ms"):
    st.text(f"{decode_ms:.3f}")
