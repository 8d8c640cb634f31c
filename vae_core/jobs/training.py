"""Background training for the app: a TrainingJob runs one training in a child process.

The child is `python -m vae_core.jobs.worker`, spoken to in JSON lines (its docstring has the protocol).
Not a thread of the server, because torch's OpenMP runtime in a non-main thread of a process that already
has other OpenMP teams throttles its spin-waits: a job thread trained at 0.60x the CLI's speed on 2 cores.
The child also owns its RNG, so concurrent jobs are reproducible, and a crash or a huge allocation in
training cannot take the server down. If the server dies, the child sees its stdin end and stops.

The page never blocks and never sees the Trainer: it reads `job.snapshot()`, an immutable copy of
the progress (status, epoch, batch, history rows, a 2-D map of test latents, the error message) that a
reader thread keeps up to date from the child's events: a few progress lines a second, one line per epoch.

The registry (jobs.registry.Registry) keeps at most one job per (opaque) session id, and a job refuses a
checkpoint name that another running job is writing, so two browser sessions never disturb each other.

    registry = default_registry()
    job = registry.start(session_id, TrainingJob("my-vae", TrainConfig(data="digits", epochs=5)))
    snap = job.snapshot()          # poll this; snap.status in STATUSES
    job.stop()                     # the run stops after the current batch
"""

from __future__ import annotations

import collections
import json
import logging
import subprocess
import threading
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from .. import checkpoint as ckpt
from ..config import ConfigError, ModelConfig, TrainConfig, to_dict
from ..data import DataError
from ..modality import text_settings
from . import process
from .registry import JobError, Registry

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "finished", "stopped", "diverged", "failed")
ACTIVE = ("queued", "running")
# Test images on the live latent map: enough to see clusters, cheap to encode. Here, not in jobs.worker
# (which sends them), so that the server does not import the worker and torch._dynamo with it.
MAP_POINTS = 2000

# Everything a bad setting or a bad upload raises before a job starts; the page shows str(e).
BAD_SETTINGS = (JobError, ConfigError, DataError, ckpt.CheckpointError)


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside make == ambiguous
class JobSnapshot:
    """An immutable copy of a job's progress; arrays are read-only, history rows are copies."""

    name: str
    data: str
    status: str
    message: str = ""
    epoch: int = 0  # epochs completed
    epochs: int = 0
    batch: int = 0  # batches done in the current epoch
    n_batches: int = 0
    loss: float | None = None  # the latest reported batch's loss (beta-weighted -ELBO per example)
    history: tuple[dict, ...] = ()  # the Trainer's per-epoch rows
    map_points: np.ndarray | None = None  # (N, 2) float32: test latents, identity (D <= 2) or PCA
    map_labels: np.ndarray | None = None  # (N,) int64 or None
    map_epoch: int = -1  # the epoch the map shows; 0 = before training, -1 = none yet
    map_axes: tuple[str, str] = ("z1", "z2")
    class_names: tuple[str, ...] | None = None
    checkpoint: str | None = None  # name of the checkpoint written so far, if any
    seconds: float = 0.0  # since training started

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def progress(self) -> float:
        """Fraction of all batches done, 0..1."""
        if not self.epochs or not self.n_batches:
            return 1.0 if self.status == "finished" else 0.0
        done = min(self.epoch, self.epochs) * self.n_batches + (self.batch if self.epoch < self.epochs else 0)
        return min(1.0, done / (self.epochs * self.n_batches))


