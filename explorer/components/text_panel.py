"""The decoder panel for text models: latent sliders and the sentence greedy-decoded in the browser on every
slider input (text_decoder.js), so the sentence rewrites itself during a drag.

The same contract as latent_decoder.py (the image panel): the weights travel once as static files named by
the program's hash (inline base64 without static serving), a rerun sends only the hash, the layout and z, the
panel answers "latent-lab:set-z" window events and reports "latent-lab:z" during drags, and returns z as of the
last drag end. display/text.py reaches it through the display seam.
"""

from __future__ import annotations

import base64
import json
import logging
import weakref
from pathlib import Path

import streamlit as st

from explorer.components import bundle
from explorer.components.latent_decoder import _latest_z
from explorer.components.static_files import publish, static_folder, static_url
from vae_core.text.export import export_text_decoder
from vae_core.text.model import TextVAE

_LOG = logging.getLogger(__name__)
_HERE = Path(__file__).parent
JS_FILES = ("text_decoder.js", "text_panel.js")
_component = st.components.v2.component(
    "latent_lab.text_panel",
    html=(_HERE / "text_panel.html").read_text(),
    css=(_HERE / "text_panel.css").read_text(),
    js=bundle(JS_FILES),
)

_sources: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> (fingerprint, folder, source)


def text_panel(model: TextVAE, z: list[float], dims: list[int] | None = None, *, key: str,
               labels: list[str] | None = None, value_range: tuple[float, float] = (-4.0, 4.0),
               step: float = 0.01, size: int = 224) -> list[float]:
    """Sliders for z[dims] and the sentence decoded greedily in the browser; returns z as of the last drag end.

    Dimensions not in `dims` keep their value from `z`; a z passed in that differs from the previous run's moves
    the sliders. `size` is accepted for the image panel's signature and sets the sentence's minimum width.
    """
    z = [float(v) for v in z]
    dims = list(range(len(z))) if dims is None else [int(d) for d in dims]
    labels = [f"z{d}" for d in dims] if labels is None else [str(s) for s in labels]
    if len(labels) != len(dims) or not all(0 <= d < len(z) for d in dims):
        raise ValueError(f"dims {dims} and labels {labels} must match, within z of length {len(z)}")
    src = text_decoder_source(model)
    if src["latent_dim"] != len(z):
        raise ValueError(f"the decoder takes z of length {src['latent_dim']}, got {len(z)}")
    dragged = (st.session_state[key].get("z") if key in st.session_state else None) or None
    current = _latest_z(key, z, dragged)
    data = {"key": key, "src": src, "z": current, "dims": dims, "labels": labels, "min": float(value_range[0]),
            "max": float(value_range[1]), "step": float(step), "size": int(size)}
    _component(key=key, data=data, on_z_change=lambda: None)
    return list(current)


def text_decoder_source(model: TextVAE) -> dict:
    """Where the browser finds this model's text decoder: static file URLs, or the program inline."""
    fingerprint = tuple((p.data_ptr(), p._version) for p in model.parameters())  # changes when trained in place
    folder = static_folder("decoders")
    cached = _sources.get(model)
    if cached is not None and cached[:2] == (fingerprint, folder) and (
            folder is None or (folder / f"{cached[2]['hash']}.bin").exists()):
        return cached[2]
    payload = export_text_decoder(model)
    digest, latent_dim = payload["hash"], payload["latent_dim"]
    if folder is None:
        _LOG.warning("server.enableStaticServing is off: text decoder weights go inline with every rerun")
        src = {"hash": digest, "latent_dim": latent_dim, "program": payload}
    else:
        weights = payload.pop("weights_b64")
        publish(folder, f"{digest}.bin", base64.b64decode(weights))
        publish(folder, f"{digest}.json", json.dumps(payload).encode())
        src = {"hash": digest, "latent_dim": latent_dim, "program_url": static_url(folder, f"{digest}.json"),
               "weights_url": static_url(folder, f"{digest}.bin")}
    _sources[model] = (fingerprint, folder, src)
    return src
