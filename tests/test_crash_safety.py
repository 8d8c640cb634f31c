"""Crash safety: SIGKILL at random moments never loses a saved epoch or shows temp debris; a NaN loss,
a read-only folder or a full disk never replace a good checkpoint.

The suite version kills the real CLI a few times and a saving child process many times (seeded, < 60 s).
LATENT_LAB_SOAK=1 runs the long version (minutes); both print their tallies (pytest -s shows them):

    LATENT_LAB_SOAK=1 .venv/bin/python -m pytest tests/test_crash_safety.py -q -s
"""

import multiprocessing
import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import torch

from vae_core import checkpoint as ckpt
from vae_core.cli import main
from vae_core.config import ModelConfig, TrainConfig
from vae_core.models import VAE

REPO = Path(__file__).resolve().parents[1]
SOAK = os.environ.get("LATENT_LAB_SOAK") == "1"
CLI_KILLS = 40 if SOAK else 3  # each costs an interpreter start (torch import: seconds)
SAVE_KILLS = 1000 if SOAK else 25  # a forked child saving in a loop: cheap
pytestmark = pytest.mark.timeout(0 if SOAK else 600)  # a soak runs as long as it needs
TRAIN = ["train", "--data", "digits", "--arch", "mlp", "--hidden", "32", "--epochs", "200", "--batch-size", "256"]


def _debris(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(ckpt.TMP_PREFIX))


def _epochs(root: Path) -> list[int]:
    """The saved epochs of checkpoint c, after loading it in full (weights included)."""
    _, info = ckpt.load_checkpoint("c", root)
    return [int(row["epoch"]) for row in info.history]


def _printed_epochs(log: Path) -> int:
    """The last 'epoch N/M' line the CLI printed: it prints after saving, so N epochs are on disk."""
    text = log.read_text(errors="replace").replace("\r", "\n")
    done = [int(line.split()[1].split("/")[0]) for line in text.splitlines()
            if line.startswith("epoch ") and "test -ELBO" in line]
    return max(done, default=0)


def _start_cli(root: Path, log: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "LATENT_LAB_CHECKPOINTS": str(root), "PYTHONPATH": str(REPO)}
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "vae_core", *TRAIN, "--out", f"{root}/c", *extra],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root.parent)


def _wait_until_training(proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """Until the trainer has started (the imports take seconds) or the process has ended."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and b"training on" not in log.read_bytes():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the CLI did not start training within {timeout} s")
        time.sleep(0.02)


def test_cli_killed_at_random_moments_resumes_without_losing_an_epoch(tmp_path):
    rng, root, tally = random.Random(2024), tmp_path / "checkpoints", Counter()
    root.mkdir()
    saved = 0  # epochs known to be on disk
    for i in range(CLI_KILLS):
        log = tmp_path / f"run{i}.log"
        proc = _start_cli(root, log, *(["--resume"] if saved else []))
        try:  # kill it 0-1.5 s after training started: a few epochs, often mid-save
            _wait_until_training(proc, log)
            time.sleep(rng.uniform(0.0, 1.5))
        finally:
            proc.kill()
            proc.wait()
        printed = _printed_epochs(log)
        tally["debris left"] += bool(_debris(root))
        names = ckpt.list_checkpoints(root)
        assert names in ([], ["c"]), names  # temp folders never show up as checkpoints
        if saved or printed:  # once an epoch was saved, c loads after any kill
            assert names == ["c"], (names, _debris(root))
        if names:
            epochs = _epochs(root)
            assert epochs == list(range(1, len(epochs) + 1))
            assert len(epochs) >= max(saved, printed), (epochs, saved, printed)  # nothing lost
            tally["epochs gained"] += len(epochs) - saved
            saved = len(epochs)
        tally["kills"] += 1
    # A clean restart continues where the last kill left it, and tidies up.
    log = tmp_path / "final.log"
    proc = _start_cli(root, log, *(["--resume"] if saved else []), "--epochs", str(saved + 2))
    assert proc.wait(timeout=300) == 0, log.read_text()[-2000:]
    assert _epochs(root) == list(range(1, saved + 3))
    assert sorted(p.name for p in root.iterdir()) == ["c"]
    print(f"\nCLI kills: {dict(tally)}, {saved} epochs survived, then resumed to {saved + 2}")


def _tiny(version: int) -> VAE:
    torch.manual_seed(0)
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=2, arch="mlp", hidden=(32,)))
    with torch.no_grad():
        model.decoder[-2].bias.fill_(version)  # the weights say which save they belong to
    return model


def _save_forever(root: Path, start: int) -> None:
    """Child process: save versions start+1, start+2, ... of checkpoint c until killed."""
    version = start
    while True:
        version += 1
        history = [{"epoch": e} for e in range(1, version + 1)]
        ckpt.save_checkpoint(root / "c", _tiny(version), TrainConfig(), history)


def test_save_checkpoint_killed_mid_write_always_leaves_one_whole_version(tmp_path):
    rng, root, tally = random.Random(7), tmp_path / "checkpoints", Counter()
    root.mkdir()
    ckpt.save_checkpoint(root / "c", _tiny(1), TrainConfig(), [{"epoch": 1}])
    fork = multiprocessing.get_context("fork")  # the child needs no imports: kills come fast
    version = 1
    for _ in range(SAVE_KILLS):
        child = fork.Process(target=_save_forever, args=(root, version), daemon=True)
        child.start()
        time.sleep(rng.uniform(0.0, 0.12))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        debris = _debris(root)
        tally["inside a save (temp folder left)"] += bool(debris)
        tally["mid-swap (only the moved-aside copy)"] += not (root / "c").exists()
        assert ckpt.list_checkpoints(root) == ["c"], (ckpt.list_checkpoints(root), debris)
        model, info = ckpt.load_checkpoint("c", root)
        saved = len(info.history)
        assert float(model.decoder[-2].bias[0].detach()) == saved  # weights and history from the same save
        assert saved >= version  # never an older version than the last one seen
        version = saved
        tally["kills"] += 1
    ckpt.save_checkpoint(root / "c", _tiny(version + 1), TrainConfig(), [{"epoch": 1}] * (version + 1))
    assert sorted(p.name for p in root.iterdir()) == ["c"]  # the next save recovers and cleans up
    print(f"\nsave kills: {dict(tally)}, {version} versions written")


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_checkpoint(ckpt_root, capsys):
    assert main([*TRAIN[:-4], "--epochs", "1", "--batch-size", "256", "--out", "c"]) == 0
    weights = (ckpt_root / "c" / "model.safetensors").read_bytes()
    capsys.readouterr()
    # Adam at lr 10 without a schedule sends the encoder's log-variance to overflow within an epoch.
    code = main(["train", "--data", "digits", "--out", "c", "--resume", "--epochs", "3", "--lr", "10",
                 "--schedule", "constant"])
    err = capsys.readouterr().err
    assert code != 0 and "NaN" in err and "kept the last good checkpoint" in err
    assert "Traceback" not in err
    assert (ckpt_root / "c" / "model.safetensors").read_bytes() == weights
    assert _epochs(ckpt_root) == [1]
    assert sorted(p.name for p in ckpt_root.iterdir()) == ["c"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a chmod 555 folder anyway (see the FSIZE test)")
def test_read_only_folder_is_a_clear_error_and_the_old_checkpoint_stays(ckpt_root, capsys):
    ckpt.save_checkpoint(ckpt_root / "c", _tiny(1), TrainConfig(), [{"epoch": 1}])
    before = (ckpt_root / "c" / "model.safetensors").read_bytes()
    ckpt_root.chmod(0o555)
    try:
        with pytest.raises(ckpt.CheckpointError, match="could not write"):
            ckpt.save_checkpoint(ckpt_root / "c", _tiny(2), TrainConfig(), [{"epoch": 1}, {"epoch": 2}])
        assert main(["train", "--data", "digits", "--out", "c", "--epochs", "2", "--resume"]) == 2
        assert "could not write" in capsys.readouterr().err
    finally:
        ckpt_root.chmod(0o755)
    assert (ckpt_root / "c" / "model.safetensors").read_bytes() == before and _debris(ckpt_root) == []


def _save_with_file_size_limit(root: str, limit: int, conn) -> None:
    """Child process: save with RLIMIT_FSIZE set (a full disk, even for root); report what was raised."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    try:
        ckpt.save_checkpoint(Path(root) / "c", _tiny(2), TrainConfig(), [{"epoch": 1}, {"epoch": 2}])
        conn.send(("saved", ""))
    except BaseException as exc:  # noqa: BLE001 - the parent asserts on the type
        conn.send((type(exc).__name__, str(exc)))


@pytest.mark.parametrize("limit", [0, 10_000])  # per file: the ~18 kB weights file cannot be written whole
def test_a_full_disk_mid_save_is_a_clear_error_and_the_old_checkpoint_stays(tmp_path, limit):
    root = tmp_path / "checkpoints"
    ckpt.save_checkpoint(root / "c", _tiny(1), TrainConfig(), [{"epoch": 1}])
    before = {p.name: p.read_bytes() for p in (root / "c").iterdir()}
    fork = multiprocessing.get_context("fork")
    parent, child_end = fork.Pipe()
    child = fork.Process(target=_save_with_file_size_limit, args=(str(root), limit, child_end))
    child.start()
    kind, message = parent.recv()
    child.join()
    assert kind == "CheckpointError" and "could not write" in message and "File too large" in message, message
    assert {p.name: p.read_bytes() for p in (root / "c").iterdir()} == before
    assert ckpt.list_checkpoints(root) == ["c"] and _debris(root) == []
    assert ckpt.load_checkpoint("c", root)[1].epochs_done == 1
