import math

import numpy as np
import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from vae_core.losses import (
    bernoulli_nll,
    beta_binomial_nll,
    elbo_terms,
    gaussian_nll,
    iwae_log_likelihood,
    kl_per_dim,
    kl_weight,
)
from vae_core.losses import (
    kl_divergence as our_kl,
)


def test_kl_matches_torch_distributions():
    torch.manual_seed(0)
    mu, logvar = torch.randn(6, 4), torch.randn(6, 4)
    expected = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0))
    assert torch.allclose(kl_per_dim(mu, logvar), expected, atol=1e-6)
    assert torch.allclose(our_kl(mu, logvar), expected.sum(1), atol=1e-5)


def test_kl_per_dim_on_numpy_arrays_is_float64_numpy():
    """Dataset summaries pass the encoder's numpy mu and logvar (N, D), in that order, and average over N."""
    rng = np.random.default_rng(1)
    mu, logvar = rng.normal(size=(50, 4)), rng.normal(0, 0.5, size=(50, 4))
    reference = kl_divergence(Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar))), Normal(0.0, 1.0))
    kl = kl_per_dim(mu.astype(np.float32), logvar.astype(np.float32))
    assert isinstance(kl, np.ndarray) and kl.dtype == np.float64 and kl.shape == (50, 4)
    np.testing.assert_allclose(kl.mean(0), reference.mean(0).numpy(), rtol=1e-6)
    np.testing.assert_allclose(kl_per_dim(mu, logvar), reference.numpy(), rtol=1e-10)


def test_kl_matches_a_monte_carlo_estimate():
    torch.manual_seed(0)
    mu, logvar = torch.tensor([[0.7, -1.2, 0.1]]), torch.tensor([[-0.5, 0.3, -2.0]])
    q = Normal(mu, torch.exp(0.5 * logvar))
    z = q.sample((200_000,))
    mc = (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1).mean()
    assert our_kl(mu, logvar).item() == pytest.approx(mc.item(), abs=0.02)


def test_kl_is_zero_at_the_prior():
    assert torch.equal(our_kl(torch.zeros(2, 5), torch.zeros(2, 5)), torch.zeros(2))


def test_bernoulli_nll_matches_torch_on_binary_pixels():
    torch.manual_seed(0)
    logits, x = torch.randn(3, 1, 4, 4), (torch.rand(3, 1, 4, 4) > 0.5).float()
    expected = -Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
    assert torch.allclose(bernoulli_nll(logits, x), expected, atol=1e-5)


def test_gaussian_nll_matches_torch():
    torch.manual_seed(0)
    mean, x, log_std = torch.rand(2, 1, 3, 3), torch.rand(2, 1, 3, 3), torch.randn(1, 3, 3) * 0.3
    expected = -Normal(mean, log_std.exp()).log_prob(x).flatten(1).sum(1)
    assert torch.allclose(gaussian_nll(mean, x, log_std), expected, atol=1e-5)


def test_beta_binomial_nll_matches_scipy_and_sums_to_one_over_the_256_levels():
    from scipy.stats import betabinom

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 1, 2, 2, generator=gen, dtype=torch.float64) * 3
    log_conc = torch.randn(1, 2, 2, generator=gen, dtype=torch.float64)
    k = torch.randint(0, 256, (3, 1, 2, 2), generator=gen).double()
    m, c = torch.sigmoid(logits).numpy(), np.broadcast_to(torch.exp(log_conc).numpy(), (3, 1, 2, 2))
    expected = -betabinom.logpmf(k.numpy(), 255, c * m, c * (1 - m)).reshape(3, -1).sum(1)
    assert np.allclose(beta_binomial_nll(logits, k / 255, log_conc).numpy(), expected, rtol=1e-10)
    every = torch.arange(256, dtype=torch.float64).reshape(256, 1, 1, 1) / 255  # one pixel, every level
    nll = beta_binomial_nll(torch.full((256, 1, 1, 1), 0.7, dtype=torch.float64), every,
                            torch.full((1, 1, 1), -1.0, dtype=torch.float64))
    assert torch.exp(-nll).sum().item() == pytest.approx(1.0, abs=1e-12)


def test_kl_warmup_is_linear_then_flat():
    assert kl_weight(0.0, 2.0, 4) == 0.0
    assert kl_weight(1.0, 2.0, 4) == pytest.approx(0.5)
    assert kl_weight(10.0, 2.0, 4) == 2.0
    assert kl_weight(0.0, 2.0, 0) == 2.0


def test_elbo_loss_combines_terms_with_beta(tiny_mlp):
    x = torch.rand(4, 1, 8, 8)
    torch.manual_seed(3)
    t1 = elbo_terms(tiny_mlp, x, beta=1.0)
    torch.manual_seed(3)
    t4 = elbo_terms(tiny_mlp, x, beta=4.0)
    assert torch.allclose(t1.loss, (t1.recon + t1.kl).mean())
    assert torch.allclose(t4.loss, (t4.recon + 4.0 * t4.kl).mean())
    assert (t1.kl >= 0).all()


def test_iwae_is_at_least_the_elbo(tiny_mlp):
    torch.manual_seed(0)
    x = torch.rand(8, 1, 8, 8)
    with torch.no_grad():
        elbos = torch.stack([-(lambda t: t.recon + t.kl)(elbo_terms(tiny_mlp, x)) for _ in range(300)]).mean(0)
    iwae = iwae_log_likelihood(tiny_mlp, x, k=500, chunk=128)
    assert iwae.shape == (8,)
    assert (iwae >= elbos - 0.05).all()
    assert iwae_log_likelihood(tiny_mlp, x, k=1).shape == (8,)
    assert all(math.isfinite(v) for v in iwae.tolist())
