import pytest
import torch
import torch.nn.functional as F

from vae_core.config import ModelConfig
from vae_core.models import VAE, conv_stages, count_parameters


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (1, 32, 32), (3, 32, 32), (1, 64, 64)])
@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_shapes_for_every_supported_size(shape, arch):
    torch.manual_seed(0)
    model = VAE(ModelConfig(input_shape=shape, latent_dim=5, arch=arch, hidden=(64,), channels=(8, 16, 16, 16)))
    x = torch.rand(3, *shape)
    out = model(x)
    assert out.logits.shape == (3, *shape)
    assert out.mu.shape == out.logvar.shape == out.z.shape == (3, 5)
    recon = model.reconstruct(x)
    assert recon.shape == (3, *shape) and 0 <= recon.min() and recon.max() <= 1
    assert model.sample(4).shape == (4, *shape)


def test_mlp_400_is_exactly_the_pytorch_examples_vae():
    model = VAE(ModelConfig(input_shape=(1, 28, 28), latent_dim=20, arch="mlp", hidden=(400,)))
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    # fc1 784->400, fc21+fc22 as one 400->40 layer, fc3 20->400, fc4 400->784
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 400), (400, 40), (20, 400), (400, 784)]
    assert count_parameters(model) == 784 * 400 + 400 + 2 * (400 * 20 + 20) + 20 * 400 + 400 + 400 * 784 + 784
    # Its forward pass, written out with the same weights: relu after fc1 and fc3 (a model without them fails).
    fc1, fc2, fc3, fc4 = linears
    x, z = torch.rand(16, 1, 28, 28), torch.randn(16, 20)
    mu, logvar = fc2(F.relu(fc1(x.view(-1, 784)))).chunk(2, dim=1)
    ours = model.encode(x)
    assert torch.allclose(ours[0], mu, atol=1e-6) and torch.allclose(ours[1], logvar, atol=1e-6)
    assert torch.allclose(model.decode(z), fc4(F.relu(fc3(z))).view(-1, 1, 28, 28), atol=1e-6)


def test_conv_stages_reach_a_small_map():
    assert conv_stages(28, 28, 4) == 2  # 28 -> 14 -> 7
    assert conv_stages(32, 32, 4) == 3  # 32 -> 16 -> 8 -> 4
    assert conv_stages(64, 64, 4) == 4
    assert conv_stages(8, 8, 4) == 1
    assert conv_stages(5, 5, 4) == 0


def test_conv_on_an_odd_size_is_a_clear_error():
    with pytest.raises(ValueError, match="use arch 'mlp'"):
        VAE(ModelConfig(input_shape=(1, 5, 5), arch="conv"))


def test_reparameterize_has_the_right_moments():
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=2, arch="mlp", hidden=(8,)))
    torch.manual_seed(1)
    mu = torch.tensor([[1.0, -2.0]]).expand(20000, 2)
    logvar = torch.log(torch.tensor([[0.25, 4.0]])).expand(20000, 2)
    z = model.reparameterize(mu, logvar)
    assert torch.allclose(z.mean(0), torch.tensor([1.0, -2.0]), atol=0.05)
    assert torch.allclose(z.std(0), torch.tensor([0.5, 2.0]), atol=0.05)


def test_temperature_scales_prior_samples():
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=2, arch="mlp", hidden=(8,)))
    cold = model.sample(2, temperature=1e-6, generator=torch.Generator().manual_seed(0))
    zero = model.decode_mean(torch.zeros(1, 2))
    assert torch.allclose(cold, zero.expand_as(cold), atol=1e-5)


def test_gaussian_likelihood_has_learned_or_fixed_std():
    learned = VAE(ModelConfig(input_shape=(1, 8, 8), arch="mlp", likelihood="gaussian"))
    fixed = VAE(ModelConfig(input_shape=(1, 8, 8), arch="mlp", likelihood="gaussian", gaussian_std=0.1))
    assert isinstance(learned.log_std, torch.nn.Parameter) and learned.log_std.shape == (1, 8, 8)
    assert not isinstance(fixed.log_std, torch.nn.Parameter)
    assert torch.allclose(fixed.log_std.exp(), torch.full((1, 8, 8), 0.1))


def test_beta_binomial_likelihood_learns_one_concentration_per_pixel():
    model = VAE(ModelConfig(input_shape=(1, 8, 8), arch="mlp", likelihood="beta-binomial"))
    assert isinstance(model.log_conc, torch.nn.Parameter) and model.log_conc.shape == (1, 8, 8)
    assert any(p is model.log_conc for p in model.parameters())
