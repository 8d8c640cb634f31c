"""The notebook way, for bench/drag.py: native st.slider widgets over z, decoded with torch on each rerun.

`streamlit run bench/native_slider_app.py` (query `?latent=2`): the same seeded conv 28x28 decoder as the
decoder demo page, so both sides of the benchmark draw the same images.
"""

import importlib.util
import time
from pathlib import Path

import numpy as np
import streamlit as st
import torch

# The demo page lives with the browser tests (tests/ is no package), so it is loaded by its path.
_spec = importlib.util.spec_from_file_location(
    "decoder_demo", Path(__file__).resolve().parents[1] / "tests" / "e2e" / "decoder_demo.py")
_demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_demo)
demo_model, demo_z = _demo.demo_model, _demo.demo_z

latent = int(st.query_params.get("latent", 2))
model = st.cache_resource(demo_model)("conv", (1, 28, 28), latent, "bernoulli", 0)
start = demo_z(latent)
z = [st.slider(f"z{d}", -4.0, 4.0, start[d], 0.01, key=f"z{d}") for d in range(min(latent, 2))]
z += start[len(z):]

t0 = time.perf_counter()
with torch.no_grad():
    image = torch.sigmoid(model.decode(torch.tensor([z], dtype=torch.float32)))[0, 0].numpy()
decode_ms = (time.perf_counter() - t0) * 1000
pixels = np.kron((image * 255).round().astype(np.uint8), np.ones((8, 8), np.uint8))  # 224 px, crisp
with st.container(key="native-image"):
    st.image(pixels, width=224)
with st.container(key="native-decode-ms"):
    st.text(f"{decode_ms:.3f}")
