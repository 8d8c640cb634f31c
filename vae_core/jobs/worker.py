"""One training job in its own process, for jobs.training.TrainingJob: `python -m vae_core.jobs.worker`.

Why a process and not a thread of the app's server: torch's OpenMP runtime (libgomp), run from a
non-main thread of a process that already has other OpenMP teams, throttles its spin-waits; measured
on a quiet 2-core machine, a job thread trained at 0.60x the CLI's speed. Here training runs in the
main thread of a fresh process, as in the CLI. The process also owns its RNG (concurrent jobs are
reproducible) and keeps a crash or a huge allocation away from the server.

Protocol, JSON lines. stdin: one request
    {"name", "train_config": {...}, "latent_dim", "model_overrides": {...}, "overwrite", "root", "threads"}
then "stop" lines; the end of stdin (the server died or let go) stops the run too.
stdout, in this order:
    {"event": "start", "epoch", "n_batches", "class_names", "map_labels", "map"}
    {"event": "progress", "epoch", "batch", "n_batches", "loss"}    every PROGRESS_EVERY s and at epoch ends
    {"event": "epoch", "metrics": {the Trainer's row}, "map"}     after the epoch's checkpoint is saved
    {"event": "done", "status", "message", "checkpoint": true | false}    always, and last
where "map_labels" is a list of ints or null and "map" is {"points": [[x, y], ...], "axes": [a, b],
"epoch": n} or null. Errors in the data or the settings give one done event with status "failed";
tracebacks of unexpected ones go to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch._dynamo  # noqa: F401  (the first optimiser step imports it: seconds a spare worker pays ahead)

from .. import checkpoint as ckpt
from .. import modality
from ..config import ConfigError, TrainConfig, from_dict
from ..data import DataError, Dataset, load_dataset
from ..projection import default_method, make_projection
from ..train import BatchEvent, EpochEvent, Trainer, TrainingCallback
from .training import MAP_POINTS

PROGRESS_EVERY = 0.2  # seconds between progress events; each one turns the loss tensor into a float


class _Reporter(TrainingCallback):
    """Sends the Trainer's events as JSON lines and turns a stop request into trainer.request_stop()."""

    def __init__(self, send: Callable[[dict], None], stop: threading.Event, dataset: Dataset):
        self.send, self.stop, self.dataset = send, stop, dataset
        self.map_x, self.map_labels, self.class_names = map_subset(dataset)
        self.trainer: Trainer | None = None
        self.previous: np.ndarray | None = None  # the last map's points, to keep PCA signs steady
        self.last_sent = 0.0

    def on_train_start(self, trainer: Trainer) -> None:
        self.trainer = trainer
        names, labels = self.class_names, self.map_labels
        self.send({"event": "start", "epoch": len(trainer.history), "n_batches": trainer.n_batches,
                   "class_names": list(names) if names else None,
                   "map_labels": None if labels is None else labels.tolist(), "map": self._map(epoch=0)})

    def on_batch_end(self, event: BatchEvent) -> None:
        if self.stop.is_set():
            self.trainer.request_stop()
        now = time.monotonic()
        if now - self.last_sent >= PROGRESS_EVERY or event.batch + 1 == event.n_batches:
            self.last_sent = now
            self.send({"event": "progress", "epoch": event.epoch, "batch": event.batch + 1,
                       "n_batches": event.n_batches, "loss": float(event.loss)})

    def on_epoch_end(self, event: EpochEvent) -> None:
        self.send({"event": "epoch", "metrics": event.metrics, "map": self._map(epoch=event.epoch)})

    def _map(self, epoch: int) -> dict | None:
        """The map subset encoded by the current model, between epochs (no_grad, eval mode, no random numbers;
        the text encoder leaves eval mode on, so the model's mode is put back here)."""
        model = self.trainer.model
        training = model.training
        try:
            mu = modality.encode_items(model, self.map_x, device=str(self.trainer.device))[0]
            points, axes = _project_2d(mu, self.previous)
        except Exception:  # a map is a nicety: never let it end a training run
            print(f"latent map at epoch {epoch} failed:\n{traceback.format_exc()}", file=sys.stderr)
            return None
        finally:
            model.train(training)
        self.previous = points
        return {"points": points.tolist(), "axes": list(axes), "epoch": epoch}


