"""Projections of latents to 2-D (identity, PCA, UMAP): their inverse maps, linear maps and the disk cache."""

from __future__ import annotations

import numpy as np
import pytest

from vae_core.projection import (
    METHODS,
    IdentityProjection,
    PCAProjection,
    UMAPProjection,
    default_method,
    linear_inverse,
    linear_map,
    make_projection,
    nearest_indices,
    project_latents,
)


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


@pytest.mark.parametrize("method, dim", [("identity", 4), ("identity", 1), ("pca", 5), ("pca", 1)])
def test_linear_inverse_reproduces_the_inverse_map(method, dim):
    z = np.random.default_rng(4).normal(size=(40, dim)).astype(np.float32)
    base = np.arange(dim, dtype=np.float32) + 7  # the dims not shown keep these values
    kw = {"dims": (dim - 1, 0), "base": base} if method == "identity" and dim > 1 else {}
    proj = make_projection(method, **kw).fit(z)
    a, c = linear_inverse(proj)
    assert a.shape == (dim, 2) and c.shape == (dim,)
    p = np.random.default_rng(5).normal(size=(9, 2)).astype(np.float32)
    np.testing.assert_allclose(p @ a.T + c, proj.inverse_transform(p), atol=1e-5)


def test_linear_inverse_is_none_for_umap(umap_fit):
    assert linear_inverse(umap_fit[0]) is None


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


def test_default_method_is_identity_up_to_two_dims_else_pca():
    assert [default_method(d) for d in (1, 2, 3, 16)] == ["identity", "identity", "pca", "pca"]
    assert all(default_method(d) in METHODS for d in range(1, 5))


def test_default_method_maps_every_latent_to_two_columns():
    rng = np.random.default_rng(0)
    for d in (1, 2, 3, 8):
        z = rng.normal(size=(20, d)).astype(np.float32)
        assert make_projection(default_method(d)).fit_transform(z).shape == (20, 2)
