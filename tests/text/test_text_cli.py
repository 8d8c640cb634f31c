"""The command line on text end to end: train, resume, evaluate --json, sample, info, and the checkpoint it
writes (safetensors + JSON with the vocabulary inside), on a small corpus so that each run takes seconds."""

import json
import os
import subprocess
import sys

import pytest
import torch

from vae_core import checkpoint as ckpt
from vae_core.data import load_dataset
from vae_core.modality import build_model
from vae_core.text.model import TextModelConfig, TextVAE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMALL = ["--latent-dim", "4", "--embed-dim", "8", "--hidden", "16", "--batch-size", "16"]


def run(args, root, cwd):
    env = {**os.environ, "LATENT_LAB_CHECKPOINTS": str(root), "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "vae_core", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("textcli")
    words = ["red", "blue", "cat", "dog", "sat", "ran", "big", "small"]
    lines = [f"the {words[i % 8]} {words[(i * 3) % 8]} {words[(i * 5 + 1) % 8]}" for i in range(60)]
    (tmp / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp


@pytest.fixture(scope="module")
def trained(corpus):
    root = corpus / "checkpoints"
    proc = run(["train", "--data", f"text:{corpus / 'corpus.txt'}", "--out", f"{root}/t1", "--epochs", "1",
                *SMALL], root, corpus)
    assert proc.returncode == 0, proc.stderr
    return root, corpus, proc


def test_train_picks_the_text_model_and_saves_the_vocabulary(trained):
    root, corpus, proc = trained
    assert "epoch 1/1" in proc.stderr and "checkpoint:" in proc.stdout
    config = json.loads((root / "t1" / "config.json").read_text())
    assert config["modality"] == "text" and config["model"]["arch"] == "gru"
    ds = load_dataset(f"text:{corpus / 'corpus.txt'}")
    assert config["model"]["alphabet"] == ds.vocab.alphabet
    assert config["train"]["word_dropout"] == 0.0 and config["train"]["free_bits"] == 0.125  # text defaults
    assert sorted(os.listdir(root / "t1")) == ["config.json", "history.json", "model.safetensors",
                                               "optimizer.safetensors"]


def test_pooled_encoder_flag_is_saved_and_read_back(trained):
    root, corpus, _ = trained
    proc = run(["train", "--data", f"text:{corpus / 'corpus.txt'}", "--out", f"{root}/pooled", "--epochs", "1",
                "--pooled-encoder", *SMALL], root, corpus)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((root / "pooled" / "config.json").read_text())["model"]["pooled_encoder"] is True
    model, info = ckpt.load_checkpoint("pooled", root)
    assert info.model_config.pooled_encoder and model.config.pooled_encoder
    plain = json.loads((root / "t1" / "config.json").read_text())["model"]
    assert plain["pooled_encoder"] is False  # the default


def test_evaluate_json(trained):
    root, corpus, _ = trained
    proc = run(["evaluate", "t1", "--json", "--iwae-k", "8"], root, corpus)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"neg_elbo", "recon", "kl", "nll_iwae", "active_units", "nats_per_token", "exact_recon"} <= set(row)
    assert row["n"] == 6 and row["neg_elbo"] == pytest.approx(row["recon"] + row["kl"], rel=1e-6)
    assert 0 <= row["exact_recon"] <= 1 and 0 < row["nats_per_token"] < row["neg_elbo"]
    assert row["nll_iwae"] <= row["neg_elbo"] + 1.0


def test_evaluate_on_another_corpus_reads_new_characters_as_unk(trained, tmp_path):
    root, corpus, _ = trained
    (tmp_path / "other.txt").write_text("".join(f"zebra {i} quux\n" for i in range(20)), encoding="utf-8")
    proc = run(["evaluate", "t1", "--data", f"text:{tmp_path / 'other.txt'}", "--json"], root, corpus)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["n"] == 2
    images = run(["evaluate", "t1", "--data", "digits"], root, corpus)
    assert images.returncode == 2 and "is images; this is a text model" in images.stderr


def test_sample_prints_sentences_and_info(trained):
    root, corpus, _ = trained
    proc = run(["sample", "t1", "--n", "5", "--seed", "1"], root, corpus)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 5
    again = run(["sample", "t1", "--n", "5", "--seed", "1"], root, corpus)
    assert again.stdout == proc.stdout
    greedy = run(["sample", "t1", "--n", "3", "--greedy"], root, corpus)
    assert greedy.returncode == 0 and len(greedy.stdout.splitlines()) == 3
    info = json.loads(run(["info", "t1", "--json"], root, corpus).stdout)
    assert info["modality"] == "text" and info["epochs_done"] == 1 and info["parameters"] > 0
    png = run(["sample", "t1", "--out", str(corpus / "x.png")], root, corpus)
    assert png.returncode == 2 and "prints its sentences" in png.stderr


def test_resume_continues_the_run(trained):
    root, corpus, _ = trained
    proc = run(["train", "--data", "ignored", "--out", f"{root}/t1", "--epochs", "2", "--resume"], root, corpus)
    assert proc.returncode == 0, proc.stderr
    assert ckpt.read_info("t1", root).epochs_done == 2


def test_checkpoint_round_trip_is_exact(ckpt_root):
    torch.manual_seed(0)
    config = TextModelConfig(alphabet="abc é", latent_dim=3, embed_dim=4, hidden=8)
    model = TextVAE(config)
    from vae_core.config import TrainConfig

    ckpt.save_checkpoint(ckpt_root / "rt", model, TrainConfig(data="grammar", word_dropout=0.3), [])
    loaded, info = ckpt.load_checkpoint("rt", ckpt_root)
    assert isinstance(loaded, TextVAE) and info.model_config == config
    assert info.model_config.vocab.alphabet == "abc é" and info.train_config.word_dropout == 0.3
    for (k, a), (k2, b) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(a, b)
    assert type(build_model(info.model_config)) is TextVAE


@pytest.mark.parametrize("args, message", [
    (["--arch", "conv"], "--arch conv is for images"),
    (["--hidden", "16,16"], "one GRU width"),
    (["--channels", "8"], "--channels: for image models only"),
])
def test_image_flags_on_text_are_refused(corpus, args, message):
    proc = run(["train", "--data", f"text:{corpus / 'corpus.txt'}", "--out", str(corpus / "bad"), *args],
               corpus / "checkpoints", corpus)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_bad_text_file_is_one_line(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00a")
    proc = run(["train", "--data", f"text:{tmp_path / 'b.txt'}", "--out", str(tmp_path / "o")], tmp_path, tmp_path)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "binary file" in proc.stderr
