"""The command line end to end, as a user runs it: real subprocesses, real files."""

import json
import math
import os
import subprocess
import sys

import pytest
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(args, ckpt_root, cwd, timeout=300):
    env = {**os.environ, "LATENT_LAB_CHECKPOINTS": str(ckpt_root), "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "vae_core", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)


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
        (["train", "--data", "digits", "--out", "x", "--pooled-encoder"], "--pooled-encoder are for text data"),
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


@pytest.mark.parametrize("data, seed", [("digits", 0), ("mnist", 0), ("shapes", 0), ("shapes", 1)])
def test_one_epoch_of_every_bundled_dataset_with_the_defaults_stays_finite(tmp_path, data, seed):
    """A new user's first command. `shapes` with seeds 0 and 1 ended in NaN before the spike guard in train.py."""
    proc = run(["train", "--data", data, "--epochs", "1", "--seed", str(seed), "--out", str(tmp_path / "first")],
               tmp_path / "checkpoints", tmp_path, timeout=900)  # a conv epoch: 33-72 s on 2 idle cores
    assert proc.returncode == 0, proc.stderr[-2000:]
    row = json.loads((tmp_path / "first" / "history.json").read_text())[-1]
    assert all(math.isfinite(row[k]) for k in ("train_loss", "test_neg_elbo", "test_recon", "test_kl"))


def test_sweep_trains_one_member_per_beta_like_the_beta_lab(tmp_path):
    proc = run(["sweep", "--data", "digits", "--betas", "2,0.5", "--epochs", "1", "--root", str(tmp_path / "sw")],
               tmp_path / "checkpoints", tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(os.listdir(tmp_path / "sw")) == ["beta-digits-0.5", "beta-digits-2"]
    assert "trained 2 β values" in proc.stderr
    config = json.loads((tmp_path / "sw" / "beta-digits-2" / "config.json").read_text())
    assert config["train"]["beta"] == 2.0 and config["model"]["arch"] == "mlp"


@pytest.mark.parametrize("args, words", [(["--betas", "1,x"], "comma-separated numbers"),
                                         (["--betas", ",".join(["1"] * 2 + [str(b) for b in range(2, 10)])], "1 to 8"),
                                         (["--epochs", "0"], "epochs")])
def test_a_bad_sweep_is_one_line(tmp_path, args, words):
    proc = run(["sweep", "--data", "digits", *args], tmp_path / "checkpoints", tmp_path)
    assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr
