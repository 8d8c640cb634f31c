"""vae_core/distributed.py: the torchrun environment, the global batch, the sharded order, and real 2-process gloo
runs of `torchrun -m vae_core train` (checkpoint loads, loss matches one process, --resume, a killed rank)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from vae_core import checkpoint as ckpt
from vae_core.config import ConfigError, TrainConfig, default_model_config
from vae_core.data import load_dataset
from vae_core.distributed import Run, per_rank_batch, shard_order
from vae_core.train import Trainer

ROOT = Path(__file__).resolve().parents[1]
# Small enough to run in seconds: digits (1,438 training images), a 64-unit MLP, a global batch of 64.
ARGS = ["--data", "digits", "--arch", "mlp", "--hidden", "64", "--batch-size", "64", "--device", "cpu"]


def torchrun(*args, nproc=2, **kwargs):
    """`torchrun --standalone --nproc-per-node N -m vae_core ...` (standalone: a free port, no clash with others)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
           "-m", "vae_core", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **kwargs)


def test_detect_reads_torchrun_environment():
    assert Run.detect({}) == Run(0, 1, 0)
    assert Run.detect({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}) == Run(3, 4, 1, torchrun=True)
    with pytest.raises(ConfigError, match="RANK 4 is outside WORLD_SIZE 4"):
        Run.detect({"RANK": "4", "WORLD_SIZE": "4"})
    with pytest.raises(ConfigError, match="must be integers"):
        Run.detect({"RANK": "x", "WORLD_SIZE": "2"})


def test_per_rank_batch_keeps_the_global_batch():
    assert per_rank_batch(128, 1) == 128
    assert per_rank_batch(128, 4) == 32
    with pytest.raises(ConfigError, match="--batch-size 100 does not divide among 3 processes"):
        per_rank_batch(100, 3)


def test_one_process_order_is_the_trainers_old_permutation():
    seed, epoch = 5 * 100_003, 2
    expected = torch.randperm(1000, generator=torch.Generator().manual_seed(seed + epoch))
    assert torch.equal(shard_order(1000, Run(), seed, epoch), expected)


def test_global_batches_are_the_same_examples_for_any_number_of_processes():
    n, global_batch, world = 1000, 64, 4
    single = shard_order(n, Run(), 7, 1)
    shards = [shard_order(n, Run(r, world, r), 7, 1) for r in range(world)]
    assert len({len(s) for s in shards}) == 1  # padded: every process takes as many batches
    share = global_batch // world
    for b in range(n // global_batch):
        together = torch.cat([s[b * share:(b + 1) * share] for s in shards])
        assert sorted(together.tolist()) == sorted(single[b * global_batch:(b + 1) * global_batch].tolist())


def test_trainer_refuses_a_batch_that_does_not_divide():
    data = load_dataset("digits")
    with pytest.raises(ConfigError, match="does not divide among 2 processes"):
        Trainer(default_model_config(data.image_shape, 2, arch="mlp"), TrainConfig(batch_size=65, device="cpu"),
                data, run=Run(0, 2, 0))


def single_process_history(epochs: int) -> list[dict]:
    data = load_dataset("digits")
    model_config = default_model_config(data.image_shape, 2, arch="mlp", hidden=(64,))
    return Trainer(model_config, TrainConfig(data="digits", epochs=epochs, batch_size=64, device="cpu"),
                   data).fit().history


def test_two_process_run_loads_and_matches_one_process(tmp_path):
    proc = torchrun("train", *ARGS, "--epochs", "2", "--out", str(tmp_path / "d2"), cwd=tmp_path)
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    assert "training on cpu x 2 processes" in err and err.count("epoch 2/2") == 1  # rank 0 alone reports
    model, info = ckpt.load_checkpoint("d2", root=tmp_path)
    assert info.run == {"world_size": 2, "device": "cpu", "backend": "gloo"}
    assert info.train_config.batch_size == 64 and info.epochs_done == 2
    single = single_process_history(2)[-1]
    two = info.history[-1]
    # Same global batches (test above), different reparameterisation noise per process: measured 0.01-0.2 nats
    # apart on this data; 0.5 nats is the target for MNIST.
    assert abs(two["test_neg_elbo"] - single["test_neg_elbo"]) < 0.5
    assert abs(two["train_loss"] - single["train_loss"]) < 0.5


def workers(parent: int) -> dict[int, int]:
    """rank -> pid of torchrun's worker processes (its children), read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            env = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent:
            rank = [e for e in env if e.startswith(b"RANK=")]
            if rank:
                found[int(rank[0][5:])] = int(entry.name)
    return found


def epochs_saved(path: Path) -> int:
    try:
        return ckpt.read_info(path.name, root=path.parent).epochs_done
    except ckpt.CheckpointError:  # not written yet (or caught between the two renames of a save)
        return 0


def test_a_killed_rank_ends_the_run_and_keeps_the_checkpoint_for_resume(tmp_path):
    out = tmp_path / "d2"
    proc = torchrun("train", *ARGS, "--epochs", "1000", "--out", str(out), cwd=tmp_path)
    deadline = time.monotonic() + 120
    while epochs_saved(out) < 2:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1]
        time.sleep(0.2)
    os.kill(workers(proc.pid)[1], signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "error: rank 0:" in err and "is intact; continue with the same command and --resume" in err
    model, info = ckpt.load_checkpoint(out.name, root=out.parent)  # whole, whatever rank 0 was doing when it stopped
    done = info.epochs_done
    assert done >= 2 and torch.isfinite(next(model.parameters())).all()

    resumed = torchrun("train", *ARGS, "--epochs", str(done + 1), "--out", str(out), "--resume", cwd=tmp_path)
    _, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    after = ckpt.read_info(out.name, root=out.parent)
    assert after.epochs_done == done + 1 and after.history[:done] == info.history


def test_a_text_model_trains_under_torchrun(tmp_path):
    """Text goes through the same Trainer (vae_core.modality): a tiny GRU VAE on 240 short lines, 2 processes."""
    words = ["red", "blue", "big", "small", "circle", "square", "above", "below"]
    lines = [" ".join(words[(i * k) % 8] for k in (1, 3, 5)) for i in range(240)]
    (tmp_path / "lines.txt").write_text("\n".join(lines) + "\n")
    proc = torchrun("train", "--data", f"text:{tmp_path / 'lines.txt'}", "--hidden", "16", "--embed-dim", "8",
                    "--latent-dim", "4", "--epochs", "1", "--batch-size", "32", "--device", "cpu",
                    "--out", str(tmp_path / "t2"), cwd=tmp_path)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    model, info = ckpt.load_checkpoint("t2", root=tmp_path)
    assert info.run["world_size"] == 2 and type(model).__name__ == "TextVAE"
    assert info.epochs_done == 1 and info.history[0]["test_neg_elbo"] > 0