def _project_2d(mu: np.ndarray, previous: np.ndarray | None) -> tuple[np.ndarray, tuple[str, str]]:
    """mu (N, D) -> (N, 2): the latent itself for D <= 2, else PCA with the axes' signs kept
    from the previous map, so the picture does not flip between epochs."""
    method = default_method(mu.shape[1])
    points = make_projection(method).fit_transform(mu).astype(np.float32)
    if method == "identity":
        return points, ("z1", "z2")
    if previous is not None and previous.shape == points.shape:
        signs = np.where((points * previous).sum(axis=0) < 0, -1.0, 1.0).astype(np.float32)
        points = points * signs
    return points, ("PC1", "PC2")


def map_subset(ds: Dataset) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """A fixed, evenly spaced subset of <= MAP_POINTS test items (images (N, C, H, W) or sentences (N,)), their
    labels (N,) or None, and the class names (modality.items_of)."""
    items, labels, names = modality.items_of(ds)
    idx = np.unique(np.linspace(0, len(items) - 1, min(MAP_POINTS, len(items))).astype(int))
    return np.ascontiguousarray(items[idx]), None if labels is None else np.asarray(labels)[idx], names


def run(request: dict, send: Callable[[dict], None], stop: threading.Event) -> None:
    """Train as the request says, sending events; always ends with exactly one done event."""
    status, message, written = "failed", "training ended without a result", False
    try:
        train_config = from_dict(TrainConfig, request["train_config"])
        out = Path(request["root"]) / ckpt.validate_name(request["name"])
        if out.exists() and not request.get("overwrite", False):
            raise ckpt.CheckpointError(f"checkpoint {out.name!r} already exists; choose another name")
        dataset = load_dataset(train_config.data, shared=True)  # read only; one load per worker process
        model_config = modality.default_config(dataset, request["latent_dim"], **request.get("model_overrides", {}))
        trainer = Trainer(model_config, train_config, dataset, out=out, callbacks=[_Reporter(send, stop, dataset)])
        if stop.is_set():
            status, message = "stopped", "stopped before training"
            return
        result = trainer.fit()
        status, message, written = result.status, result.message, result.checkpoint is not None
    except (DataError, ConfigError, ckpt.CheckpointError, ValueError, OSError) as exc:
        # ValueError: e.g. conv on an odd image size, CUDA asked for but absent; the CLI treats
        # these as bad input too. The message names what is wrong.
        message = str(exc) or type(exc).__name__
    except BaseException as exc:  # never lose an error: log it whole, report it short
        traceback.print_exc(file=sys.stderr)
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        message = f"training failed unexpectedly ({type(exc).__name__}{': ' + text if text else ''})"
    finally:
        send({"event": "done", "status": status, "message": message, "checkpoint": written})


def _watch_stdin(stop: threading.Event) -> None:
    """'stop' lines, and the end of stdin, ask the run to stop."""
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stop.set()


def main() -> int:
    # The protocol owns the real stdout; anything else that prints (a library, a warning) goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    broken = threading.Event()

    def send(event: dict) -> None:
        if not broken.is_set():
            try:
                out.write(json.dumps(event, default=lambda o: o.item() if hasattr(o, "item") else str(o)) + "\n")
            except OSError:  # the server went away; the run stops at the end of stdin
                broken.set()

    try:
        request = json.loads(sys.stdin.readline() or "null")
        if not isinstance(request, dict):
            raise ValueError("expected one JSON object on the first line of stdin")
    except ValueError as exc:
        send({"event": "done", "status": "failed", "message": f"bad request: {exc}", "checkpoint": False})
        return 2
    if request.get("threads"):
        torch.set_num_threads(int(request["threads"]))  # e.g. a beta sweep's tiny models: one thread
    stop = threading.Event()
    threading.Thread(target=_watch_stdin, args=(stop,), name="stdin", daemon=True).start()
    run(request, send, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
