"""Latent sliders that decode in the browser while dragging.

docs/ARCHITECTURE.md, "Real-time decoding in the browser", has the whole path.

The decoder's weights travel once, as static files named by the program's hash
(`<main script dir>/static/decoders/<hash>.json|.bin`, served at /app/static/...
when `server.enableStaticServing` is on). Each rerun sends only a few hundred
bytes: the hash, the slider layout and z. Without static serving the program
goes inline (base64) as a fallback, resent with every new z: keep serving on.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
import weakref
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from torch import nn

from vae_core.atomic import write_atomic
from vae_core.export import export_decoder

_LOG = logging.getLogger(__name__)
_HERE = Path(__file__).parent
_component = st.components.v2.component(
    "latent_lab.latent_decoder",
    html=(_HERE / "latent_decoder.html").read_text(),
    css=(_HERE / "latent_decoder.css").read_text(),
    js=(_HERE / "latent_decoder.js").read_text(),
)

# model -> (weights fingerprint, static dir, source): exporting and hashing a conv
# decoder costs ~15 ms, too much to repeat on every rerun.
_sources: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
STALE_AFTER_S = 7 * 24 * 3600  # exported decoders unused this long are deleted when a new one is written


def latent_decoder(
    model: nn.Module,
    z: list[float],
    dims: list[int] | None = None,
    *,
    key: str,
    labels: list[str] | None = None,
    value_range: tuple[float, float] = (-4.0, 4.0),
    step: float = 0.01,
    size: int = 224,
) -> list[float]:
    """Sliders for z[dims] and the image decoded live; returns z as of the last drag end.

    Dimensions not in `dims` keep their value from `z`. A z passed in that differs
    from the previous run's (a click on the map, say) moves the sliders; otherwise
    the last dragged z stands. `size` is the image's width in CSS pixels (rounded
    down to a whole multiple of its pixels).
    """
    z = [float(v) for v in z]
    dims = list(range(len(z))) if dims is None else [int(d) for d in dims]
    labels = [f"z{d}" for d in dims] if labels is None else [str(s) for s in labels]
    if len(labels) != len(dims) or not all(0 <= d < len(z) for d in dims):
        raise ValueError(f"dims {dims} and labels {labels} must match, within z of length {len(z)}")
    src = decoder_source(model)
    if src["latent_dim"] != len(z):
        raise ValueError(f"the decoder takes z of length {src['latent_dim']}, got {len(z)}")

    dragged = (st.session_state[key].get("z") if key in st.session_state else None) or None
    current = _latest_z(key, z, dragged)
    data = {"key": key, "src": src, "z": current, "dims": dims, "labels": labels, "min": float(value_range[0]),
            "max": float(value_range[1]), "step": float(step), "size": int(size)}
    _component(key=key, data=data, on_z_change=lambda: None)
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


def decoder_source(model: nn.Module) -> dict:
    """Where the browser finds this model's decoder: static file URLs, or the program inline."""
    # Parameters bump `_version` on every in-place update (optimizer steps,
    # load_state_dict), so a model trained in place is exported again.
    fingerprint = tuple((p.data_ptr(), p._version) for p in model.parameters())
    folder = _static_folder()
    cached = _sources.get(model)
    if cached is not None and cached[:2] == (fingerprint, folder) and _published(cached[2], folder):
        return cached[2]
    payload = export_decoder(model)
    digest, latent_dim = payload["hash"], payload["latent_dim"]
    if folder is None:
        # Works, but each new z (every drag end) then resends the whole program with it.
        _LOG.warning("server.enableStaticServing is off: decoder weights go inline, megabytes per rerun")
        src = {"hash": digest, "latent_dim": latent_dim, "program": payload}
    else:
        weights = payload.pop("weights_b64")
        _prune(folder)
        _write_atomic(folder / f"{digest}.bin", base64.b64decode(weights))  # raw little-endian float32
        _write_atomic(folder / f"{digest}.json", json.dumps(payload).encode())
        base = st.get_option("server.baseUrlPath").strip("/")
        url = f"/{base}/app/static/decoders/" if base else "/app/static/decoders/"
        src = {"hash": digest, "latent_dim": latent_dim,
               "program_url": f"{url}{digest}.json", "weights_url": f"{url}{digest}.bin"}
    _sources[model] = (fingerprint, folder, src)
    return src


def _static_folder() -> Path | None:
    """`static/decoders` beside the main script (where Streamlit serves from), or None if not served."""
    ctx = get_script_run_ctx()
    if ctx is None or not st.get_option("server.enableStaticServing"):
        return None
    folder = Path(ctx.main_script_path).resolve().parent / "static" / "decoders"
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():  # generated files: keep them out of git without touching the root .gitignore
        ignore.write_text("# generated by explorer/components/latent_decoder.py\n*\n")
    return folder


def _published(src: dict, folder: Path | None) -> bool:
    return "program" in src or (folder / f"{src['hash']}.bin").exists()


def _prune(folder: Path, max_age_s: float = STALE_AFTER_S) -> None:
    """Delete exported decoders that no page has published for max_age_s (each publish touches its files),
    so a long-running server that sees many trained models does not fill its disk."""
    cutoff = time.time() - max_age_s
    for path in folder.glob("*.*"):
        try:
            if path.suffix in (".bin", ".json") and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:  # another server process pruned or touched it first
            pass


def _write_atomic(path: Path, content: bytes) -> None:
    """Write once, atomically: a reader sees no file or the whole file, never a partial one."""
    if path.exists():  # named by content hash, so an existing file is already right
        os.utime(path)  # in use: keep it from _prune
        return
    write_atomic(path, content)  # 0644: another serving user reads it too
