"""explorer/components/slider_panel.py, what the image and text panels share: which z stands after a rerun, the
checks on the slider layout, and the published decoder (here without static serving: the program inline)."""

import pytest
import streamlit as st
import torch

from explorer.components import latent_decoder, slider_panel, text_panel
from vae_core.config import ModelConfig
from vae_core.export import export_decoder
from vae_core.models import VAE
from vae_core.text.export import export_text_decoder
from vae_core.text.model import TextModelConfig, TextVAE


@pytest.fixture(autouse=True)
def fresh_session():
    st.session_state.clear()  # bare mode: one session state for the whole process
    yield
    st.session_state.clear()


def test_a_new_drag_end_wins_then_a_new_z_from_the_caller():
    first = slider_panel._latest_z("k", [0.0, 1.0], None)
    assert first == [0.0, 1.0]
    assert slider_panel._latest_z("k", [0.0, 1.0], [0.5, 1.0]) == [0.5, 1.0]  # the drag end
    assert slider_panel._latest_z("k", [0.0, 1.0], [0.5, 1.0]) == [0.5, 1.0]  # nothing new: it stands
    assert slider_panel._latest_z("k", [2.0, 2.0], [0.5, 1.0]) == [2.0, 2.0]  # a map click, say
    assert slider_panel._latest_z("other", [3.0], None) == [3.0]  # panels keep their z apart


def never_called() -> dict:
    raise AssertionError("the decoder must not be exported for a layout that is refused")


@pytest.mark.parametrize("dims, labels", [([0, 2], None), ([0, 1], ["only one"])])
def test_a_bad_layout_is_refused_before_anything_is_exported(dims, labels):
    with pytest.raises(ValueError, match=r"must match, within z of length 2"):
        slider_panel.slider_panel(None, never_called, [0.0, 0.0], dims, key="k", labels=labels,
                                  value_range=(-4, 4), step=0.01, size=224)


def test_a_z_of_the_wrong_length_for_the_decoder_is_refused():
    with pytest.raises(ValueError, match=r"the decoder takes z of length 3, got 2"):
        slider_panel.slider_panel(None, lambda: {"latent_dim": 3}, [0.0, 0.0], None, key="k", labels=None,
                                  value_range=(-4, 4), step=0.01, size=224)


def image_model() -> VAE:
    torch.manual_seed(0)
    return VAE(ModelConfig(input_shape=(1, 8, 8), arch="mlp", hidden=(16,), latent_dim=2)).eval()


def text_model() -> TextVAE:
    torch.manual_seed(0)
    return TextVAE(TextModelConfig(alphabet="ab .", latent_dim=3, embed_dim=4, hidden=8)).eval()


@pytest.mark.parametrize("model, export, source", [
    (image_model(), export_decoder, latent_decoder.decoder_source),
    (text_model(), export_text_decoder, text_panel.text_decoder_source)], ids=["image", "text"])
def test_each_panel_sends_its_own_program_inline_without_static_serving(model, export, source):
    src = source(model)
    want = export(model)
    assert src == {"hash": want["hash"], "latent_dim": want["latent_dim"], "program": want}
    assert source(model) is src  # exported once while the weights stay as they are


def test_a_model_trained_in_place_is_exported_again():
    model = image_model()
    cache = slider_panel.SourceCache(export_decoder)
    before = cache.source(model)
    with torch.no_grad():
        next(model.decoder.parameters()).add_(1.0)  # as an optimizer step does, in place
    after = cache.source(model)
    assert after["hash"] != before["hash"] and after["program"] == export_decoder(model)
