"""Beta sweeps: settings, a tiny sweep end to end, stop, one sweep per session (reading sweeps:
tests/analysis/test_sweep_results.py)."""

import time

import pytest
import torch

from vae_core import checkpoint as ckpt
from vae_core.analysis.sweep_results import find_sweep, rate_distortion
from vae_core.config import ConfigError
from vae_core.data import DataError
from vae_core.jobs import sweep
from vae_core.jobs.registry import JobError, Registry
from vae_core.jobs.sweep import SweepJob, SweepSettings
from vae_core.jobs.training import TrainingJob


def tiny(**kw) -> SweepSettings:
    return SweepSettings(**{"data": "digits", "betas": (0.5, 4.0), "epochs": 1, "latent_dim": 4, "hidden": (32,),
                            **kw})


def run(settings: SweepSettings, root, session="s1", registry=None, timeout=60) -> sweep.SweepSnapshot:
    job = (registry or Registry()).start(session, SweepJob(settings, root, session, Registry()))
    assert job.join(timeout), f"sweep still {job.snapshot().status} after {timeout}s"
    return job.snapshot()


def test_settings_are_checked_before_anything_starts():
    assert SweepSettings(betas=(2, 0.5, 2.0)).betas == (0.5, 2.0)  # sorted, unique
    assert tiny().names == ("beta-digits-0.5", "beta-digits-4")
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
    points = find_sweep("digits", ckpt_root)
    assert [p.beta for p in points] == [0.5, 4.0] and all(p.complete for p in points)
    low, high = points
    assert high.rate < low.rate  # a dearer KL buys less information in z
    assert high.distortion > low.distortion
    info = ckpt.read_info("beta-digits-4", ckpt_root)
    assert info.train_config.beta == 4.0 and info.model_config.latent_dim == 4 and info.model_config.arch == "mlp"
    assert rate_distortion(info) == (high.rate, high.distortion)
    assert high.neg_elbo == pytest.approx(info.history[-1]["test_neg_elbo"])
    assert torch.get_num_threads() == threads  # the sweep's one-thread setting is undone


def test_stop_ends_the_sweep_and_keeps_finished_members(ckpt_root):
    registry = Registry()
    job = registry.start("s1", SweepJob(tiny(betas=(1.0, 2.0, 4.0), epochs=200), ckpt_root, "s1", Registry()))
    deadline = time.monotonic() + 30
    while not (job.snapshot().current and job.snapshot().current.epoch >= 1) and time.monotonic() < deadline:
        time.sleep(0.02)
    registry.stop("s1")
    assert job.join(30)
    snap = job.snapshot()
    assert snap.status == "stopped" and "0 of 3" in snap.message and snap.done == ()
    assert snap.progress < 1.0
    assert not (ckpt_root / "beta-digits-2").exists()  # never started
    partial = find_sweep("digits", ckpt_root)
    assert [p.beta for p in partial] == [1.0] and not partial[0].complete


def test_one_sweep_per_session_and_no_two_writers(ckpt_root):
    registry, trainings = Registry(), Registry()
    first = registry.start("a", SweepJob(tiny(epochs=200), ckpt_root, "a", trainings))
    try:
        with pytest.raises(JobError, match="already running a sweep"):
            registry.start("a", SweepJob(tiny(betas=(8.0,)), ckpt_root, "a", trainings))
        with pytest.raises(JobError, match="another session is training beta-digits-0.5"):
            registry.start("b", SweepJob(tiny(betas=(0.5, 8.0)), ckpt_root, "b", trainings))
    finally:
        first.stop()
        assert first.join(30)
    trainer = trainings.start("t", TrainingJob("beta-digits-8", tiny().train_config(8.0), 2,
                                               {"arch": "mlp", "hidden": (8,)}, root=ckpt_root))
    try:  # a Train page run writing a member's name blocks the sweep
        with pytest.raises(JobError, match="being written"):
            registry.start("b", SweepJob(tiny(betas=(8.0,)), ckpt_root, "b", trainings))
    finally:
        trainer.stop()
        trainer.join(30)


def test_a_failing_member_fails_the_sweep_with_its_message(ckpt_root, tmp_path):
    snap = run(tiny(data=f"npz:{tmp_path / 'missing.npz'}"), ckpt_root)
    assert snap.status == "failed" and "β = 0.5" in snap.message and "missing.npz" in snap.message
