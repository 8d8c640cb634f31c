"""vae_core.analysis.posterior against known values and trusted references (losses.elbo_terms, scipy)."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from vae_core.analysis import posterior as post
from vae_core.losses import elbo_terms


def test_ellipse_points_lie_at_the_requested_mahalanobis_distance():
    mu, logvar = np.array([1.5, -0.5]), np.log(np.array([0.3, 2.0]) ** 2)
    for k in (1.0, 2.0):
        pts = post.ellipse(mu, logvar, k=k, n=50)
        assert pts.shape == (50, 2)
        np.testing.assert_allclose(post.mahalanobis(pts, mu, logvar), k, rtol=1e-12)
        np.testing.assert_allclose(pts[0], pts[-1])  # closed curve
    # widths: 2 sigma along each axis at 1 sigma
    pts = post.ellipse(mu, logvar, k=1.0, n=361)
    np.testing.assert_allclose(pts.max(0) - pts.min(0), [0.6, 4.0], rtol=1e-4)


def test_mass_within_matches_the_chi_distribution():
    assert post.mass_within(1.0) == pytest.approx(0.3935, abs=1e-4)
    assert post.mass_within(2.0) == pytest.approx(0.8647, abs=1e-4)
    assert post.mass_within(1.0, dims=1) == pytest.approx(0.6827, abs=1e-4)


def test_reparameterised_samples_have_the_posterior_mean_and_std():
    mu, sigma = np.array([2.0, -1.0, 0.0]), np.array([0.5, 1.0, 0.1])
    z, eps = post.reparameterize(mu, 2 * np.log(sigma), n=20_000, seed=0)
    assert z.shape == eps.shape == (20_000, 3) and z.dtype == np.float32
    assert np.all(np.abs(z.mean(0) - mu) < 4 * sigma / np.sqrt(20_000))  # 4 standard errors
    np.testing.assert_allclose(z.std(0), sigma, rtol=0.02)
    np.testing.assert_allclose(z, mu + sigma * eps, rtol=1e-6, atol=1e-6)  # z is exactly mu + sigma * eps
    np.testing.assert_array_equal(post.reparameterize(mu, np.zeros(3), 4, seed=1)[0],
                                  post.reparameterize(mu, np.zeros(3), 4, seed=1)[0])


def test_elbo_split_adds_up_to_the_losses_module_neg_elbo(tiny_mlp):
    x = torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(3)
    ref = elbo_terms(tiny_mlp, x)
    torch.manual_seed(3)
    split = post.elbo_split(tiny_mlp, x.numpy())
    np.testing.assert_allclose(split.neg_elbo, (ref.recon + ref.kl).detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(split.kl, ref.kl.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(split.kl_dims.sum(1), split.kl, rtol=1e-12)
    assert split.kl_dims.shape == (6, 3) and (split.kl_dims >= 0).all()


def test_elbo_split_is_repeatable_with_a_generator_and_keeps_the_mode(tiny_mlp):
    x = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    tiny_mlp.train()
    a = post.elbo_split(tiny_mlp, x, samples=8, generator=torch.Generator().manual_seed(0))
    b = post.elbo_split(tiny_mlp, x, samples=8, generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(a.recon, b.recon)
    assert tiny_mlp.training


def test_aggregate_density_of_one_component_is_that_gaussian():
    mu, logvar = np.array([[0.5, -1.0]]), np.log(np.array([[0.4, 1.5]]) ** 2)
    z = np.random.default_rng(0).standard_normal((20, 2))
    ref = multivariate_normal(mu[0], np.diag(np.exp(logvar[0]))).logpdf(z)
    np.testing.assert_allclose(post.aggregate_log_density(z, mu, logvar, chunk=7), ref, rtol=1e-10)
    np.testing.assert_allclose(post.prior_log_density(z), multivariate_normal(np.zeros(2)).logpdf(z), rtol=1e-10)


def test_aggregate_density_is_the_mean_of_its_components():
    mu = np.array([[0.0, 0.0], [3.0, 0.0]])
    logvar = np.zeros((2, 2))
    z = np.array([[0.0, 0.0]])
    expected = 0.5 * (1 / (2 * np.pi)) * (1 + np.exp(-4.5))
    assert np.exp(post.aggregate_log_density(z, mu, logvar))[0] == pytest.approx(expected, rel=1e-12)


def test_density_grid_integrates_to_one_and_marginalises_other_dims():
    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(0, 1, (50, 4)), np.log(rng.uniform(0.1, 0.6, (50, 4)) ** 2)
    grid = post.density_grid(mu, logvar, dims=(2, 0), steps=160)
    assert grid.q.shape == grid.p.shape == (160, 160)
    assert grid.q.sum() * grid.cell_area == pytest.approx(1.0, abs=0.01)
    assert grid.p.sum() * grid.cell_area == pytest.approx(1.0, abs=0.01)
    # the plane's x axis is dim 2: the q-weighted mean of x is the mean of mu[:, 2]
    mean_x = (grid.q.sum(0) * grid.xs).sum() / grid.q.sum()
    assert mean_x == pytest.approx(mu[:, 2].mean(), abs=0.01)


def test_density_grid_cells_hold_exact_masses_even_for_narrow_posteriors():
    # one posterior far narrower than a cell, centred in the cell [0, 1) x [0, 1): all its mass lands there
    grid = post.density_grid(np.array([[0.5, 0.5]]), np.full((1, 2), 2 * np.log(1e-3)), steps=8, extent=(-4.0, 4.0))
    mass = grid.q * grid.cell_area
    assert mass[4, 4] == pytest.approx(1.0, abs=1e-9) and mass.sum() == pytest.approx(1.0, abs=1e-9)
    # the prior's mass in the central 2 x 2 cells ([-1, 1]^2) is erf(1 / sqrt 2)^2
    central = (grid.p * grid.cell_area)[3:5, 3:5].sum()
    assert central == pytest.approx(post.mass_within(1.0, dims=1) ** 2, rel=1e-9)


def test_density_grid_cell_averages_match_the_density_for_smooth_posteriors():
    mu, logvar = np.array([[0.3, -0.2], [-1.0, 1.0]]), np.log(np.full((2, 2), 1.5) ** 2)
    grid = post.density_grid(mu, logvar, steps=200)
    gx, gy = np.meshgrid(grid.xs, grid.ys)
    point = np.exp(post.aggregate_log_density(np.stack([gx.ravel(), gy.ravel()], 1), mu, logvar))
    np.testing.assert_allclose(grid.q.ravel(), point, atol=2e-4 * point.max())


def test_hole_score_has_known_values():
    # one unit-variance posterior at mu: log p(z) - log q(z) = (|z - mu|^2 - |z|^2) / 2
    mu, logvar = np.array([[2.0, 0.0]]), np.zeros((1, 2))
    z = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(post.hole_score(z, mu, logvar), [2.0, -2.0, 0.0], atol=1e-12)
    # a posterior equal to the prior leaves no holes anywhere
    assert np.abs(post.hole_score(z, np.zeros((1, 2)), np.zeros((1, 2)))).max() < 1e-12


def test_hole_score_is_higher_for_prior_points_far_from_every_mu():
    mu = np.array([[1.0, 1.0], [-1.0, -1.0]])
    logvar = np.full((2, 2), 2 * math.log(0.2))
    near, far = np.array([[1.0, 1.0]]), np.array([[1.0, -1.0]])  # same prior density; far is 10 sigma from both
    # q(near) = N/2 (one component, the other is 20 sigma away), q(far) = N exp(-50): the gap is 50 - ln 2
    gap = post.hole_score(far, mu, logvar)[0] - post.hole_score(near, mu, logvar)[0]
    assert gap == pytest.approx(50 - math.log(2), rel=1e-9)


def test_prior_holes_are_sorted_seeded_draws():
    mu, logvar = np.array([[1.5, 0.0, 0.0]]), np.full((1, 3), 2 * math.log(0.3))
    holes = post.prior_holes(mu, logvar, n=64, seed=0)
    assert holes.z.shape == (64, 3) and np.all(np.diff(holes.score) >= 0)
    np.testing.assert_allclose(holes.score, post.hole_score(holes.z, mu, logvar), rtol=1e-5)
    assert np.linalg.norm(holes.z[0] - mu[0]) < np.linalg.norm(holes.z[-1] - mu[0])
    np.testing.assert_array_equal(holes.z, post.prior_holes(mu, logvar, n=64, seed=0).z)


def test_nearest_distance_is_the_rms_pixel_distance_to_the_closest_reference():
    reference = np.stack([np.zeros((1, 2, 2)), np.ones((1, 2, 2))])
    images = np.stack([np.full((1, 2, 2), 0.9), np.full((1, 2, 2), 0.5), np.zeros((1, 2, 2))])
    np.testing.assert_allclose(post.nearest_distance(images, reference, chunk=2), [0.1, 0.5, 0.0], atol=1e-7)
    one_pixel_off = np.zeros((1, 1, 2, 2))
    one_pixel_off[0, 0, 0, 0] = 1.0
    assert post.nearest_distance(one_pixel_off, reference)[0] == pytest.approx(0.5)  # sqrt(1 / 4)


def test_plane_extent_covers_the_prior_and_every_posterior():
    lo, hi = post.plane_extent(np.array([[5.0, 0.0]]), np.zeros((1, 2)))
    assert (lo, hi) == (-3.5, 8.0)
