"""`python -m vae_core compress|decompress` (vae_core/analysis/codec_cli.py) as a user runs them: real processes."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from vae_core import checkpoint as ckpt
from vae_core.config import TrainConfig, default_model_config
from vae_core.models import VAE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(args, cwd):
    env = {**os.environ, "PYTHONPATH": ROOT, "LATENT_LAB_CHECKPOINTS": str(cwd / "checkpoints")}
    return subprocess.run([sys.executable, "-m", "vae_core", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def save_model(root, name, seed):
    torch.manual_seed(seed)
    model = VAE(default_model_config((1, 8, 8), 4, arch="mlp", hidden=(32,)))
    ckpt.save_checkpoint(root / name, model, TrainConfig(data="digits"), [{"epoch": 1}])


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Two random checkpoints and an npz of 50 binary 8x8 images (0/255; its test split: every 5th, 10)."""
    tmp = tmp_path_factory.mktemp("codec_cli")
    save_model(tmp / "checkpoints", "a", 0)
    save_model(tmp / "checkpoints", "b", 1)
    x = ((np.random.default_rng(0).random((50, 8, 8)) < 0.3) * 255).astype(np.uint8)
    np.savez(tmp / "bin.npz", x=x)
    grey = x.copy()
    grey[4, 2, 2] = 128  # index 4: in the test split
    np.savez(tmp / "grey.npz", x=grey)
    assert run(["compress", "a", "--data", f"npz:{tmp}/bin.npz", "--out", "h.llbb"], tmp).returncode == 0
    return tmp, x[4::5]


def test_compress_json_then_decompress_gives_the_same_uint8_values(setup):
    tmp, expected = setup
    proc = run(["compress", "checkpoints/a", "--data", f"npz:{tmp}/bin.npz", "--out", "f.llbb", "--json"], tmp)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    assert row["images"] == 10 and row["dims"] == 640 and row["bytes"] == (tmp / "f.llbb").stat().st_size
    assert row["bits_per_dim"] == pytest.approx(8 * row["bytes"] / 640)
    assert row["neg_elbo_bits_per_dim"] > 0 and row["seed_bits"] > 0
    assert {"png", "gzip", "bz2", "lzma", "webp"} <= set(row["baselines"])
    proc = run(["decompress", "checkpoints/a", "f.llbb", "--out", "back.npz"], tmp)
    assert proc.returncode == 0, proc.stderr
    with np.load(tmp / "back.npz", allow_pickle=False) as z:
        assert z["x"].dtype == np.uint8 and np.array_equal(z["x"], expected)


def test_limit_and_plain_output(setup):
    tmp, expected = setup
    proc = run(["compress", "a", "--data", f"npz:{tmp}/bin.npz", "--out", "g.llbb", "--limit", "3"], tmp)
    assert proc.returncode == 0 and "3 images" in proc.stdout and "bits per dimension" in proc.stdout
    assert run(["decompress", "a", "g.llbb", "--out", "g.npz"], tmp).returncode == 0
    with np.load(tmp / "g.npz") as z:
        assert np.array_equal(z["x"], expected[:3])


@pytest.mark.parametrize("case", ["other checkpoint", "truncated", "flipped", "not a codec file", "missing"])
def test_bad_files_give_one_line_and_exit_2(setup, case):
    tmp, _ = setup
    data, ref, name = (tmp / "h.llbb").read_bytes(), "a", "bad.llbb"
    if case == "other checkpoint":
        ref = "b"
    elif case == "truncated":
        data = data[:-7]
    elif case == "flipped":
        data = data[:40] + bytes([data[40] ^ 1]) + data[41:]
    elif case == "not a codec file":
        data = b"\x89PNG\r\n" + data
    if case == "missing":
        name = "nothing-here.llbb"
    else:
        (tmp / name).write_bytes(data)
    proc = run(["decompress", ref, name, "--out", "bad.npz"], tmp)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    expected = {"other checkpoint": "compressed with checkpoint 'a'", "truncated": "truncated",
                "flipped": "CRC32", "not a codec file": "not a Latent Lab codec file", "missing": "cannot read"}
    assert expected[case] in proc.stderr


def test_grey_images_are_refused_with_a_message(setup):
    tmp, _ = setup
    proc = run(["compress", "a", "--data", f"npz:{tmp}/grey.npz", "--out", "x.llbb"], tmp)
    assert proc.returncode == 2 and "grey levels" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp / "x.llbb").exists()


def test_an_eight_bit_model_compresses_and_decompresses_8_bit_values(tmp_path):
    torch.manual_seed(2)
    model = VAE(default_model_config((1, 8, 8), 4, arch="mlp", hidden=(32,), likelihood="beta-binomial"))
    ckpt.save_checkpoint(tmp_path / "checkpoints" / "eight", model, TrainConfig(data="digits"), [{"epoch": 1}])
    rng = np.random.default_rng(3)
    x = np.where(rng.random((20, 8, 8)) < 0.6, 0, rng.integers(0, 256, (20, 8, 8))).astype(np.uint8)
    np.savez(tmp_path / "grey.npz", x=x)
    proc = run(["compress", "eight", "--data", f"npz:{tmp_path}/grey.npz", "--out", "g.llbb"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = run(["decompress", "eight", "g.llbb", "--out", "back.npz"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    with np.load(tmp_path / "back.npz", allow_pickle=False) as z:
        assert z["x"].dtype == np.uint8 and np.array_equal(z["x"], x[4::5])
