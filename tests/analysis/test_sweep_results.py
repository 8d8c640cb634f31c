"""Reading a beta sweep: member names, discovery on disk, rate and distortion, member views."""

import numpy as np
import pytest

from vae_core import checkpoint as ckpt
from vae_core.analysis import sweep_results as sr
from vae_core.config import TrainConfig
from vae_core.data import load_dataset


def test_names_are_valid_checkpoint_names():
    assert sr.sweep_name("digits", 0.25) == "beta-digits-0.25"
    assert sr.sweep_name("shapes", 4) == "beta-shapes-4"
    odd = sr.sweep_name("npz:/some/where/../x.npz", 1e-5)
    assert ckpt.validate_name(odd) == odd and odd.startswith("beta-npz-") and "/" not in odd
    assert sr.data_slug("shapes:48") != sr.data_slug("shapes:40")


def _member(root, tiny_mlp, beta: float, data: str = "digits", history=None) -> str:
    """A sweep member on disk, as jobs.sweep writes it: test KL and recon in its last epoch."""
    name = sr.sweep_name(data, beta)
    rows = [{"epoch": 1, "test_kl": 10.0 / beta, "test_recon": 20.0 + beta, "active_units": 3}] if history is None \
        else history
    ckpt.save_checkpoint(root / name, tiny_mlp, TrainConfig(data=data, beta=beta, epochs=2), rows)
    return name


def test_find_sweep_keeps_to_its_data_and_skips_the_rest(ckpt_root, tiny_mlp):
    assert sr.find_sweep("digits", ckpt_root) == []
    _member(ckpt_root, tiny_mlp, 4.0)
    _member(ckpt_root, tiny_mlp, 1.0)
    _member(ckpt_root, tiny_mlp, 0.5, history=[{"epoch": 1}])  # no test numbers: skipped
    _member(ckpt_root, tiny_mlp, 1.0, data="shapes")
    (ckpt_root / "beta-digits-2").mkdir()  # no config: unreadable, skipped
    points = sr.find_sweep("digits", ckpt_root)
    assert [p.name for p in points] == ["beta-digits-1", "beta-digits-4"]  # sorted by beta
    low, high = points
    assert (high.rate, high.distortion) == (2.5, 24.0) and high.neg_elbo == 26.5
    assert high.active_units == 3 and high.latent_dim == 3 and (high.epochs_done, high.epochs) == (1, 2)
    assert not high.complete
    assert sr.rate_distortion(ckpt.read_info("beta-digits-4", ckpt_root)) == (2.5, 24.0)
    assert sr.find_sweep("digits", ckpt_root, exclude={"beta-digits-1"}) == [high]
    assert [p.name for p in sr.find_sweep("shapes", ckpt_root)] == ["beta-shapes-1"]


def test_member_view_shapes(tiny_mlp):
    x = load_dataset("digits").x_test
    view = sr.member_view(tiny_mlp, x, n=6, seed=1)
    assert view.recon.shape == view.samples.shape == (6, 1, 8, 8)
    assert view.mu.shape == (len(x), 3) and view.kl.shape == view.active.shape == (3,)
    assert np.array_equal(view.samples, sr.member_view(tiny_mlp, x, n=6, seed=1).samples)  # seeded
    assert list(sr.example_indices(360, 4)) == [0, 119, 239, 359]


@pytest.mark.parametrize("history", [[], [{"epoch": 1, "test_kl": 1.0}]])
def test_no_point_without_test_numbers(ckpt_root, tiny_mlp, history):
    name = _member(ckpt_root, tiny_mlp, 2.0, history=history)
    info = ckpt.read_info(name, ckpt_root)
    assert sr.rate_distortion(info) is None and sr.sweep_point(info) is None
