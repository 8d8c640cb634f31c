"""Test-only page, in no menu (the browser tests and bench drag serve it alone): a seeded model in the latent
decoder component, chosen by query parameters.

`?arch=conv&shape=1x28x28&latent=2&likelihood=bernoulli&seed=0&dims=0,1` (these are the defaults;
dims defaults to the first eight). tests/e2e import `demo_model` and `demo_z` to compute
the same images with torch. `?ckpt=NAME` decodes with a checkpoint of the checkpoints folder instead
(bench drag measures the app's default one so).

`show_panel` and `checkpoint_model` serve the text panel's demo page too (text_decoder_demo.py), so both
panels are shown and read back (`decoder-result`, `decoder-runs`, the "New z" button) the same way.
"""

import json

import streamlit as st
import torch
from torch import nn

from explorer.components.latent_decoder import latent_decoder
from vae_core.config import ModelConfig
from vae_core.models import VAE


def demo_model(arch: str = "conv", shape: tuple[int, int, int] = (1, 28, 28), latent_dim: int = 2,
               likelihood: str = "bernoulli", seed: int = 0, activation: str | None = None) -> VAE:
    """A seeded, untrained VAE whose images span (0, 1) instead of a flat ~0.5 grey."""
    torch.manual_seed(seed)
    cfg = ModelConfig(input_shape=shape, arch=arch, latent_dim=latent_dim, likelihood=likelihood,
                      activation=activation)
    model = VAE(cfg).eval()
    last = [m for m in model.decoder.modules() if isinstance(m, (nn.Linear, nn.Conv2d))][-1]
    z = torch.randn(16, latent_dim, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():  # centre the logits and stretch them to std ~2
        last.bias.zero_()
        logits = model.decode(z)
        last.bias.fill_(-logits.mean())
        last.weight.mul_(2 / logits.std())
        last.bias.mul_(2 / logits.std())
    return model


def demo_z(latent_dim: int, seed: int = 0) -> list[float]:
    """A seeded starting z on the sliders' 0.01 grid, so hidden dimensions are not all zero."""
    z = torch.randn(latent_dim, generator=torch.Generator().manual_seed(seed + 2))
    return [round(float(v), 2) for v in z.clamp(-3, 3)]


cached_model = st.cache_resource(demo_model)


@st.cache_resource
def checkpoint_model(name: str):
    """A checkpoint of the checkpoints folder (an image or a text model)."""
    from vae_core import checkpoint as ck

    return ck.load_checkpoint(name, ck.default_root())[0]


def query_dims(latent: int) -> list[int]:
    """`?dims=0,2`, else the first eight dimensions."""
    q = st.query_params
    return [int(d) for d in q["dims"].split(",")] if "dims" in q else list(range(min(latent, 8)))


def show_panel(panel, model, start_z, seed: int, dims: list[int]) -> None:
    """`panel(model, z, dims, key="decoder")` (latent_decoder or text_panel) at start_z(seed), with what the
    tests read: the z it returns, the page's run count, and a button that sends a new z from Python."""
    st.session_state["runs"] = st.session_state.get("runs", 0) + 1  # drags must not rerun the page
    if st.button("New z", key="new-z"):  # a z from Python (as a click on a map would give) moves the sliders
        st.session_state["z_seed"] = st.session_state.get("z_seed", seed) + 1
    z = panel(model, start_z(st.session_state.get("z_seed", seed)), dims, key="decoder")
    with st.container(key="decoder-result"):
        st.text(json.dumps(z))
    with st.container(key="decoder-runs"):
        st.text(str(st.session_state["runs"]))


def main() -> None:
    q = st.query_params
    shape = tuple(int(v) for v in q.get("shape", "1x28x28").split("x"))
    seed = int(q.get("seed", 0))
    if "ckpt" in q:
        model = checkpoint_model(q["ckpt"])
        latent = model.config.latent_dim
    else:
        latent = int(q.get("latent", 2))
        model = cached_model(q.get("arch", "conv"), shape, latent, q.get("likelihood", "bernoulli"), seed)
    show_panel(latent_decoder, model, lambda s: demo_z(latent, s), seed, query_dims(latent))


if __name__ == "__main__":
    main()
