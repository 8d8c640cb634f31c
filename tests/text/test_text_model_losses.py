"""vae_core/text/model.py and losses.py: padding never changes the loss, the loss by hand, IWAE >= ELBO,
the collapse remedies."""

import math

import pytest
import torch

from vae_core.losses import kl_for_loss, kl_weight
from vae_core.text.losses import sequence_nll, text_elbo_terms, text_iwae_log_likelihood, trim
from vae_core.text.model import TextModelConfig, TextVAE
from vae_core.text.vocab import EOS, PAD, Vocab

LINES = ["a cat", "the dog sat", "ok"]


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    model = TextVAE(TextModelConfig(alphabet=Vocab.build(LINES).alphabet, latent_dim=4, embed_dim=8, hidden=16))
    return model.eval(), Vocab.build(LINES)


def test_padding_never_changes_the_terms(tiny):
    model, vocab = tiny
    short, long = torch.as_tensor(vocab.encode_batch(LINES)), torch.as_tensor(vocab.encode_batch(LINES, 30))
    mu_s, lv_s = model.encode(short)
    mu_l, lv_l = model.encode(long)
    assert torch.allclose(mu_s, mu_l, atol=1e-6) and torch.allclose(lv_s, lv_l, atol=1e-6)
    z = torch.randn(3, 4)
    nll_s = sequence_nll(model.decode(z, short), short)
    nll_l = sequence_nll(model.decode(z, long), long)
    assert torch.allclose(nll_s, nll_l, atol=1e-5)
    # whatever sits in the padded positions of the input is ignored too
    noisy = long.clone()
    noisy[long == PAD] = 5
    logits = model.decode(z, noisy)
    assert torch.allclose(sequence_nll(logits[:, : short.shape[1]], short), nll_s, atol=1e-5)
    assert trim(long).shape == short.shape


def test_sequence_nll_by_hand():
    # two tokens then padding; uniform logits over V = 5 except one target given logit log(3)
    logits = torch.zeros(1, 3, 5)
    logits[0, 0, 4] = math.log(3.0)  # p(target 4) = 3 / (3 + 4) at step 0
    x = torch.tensor([[4, EOS, PAD]])  # step 1: target EOS, uniform: 1/5; step 2 padded
    expected = -math.log(3 / 7) - math.log(1 / 5)
    assert sequence_nll(logits, x).item() == pytest.approx(expected, rel=1e-6)


def test_elbo_terms_are_recon_plus_kl_and_loss_mean(tiny):
    model, vocab = tiny
    x = torch.as_tensor(vocab.encode_batch(LINES))
    torch.manual_seed(1)
    t = text_elbo_terms(model, x, beta=0.5)
    assert t.recon.shape == (3,) and (t.kl >= 0).all()
    assert t.loss.item() == pytest.approx((t.recon + 0.5 * t.kl).mean().item(), rel=1e-5)


def test_iwae_bound_is_at_least_the_elbo(tiny):
    model, vocab = tiny
    x = torch.as_tensor(vocab.encode_batch(LINES))
    torch.manual_seed(2)
    elbo = torch.stack([-(lambda t: t.recon + t.kl)(text_elbo_terms(model, x)) for _ in range(200)]).mean(0)
    torch.manual_seed(3)
    iwae = text_iwae_log_likelihood(model, x, k=200)
    assert (iwae >= elbo - 1e-3).all(), (iwae, elbo)


def test_free_bits_floor_the_kl_per_dimension():
    kl = torch.tensor([[0.01, 2.0], [0.03, 4.0]])  # dim 0 mean 0.02 (below 0.5), dim 1 mean 3.0
    assert torch.allclose(kl_for_loss(kl, 0.5), torch.tensor([3.5, 3.5]))
    assert torch.equal(kl_for_loss(kl, 0.0), kl.sum(1))
    kl.requires_grad_(True)
    kl_for_loss(kl, 0.5).mean().backward()
    assert kl.grad[:, 0].abs().sum() == 0 and kl.grad[:, 1].abs().sum() > 0  # no push below the floor


