"""The modality seam: the few places where images and text differ, so that the Trainer, checkpoints and the
command line serve both. Image code lives in models/losses/metrics, text code in vae_core/text/."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .array_cache import cache_file, load_or_compute
from .config import ConfigError, ModelConfig

MODALITIES = ("image", "text")
ENCODE_CACHE_VERSION = 1  # bump when what encode_items returns changes, so old files miss


def modality_of(config) -> str:
    """'text' for a TextModelConfig, else 'image'."""
    return "image" if isinstance(config, ModelConfig) else "text"


def config_class(modality: str) -> type:
    """The model config dataclass of a modality (as config.json's "modality" names it)."""
    if modality == "image":
        return ModelConfig
    if modality == "text":
        from .text.model import TextModelConfig

        return TextModelConfig
    raise ConfigError(f"modality must be one of {MODALITIES}, got {modality!r}")


def build_model(config):
    """A fresh model for a config: models.VAE for images, text.model.TextVAE for text."""
    if modality_of(config) == "image":
        from .models import VAE

        return VAE(config)
    from .text.model import TextVAE

    return TextVAE(config)


def default_config(dataset, latent_dim: int, **overrides):
    """The model config a dataset trains by default: config.default_model_config for images; for text a
    TextModelConfig over the dataset's vocabulary with text.cli's sizes where `overrides` say nothing (an image-only
    setting for text raises ConfigError)."""
    if not hasattr(dataset, "vocab"):
        from .config import default_model_config

        return default_model_config(dataset.image_shape, latent_dim, **overrides)
    from .text.cli import MODEL_DEFAULTS
    from .text.model import TextModelConfig

    if unknown := sorted(set(overrides) - text_settings()):
        raise ConfigError(f"{', '.join(unknown)}: not a setting of a text model")
    return TextModelConfig(alphabet=dataset.vocab.alphabet, **{**MODEL_DEFAULTS, **overrides, "latent_dim": latent_dim})


def text_settings() -> set[str]:
    """The TextModelConfig fields a training request may set (the alphabet comes from the data)."""
    from dataclasses import fields

    from .text.model import TextModelConfig

    return {f.name for f in fields(TextModelConfig)} - {"alphabet"}


def check_compatible(config, dataset, train_config=None) -> None:
    """Raise ValueError if a model cannot train on or read this dataset (or with these training options)."""
    text_data = hasattr(dataset, "vocab")
    if modality_of(config) == "image":
        if text_data:
            raise ConfigError(f"{dataset.spec}: is text; an image model cannot read it")
        if tuple(dataset.image_shape) != tuple(config.input_shape):
            raise ValueError(f"model input_shape {config.input_shape} does not match the data {dataset.image_shape}")
        if train_config is not None and train_config.word_dropout > 0:
            raise ConfigError("word_dropout applies to text models only")
        return
    if not text_data:
        raise ConfigError(f"{dataset.spec}: is images; a text model cannot read them")
    if dataset.vocab.alphabet != config.alphabet:
        raise ConfigError(f"{dataset.spec}: its training split's characters differ from the model's vocabulary "
                          "(the data changed since training?)")


def batch_terms(model, x, beta: float, train_config):
    """The ELBO terms of one training batch (losses.ELBOTerms), with the config's free bits and word dropout."""
    if modality_of(model.config) == "image":
        from .losses import elbo_terms

        return elbo_terms(model, x, beta=beta, free_bits=train_config.free_bits)
    from .text.losses import text_elbo_terms

    return text_elbo_terms(model, x, beta=beta, free_bits=train_config.free_bits,
                           word_dropout=train_config.word_dropout)


def batch_order(config, x, order, batch_size: int, seed: int):
    """An epoch's example order for the Trainer's batches: `order` itself for images; for text, regrouped so
    that a batch holds sentences of similar length (text.batching), which pads far less."""
    if modality_of(config) == "image":
        return order
    from .text.batching import bucket_order
    from .text.losses import token_counts

    return bucket_order(token_counts(x), order, batch_size, seed)


def evaluate_model(model, x, **kwargs):
    """Test-set numbers: metrics.evaluate for images, text.metrics.evaluate_text for text (same keywords)."""
    if modality_of(model.config) == "image":
        from .metrics import evaluate

        return evaluate(model, x, **kwargs)
    from .text.metrics import evaluate_text

    return evaluate_text(model, x, **kwargs)


def items_of(dataset):
    """(items, labels or None, label names or None) of a dataset's test split, as the app shows them (its items): images
    (N, C, H, W) for image data, the sentences as a str array (N,) for text (text.items)."""
    if not hasattr(dataset, "vocab"):
        return dataset.x_test, dataset.y_test, dataset.class_names
    from .text.items import items_of as text_items_of

    return text_items_of(dataset)


def items_digest(items, salt: str = "") -> str:
    """A sha256 hex digest of items (images (N, C, H, W) as float32, or sentences (N,)) and `salt`: the name of
    what a cache file holds about them."""
    h = hashlib.sha256(f"{salt}|{np.shape(items)}|".encode())
    if np.ndim(items) > 1:
        h.update(np.ascontiguousarray(items, np.float32).tobytes())
    else:
        h.update("\n".join(map(str, items)).encode())
    return h.hexdigest()


def encode_items(model, items, cache_dir: Path | None = None, device: str = "cpu"):
    """mu, logvar (N, D) float32 of the items items_of gives: images (on `device`), or sentences (on the model's
    device).

    With `cache_dir` (a folder keyed by the model's weights, checkpoint.cache_dir), the result is kept there in a
    file named by a hash of the items and read back by later calls, in this process or the next."""
    path = None if cache_dir is None else cache_file(cache_dir, "encoded", "",
                                                     items_digest(items, str(ENCODE_CACHE_VERSION)))

    def compute() -> dict[str, np.ndarray]:
        mu, logvar = _encode_items(model, items, device)
        return {"mu": mu, "logvar": logvar}

    arrays = load_or_compute(path, compute, valid=lambda a: {"mu", "logvar"} <= a.keys())
    return arrays["mu"], arrays["logvar"]


def _encode_items(model, items, device: str):
    if modality_of(model.config) == "image":
        from .latent import encode_dataset

        enc = encode_dataset(model, items, device=device)
        return enc.mu, enc.logvar
    from .text.items import encode_lines

    return encode_lines(model, items)


def decode_items(model, z):
    """What the model makes of z (M, D): pixel means (M, C, H, W), or greedy sentences as a str array (M,)."""
    if modality_of(model.config) == "image":
        from .latent import decode_batch

        return decode_batch(model, z)
    from .text.items import decode_greedy

    return decode_greedy(model, z)
