"""Background training jobs (a child process each): progress snapshots, stop, errors, a dying child,
and one job per session."""

import os
import signal
import time

import numpy as np
import pytest

from vae_core import checkpoint as ckpt
from vae_core.config import TrainConfig, default_model_config
from vae_core.data import DataError, load_dataset
from vae_core.jobs import process, training
from vae_core.jobs.registry import JobError, Registry
from vae_core.jobs.training import TrainingJob
from vae_core.train import Trainer

TINY = {"arch": "mlp", "hidden": (32,)}


def _job(name, epochs=2, data="digits", latent_dim=2, **train) -> TrainingJob:
    overwrite = train.pop("overwrite", False)
    cfg = TrainConfig(data=data, epochs=epochs, batch_size=train.pop("batch_size", 64), device="cpu", **train)
    return TrainingJob(name, cfg, latent_dim=latent_dim, model_overrides=TINY, overwrite=overwrite)


def _finish(job, timeout=60) -> training.JobSnapshot:  # a job starts an interpreter and imports torch
    assert job.join(timeout), f"job still {job.snapshot().status} after {timeout}s"
    return job.snapshot()


def _wait(job, until, timeout=60) -> training.JobSnapshot:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = job.snapshot()
        if until(snap):
            return snap
        time.sleep(0.01)
    raise AssertionError(f"condition not reached: {job.snapshot()}")


def test_job_trains_saves_and_reports(ckpt_root):
    snap = _finish(Registry().start("s1", _job("run")))
    assert snap.status == "finished" and snap.message == "trained 2 epochs", snap.message
    assert [row["epoch"] for row in snap.history] == [1, 2] and snap.epoch == 2 and snap.progress == 1.0
    assert snap.history[-1]["test_neg_elbo"] < snap.history[0]["test_neg_elbo"]
    assert snap.history[-1]["train_loss"] < snap.history[0]["train_loss"]
    assert snap.checkpoint == "run" and ckpt.read_info("run", root=ckpt_root).epochs_done == 2
    assert np.isfinite(snap.loss) and snap.n_batches == 23
    # The map shows every test image (360 < MAP_POINTS) of the last epoch, with its labels.
    digits = load_dataset("digits")
    assert snap.map_points.shape == (len(digits.x_test), 2) and snap.map_epoch == 2
    assert np.array_equal(snap.map_labels, digits.y_test) and snap.map_axes == ("z1", "z2")


def test_snapshot_is_an_immutable_copy(ckpt_root):
    job = Registry().start("s1", _job("copy"))
    snap = _finish(job)
    snap.history[0]["test_neg_elbo"] = -1.0
    with pytest.raises(ValueError):
        snap.map_points[0, 0] = 99.0  # read-only
    with pytest.raises(AttributeError):
        snap.status = "running"  # frozen
    again = job.snapshot()
    assert again.history[0]["test_neg_elbo"] > 0 and again is not snap


def test_the_callback_does_not_change_training(ckpt_root):
    """Same settings bare and through a job: identical numbers (the map refresh touches no RNG)."""
    digits = load_dataset("digits")
    job = _job("same", seed=3)
    bare = Trainer(default_model_config(digits.image_shape, 2, **TINY), job.train_config, digits).fit()
    snap = _finish(job.start())
    for a, b in zip(bare.history, snap.history, strict=True):
        assert a["train_loss"] == b["train_loss"] and a["test_neg_elbo"] == b["test_neg_elbo"]


def test_stop_mid_epoch(ckpt_root):
    job = Registry().start("s1", _job("stopped", epochs=50, batch_size=4))
    running = _wait(job, lambda s: s.status == "running" and s.batch >= 3)
    job.stop()
    snap = _finish(job)
    assert snap.status == "stopped" and "stopped during epoch" in snap.message
    assert running.epoch <= snap.epoch < 50


def test_stop_before_training_starts(ckpt_root):
    job = _job("early")
    job.stop()
    snap = _finish(job.start())
    assert snap.status == "stopped" and snap.history == () and snap.checkpoint is None
    assert not (ckpt_root / "early").exists()


def test_bad_data_fails_with_the_data_error(ckpt_root, tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros((10, 4), np.uint8))  # not images
    for spec in (f"npz:{tmp_path / 'missing.npz'}", f"npz:{bad}", f"idx:{tmp_path}"):
        with pytest.raises(DataError) as expected:
            load_dataset(spec)
        snap = _finish(Registry().start("s1", _job("bad", data=spec)))
        assert snap.status == "failed" and snap.message == str(expected.value)
        assert snap.history == () and not (ckpt_root / "bad").exists()


def _worker_that(monkeypatch, code: str) -> None:
    """Run the job's child as `python -c code` instead of `python -m vae_core.jobs.worker`."""
    monkeypatch.setattr(process, "WORKER", ("-c", code))


def test_unexpected_errors_become_a_short_message(ckpt_root, monkeypatch):
    _worker_that(monkeypatch, "import vae_core.jobs.worker as w\n"
                              "def boom(spec, **kw): raise RuntimeError('out of memory\\n' + 'x' * 5000)\n"
                              "w.load_dataset = boom\nw.main()")
    snap = _finish(_job("boom").start())
    assert snap.status == "failed"
    assert snap.message == "training failed unexpectedly (RuntimeError: out of memory)"


def test_a_child_that_dies_without_a_result_fails_the_job(ckpt_root, monkeypatch):
    _worker_that(monkeypatch, "import sys; print('segfault-ish', file=sys.stderr); sys.exit(3)")
    snap = _finish(_job("dies").start())
    assert snap.status == "failed" and not snap.active
    assert snap.message == "the training process ended without a result (exit code 3); its last words: segfault-ish"


