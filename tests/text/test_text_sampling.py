"""vae_core/text/sampling.py: sentences from the prior, greedy or sampled at a temperature."""

import numpy as np
import pytest
import torch

from vae_core.text.items import DECODE_LEN, decode_greedy
from vae_core.text.model import TextModelConfig, TextVAE
from vae_core.text.sampling import length_cap, prior_sentences
from vae_core.text.vocab import EOS


def small_model(seed: int = 0) -> TextVAE:
    torch.manual_seed(seed)
    return TextVAE(TextModelConfig(alphabet="abc .", latent_dim=3, embed_dim=4, hidden=8)).eval()


def test_greedy_samples_are_the_greedy_decodes_of_seeded_normal_z():
    model = small_model()
    z, sentences = prior_sentences(model, 6, seed=3, greedy=True, max_len=20)
    assert np.array_equal(z, np.random.default_rng(3).standard_normal((6, 3)).astype(np.float32))
    assert sentences.tolist() == decode_greedy(model, z, max_len=20).tolist()


def test_sampling_repeats_for_a_seed_differs_across_seeds_and_tends_to_greedy_when_cold():
    model = small_model(1)
    a = prior_sentences(model, 8, seed=0, temperature=1.5, max_len=30)[1]
    assert a.tolist() == prior_sentences(model, 8, seed=0, temperature=1.5, max_len=30)[1].tolist()
    assert a.tolist() != prior_sentences(model, 8, seed=1, temperature=1.5, max_len=30)[1].tolist()
    cold = prior_sentences(model, 8, seed=0, temperature=1e-4, max_len=30)[1]
    assert cold.tolist() == prior_sentences(model, 8, seed=0, greedy=True, max_len=30)[1].tolist()
    assert set("".join(a)) <= set("abc .\ufffd")  # the model's characters, or unk (U+FFFD) when drawn


def test_bad_arguments_say_which():
    model = small_model()
    with pytest.raises(ValueError, match="temperature must be > 0"):
        prior_sentences(model, 2, temperature=0.0)
    with pytest.raises(ValueError, match="n must be >= 0"):
        prior_sentences(model, -1)
    z, s = prior_sentences(model, 0)
    assert z.shape == (0, 3) and s.shape == (0,)


def test_the_length_cap_is_a_quarter_above_the_longest_line_within_bounds():
    assert length_cap(["a red ball", "a big blue star is near a cube"]) == 38  # ceil(30 * 1.25)
    assert length_cap(np.array(["ab"])) == 3  # at least one more than the longest
    assert length_cap(["x" * 250]) == DECODE_LEN  # never above the server's own limit
    assert length_cap(["abcd"], slack=2.0) == 8
    with pytest.raises(ValueError, match="lines are empty"):
        length_cap(["", ""])
    with pytest.raises(ValueError, match="slack must be >= 1"):
        length_cap(["abc"], slack=0.5)


def test_a_capped_sample_stops_at_the_cap_and_says_so():
    model = small_model(2)
    long = prior_sentences(model, 8, seed=0, temperature=1.5, max_len=40)[1]
    capped = prior_sentences(model, 8, seed=0, temperature=1.5, max_len=6, ellipsis=True)[1]
    plain = prior_sentences(model, 8, seed=0, temperature=1.5, max_len=6)[1]
    assert all(len(s) <= 6 for s in plain)
    for c, p, s in zip(capped, plain, long, strict=True):
        # The same characters as far as the cap; a sentence stopped there (not its end) carries the ellipsis.
        assert s.startswith(p)
        assert c == (p if s == p else p + "…")


def test_greedy_decodes_stop_at_the_cap_with_an_ellipsis_as_the_samples_do():
    model = small_model(2)
    z = np.random.default_rng(5).standard_normal((300, 3)).astype(np.float32)  # past one batch of 256
    assert decode_greedy(model, z, max_len=40, batch_size=128).tolist() == decode_greedy(model, z, max_len=40).tolist()
    plain = decode_greedy(model, z, max_len=6)
    capped = decode_greedy(model, z, max_len=6, ellipsis=True, batch_size=128)
    assert any(c.endswith("…") for c in capped)  # the test means something: some ran into the cap
    ended = (model.generate(torch.as_tensor(z), max_len=6, greedy=True) == EOS).any(1).tolist()
    for c, p, done in zip(capped, plain, ended, strict=True):
        assert c == (p if done else p + "…")  # the same characters; a sentence stopped before its end says so
    # the Generate page's manifold and traversal cells end as its prior samples do
    z0 = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    sampled = prior_sentences(model, 4, seed=0, greedy=True, max_len=6, ellipsis=True)[1]
    assert decode_greedy(model, z0, max_len=6, ellipsis=True).tolist() == sampled.tolist()
    with pytest.raises(ValueError, match="NaN or inf"):
        decode_greedy(model, [[0.0, np.nan, 0.0]])
    assert decode_greedy(model, np.zeros((0, 3))).shape == (0,)
