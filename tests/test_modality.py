"""vae_core/modality.py's default_config and text_settings: the model a training request builds for its data."""

import pytest

from vae_core.config import ConfigError, ModelConfig
from vae_core.data import load_dataset
from vae_core.modality import default_config, text_settings
from vae_core.text.cli import MODEL_DEFAULTS
from vae_core.text.data import make_dataset
from vae_core.text.model import TextModelConfig


def test_image_data_gets_the_image_default():
    cfg = default_config(load_dataset("digits"), 3, arch="mlp", hidden=(16,))
    assert isinstance(cfg, ModelConfig) and cfg.input_shape == (1, 8, 8) and cfg.latent_dim == 3
    assert cfg.hidden == (16,)


def test_text_data_gets_a_gru_over_its_vocabulary_with_the_cli_sizes_unless_given():
    ds = make_dataset("text:x", ["ab a", "ba b"], ["ab"])
    cfg = default_config(ds, 4)
    assert isinstance(cfg, TextModelConfig) and cfg.alphabet == ds.vocab.alphabet and cfg.latent_dim == 4
    assert (cfg.hidden, cfg.embed_dim) == (MODEL_DEFAULTS["hidden"], MODEL_DEFAULTS["embed_dim"])
    cfg = default_config(ds, 4, hidden=8, embed_dim=4, arch="gru")
    assert (cfg.hidden, cfg.embed_dim, cfg.latent_dim) == (8, 4, 4)


def test_an_image_setting_for_text_is_refused_by_name():
    ds = make_dataset("text:x", ["ab a", "ba b"], ["ab"])
    with pytest.raises(ConfigError, match="channels, fc_width: not a setting of a text model"):
        default_config(ds, 4, channels=(8,), fc_width=16)


def test_text_settings_are_the_text_config_fields_but_the_alphabet():
    assert "alphabet" not in text_settings()
    assert {"latent_dim", "embed_dim", "hidden", "conditioned", "arch"} <= text_settings()
