"""The decoder panel for text models: latent sliders and the sentence greedy-decoded in the browser on every
slider input (text_decoder.js), so the sentence rewrites itself during a drag.

The image panel's contract (latent_decoder.py), from the same code (slider_panel.py, slider_panel.js): the
weights travel once as static files named by the program's hash (inline base64 without static serving), a rerun
sends only the hash, the layout and z, the panel answers "latent-lab:set-z" window events and reports
"latent-lab:z" during drags, and returns z as of the last drag end. display/text.py reaches it through the
display seam.
"""

from __future__ import annotations

from explorer.components.slider_panel import SourceCache, panel_component, slider_panel
from vae_core.text.export import export_text_decoder
from vae_core.text.model import TextVAE

_component, JS_FILES = panel_component("latent_lab.text_panel", "text_decoder.js", "text_panel")
_sources = SourceCache(export_text_decoder)


def text_panel(model: TextVAE, z: list[float], dims: list[int] | None = None, *, key: str,
               labels: list[str] | None = None, value_range: tuple[float, float] = (-4.0, 4.0),
               step: float = 0.01, size: int = 224) -> list[float]:
    """Sliders for z[dims] and the sentence decoded greedily in the browser; returns z as of the last drag end.

    Dimensions not in `dims` keep their value from `z`; a z passed in that differs from the previous run's moves
    the sliders. `size` is accepted for the image panel's signature and sets the sentence's minimum width.
    """
    return slider_panel(_component, lambda: text_decoder_source(model), z, dims, key=key, labels=labels,
                        value_range=value_range, step=step, size=size)


def text_decoder_source(model: TextVAE) -> dict:
    """Where the browser finds this model's text decoder: static file URLs, or the program inline."""
    return _sources.source(model)
