"""vae_core/text/collapse.py: the KL per epoch read from a history, prior samples, and the z swap that shows a
collapsed decoder ignoring z (checked on a decoder that cannot see z, and on one whose z drives the output)."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from vae_core.text.collapse import (
    COLLAPSE_KL,
    Swap,
    kl_curve,
    mean_nll_rise,
    prior_draws,
    prior_samples,
    swap_z,
    unchanged_share,
)
from vae_core.text.model import TextModelConfig, TextVAE

BUNDLED = Path(__file__).resolve().parents[2] / "checkpoints" / "grammar-16d"


def model(seed: int = 0, **kw) -> TextVAE:
    torch.manual_seed(seed)
    return TextVAE(TextModelConfig(alphabet="ab .", latent_dim=3, embed_dim=4, hidden=8, **kw)).eval()


def test_kl_curve_reads_test_and_train_kl_per_epoch_and_the_last_active_units():
    history = [{"epoch": 1, "test_kl": 3.0, "train_kl": 4.0, "active_units": 2},
               {"epoch": 2, "test_kl": 0.25, "train_kl": 0.5, "active_units": 0}]
    curve = kl_curve(history)
    assert curve.epochs == [1, 2] and curve.test_kl == [3.0, 0.25] and curve.train_kl == [4.0, 0.5]
    assert curve.active_units == 0 and curve.final_kl == 0.25 and curve.collapsed
    assert not kl_curve(history[:1]).collapsed
    assert kl_curve([{"test_kl": COLLAPSE_KL}]).epochs == [1]  # no epoch column: counted from 1


def test_kl_curve_of_the_bundled_checkpoint_matches_its_history_file():
    history = json.loads((BUNDLED / "history.json").read_text())
    curve = kl_curve(history)
    assert len(curve.epochs) == len(history) and curve.final_kl == history[-1]["test_kl"]


def test_kl_curve_refuses_an_empty_history_and_rows_without_test_kl():
    with pytest.raises(ValueError, match="no training history"):
        kl_curve([])
    with pytest.raises(ValueError, match=r"rows \[2\] have no test_kl"):
        kl_curve([{"test_kl": 1.0}, {"train_kl": 1.0}])


def test_prior_draws_are_seeded_and_shared_between_models_of_one_size():
    a, b = prior_draws(3, 5, seed=7), prior_draws(3, 5, seed=7)
    assert a.shape == (5, 3) and a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.array_equal(a, prior_draws(3, 5, seed=8))
    with pytest.raises(ValueError, match="at least one draw"):
        prior_draws(3, 0, seed=0)


def test_a_decoder_that_cannot_see_z_gives_one_sentence_for_every_prior_draw_and_every_swap():
    # conditioned=False is the limit of collapse: the decoder has no z at all
    m = model(conditioned=False)
    samples = prior_samples(m, n=6, seed=1)
    assert len(samples) == 6 and len(set(samples)) == 1
    swaps = swap_z(m, ["ab a", "b.", "aab"], seed=3)
    assert [s.sentence for s in swaps] == ["ab a", "b.", "aab"]
    assert unchanged_share(swaps) == 1.0
    assert mean_nll_rise(swaps) == 0.0 and all(s.nll_mu > 0 for s in swaps)  # z is not even read


def test_a_decoder_driven_by_z_changes_its_sentence_when_z_is_swapped():
    m = model(seed=0)
    with torch.no_grad():  # make the output depend on z alone: the first z unit picks 'a' or 'b' at every step
        for p in m.parameters():
            p.zero_()
        m.decoder.bias_hh_l0.fill_(0.0)
        m.z_to_h.weight[:, 0] = 5.0
        m.decoder.weight_ih_l0[:, m.config.embed_dim] = 5.0  # z's first unit into every gate
        vocab = m.config.vocab
        m.out.weight[vocab.encode("a")[0]] = 3.0
        m.out.weight[vocab.encode("b")[0]] = -3.0
    # mu is 0 for every sentence (all encoder weights are 0); the random draws' first unit has both signs
    z = prior_draws(3, 4, seed=0)
    assert (z[:, 0] > 0).any() and (z[:, 0] < 0).any()
    swaps = swap_z(m, ["a", "b", "ab", "ba"], seed=0)
    assert unchanged_share(swaps) < 1.0
    assert all(s.nll_mu > 0 and s.nll_random > 0 for s in swaps) and mean_nll_rise(swaps) != 0.0
    assert prior_samples(m, n=4, seed=0) == [s.from_random for s in swaps]  # the same seeded draws


def test_swap_and_share_refuse_empty_input():
    with pytest.raises(ValueError, match="at least one sentence"):
        swap_z(model(), [])
    for count in (unchanged_share, mean_nll_rise):
        with pytest.raises(ValueError, match="no swaps"):
            count([])
    assert Swap("x", "y", "y", 1.0, 1.0).unchanged and not Swap("x", "y", "z", 1.0, 1.0).unchanged
    assert Swap("x", "y", "z", 1.5, 4.0).nll_rise == 2.5 and mean_nll_rise([Swap("x", "y", "z", 1.0, 2.0)]) == 1.0
