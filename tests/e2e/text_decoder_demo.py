"""Test-only page, in no menu: a text model in the text decoder panel (explorer/components/text_panel.py).

`?seed=0&latent=6` (the defaults) puts a seeded, untrained model there; `?ckpt=NAME` a checkpoint of the
checkpoints folder (bench drag --text measures the bundled one so). tests/e2e import `demo_text_model` and
`demo_z` to decode the same sentences with torch. The page around the panel is the image demo's
(decoder_demo.show_panel), so the tests read both panels the same way.
"""

import streamlit as st
import torch
from decoder_demo import checkpoint_model, demo_z, query_dims, show_panel  # this folder: a script's own is on the path

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


cached_model = st.cache_resource(demo_text_model)


def main() -> None:
    q = st.query_params
    seed = int(q.get("seed", 0))
    model = checkpoint_model(q["ckpt"]) if "ckpt" in q else cached_model(seed, int(q.get("latent", 6)))
    latent = model.config.latent_dim
    show_panel(text_panel, model, lambda s: demo_z(latent, s), seed, query_dims(latent))


if __name__ == "__main__":
    main()
