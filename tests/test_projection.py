"""Projection choices (the estimators themselves are tested in test_latent.py)."""

import numpy as np

from vae_core.projection import METHODS, default_method, make_projection


def test_default_method_is_identity_up_to_two_dims_else_pca():
    assert [default_method(d) for d in (1, 2, 3, 16)] == ["identity", "identity", "pca", "pca"]
    assert all(default_method(d) in METHODS for d in range(1, 5))


def test_default_method_maps_every_latent_to_two_columns():
    rng = np.random.default_rng(0)
    for d in (1, 2, 3, 8):
        z = rng.normal(size=(20, d)).astype(np.float32)
        assert make_projection(default_method(d)).fit_transform(z).shape == (20, 2)
