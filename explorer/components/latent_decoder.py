"""Latent sliders that decode in the browser while dragging: the image panel.

docs/ARCHITECTURE.md, "Real-time decoding in the browser", has the whole path. The sliders, the z kept across
reruns and the decoder's static files are slider_panel.py's (shared with the text panel); this module adds the
image: decoder_runtime.js runs vae_core.export's program and latent_decoder.js draws it on a canvas.

Other components move the sliders from the browser: a window event "latent-lab:set-z"
with detail {target: key, z} (selection_view.js sends one when a map click picks a point).
"""

from __future__ import annotations

from torch import nn

from explorer.components.slider_panel import SourceCache, panel_component, slider_panel
from vae_core.export import export_decoder

_component, JS_FILES = panel_component("latent_lab.latent_decoder", "decoder_runtime.js", "latent_decoder")
_sources = SourceCache(export_decoder)


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
    return slider_panel(_component, lambda: decoder_source(model), z, dims, key=key, labels=labels,
                        value_range=value_range, step=step, size=size)


def decoder_source(model: nn.Module) -> dict:
    """Where the browser finds this model's decoder: static file URLs, or the program inline."""
    return _sources.source(model)
