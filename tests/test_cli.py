"""The command line end to end, as a user runs it: real subprocesses, real files."""

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(args, ckpt_root, cwd):
    env = {**os.environ, "LATENT_LAB_CHECKPOINTS": str(ckpt_root), "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "vae_core", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One epoch of digits through the CLI, shared by the tests below."""
    tmp = tmp_path_factory.mktemp("cli")
    root = tmp / "checkpoints"
    proc = run(["train", "--data", "digits", "--out", f"{root}/d1", "--epochs", "1", "--latent-dim", "2",
                "--arch", "mlp", "--hidden", "128"], root, tmp)
    assert proc.returncode == 0, proc.stderr
    return root, tmp, proc


def test_train_writes_a_checkpoint_and_shows_progress(trained):
    root, _, proc = trained
    assert sorted(os.listdir(root / "d1")) == ["config.json", "history.json", "model.safetensors",
                                               "optimizer.safetensors"]
    assert "epoch 1/1" in proc.stderr and "test -ELBO" in proc.stderr


def test_evaluate_json_is_one_object_on_the_last_line(trained):
    root, tmp, _ = trained
    proc = run(["evaluate", "d1", "--data", "digits", "--json", "--iwae-k", "20"], root, tmp)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(row) == {"neg_elbo", "recon", "kl", "nll_iwae", "active_units", "n"}
    assert row["n"] == 359 and row["neg_elbo"] == pytest.approx(row["recon"] + row["kl"], rel=1e-4)
    assert row["nll_iwae"] <= row["neg_elbo"] + 0.5
    assert 0 <= row["active_units"] <= 2


def test_info_sample_and_project(trained):
    root, tmp, _ = trained
    info = run(["info", f"{root}/d1", "--json"], root, tmp)
    assert info.returncode == 0 and json.loads(info.stdout)["epochs_done"] == 1
    png = tmp / "grid.png"
    sample = run(["sample", "d1", "--out", str(png), "--n", "16"], root, tmp)
    assert sample.returncode == 0, sample.stderr
    assert Image.open(png).size[0] >= 4 * 8
    proj = run(["project", "d1", "--method", "identity"], root, tmp)
    assert proj.returncode == 0 and "projected 359" in proj.stdout
    assert any((root / "d1" / "cache").rglob("*.npz"))


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "--data", "mnist-please", "--out", "x"], "mnist-please"),
        (["train", "--data", "digits", "--out", "/tmp/two words"], "invalid checkpoint name 'two words'"),
        (["train", "--data", "digits", "--out", "../.hidden"], "invalid checkpoint name '.hidden'"),
        (["train", "--data", "idx:/no/such/dir", "--out", "x"], "/no/such/dir"),
        (["train", "--data", "digits", "--out", "x", "--lr", "-1"], "lr"),
        (["evaluate", "ghost"], "'ghost' not found"),
        (["sample", "ghost", "--out", "a.png"], "ghost"),
    ],
)
def test_bad_input_exits_2_with_one_line(trained, args, words):
    root, tmp, _ = trained
    proc = run(args, root, tmp)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr and words in lines[0]


def test_the_command_line_writes_and_reads_any_path_its_user_names(tmp_path):
    """Outside the checkpoints folder too: on the command line the user owns the filesystem."""
    root, elsewhere = tmp_path / "checkpoints", tmp_path / "runs" / "new" / "run1"
    train = run(["train", "--data", "digits", "--out", str(elsewhere), "--epochs", "1", "--arch", "mlp",
                 "--hidden", "32"], root, tmp_path)
    assert train.returncode == 0, train.stderr
    assert (elsewhere / "model.safetensors").is_file() and not root.exists()
    info = run(["info", str(elsewhere), "--json"], root, tmp_path)
    assert info.returncode == 0 and json.loads(info.stdout)["epochs_done"] == 1
    relative = run(["evaluate", "runs/new/run1", "--json"], root, tmp_path)
    assert relative.returncode == 0 and json.loads(relative.stdout.splitlines()[-1])["n"] == 359


def test_help_explains_each_flag(trained):
    root, tmp, _ = trained
    proc = run(["train", "--help"], root, tmp)
    assert proc.returncode == 0
    for flag in ["--arch", "--hidden", "--latent-dim", "--likelihood", "--beta", "--warmup-epochs", "--resume",
                 "--device"]:
        assert flag in proc.stdout
