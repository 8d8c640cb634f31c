"""vae_core/modality.py: default_config and text_settings (the model a training request builds for its data), and
encode_items' disk cache for image and text checkpoints."""

from pathlib import Path

import numpy as np
import pytest

from vae_core import checkpoint as ck
from vae_core import modality
from vae_core.config import ConfigError, ModelConfig
from vae_core.data import load_dataset
from vae_core.modality import default_config, text_settings
from vae_core.text.cli import MODEL_DEFAULTS
from vae_core.text.data import make_dataset
from vae_core.text.model import TextModelConfig

REPO_CKPTS = Path(__file__).resolve().parents[1] / "checkpoints"


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


@pytest.mark.parametrize("name", ["digits-2d", "grammar-16d"])
def test_encodings_are_kept_on_disk_and_read_back_equal(name, tmp_path):
    model, info = ck.load_checkpoint(name, REPO_CKPTS)
    items = modality.items_of(load_dataset(info.train_config.data))[0][:300]
    fresh = modality.encode_items(model, items)
    first = modality.encode_items(model, items, cache_dir=tmp_path)
    files = list(tmp_path.glob("encoded-*.npz"))
    assert len(files) == 1
    again = modality.encode_items(model, items, cache_dir=tmp_path)
    for a, b, c in zip(fresh, first, again, strict=True):
        assert a.dtype == c.dtype == np.float32 and np.array_equal(a, b) and np.array_equal(a, c)


def test_other_items_get_their_own_file_and_a_corrupt_file_is_recomputed(tmp_path):
    model, info = ck.load_checkpoint("digits-2d", REPO_CKPTS)
    x = modality.items_of(load_dataset("digits"))[0]
    mu_a, _ = modality.encode_items(model, x[:50], cache_dir=tmp_path)
    mu_b, _ = modality.encode_items(model, x[50:100], cache_dir=tmp_path)
    assert len(list(tmp_path.glob("encoded-*.npz"))) == 2 and not np.array_equal(mu_a, mu_b)
    for f in tmp_path.glob("encoded-*.npz"):
        f.write_bytes(b"garbage")
    mu_again, _ = modality.encode_items(model, x[:50], cache_dir=tmp_path)
    assert np.array_equal(mu_again, mu_a)
