"""Latent tools: encoding, projections and their inverse maps, the projection cache, paths and grids."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import vae_core as vc
from vae_core.config import ModelConfig
from vae_core.latent import (
    IdentityProjection,
    PCAProjection,
    UMAPProjection,
    decode_batch,
    encode_dataset,
    images_to_grid,
    lerp,
    make_projection,
    manifold_grid,
    nearest_indices,
    project_latents,
    save_png_grid,
    slerp,
    traversal_values,
    traverse,
)
from vae_core.models import VAE
from vae_core.projection import linear_map


@pytest.fixture(scope="module")
def model() -> VAE:
    torch.manual_seed(0)
    return VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch="mlp", hidden=(32,)))


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    """300 latents in three well-separated clusters, D = 4."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 4, size=(3, 4))
    return (centres[rng.integers(0, 3, 300)] + rng.normal(0, 0.5, size=(300, 4))).astype(np.float32)


@pytest.fixture(scope="module")
def umap_fit(blobs):
    """The one UMAP fit of this file (the first fit pays numba's compile time)."""
    proj = UMAPProjection(n_neighbors=10, n_epochs=30, random_state=0)
    return proj, proj.fit_transform(blobs)


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


def test_pca_inverse_recovers_points_in_the_plane():
    rng = np.random.default_rng(1)
    basis = np.linalg.qr(rng.normal(size=(5, 2)))[0].T  # two orthonormal directions in R^5
    mean = rng.normal(size=5)
    z = (mean + rng.normal(size=(200, 2)) * [3.0, 1.0] @ basis).astype(np.float32)  # variance in 2 dims only
    proj = PCAProjection()
    assert proj.fit(z) is proj
    points = proj.transform(z)
    assert points.shape == (200, 2) and points.dtype == np.float32
    np.testing.assert_allclose(proj.inverse_transform(points), z, atol=1e-4)
    np.testing.assert_allclose(proj.explained_variance_ratio_.sum(), 1.0, atol=1e-5)
    p = np.array([[0.3, -1.2]], np.float32)  # any 2-D point maps to a z that projects back onto it
    np.testing.assert_allclose(proj.transform(proj.inverse_transform(p)), p, atol=1e-5)


def test_identity_round_trip_and_chosen_dims():
    z = np.random.default_rng(2).normal(size=(10, 2)).astype(np.float32)
    proj = make_projection("identity").fit(z)
    np.testing.assert_array_equal(proj.transform(z), z)
    np.testing.assert_array_equal(proj.inverse_transform(proj.transform(z)), z)

    base = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    proj = IdentityProjection(dims=(3, 1), base=base).fit(np.zeros((1, 4)))
    np.testing.assert_array_equal(proj.transform(base), [[4.0, 2.0]])
    np.testing.assert_array_equal(proj.inverse_transform([[9.0, 8.0]]), [[1.0, 8.0, 3.0, 9.0]])
    with pytest.raises(ValueError, match="distinct"):
        IdentityProjection(dims=(1, 1)).fit(np.zeros((1, 4)))


@pytest.mark.parametrize("method, dim", [("identity", 2), ("identity", 1), ("pca", 5), ("pca", 1)])
def test_linear_map_reproduces_affine_projections(method, dim):
    z = np.random.default_rng(3).normal(size=(40, dim)).astype(np.float32)
    kw = {"dims": (dim - 1, 0)} if method == "identity" and dim > 1 else {}
    proj = make_projection(method, **kw).fit(z)
    w, b = linear_map(proj)
    assert w.shape == (2, dim) and b.shape == (2,)
    np.testing.assert_allclose(z @ w.T + b, proj.transform(z), atol=1e-5)


def test_linear_map_is_none_for_umap(umap_fit):
    assert linear_map(umap_fit[0]) is None


def test_make_projection_rejects_unknown_method():
    with pytest.raises(ValueError, match="unknown projection method 'tsne'.*identity, pca, umap"):
        make_projection("tsne")


def test_umap_embedding_and_inverse_map(umap_fit, blobs):
    proj, emb = umap_fit
    assert emb.shape == (300, 2) and emb.dtype == np.float32 and np.isfinite(emb).all()
    np.testing.assert_array_equal(emb, proj.embedding_)
    # An embedded point maps back to exactly its own latent, and forward to exactly its own point.
    np.testing.assert_array_equal(proj.inverse_transform(emb[[5, 17]]), blobs[[5, 17]])
    np.testing.assert_array_equal(proj.transform(blobs[[5, 17]]), emb[[5, 17]])

    # The midpoint of a point and its nearest embedded neighbour has those two as its two nearest,
    # so the two-neighbour inverse is exactly their average.
    a = 0
    b = int(nearest_indices(emb, emb[a], k=2)[0, 1])
    mid = (emb[a] + emb[b]) / 2
    np.testing.assert_allclose(proj.inverse_transform(mid, k=2)[0], (blobs[a] + blobs[b]) / 2, atol=1e-5)
    # With more neighbours the result is a convex combination: inside the neighbours' bounding box.
    z = proj.inverse_transform(mid)[0]
    near = blobs[nearest_indices(emb, mid, k=proj.inverse_neighbors)[0]]
    assert np.all(z >= near.min(0) - 1e-5) and np.all(z <= near.max(0) + 1e-5)


