"""Test-only page, in no menu: a text model in the text decoder panel (explorer/components/text_panel.py).

`?seed=0&latent=6` (the defaults) puts a seeded, untrained model there; `?ckpt=NAME` a checkpoint of the
checkpoints folder (bench drag --text measures the bundled one so). tests/e2e import `demo_text_model` and
`demo_text_z` to decode the same sentences with torch.
"""

import json

import streamlit as st
import torch

from explorer.components.text_panel import text_panel
from vae_core.text.model import TextModelConfig, TextVAE


def demo_text_model(seed: int = 0, latent_dim: int = 6) -> TextVAE:
    """A seeded, untrained model whose greedy sentence depends on z (logits and z's weights stretched)."""
    torch.manual_seed(seed)
    model = TextVAE(TextModelConfig(alphabet="abcdefgh .", latent_dim=latent_dim, embed_dim=8, hidden=32)).eval()
    with torch.no_grad():
        model.out.weight.mul_(4)
        model.decoder.weight_ih_l0[:, 8:].mul_(3)
        model.z_to_h.weight.mul_(2)
    return model


def demo_text_z(latent_dim: int, seed: int = 0) -> list[float]:
    """A seeded starting z on the sliders' 0.01 grid."""
    z = torch.randn(latent_dim, generator=torch.Generator().manual_seed(seed + 2))
    return [round(float(v), 2) for v in z.clamp(-3, 3)]


cached_model = st.cache_resource(demo_text_model)


@st.cache_resource
def checkpoint_model(name: str) -> TextVAE:
    from vae_core import checkpoint as ck

    return ck.load_checkpoint(name, ck.default_root())[0]


def main() -> None:
    q = st.query_params
    seed = int(q.get("seed", 0))
    model = checkpoint_model(q["ckpt"]) if "ckpt" in q else cached_model(seed, int(q.get("latent", 6)))
    latent = model.config.latent_dim
    dims = [int(d) for d in q["dims"].split(",")] if "dims" in q else list(range(min(latent, 8)))
    st.session_state["runs"] = st.session_state.get("runs", 0) + 1  # drags must not rerun the page
    z = text_panel(model, demo_text_z(latent, seed), dims, key="decoder")
    with st.container(key="decoder-result"):
        st.text(json.dumps(z))
    with st.container(key="decoder-runs"):
        st.text(str(st.session_state["runs"]))


if __name__ == "__main__":
    main()
