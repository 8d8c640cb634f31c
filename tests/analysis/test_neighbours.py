"""Neighbours and latent arithmetic against known values: self is the nearest neighbour at distance 0, a brute
force oracle, attribute vectors of synthetic clusters, analogies, and the folded line decoder against torch."""

import numpy as np
import pytest
import torch

from vae_core.analysis import neighbours as nb
from vae_core.config import ModelConfig
from vae_core.export import decoder_program
from vae_core.models import VAE


def brute_force(points, q, k):
    d = np.sqrt(((points.astype(np.float64) - q) ** 2).sum(1))
    order = np.argsort(d, kind="stable")[:k]
    return order, d[order]


def test_the_nearest_neighbour_of_a_point_in_its_own_set_is_itself_at_distance_zero():
    points = np.random.default_rng(0).normal(size=(200, 6)).astype(np.float32) * 30
    idx, dist = nb.knn(points, points, 1)
    np.testing.assert_array_equal(idx[:, 0], np.arange(200))
    assert (dist[:, 0] == 0).all()


def test_knn_matches_brute_force_nearest_first():
    rng = np.random.default_rng(1)
    points, queries = rng.normal(size=(500, 64)), rng.normal(size=(7, 64))
    idx, dist = nb.knn(points, queries, 10)
    assert idx.shape == dist.shape == (7, 10)
    for q, i, d in zip(queries, idx, dist, strict=True):
        want_i, want_d = brute_force(points, q, 10)
        np.testing.assert_array_equal(i, want_i)
        np.testing.assert_allclose(d, want_d, rtol=1e-12)
        assert (np.diff(d) >= 0).all()


def test_knn_breaks_ties_by_index_and_caps_k():
    points = np.array([[1.0, 0], [0, 1.0], [-1.0, 0], [0, -1.0]])
    idx, dist = nb.knn(points, [0.0, 0.0], 10)
    np.testing.assert_array_equal(idx[0], [0, 1, 2, 3])
    np.testing.assert_allclose(dist[0], 1.0)


def test_neighbours_of_leaves_the_point_itself_out():
    points = np.arange(10, dtype=np.float32)[:, None]
    idx, dist = nb.neighbours_of(points, 4, 3)
    np.testing.assert_array_equal(idx, [3, 5, 2])
    np.testing.assert_allclose(dist, [1, 1, 2])


def test_pixel_space_flattens_images_and_share_counts_same_labels():
    x = np.zeros((5, 1, 4, 4), np.float32)
    assert nb.pixels(x).shape == (5, 16)
    labels = np.array([0, 0, 1, 0, 1])
    assert nb.share_same(labels, 0, np.array([1, 2, 3, 4])) == 0.5
    assert nb.share_same(None, 0, np.array([1])) is None


def test_the_attribute_vector_of_two_clusters_is_the_difference_of_their_means():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(40, 3)) + [5, 0, 0], rng.normal(size=(60, 3)) + [0, -2, 1]
    mu, groups = np.concatenate([a, b]), np.r_[np.full(40, 7), np.full(60, 3)]
    v = nb.attribute_vector(mu, groups, 7, 3)
    assert v.dtype == np.float32
    np.testing.assert_allclose(v, a.mean(0) - b.mean(0), rtol=1e-6)
    np.testing.assert_allclose(nb.attribute_vector(mu, groups, 3, 7), -v)
    with pytest.raises(ValueError, match="no items in group 9"):
        nb.attribute_vector(mu, groups, 9, 3)


def test_factor_groups_keep_discrete_values_and_bin_continuous_ones():
    groups, names = nb.factor_groups(np.array([2, 0, 1, 2]))
    np.testing.assert_array_equal(groups, [2, 0, 1, 2])
    assert names == ["0", "1", "2"]
    values = np.random.default_rng(3).uniform(size=3000)
    groups, names = nb.factor_groups(values)
    assert names == ["low", "middle", "high"]
    assert np.bincount(groups).tolist() == [1000, 1000, 1000]
    assert values[groups == 0].max() < values[groups == 1].min() < values[groups == 2].min()


def test_groupings_hold_the_labels_by_class_name_then_every_factor_but_shape():
    labels = np.array([7, 2, 7, 11])  # 11 has no class name: it is named by its number
    factors = {"shape": np.array([0, 1, 2, 0]), "scale": np.array([0.5, 1.0, 0.5, 1.0])}
    groups = nb.groupings(labels, ("a", "b", "c", "d", "e", "f", "g", "seven"), factors)
    assert list(groups) == ["label", "scale"]
    g, names = groups["label"]
    np.testing.assert_array_equal(g, [1, 0, 1, 2])
    assert names == ["c", "seven", "11"]
    np.testing.assert_array_equal(groups["scale"][0], nb.factor_groups(factors["scale"])[0])
    assert nb.groupings(labels, None)["label"][1] == ["2", "7", "11"]
    assert nb.groupings(None, None, None) == {}


def test_analogy_defaults_take_b_of_a_s_label_and_c_of_another():
    labels = np.array([1, 0, 1, 1, 0])
    assert nb.analogy_defaults(labels, 2, 5) == (0, 1)  # b: the first other 1; c: the first 0
    assert nb.analogy_defaults(labels, 0, 5) == (2, 1)  # a itself is never b
    assert nb.analogy_defaults(np.array([4, 4]), 1, 2) == (0, 1)  # one label: no c, so a itself
    assert nb.analogy_defaults(None, 0, 3) == (1, 0)  # unlabelled: one shared label
    assert nb.analogy_defaults(None, 0, 1) == (0, 0)


def test_along_applies_an_attribute_with_each_strength():
    z, v = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    np.testing.assert_allclose(nb.along(z, v, [-2, 0, 1]), [[0, 4], [1, 2], [1.5, 1]])


def test_analogy_is_a_minus_b_plus_c():
    a, b, c = np.array([3.0, 1.0, 0]), np.array([1.0, 1.0, 1.0]), np.array([0, 5.0, -2.0])
    np.testing.assert_allclose(nb.analogy(a, b, c), [2, 5, -3])
    # "king - man + woman": with vectors built from attributes, the analogy lands exactly on the fourth
    royal, male, female = np.eye(3)[0], np.eye(3)[1], np.eye(3)[2]
    np.testing.assert_allclose(nb.analogy(royal + male, male, female), royal + female)


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_the_attribute_decoder_decodes_z_plus_s_times_the_direction(arch):
    torch.manual_seed(0)
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch=arch, hidden=(32,), channels=(8,),
                            fc_width=16)).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    direction = np.array([1.0, 0.5, -0.25], np.float32)
    extended = nb.attribute_decoder(model, direction)
    z = torch.randn(4, 3)
    s = torch.tensor([[-2.0], [0.0], [0.7], [3.0]])
    with torch.no_grad():
        got = extended(torch.cat([z, s], dim=1))
        want = model.decode(z + s * torch.as_tensor(direction))
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    ops, _ = decoder_program(extended)  # the browser can run it: D + 1 inputs, the model's image out
    assert ops[0]["in_shape"] == [4] and ops[-1]["out_shape"] == [1, 8, 8]
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # the model is untouched
    with pytest.raises(ValueError, match="3 values"):
        nb.attribute_decoder(model, direction[:2])
