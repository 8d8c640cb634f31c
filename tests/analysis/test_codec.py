"""The bits-back codec (vae_core/analysis/codec.py): exact round trips, the code length against -ELBO, refusals."""

import numpy as np
import pytest
import torch

from vae_core.analysis import codec
from vae_core.config import default_model_config
from vae_core.data import load_dataset
from vae_core.losses import elbo_terms
from vae_core.models import VAE


def random_model(shape=(1, 8, 8), latent=4, seed=0, likelihood="bernoulli"):
    torch.manual_seed(seed)
    return VAE(default_model_config(shape, latent, arch="mlp", hidden=(32,), likelihood=likelihood))


def binary(n, shape=(1, 8, 8), p=0.3, seed=1):
    return (np.random.default_rng(seed).random((n, *shape)) < p).astype(np.float32)


@pytest.fixture(scope="module")
def digits_bin():
    ds = load_dataset("digits")
    return (ds.x_train > 0.5).astype(np.float32), (ds.x_test > 0.5).astype(np.float32)


@pytest.fixture(scope="module")
def trained(digits_bin):
    """A small Bernoulli VAE fitted for a few seconds to binarised 8x8 digits."""
    x_train, _ = digits_bin
    model = random_model(latent=8, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    xt = torch.as_tensor(x_train)
    for _ in range(600):
        batch = xt[torch.randint(len(xt), (128,), generator=gen)]
        loss = elbo_terms(model, batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_batches_round_trip_exactly(seed):
    model = random_model(seed=seed, latent=3 + seed)
    x = binary(7 + 5 * seed, p=0.2 + 0.2 * seed, seed=seed)
    coded = codec.encode(model, x)
    back = codec.decode(model, coded.words, len(x))
    assert back.dtype == np.uint8 and np.array_equal(back, x)


def test_blocks_start_at_one_image_grow_with_the_stack_and_cover_every_image():
    assert codec.block_sizes(0) == []
    assert codec.block_sizes(12, 64) == [1, 1, 1, 1, 1, 1, 1, 1, 2, 2]
    sizes = codec.block_sizes(10_000, 64)
    assert sum(sizes) == 10_000 and max(sizes) == 64 and sizes[0] == 1
    done = np.cumsum([0] + sizes[:-1])
    # a block pops at most a quarter of what is coded before it
    assert all(b <= max(1, d // 4) for b, d in zip(sizes, done, strict=True))
    assert codec.block_sizes(5, 1) == [1] * 5
    with pytest.raises(codec.CodecError, match="at least 1"):
        codec.block_sizes(5, 0)


@pytest.mark.parametrize("max_block", [1, 2, 7, 64])
def test_every_block_size_round_trips_and_costs_about_the_same(trained, digits_bin, max_block):
    """Blocks change which images share a model call, not the code: same images, sizes within 1%."""
    x = digits_bin[1][:120]
    coded = codec.encode(trained, x, max_block=max_block)
    assert coded.max_block == max_block
    assert np.array_equal(codec.decode(trained, coded.words, len(x), max_block=max_block), x)
    per_image = codec.encode(trained, x, max_block=1).words
    assert abs(len(coded.words) - len(per_image)) <= 0.01 * len(per_image) + 1


def test_decoding_with_other_blocks_than_the_encoder_used_is_a_codec_error(trained, digits_bin):
    x = digits_bin[1][:60]
    words = codec.encode(trained, x, max_block=8).words
    with pytest.raises(codec.CodecError):
        codec.decode(trained, words, len(x), max_block=4)


def test_batched_posterior_masses_equal_one_image_at_a_time():
    prior = codec.BucketPrior(6)
    gen = torch.Generator().manual_seed(0)
    mu, logvar = (torch.randn(5, 3, generator=gen, dtype=torch.float64) for _ in range(2))
    batched = prior.posterior_masses(mu, logvar)
    assert batched.shape == (5, 3, 64)
    one_by_one = np.stack([prior.posterior_masses(m, lv) for m, lv in zip(mu, logvar, strict=True)])
    assert np.allclose(batched, one_by_one, rtol=0, atol=1e-15)


def test_round_trip_exact_on_a_trained_model_and_a_conv_model(trained, digits_bin):
    x = digits_bin[1][:40]
    assert np.array_equal(codec.decode(trained, codec.encode(trained, x).words, len(x)), x)
    torch.manual_seed(0)
    conv = VAE(default_model_config((1, 8, 8), 3, arch="conv", channels=(8,), fc_width=16))
    assert np.array_equal(codec.decode(conv, codec.encode(conv, x[:5]).words, 5), x[:5])


def test_coding_is_deterministic_and_independent_of_the_callers_thread_count():
    """Encoding twice gives the same words, whatever torch's thread count; coding restores that count."""
    model, x = random_model(), binary(10)
    before = torch.get_num_threads()
    first = codec.encode(model, x).words
    torch.set_num_threads(2)
    try:
        again = codec.encode(model, x).words
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(first, again)


def test_one_image_and_the_seed_bits_are_counted():
    model, x = random_model(latent=4), binary(1)
    coded = codec.encode(model, x)
    assert coded.seed_words == len(codec.seed_words(4, codec.LATENT_BITS)) == 2
    assert len(coded.words) >= coded.seed_words  # the seed stays in the output: its bits are paid for
    assert np.array_equal(codec.decode(model, coded.words, 1), x)


def test_file_size_tracks_the_elbo(trained, digits_bin):
    """On 100 images the net code length (seed excluded) is within 3% of the mean -ELBO (averaged over samples)."""
    x = digits_bin[1][:100]
    coded = codec.encode(trained, x)
    net_bits = 32 * (len(coded.words) - coded.seed_words)
    elbo = np.mean([codec.neg_elbo_bits(trained, x, seed=s).sum() for s in range(20)])
    assert abs(net_bits - elbo) / elbo < 0.03, (net_bits, elbo)


def test_grey_levels_given_to_a_binary_model_are_refused():
    x = binary(4)
    x[2, 0, 3, 3] = 0.5
    with pytest.raises(codec.CodecError, match="1 of 4 images have grey levels.*binary pixels"):
        codec.encode(random_model(), x)


def test_a_gaussian_model_and_a_wrong_shape_are_refused():
    with pytest.raises(codec.CodecError, match="Bernoulli .* or beta-binomial .* model; this one has a gaussian"):
        codec.encode(random_model(likelihood="gaussian"), binary(2))
    with pytest.raises(codec.CodecError, match="model codes"):
        codec.encode(random_model(), binary(2, shape=(1, 6, 6)))


def test_decoding_with_another_model_or_damaged_words_is_a_codec_error():
    x = binary(6)
    words = codec.encode(random_model(seed=0), x).words
    with pytest.raises(codec.CodecError):
        codec.decode(random_model(seed=1), words, len(x))
    damaged = words.copy()
    damaged[len(damaged) // 2] ^= np.uint32(1 << 7)
    with pytest.raises(codec.CodecError):
        codec.decode(random_model(seed=0), damaged, len(x))
    with pytest.raises(codec.CodecError, match="empty"):
        codec.decode(random_model(seed=0), np.zeros(0, np.uint32), 1)


def test_posterior_bucket_masses_are_a_distribution_and_the_prior_uniform():
    prior = codec.BucketPrior(8)
    masses = prior.posterior_masses(torch.tensor([0.0, 2.5, -4.0], dtype=torch.float64),
                                    torch.tensor([0.0, -6.0, -2.0], dtype=torch.float64))
    assert masses.shape == (3, 256) and np.allclose(masses.sum(1), 1.0)
    assert np.allclose(masses[0], 1 / 256)  # the prior itself: every bucket holds 1/K of its mass
    assert masses[1].argmax() == int(np.searchsorted(prior.edges.numpy(), 2.5)) - 1


def eight_bit(n, shape=(1, 8, 8), seed=2):
    """8-bit images k / 255, mostly black with some strokes, as float32 the way datasets hold them."""
    rng = np.random.default_rng(seed)
    k = np.where(rng.random((n, *shape)) < 0.7, 0, rng.integers(0, 256, (n, *shape)))
    return (k.astype(np.float32) / 255).astype(np.float32)


@pytest.mark.parametrize("max_block", [1, 5, 64])
def test_eight_bit_images_round_trip_exactly_with_a_beta_binomial_model(max_block):
    model, x = random_model(latent=5, likelihood="beta-binomial"), eight_bit(23)
    coded = codec.encode(model, x, max_block=max_block)
    levels = codec.decode(model, coded.words, len(x), max_block=max_block)
    assert levels.dtype == np.uint8 and levels.max() > 1
    assert np.array_equal(codec.to_unit(model, levels), x)


def test_eight_bit_file_size_tracks_the_elbo():
    """Untrained, so the code is long; still its length is about the -ELBO (seed excluded), within 3%."""
    model, x = random_model(latent=4, likelihood="beta-binomial", seed=3), eight_bit(60, seed=4)
    coded = codec.encode(model, x)
    net_bits = 32 * (len(coded.words) - coded.seed_words)
    elbo = np.mean([codec.neg_elbo_bits(model, x, seed=s).sum() for s in range(10)])
    assert abs(net_bits - elbo) / elbo < 0.03, (net_bits, elbo)


def test_beta_binomial_level_probabilities_match_scipy():
    from scipy.stats import betabinom

    logits = torch.tensor([-4.0, 0.0, 2.5], dtype=torch.float64)
    log_conc = torch.tensor([-2.0, 0.0, 1.0], dtype=torch.float64)
    probs = codec.beta_binomial_probs(logits, log_conc).numpy()
    m, c = torch.sigmoid(logits).numpy(), torch.exp(log_conc).numpy()
    expected = betabinom.pmf(np.arange(256)[None], 255, (c * m)[:, None], (c * (1 - m))[:, None])
    assert probs.shape == (3, 256) and np.allclose(probs, expected, rtol=1e-9, atol=1e-300)


def test_an_eight_bit_model_refuses_pixels_between_levels():
    x = eight_bit(3)
    x[1, 0, 2, 2] = 0.5  # 127.5 / 255
    with pytest.raises(codec.CodecError, match="1 of 3 images have pixels between the 256 levels"):
        codec.encode(random_model(likelihood="beta-binomial"), x)
