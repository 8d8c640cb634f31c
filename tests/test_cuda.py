"""The CUDA path (issue 15, item 2): train, evaluate, sample, projection, the app's decode and the browser export on
`--device cuda`, each checked against the CPU. Skipped where CUDA is absent; bench/gpu.sh runs it on a GPU machine.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from vae_core import checkpoint as ckpt
from vae_core.data import load_dataset
from vae_core.export import decoder_program
from vae_core.latent import decode_batch, encode_dataset
from vae_core.projection import project_latents

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd, launcher=(sys.executable,)):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LATENT_LAB_CHECKPOINTS": str(cwd)}
    proc = subprocess.run([*launcher, "-m", "vae_core", *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two digits epochs of the default conv on the GPU, through the command line."""
    tmp = tmp_path_factory.mktemp("cuda")
    cli("train", "--data", "digits", "--out", str(tmp / "conv"), "--arch", "conv", "--latent-dim", "4",
        "--epochs", "2", "--device", "cuda", cwd=tmp)
    return tmp


def test_training_on_cuda_writes_a_checkpoint_that_loads_anywhere(trained):
    info = ckpt.read_info("conv", root=trained)
    assert info.epochs_done == 2 and info.run["device"] == "cuda" and info.run["world_size"] == 1
    assert np.isfinite(info.history[-1]["test_neg_elbo"])
    gpu, _ = ckpt.load_checkpoint("conv", root=trained, device="cuda")
    cpu, _ = ckpt.load_checkpoint("conv", root=trained, device="cpu")  # what the app does
    assert next(gpu.parameters()).is_cuda and not next(cpu.parameters()).is_cuda


def test_resume_on_cuda(trained):
    cli("train", "--data", "digits", "--out", str(trained / "conv"), "--epochs", "3", "--resume", "--device", "cuda",
        cwd=trained)
    assert ckpt.read_info("conv", root=trained).epochs_done == 3


def test_evaluate_on_cuda_matches_cpu(trained):
    rows = [json.loads(cli("evaluate", str(trained / "conv"), "--device", dev, "--iwae-k", "20", "--json",
                           cwd=trained).stdout.splitlines()[-1]) for dev in ("cuda", "cpu")]
    assert rows[0]["neg_elbo"] == pytest.approx(rows[1]["neg_elbo"], abs=0.05)
    assert rows[0]["nll_iwae"] == pytest.approx(rows[1]["nll_iwae"], abs=0.5)  # different random draws


def test_sample_decode_encode_project_and_export_on_cuda_match_cpu(trained):
    gpu, info = ckpt.load_checkpoint("conv", root=trained, device="cuda")
    cpu, _ = ckpt.load_checkpoint("conv", root=trained, device="cpu")
    images = gpu.sample(16, generator=torch.Generator().manual_seed(0))  # a CPU generator drives a GPU model
    assert images.is_cuda and images.shape == (16, 1, 8, 8) and 0 <= images.min() and images.max() <= 1
    same = cpu.sample(16, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(images.cpu(), same, atol=1e-4)
    cli("sample", str(trained / "conv"), "--out", str(trained / "s.png"), "--n", "4", cwd=trained)

    z = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    assert np.allclose(decode_batch(gpu, z, device="cuda"), decode_batch(cpu, z), atol=1e-4)

    x = load_dataset("digits").x_test
    enc_gpu, enc_cpu = encode_dataset(gpu, x, device="cuda"), encode_dataset(cpu, x)
    assert np.allclose(enc_gpu.mu, enc_cpu.mu, atol=1e-4)
    points, _ = project_latents(enc_gpu.mu, "pca")
    assert points.shape == (len(x), 2) and np.isfinite(points).all()

    ops_gpu, weights_gpu = decoder_program(gpu)  # the browser's decoder, exported from a model on the GPU
    ops_cpu, weights_cpu = decoder_program(cpu)
    assert ops_gpu == ops_cpu and np.array_equal(weights_gpu, weights_cpu)


def test_bf16_autocast_on_cuda(tmp_path):
    cli("train", "--data", "digits", "--out", str(tmp_path / "bf16"), "--arch", "mlp", "--epochs", "2",
        "--device", "cuda", "--precision", "bf16", cwd=tmp_path)
    info = ckpt.read_info("bf16", root=tmp_path)
    assert info.train_config.precision == "bf16" and np.isfinite(info.history[-1]["test_neg_elbo"])


def test_torchrun_on_one_gpu_uses_nccl(tmp_path):
    cli("train", "--data", "digits", "--out", str(tmp_path / "ddp"), "--arch", "mlp", "--epochs", "1",
        "--device", "cuda", cwd=tmp_path,
        launcher=(sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=1"))
    assert ckpt.read_info("ddp", root=tmp_path).run == {"world_size": 1, "device": "cuda", "backend": "nccl"}