class TrainingJob:
    """One training run in a child process; writes checkpoint `name` under `root` every epoch."""

    def __init__(self, name: str, train_config: TrainConfig, latent_dim: int = 2,
                 model_overrides: dict | None = None, overwrite: bool = False, root: Path | None = None,
                 threads: int | None = None):
        self.name = ckpt.validate_name(name)
        self.threads = threads  # torch intra-op threads in the child; None: torch's default, as the CLI
        self.train_config = replace(train_config)
        self.latent_dim = latent_dim
        self.model_overrides = _checked_overrides(model_overrides or {})
        self.overwrite = overwrite
        self.root = Path(root) if root is not None else ckpt.default_root()
        self.path = self.root / self.name
        self._lock = threading.Lock()
        self._stop_requested = False
        self._proc: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._progress: tuple = (0, 0, 0, None)  # (epoch, batch, n_batches, loss) from the last progress event
        self._state = JobSnapshot(name=self.name, data=train_config.data, status="queued",
                                  message="loading data", epochs=train_config.epochs)
        self._history: list[dict] = []
        self._t0 = 0.0

    # --- the page's side ---------------------------------------------------------------------

    def start(self) -> TrainingJob:
        """Start the child process (once); returns self. Use default_registry().start from the app."""
        with self._lock:
            if self._proc is not None or self._state.status != "queued":
                return self
            if self._stop_requested:
                self._state = replace(self._state, status="stopped", message="stopped before training")
                return self
            request = {"name": self.name, "train_config": to_dict(self.train_config), "latent_dim": self.latent_dim,
                       "model_overrides": self.model_overrides, "overwrite": self.overwrite, "root": str(self.root),
                       "threads": self.threads}
            try:
                self._proc = process.take()
                self._proc.stdin.write(json.dumps(request) + "\n")
                self._proc.stdin.flush()
            except OSError as exc:
                self._state = replace(self._state, status="failed", message=f"could not start training: {exc}")
                return self
            self._reader = threading.Thread(target=self._read, name=f"train-{self.name}", daemon=True)
            self._reader.start()
        return self

    def stop(self) -> None:
        """Ask the run to stop after the current batch; the last finished epoch stays saved."""
        with self._lock:
            self._stop_requested = True
            if self._proc is not None and self._state.status in ACTIVE:
                try:
                    self._proc.stdin.write("stop\n")
                    self._proc.stdin.flush()
                except (OSError, ValueError):  # the child has ended or is ending: nothing to stop
                    pass

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the child and its last event; True when the job has ended."""
        if self._reader is not None:
            self._reader.join(timeout)
        return not self.active

    @property
    def active(self) -> bool:
        return self._state.status in ACTIVE

    @property
    def names(self) -> tuple[str]:
        return (self.name,)

    @property
    def doing(self) -> str:
        return f"training {self.name!r}"

    def refuse(self, active: list[TrainingJob]) -> None:
        """JobError if an active job writes this checkpoint, or it exists and overwrite is off (Registry.start)."""
        for other in active:
            if other.path.resolve() == self.path.resolve():
                raise JobError(f"checkpoint {self.name!r} is being written by another training run; "
                               "choose another name")
        if (self.name in ckpt.list_checkpoints(self.root) or self.path.exists()) and not self.overwrite:
            raise JobError(f"checkpoint {self.name!r} already exists; choose another name or tick 'overwrite'")

    def snapshot(self) -> JobSnapshot:
        """An immutable copy of the progress."""
        with self._lock:
            state, (epoch, batch, n_batches, loss) = self._state, self._progress
            history = tuple(dict(row) for row in self._history)
        running = state.status == "running"
        return replace(
            state, history=history,
            epoch=len(history), batch=batch if running and epoch == len(history) else 0,
            n_batches=n_batches or state.n_batches, loss=loss,
            seconds=(time.perf_counter() - self._t0) if running else state.seconds,
        )

    # --- the reader thread's side -------------------------------------------------------------

    def _read(self) -> None:
        """Apply the child's events until its stdout ends; a child gone without a done event has failed."""
        proc = self._proc
        drain = threading.Thread(target=self._drain_stderr, args=(proc.stderr,), daemon=True)
        drain.start()
        done = False
        for line in proc.stdout:
            try:
                done = self._apply(json.loads(line)) or done
            except (ValueError, KeyError, TypeError):
                log.warning("training job %s: unreadable line from the child: %.200r", self.name, line)
        code = proc.wait()
        drain.join(5)
        with self._lock:
            for pipe in (proc.stdin, proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
        if not done:
            last = f"; its last words: {self._stderr[-1]}" if self._stderr else ""
            how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            self._fail(f"the training process ended without a result ({how}){last}"[:400])

    def _drain_stderr(self, pipe) -> None:
        """Keep the child's stderr flowing (a full pipe would block it) and pass it on to the log."""
        for line in pipe:
            if line.strip():
                self._stderr.append(line.strip()[:300])
                log.warning("training job %s: %s", self.name, line.rstrip())
        pipe.close()

    def _apply(self, event: dict) -> bool:
        """One event from the child into the state; True for the final one."""
        kind = event["event"]
        with self._lock:
            if kind == "progress":
                self._progress = (event["epoch"], event["batch"], event["n_batches"], event["loss"])
                return False
            changes: dict = {}
            if kind == "start":
                self._t0 = time.perf_counter()
                self._progress = (event["epoch"], 0, event["n_batches"], None)
                labels = event["map_labels"]
                changes = dict(status="running", message="training", n_batches=event["n_batches"],
                               class_names=tuple(event["class_names"]) if event["class_names"] else None,
                               map_labels=None if labels is None else _readonly(np.array(labels, np.int64)))
            elif kind == "epoch":
                self._history.append(event["metrics"])
                changes = dict(checkpoint=self.name)  # the child saved the checkpoint before this event
            elif kind == "done":
                changes = dict(status=event["status"], message=event["message"],
                               seconds=(time.perf_counter() - self._t0) if self._t0 else 0.0)
                if event["checkpoint"]:
                    changes["checkpoint"] = self.name
            if event.get("map"):
                changes.update(map_points=_readonly(np.array(event["map"]["points"], np.float32).reshape(-1, 2)),
                               map_axes=tuple(event["map"]["axes"]), map_epoch=event["map"]["epoch"])
            self._state = replace(self._state, **changes)
            return kind == "done"

    def _fail(self, message: str) -> None:
        with self._lock:
            self._state = replace(self._state, status="failed", message=message,
                                  seconds=(time.perf_counter() - self._t0) if self._t0 else 0.0)


def _checked_overrides(overrides: dict) -> dict:
    """Model settings the child can rebuild from JSON: known ModelConfig or TextModelConfig fields only."""
    if unknown := sorted(set(overrides) - {f.name for f in fields(ModelConfig)} - text_settings() - {"latent_dim"}):
        raise JobError(f"unknown model setting(s): {', '.join(unknown)}")
    try:
        json.dumps(overrides)
    except (TypeError, ValueError) as exc:
        raise JobError(f"model settings must be plain numbers, strings and lists: {exc}") from None
    return dict(overrides)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


# --- the app's registry, and a name for the page ---------------------------------------------------


_REGISTRY: Registry[TrainingJob] = Registry()


def default_registry() -> Registry[TrainingJob]:
    """The process-wide registry the app uses (modules stay imported across sessions)."""
    return _REGISTRY


def free_name(base: str, root: Path | None = None, registry: Registry | None = None) -> str:
    """`base`, or `base-2`, `base-3`, ... : the first name neither on disk nor being written."""
    root = Path(root) if root is not None else ckpt.default_root()
    taken = set(ckpt.list_checkpoints(root)) | (registry or _REGISTRY).names_in_use()
    name, i = base, 1
    while name in taken or (root / name).exists():
        i += 1
        name = f"{base}-{i}"
    return name


__all__ = [
    "STATUSES", "ACTIVE", "MAP_POINTS", "BAD_SETTINGS", "JobError", "JobSnapshot", "TrainingJob",
    "default_registry", "free_name",
]
