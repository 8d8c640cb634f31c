"""What the image panel (latent_decoder.py) and the text panel (text_panel.py) share: latent sliders that decode
in the browser while dragging (slider_panel.js, slider_panel.css), the z kept across reruns, and the decoder
published as hash-named static files.

The decoder's weights travel once, as static files named by the program's hash
(`<main script dir>/static/decoders/<hash>.json|.bin`, see static_files.py). Each rerun sends only a few hundred
bytes: the hash, the slider layout and z. Without static serving the program goes inline (base64) as a
fallback, resent with every new z: keep serving on.
"""

from __future__ import annotations

import base64
import json
import logging
import weakref
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from torch import nn

from explorer.components import bundle
from explorer.components.static_files import publish, static_folder, static_url

_LOG = logging.getLogger(__name__)
_HERE = Path(__file__).parent
SHARED_JS = ("program_loader.js", "slider_panel.js")  # in front of a panel's runtime and view: see panel_component


def panel_component(name: str, runtime_js: str, view: str):
    """Register a slider panel: `view`.html, slider_panel.css then `view`.css, and the JS bundle
    program_loader.js, `runtime_js`, slider_panel.js, `view`.js. Returns (component, JS file names)."""
    js_files = (SHARED_JS[0], runtime_js, SHARED_JS[1], f"{view}.js")
    component = st.components.v2.component(
        name,
        html=(_HERE / f"{view}.html").read_text(),
        css=(_HERE / "slider_panel.css").read_text() + (_HERE / f"{view}.css").read_text(),
        js=bundle(js_files),
    )
    return component, js_files


def slider_panel(component, source: Callable[[], dict], z: list[float], dims: list[int] | None, *, key: str,
                 labels: list[str] | None, value_range: tuple[float, float], step: float, size: int) -> list[float]:
    """Draw `component` with sliders for z[dims] over the decoder `source()` gives (called once the arguments
    are checked: it may export the model); returns z as of the last drag end.

    Dimensions not in `dims` keep their value from `z`. A z passed in that differs from the previous run's
    (a click on the map, say) moves the sliders; otherwise the last dragged z stands.
    """
    z = [float(v) for v in z]
    dims = list(range(len(z))) if dims is None else [int(d) for d in dims]
    labels = [f"z{d}" for d in dims] if labels is None else [str(s) for s in labels]
    if len(labels) != len(dims) or not all(0 <= d < len(z) for d in dims):
        raise ValueError(f"dims {dims} and labels {labels} must match, within z of length {len(z)}")
    src = source()
    if src["latent_dim"] != len(z):
        raise ValueError(f"the decoder takes z of length {src['latent_dim']}, got {len(z)}")
    dragged = (st.session_state[key].get("z") if key in st.session_state else None) or None
    current = _latest_z(key, z, dragged)
    data = {"key": key, "src": src, "z": current, "dims": dims, "labels": labels, "min": float(value_range[0]),
            "max": float(value_range[1]), "step": float(step), "size": int(size)}
    component(key=key, data=data, on_z_change=lambda: None)
    return list(current)


def _latest_z(key: str, passed: list[float], dragged: list[float] | None) -> list[float]:
    """Whichever changed since the previous run wins: a new drag end, else a new z from the caller."""
    fresh = {"passed": passed, "dragged": None, "z": passed}
    memo = st.session_state.setdefault(f"_latent_decoder_{key}", fresh)
    if dragged is not None and dragged != memo["dragged"]:
        memo["z"] = [float(v) for v in dragged]
    elif passed != memo["passed"]:
        memo["z"] = passed
    memo["passed"], memo["dragged"] = passed, dragged
    return memo["z"]


class SourceCache:
    """Where the browser finds a model's exported decoder, per model: exporting and hashing a conv decoder
    costs ~15 ms, too much to repeat on every rerun."""

    def __init__(self, export: Callable[[nn.Module], dict]):
        self._export = export  # model -> {"hash", "latent_dim", "weights_b64", ...}
        self._sources: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> (fingerprint, folder, src)

    def source(self, model: nn.Module) -> dict:
        """Static file URLs for the model's decoder program, or the program inline without static serving."""
        # Parameters bump `_version` on every in-place update (optimizer steps,
        # load_state_dict), so a model trained in place is exported again.
        fingerprint = tuple((p.data_ptr(), p._version) for p in model.parameters())
        folder = static_folder("decoders")
        cached = self._sources.get(model)
        if cached is not None and cached[:2] == (fingerprint, folder) and (
                folder is None or (folder / f"{cached[2]['hash']}.bin").exists()):
            return cached[2]
        payload = self._export(model)
        digest, latent_dim = payload["hash"], payload["latent_dim"]
        if folder is None:
            # Works, but each new z (every drag end) then resends the whole program with it.
            _LOG.warning("server.enableStaticServing is off: decoder weights go inline, megabytes per rerun")
            src = {"hash": digest, "latent_dim": latent_dim, "program": payload}
        else:
            weights = payload.pop("weights_b64")
            publish(folder, f"{digest}.bin", base64.b64decode(weights))  # raw little-endian float32
            publish(folder, f"{digest}.json", json.dumps(payload).encode())
            src = {"hash": digest, "latent_dim": latent_dim, "program_url": static_url(folder, f"{digest}.json"),
                   "weights_url": static_url(folder, f"{digest}.bin")}
        self._sources[model] = (fingerprint, folder, src)
        return src