def test_a_killed_child_keeps_the_last_saved_epoch(ckpt_root):
    job = _job("killed", epochs=500, batch_size=8)
    _wait(job.start(), lambda s: s.epoch >= 1)
    os.kill(job._proc.pid, signal.SIGKILL)
    snap = _finish(job)
    assert snap.status == "failed" and "killed by signal 9" in snap.message, snap.message
    assert snap.checkpoint == "killed" and ckpt.read_info("killed", root=ckpt_root).epochs_done >= 1


def test_a_diverging_overwrite_keeps_the_good_checkpoint(ckpt_root):
    """A NaN loss in the app's job stops it with a message; the checkpoint it would replace is untouched."""
    def job(epochs, **train):  # the default model: Adam at lr 10 overflows its log-variance within an epoch
        cfg = TrainConfig(data="digits", epochs=epochs, batch_size=256, device="cpu", **train)
        return TrainingJob("steady", cfg, latent_dim=2, overwrite=True)

    assert _finish(job(1).start()).status == "finished"
    weights = ckpt_root / "steady" / "model.safetensors"
    before = weights.read_bytes()
    snap = _finish(job(3, lr=10.0, schedule="constant").start())
    assert snap.status == "diverged" and "NaN/inf in epoch 1" in snap.message, snap.message
    assert weights.read_bytes() == before and ckpt.read_info("steady", root=ckpt_root).epochs_done == 1


def test_concurrent_jobs_are_reproducible(ckpt_root):
    """Each job owns its process and so its RNG: two at once with one seed train identically."""
    a, b = _job("twin-a", seed=5).start(), _job("twin-b", seed=5).start()
    sa, sb = _finish(a), _finish(b)
    assert [r["test_neg_elbo"] for r in sa.history] == [r["test_neg_elbo"] for r in sb.history]
    assert np.array_equal(sa.map_points, sb.map_points)


def test_bad_model_settings_fail_cleanly(ckpt_root):
    cfg = TrainConfig(data="shapes:17", epochs=1, device="cpu")  # odd size: no stride-2 conv fits
    snap = _finish(TrainingJob("conv", cfg, model_overrides={"arch": "conv"}).start())
    assert snap.status == "failed" and "conv needs an even image size" in snap.message
    with pytest.raises(JobError, match="unknown model setting.*: archh"):  # caught before a process starts
        TrainingJob("typo", cfg, model_overrides={"archh": "conv"})


def test_latent_map_uses_pca_above_two_dims(ckpt_root):
    snap = _finish(_job("pca", epochs=1, latent_dim=4).start())
    assert snap.status == "finished" and snap.map_axes == ("PC1", "PC2") and snap.map_points.shape[1] == 2


def test_two_sessions_train_at_once_independently(ckpt_root):
    registry = Registry()
    a = registry.start("alice", _job("alice-vae", epochs=3, seed=1))
    b = registry.start("bob", _job("bob-vae", epochs=2, seed=2, batch_size=32))
    assert registry.get("alice") is a and registry.get("bob") is b
    assert registry.names_in_use() <= {"alice-vae", "bob-vae"}
    sa, sb = _finish(a), _finish(b)
    assert (sa.status, len(sa.history), sb.status, len(sb.history)) == ("finished", 3, "finished", 2)
    assert ckpt.read_info("alice-vae", root=ckpt_root).train_config.seed == 1
    assert ckpt.read_info("bob-vae", root=ckpt_root).train_config.batch_size == 32
    assert registry.names_in_use() == set()


def test_registry_refusals(ckpt_root):
    registry = Registry()
    long = registry.start("s1", _job("busy", epochs=200, batch_size=8))
    try:
        with pytest.raises(JobError, match="already training 'busy'"):
            registry.start("s1", _job("other"))
        with pytest.raises(JobError, match="being written by another"):
            registry.start("s2", _job("busy", overwrite=True))
        assert registry.get("s2") is None and registry.names_in_use() == {"busy"}
    finally:
        registry.stop("s1")
    assert _finish(long).status == "stopped"
    # An existing (e.g. bundled) checkpoint needs overwrite=True.
    (ckpt_root / "taken").mkdir()
    with pytest.raises(JobError, match="already exists"):
        registry.start("s1", _job("taken"))
    assert _finish(registry.start("s1", _job("taken", epochs=1, overwrite=True))).status == "finished"
    with pytest.raises(ckpt.CheckpointError):
        _job("../escape")


def test_free_name_skips_names_on_disk_and_in_use(ckpt_root):
    (ckpt_root / "vae").mkdir()
    (ckpt_root / "vae" / "config.json").write_text("{}")
    (ckpt_root / "vae-2").mkdir()
    assert training.free_name("vae", ckpt_root, Registry()) == "vae-3"
    assert training.free_name("fresh", ckpt_root) == "fresh"


def test_a_prestarted_worker_is_taken_by_the_next_job(ckpt_root):
    process.prestart()
    spare = process._spare[1]
    job = _job("from-spare", epochs=1).start()
    assert job._proc is spare and process._spare is None
    assert _finish(job).status == "finished"


def test_threads_reach_the_child_request(ckpt_root, monkeypatch):
    _worker_that(monkeypatch, "import json, sys; print(json.loads(sys.stdin.readline())['threads'], file=sys.stderr)")
    for threads, seen in ((1, "1"), (None, "None")):  # None: the child keeps torch's default, like the CLI
        job = TrainingJob(f"threads-{seen}", TrainConfig(data="digits", epochs=1), threads=threads).start()
        job.join(60)
        assert job._stderr and job._stderr[-1].strip() == seen
