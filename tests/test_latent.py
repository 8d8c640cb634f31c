"""Latent tools: encoding and decoding, paths and their norms, traversals, manifold grids (projections:
test_projection.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import vae_core as vc
from vae_core.config import ModelConfig
from vae_core.latent import (
    decode_batch,
    encode_dataset,
    lerp,
    manifold_grid,
    path_norms,
    slerp,
    traversal_values,
    traverse,
    typical_norm,
)
from vae_core.models import VAE


@pytest.fixture(scope="module")
def model() -> VAE:
    torch.manual_seed(0)
    return VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch="mlp", hidden=(32,)))


def test_encode_dataset_matches_model_encode(model):
    x = np.random.default_rng(0).random((37, 1, 8, 8), dtype=np.float32)
    enc = encode_dataset(model, x, labels=np.arange(37), batch_size=10)
    assert enc.mu.shape == enc.logvar.shape == (37, 3)
    assert enc.mu.dtype == np.float32 and enc.labels.tolist() == list(range(37))
    with torch.no_grad():
        mu, logvar = model.encode(torch.from_numpy(x))
    np.testing.assert_allclose(enc.mu, mu.numpy(), atol=1e-6)
    np.testing.assert_allclose(enc.logvar, logvar.numpy(), atol=1e-6)
    assert model.training  # the caller's mode is restored
    assert encode_dataset(model, x).labels is None


def test_lerp_and_slerp():
    rng = np.random.default_rng(3)
    z0, z1 = rng.normal(size=8).astype(np.float32), rng.normal(size=8).astype(np.float32)
    path = lerp(z0, z1, 7)
    assert path.shape == (7, 8) and path.dtype == np.float32
    np.testing.assert_array_equal(path[[0, -1]], [z0, z1])

    z1 = z1 * np.linalg.norm(z0) / np.linalg.norm(z1)  # equal norms
    path = slerp(z0, z1, 9)
    np.testing.assert_array_equal(path[[0, -1]], [z0, z1])
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(z0), rtol=1e-5)
    assert not np.allclose(path, lerp(z0, z1, 9))  # it really leaves the straight line

    np.testing.assert_allclose(slerp(z0, 2.5 * z0, 5), lerp(z0, 2.5 * z0, 5), atol=1e-6)  # parallel
    np.testing.assert_allclose(slerp(z0, -z0, 5), lerp(z0, -z0, 5), atol=1e-6)  # opposite: no unique circle


def test_interpolate_is_lerp_or_slerp_by_name():
    """vae_core.interpolate, which the Interpolate page calls, walks the path its method names."""
    rng = np.random.default_rng(4)
    z0, z1 = rng.normal(size=5).astype(np.float32), rng.normal(size=5).astype(np.float32)
    np.testing.assert_array_equal(vc.interpolate(z0, z1, 6, "lerp"), lerp(z0, z1, 6))
    np.testing.assert_array_equal(vc.interpolate(z0, z1, 6, "slerp"), slerp(z0, z1, 6))
    with pytest.raises(ValueError, match="lerp"):
        vc.interpolate(z0, z1, 6, "cubic")


def test_traverse_changes_only_the_chosen_dim():
    z = np.array([0.5, -1.0, 2.0, 0.0], np.float32)
    values = traversal_values(5, span=2.0)
    np.testing.assert_allclose(values, [-2, -1, 0, 1, 2])
    out = traverse(z, dims=[2, 0], values=values)
    assert out.shape == (10, 4)
    block = out[:5]  # first row of the grid: dim 2 sweeps, the rest stays put
    np.testing.assert_array_equal(block[:, 2], values)
    np.testing.assert_array_equal(np.delete(block, 2, axis=1), np.tile(np.delete(z, 2), (5, 1)))
    np.testing.assert_array_equal(out[5:, 0], values)


def test_manifold_grid_corners_and_shape():
    grid = manifold_grid(4)
    assert grid.shape == (16, 2) and grid.dtype == np.float32
    lo, hi = -1.6448536, 1.6448536  # norm.ppf(0.05), norm.ppf(0.95)
    np.testing.assert_allclose(grid[[0, 3, 12, 15]], [[lo, hi], [hi, hi], [lo, lo], [hi, lo]], rtol=1e-6)
    base = np.array([7.0, 0.0, 0.0], np.float32)
    grid = manifold_grid(3, dims=(1, 2), base=base)
    assert grid.shape == (9, 3) and np.all(grid[:, 0] == 7.0)
    np.testing.assert_allclose(grid[4], [7.0, 0.0, 0.0], atol=1e-6)  # centre cell is the prior median


def test_decode_batch_shape_and_range(model):
    z = np.random.default_rng(4).normal(size=(11, 3)).astype(np.float32)
    images = decode_batch(model, z, batch_size=4)
    assert images.shape == (11, 1, 8, 8) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    np.testing.assert_allclose(images, model.decode_mean(torch.from_numpy(z)).numpy(), atol=1e-6)


def test_path_norms_show_the_lerp_dip():
    d = 64
    rng = np.random.default_rng(1)
    z0, z1 = rng.standard_normal(d), rng.standard_normal(d)
    straight, arc = path_norms(lerp(z0, z1, 11)), path_norms(slerp(z0, z1, 11))
    assert straight.shape == (11,)
    assert np.isclose(straight[0], np.linalg.norm(z0), rtol=1e-5)
    # Two random codes are nearly orthogonal: the midpoint of the line is ~1/sqrt(2) as long.
    assert straight[5] < 0.8 * typical_norm(d)
    assert arc.min() > 0.9 * min(straight[0], straight[-1])
    assert typical_norm(4) == 2.0