def test_kl_weight_linear_and_cyclical():
    assert kl_weight(1.0, 1.0, 2.0) == 0.5 and kl_weight(5.0, 1.0, 2.0) == 1.0
    # 8 epochs, 2 cycles of 4: rises over 2 epochs, holds for 2, starts again
    assert [kl_weight(e, 1.0, 0, cycles=2, epochs=8) for e in (0, 1, 2, 3, 4, 5)] == [0, 0.5, 1, 1, 0, 0.5]


def test_word_dropout_blanks_only_in_training(tiny):
    model, vocab = tiny
    x = torch.as_tensor(vocab.encode_batch(LINES))
    z = torch.zeros(3, 4)
    torch.manual_seed(0)
    assert not torch.equal(model.decode(z, x, word_dropout=0.9), model.decode(z, x))
    torch.manual_seed(0)
    a = text_elbo_terms(model.eval(), x, word_dropout=0.9)
    torch.manual_seed(0)
    b = text_elbo_terms(model.eval(), x)
    assert torch.equal(a.recon, b.recon)  # eval mode: no dropout


def test_generate_greedy_is_deterministic_and_stops(tiny):
    model, vocab = tiny
    z = torch.randn(4, 4)
    a, b = model.generate(z, max_len=12, greedy=True), model.generate(z, max_len=12, greedy=True)
    assert torch.equal(a, b) and a.shape[1] <= 12
    lines = model.sample(3, generator=torch.Generator().manual_seed(0), max_len=12)
    assert len(lines) == 3 and all(len(s) <= 12 for s in lines)


def test_language_model_has_no_kl_and_exact_iwae(tiny):
    _, vocab = tiny
    lm = TextVAE(TextModelConfig(alphabet=vocab.alphabet, latent_dim=4, embed_dim=8, hidden=16,
                                 conditioned=False)).eval()
    x = torch.as_tensor(vocab.encode_batch(LINES))
    t = text_elbo_terms(lm, x)
    assert torch.equal(t.kl, torch.zeros(3))
    assert torch.allclose(text_iwae_log_likelihood(lm, x, k=5), -t.recon)


def test_pooled_encoder_adds_the_mean_of_each_directions_outputs(tiny):
    """pooled_encoder: mu reads each direction's final state plus the mean of its outputs over the real characters,
    the same with or without grad (gru_scan vs the packed nn.GRU) and whatever the padding."""
    plain, vocab = tiny
    model = TextVAE(TextModelConfig(**{**plain.config.__dict__, "pooled_encoder": True}))
    model.load_state_dict(plain.state_dict())  # same weights: the option adds no parameter
    model.eval()
    short, long = torch.as_tensor(vocab.encode_batch(LINES)), torch.as_tensor(vocab.encode_batch(LINES, 30))
    with torch.no_grad():
        mu, logvar = model.encode(short)
        mu_long, _ = model.encode(long)
        mu_plain, _ = plain.encode(short)
    mu_grad, logvar_grad = model.encode(long)  # grad enabled: the training path
    assert torch.allclose(mu, mu_long, atol=1e-6)
    assert torch.allclose(mu, mu_grad, atol=1e-5) and torch.allclose(logvar, logvar_grad, atol=1e-5)
    assert not torch.allclose(mu, mu_plain, atol=1e-3)
    for i, line in enumerate(LINES):  # by hand: one sentence, no padding, nn.GRU's outputs and final states
        with torch.no_grad():
            out, h = model.encoder(model.embed(short[i : i + 1, : len(line) + 1]))  # the line and its EOS
            hidden = model.config.hidden
            pooled = torch.cat([h[0, 0] + out[0, :, :hidden].mean(0), h[1, 0] + out[0, :, hidden:].mean(0)])
            assert torch.allclose(mu[i], model.to_mu(pooled), atol=1e-5)


def test_configs_written_before_the_pooled_encoder_read_as_plain():
    cfg = TextModelConfig(alphabet="ab", latent_dim=2)
    assert cfg.pooled_encoder is False
