"""The training child's protocol: `python -m vae_core.jobs.worker`, one JSON request in, JSON-lines events out."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from vae_core import checkpoint as ckpt
from vae_core.data import DataError, load_dataset
from vae_core.jobs import worker

REPO = Path(__file__).resolve().parents[2]


def _request(root, name="w", data="digits", epochs=1, batch_size=64, **extra) -> dict:
    train = {"data": data, "epochs": epochs, "batch_size": batch_size, "device": "cpu", "seed": 0}
    return {"name": name, "train_config": train, "latent_dim": 2, "model_overrides": {"arch": "mlp", "hidden": [32]},
            "overwrite": False, "root": str(root), **extra}


def _worker(request: dict) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "vae_core.jobs.worker"], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    proc.stdin.write(json.dumps(request) + "\n")
    proc.stdin.flush()
    return proc


def _events(proc, until=None) -> list[dict]:
    """Events until the done event, or until `until(event)` holds; fails on an overdue child."""
    timer = threading.Timer(120, proc.kill)  # a hung child fails the test instead of hanging it
    timer.start()
    try:
        events = []
        for line in proc.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] == "done" or (until and until(events[-1])):
                return events
        raise AssertionError(f"stdout ended without a done event after {[e['event'] for e in events]}")
    finally:
        timer.cancel()


def _run_here(request: dict) -> list[dict]:
    """worker.run in this process, for what needs no training."""
    events: list[dict] = []
    worker.run(request, events.append, threading.Event())
    return events


def _finish(proc) -> list[dict]:
    events = _events(proc)
    proc.stdin.close()
    assert proc.wait(30) == 0 and proc.stdout.read() == ""  # nothing after done
    return events


def test_one_epoch_sends_events_in_order(tmp_path):
    proc = _worker(_request(tmp_path))
    events = _finish(proc)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-2:] == ["epoch", "done"] and set(kinds[1:-2]) == {"progress"}
    start, epoch, done = events[0], events[-2], events[-1]
    digits = load_dataset("digits")
    assert start["n_batches"] == 23 and start["map_labels"] == digits.y_test.tolist()
    assert start["map"]["epoch"] == 0 and len(start["map"]["points"]) == len(digits.x_test)
    progress = [(e["epoch"], e["batch"]) for e in events if e["event"] == "progress"]
    assert progress == sorted(progress) and progress[-1] == (0, 23)  # the epoch's last batch is always sent
    assert epoch["metrics"]["epoch"] == 1 and epoch["map"]["epoch"] == 1 and epoch["map"]["axes"] == ["z1", "z2"]
    assert done == {"event": "done", "status": "finished", "message": "trained 1 epochs", "checkpoint": True}
    assert ckpt.read_info("w", root=tmp_path).history == [epoch["metrics"]]


def test_stop_line_stops_after_the_current_batch(tmp_path):
    proc = _worker(_request(tmp_path, epochs=100, batch_size=4))
    _events(proc, until=lambda e: e["event"] == "progress")
    proc.stdin.write("stop\n")
    proc.stdin.flush()
    done = _finish(proc)[-1]
    assert done["status"] == "stopped" and "stopped during epoch" in done["message"]


def test_end_of_stdin_stops_the_run(tmp_path):
    """The server died or let go: the child must not train on as an orphan."""
    proc = _worker(_request(tmp_path, epochs=100, batch_size=4))
    _events(proc, until=lambda e: e["event"] == "progress")
    proc.stdin.close()
    events = _events(proc)
    assert events[-1]["status"] == "stopped" and proc.wait(30) == 0


@pytest.mark.parametrize("bad", ["missing", "not-images"])
def test_bad_data_is_one_failed_event(tmp_path, bad):
    path = tmp_path / f"{bad}.npz"
    if bad == "not-images":
        np.savez(path, x=np.zeros((10, 4), np.uint8))
    with pytest.raises(DataError) as expected:
        load_dataset(f"npz:{path}")
    events = _finish(_worker(_request(tmp_path, data=f"npz:{path}")))
    assert events == [{"event": "done", "status": "failed", "message": str(expected.value), "checkpoint": False}]


def test_an_existing_checkpoint_needs_overwrite(tmp_path):
    (tmp_path / "w").mkdir()
    assert _run_here(_request(tmp_path)) == [{"event": "done", "status": "failed", "checkpoint": False,
                                              "message": "checkpoint 'w' already exists; choose another name"}]


def test_unexpected_errors_are_short_and_logged(tmp_path, monkeypatch, capsys):
    def boom(spec, **kw):
        raise RuntimeError("out of memory\n" + "x" * 5000)

    monkeypatch.setattr(worker, "load_dataset", boom)
    events = _run_here(_request(tmp_path))
    assert events == [{"event": "done", "status": "failed", "checkpoint": False,
                       "message": "training failed unexpectedly (RuntimeError: out of memory)"}]
    assert "Traceback" in capsys.readouterr().err  # the whole story, for the server's log


def test_pca_map_keeps_its_signs():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(50, 4)) * [3.0, 2.0, 1.0, 0.5]
    first, axes = worker._project_2d(mu, None)
    again, _ = worker._project_2d(mu, -first)
    assert axes == ("PC1", "PC2") and np.allclose(again, -first, atol=1e-5)
    same, axes = worker._project_2d(mu[:, :2].astype(np.float32), None)
    assert axes == ("z1", "z2") and np.array_equal(same, mu[:, :2].astype(np.float32))


def test_a_text_run_trains_a_gru_with_the_remedies_and_maps_its_sentences(tmp_path):
    words = ["red", "blue", "big", "small", "cube", "ball"]
    lines = [f"a {w} {v}" for w in words for v in words]
    (tmp_path / "s.txt").write_text("\n".join(lines) + "\n")
    request = _request(tmp_path, data=f"text:{tmp_path / 's.txt'}", batch_size=8)
    request["model_overrides"] = {"hidden": 8, "embed_dim": 4}
    request["train_config"].update(word_dropout=0.25, free_bits=0.1, warmup_epochs=1.0)
    events = _run_here(request)
    assert events[-1] == {"event": "done", "status": "finished", "message": "trained 1 epochs", "checkpoint": True}
    start, epoch = events[0], events[-2]
    n_test = len(load_dataset(f"text:{tmp_path / 's.txt'}").lines_test)
    assert start["map_labels"] is None and start["class_names"] is None
    assert len(start["map"]["points"]) == n_test and epoch["map"]["epoch"] == 1
    assert {"test_kl", "train_kl", "active_units"} <= set(epoch["metrics"])
    info = ckpt.read_info("w", root=tmp_path)
    cfg = info.model_config
    assert (cfg.arch, cfg.latent_dim, cfg.hidden, cfg.embed_dim) == ("gru", 2, 8, 4)
    assert (info.train_config.word_dropout, info.train_config.free_bits) == (0.25, 0.1)


def test_map_subset_of_the_grammar_corpus_is_sentences_labelled_by_their_first_object():
    from vae_core.text.corpora import FACTORS

    items, labels, names = worker.map_subset(load_dataset("grammar"))
    assert items.shape == (worker.MAP_POINTS,) and isinstance(items[0], str)
    assert names == list(FACTORS["object"]) and labels.shape == items.shape
    assert names[labels[0]] in items[0].split(" is ")[0]
