"""Beta sweeps: names, a tiny sweep end to end, discovery, stop, one sweep per session, member views."""

import time

import numpy as np
import pytest
import torch

from vae_core import checkpoint as ckpt
from vae_core import jobs, sweep
from vae_core.config import ConfigError
from vae_core.data import DataError, load_dataset
from vae_core.sweep import SweepJob, SweepRegistry, SweepSettings


def tiny(**kw) -> SweepSettings:
    return SweepSettings(**{"data": "digits", "betas": (0.5, 4.0), "epochs": 1, "latent_dim": 4, "hidden": (32,),
                            **kw})


def run(settings: SweepSettings, root, session="s1", registry=None, timeout=60) -> sweep.SweepSnapshot:
    job = (registry or SweepRegistry()).start(session, SweepJob(settings, root, session, jobs.JobRegistry()))
    assert job.join(timeout), f"sweep still {job.snapshot().status} after {timeout}s"
    return job.snapshot()


def test_names_are_valid_checkpoint_names():
    assert sweep.sweep_name("digits", 0.25) == "beta-digits-0.25"
    assert sweep.sweep_name("shapes", 4) == "beta-shapes-4"
    assert tiny().names == ("beta-digits-0.5", "beta-digits-4")
    odd = sweep.sweep_name("npz:/some/where/../x.npz", 1e-5)
    assert ckpt.validate_name(odd) == odd and odd.startswith("beta-npz-") and "/" not in odd
    assert sweep.data_slug("shapes:48") != sweep.data_slug("shapes:40")


def test_settings_are_checked_before_anything_starts():
    assert SweepSettings(betas=(2, 0.5, 2.0)).betas == (0.5, 2.0)  # sorted, unique
    with pytest.raises(ConfigError, match="beta"):
        tiny(betas=())
    with pytest.raises(ConfigError, match="beta"):
        tiny(betas=(-1.0,))
    with pytest.raises(ConfigError, match="epochs"):
        tiny(epochs=0)
    with pytest.raises(ConfigError, match="latent_dim"):
        tiny(latent_dim=0)
    with pytest.raises(DataError):
        tiny(data="nope")
    assert sweep.preset("shapes").latent_dim == 6 and sweep.preset("digits").betas == (0.25, 0.5, 1.0, 2.0, 4.0)


def test_tiny_sweep_writes_one_checkpoint_per_beta_and_kl_falls(ckpt_root):
    threads = torch.get_num_threads()
    snap = run(tiny(), ckpt_root)
    assert snap.status == "finished", snap.message
    assert snap.done == ("beta-digits-0.5", "beta-digits-4") and snap.progress == 1.0
    assert {"beta-digits-0.5", "beta-digits-4"} <= set(ckpt.list_checkpoints(ckpt_root))
    points = sweep.find_sweep("digits", ckpt_root)
    assert [p.beta for p in points] == [0.5, 4.0] and all(p.complete for p in points)
    low, high = points
    assert high.rate < low.rate  # a dearer KL buys less information in z
    assert high.distortion > low.distortion
    info = ckpt.read_info("beta-digits-4", ckpt_root)
    assert info.train_config.beta == 4.0 and info.model_config.latent_dim == 4 and info.model_config.arch == "mlp"
    assert sweep.rate_distortion(info) == (high.rate, high.distortion)
    assert high.neg_elbo == pytest.approx(info.history[-1]["test_neg_elbo"])
    assert torch.get_num_threads() == threads  # the sweep's one-thread setting is undone


def test_find_sweep_keeps_to_its_data_and_skips_the_rest(ckpt_root):
    assert sweep.find_sweep("digits", ckpt_root) == []
    run(tiny(betas=(1.0,)), ckpt_root)
    (ckpt_root / "beta-digits-2").mkdir()  # no config: unreadable, skipped
    assert [p.name for p in sweep.find_sweep("digits", ckpt_root)] == ["beta-digits-1"]
    assert sweep.find_sweep("digits", ckpt_root, exclude={"beta-digits-1"}) == []
    assert sweep.find_sweep("shapes", ckpt_root) == []


def test_stop_ends_the_sweep_and_keeps_finished_members(ckpt_root):
    registry = SweepRegistry()
    job = registry.start("s1", SweepJob(tiny(betas=(1.0, 2.0, 4.0), epochs=200), ckpt_root, "s1", jobs.JobRegistry()))
    deadline = time.monotonic() + 30
    while not (job.snapshot().current and job.snapshot().current.epoch >= 1) and time.monotonic() < deadline:
        time.sleep(0.02)
    registry.stop("s1")
    assert job.join(30)
    snap = job.snapshot()
    assert snap.status == "stopped" and "0 of 3" in snap.message and snap.done == ()
    assert snap.progress < 1.0
    assert not (ckpt_root / "beta-digits-2").exists()  # never started
    partial = sweep.find_sweep("digits", ckpt_root)
    assert [p.beta for p in partial] == [1.0] and not partial[0].complete


def test_one_sweep_per_session_and_no_two_writers(ckpt_root):
    registry, trainings = SweepRegistry(), jobs.JobRegistry()
    first = registry.start("a", SweepJob(tiny(epochs=200), ckpt_root, "a", trainings))
    try:
        with pytest.raises(jobs.JobError, match="already running a sweep"):
            registry.start("a", SweepJob(tiny(betas=(8.0,)), ckpt_root, "a", trainings))
        with pytest.raises(jobs.JobError, match="another session is training beta-digits-0.5"):
            registry.start("b", SweepJob(tiny(betas=(0.5, 8.0)), ckpt_root, "b", trainings))
    finally:
        first.stop()
        assert first.join(30)
    trainer = trainings.start("t", jobs.TrainingJob("beta-digits-8", tiny().train_config(8.0), 2,
                                                   {"arch": "mlp", "hidden": (8,)}, root=ckpt_root))
    try:  # a Train page run writing a member's name blocks the sweep
        with pytest.raises(jobs.JobError, match="being written"):
            registry.start("b", SweepJob(tiny(betas=(8.0,)), ckpt_root, "b", trainings))
    finally:
        trainer.stop()
        trainer.join(30)


def test_a_failing_member_fails_the_sweep_with_its_message(ckpt_root, tmp_path):
    snap = run(tiny(data=f"npz:{tmp_path / 'missing.npz'}"), ckpt_root)
    assert snap.status == "failed" and "β = 0.5" in snap.message and "missing.npz" in snap.message


def test_member_view_shapes(tiny_mlp):
    x = load_dataset("digits").x_test
    view = sweep.member_view(tiny_mlp, x, n=6, seed=1)
    assert view.recon.shape == view.samples.shape == (6, 1, 8, 8)
    assert view.mu.shape == (len(x), 3) and view.kl.shape == view.active.shape == (3,)
    assert np.array_equal(view.samples, sweep.member_view(tiny_mlp, x, n=6, seed=1).samples)  # seeded
    assert list(sweep.example_indices(360, 4)) == [0, 119, 239, 359]