def test_umap_keeps_clusters_apart(umap_fit, blobs):
    """Quality threshold, not exact numbers: neighbours on the map are neighbours in z."""
    from sklearn.manifold import trustworthiness

    assert trustworthiness(blobs, umap_fit[1], n_neighbors=10) > 0.85


def test_project_latents_cache(tmp_path, blobs, umap_fit, monkeypatch):
    fits = {"pca": 0, "umap": 0}
    pca_fit = PCAProjection.fit

    def counting_pca_fit(self, z, y=None):
        fits["pca"] += 1
        return pca_fit(self, z)

    def fake_umap_fit(self, z, y=None):  # reuse the module's fit: no second UMAP run in this file
        fits["umap"] += 1
        return self._set(z, umap_fit[1])

    monkeypatch.setattr(PCAProjection, "fit", counting_pca_fit)
    monkeypatch.setattr(UMAPProjection, "fit", fake_umap_fit)

    emb1, proj1 = project_latents(blobs, "pca", cache_dir=tmp_path, key="ckpt-a")
    emb2, proj2 = project_latents(blobs, "pca", cache_dir=tmp_path, key="ckpt-a")
    assert fits["pca"] == 1 and not proj1.from_cache_ and proj2.from_cache_
    np.testing.assert_array_equal(emb1, emb2)
    p = np.array([[1.0, -2.0]], np.float32)
    np.testing.assert_allclose(proj2.inverse_transform(p), proj1.inverse_transform(p), atol=1e-6)

    project_latents(blobs, "pca", cache_dir=tmp_path, key="ckpt-b")  # another key misses
    changed = blobs.copy()
    changed[0, 0] += 1.0
    project_latents(changed, "pca", cache_dir=tmp_path, key="ckpt-a")  # other latents miss
    assert fits["pca"] == 3

    emb1, proj1 = project_latents(blobs, "umap", cache_dir=tmp_path, key="spec:/odd name")
    emb2, proj2 = project_latents(blobs, "umap", cache_dir=tmp_path, key="spec:/odd name")
    assert fits["umap"] == 1 and proj2.from_cache_ and not hasattr(proj2, "umap_")
    np.testing.assert_array_equal(emb1, emb2)
    np.testing.assert_array_equal(proj2.inverse_transform(emb1[:3]), blobs[:3])  # rebuilt KD-tree inverse

    files = sorted(tmp_path.iterdir())
    assert len(files) == 4 and all(f.suffix == ".npz" for f in files)  # no temp files left behind
    for f in files:
        with np.load(f, allow_pickle=False) as arrays:
            assert arrays["embedding"].shape == (300, 2)


def test_project_latents_refits_over_a_corrupt_cache_file(tmp_path, blobs):
    emb, _ = project_latents(blobs, "pca", cache_dir=tmp_path)
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"not a zip file")
    emb2, proj = project_latents(blobs, "pca", cache_dir=tmp_path)
    assert not proj.from_cache_
    np.testing.assert_array_equal(emb, emb2)
    assert project_latents(blobs, "pca", cache_dir=tmp_path)[1].from_cache_


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


def test_images_to_grid_sizes():
    images = np.random.default_rng(5).random((5, 1, 4, 6), dtype=np.float32)
    grid = images_to_grid(images, ncols=3, pad=1)
    assert grid.shape == (2 * 5 + 1, 3 * 7 + 1) and grid.dtype == np.uint8
    np.testing.assert_array_equal(grid[1:5, 1:7], np.round(images[0, 0] * 255))
    assert grid[0].min() == 255  # padding is white
    assert images_to_grid(np.zeros((4, 3, 2, 2)), ncols=2, pad=0).shape == (4, 4, 3)
    with pytest.raises(ValueError):
        images_to_grid(np.zeros((0, 1, 2, 2)), ncols=2)


def test_save_png_grid(tmp_path):
    path = save_png_grid(np.ones((6, 1, 8, 8), np.float32), tmp_path / "grid.png", ncols=3)
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == (3 * 9 + 1, 2 * 9 + 1)
