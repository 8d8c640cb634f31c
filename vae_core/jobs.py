"""Background training for the app: a TrainingJob runs the Trainer in a daemon thread.

The page never blocks and never sees the Trainer: it reads `job.snapshot()`, an immutable copy of
the progress (status, epoch, batch, history rows, a 2-D map of test latents, the error message).
The callback is cheap on purpose: per batch it only stores a reference (no .item(), no sync), the
loss becomes a float when a snapshot is read, and the latent map is refreshed at epoch ends.

A JobRegistry keeps at most one job per (opaque) session id and refuses a checkpoint name that
another running job is writing, so two browser sessions never disturb each other.

    registry = default_registry()
    job = registry.start(session_id, TrainingJob("my-vae", TrainConfig(data="digits", epochs=5)))
    snap = job.snapshot()          # poll this; snap.status in STATUSES
    job.stop()                     # the run stops after the current batch
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import checkpoint as ckpt
from .config import ConfigError, TrainConfig, default_model_config
from .data import DataError, Dataset, load_dataset
from .latent import encode_dataset, make_projection
from .train import BatchEvent, EpochEvent, Trainer, TrainingCallback, TrainResult

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "finished", "stopped", "diverged", "failed")
ACTIVE = ("queued", "running")
MAP_POINTS = 2000  # test images on the live latent map: enough to see clusters, cheap to encode
# Trainer() seeds torch's global RNG before building the model; one at a time keeps inits reproducible.
_INIT_LOCK = threading.Lock()


class JobError(ValueError):
    """A job cannot start: bad name, checkpoint exists, session busy, name being written."""


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
    loss: float | None = None  # the latest batch's loss (beta-weighted -ELBO per example)
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


class _Recorder(TrainingCallback):
    """The job's TrainingCallback; runs in the training thread."""

    def __init__(self, job: TrainingJob):
        self.job = job

    def on_train_start(self, trainer: Trainer) -> None:
        self.job._on_start(trainer)

    def on_batch_end(self, event: BatchEvent) -> None:
        # One reference assignment, atomic under the GIL: no lock, no .item(), no device sync.
        self.job._progress = (event.epoch, event.batch + 1, event.n_batches, event.loss)

    def on_epoch_end(self, event: EpochEvent) -> None:
        self.job._on_epoch(event)


class TrainingJob:
    """One training run in a daemon thread; writes checkpoint `name` under `root` every epoch."""

    def __init__(self, name: str, train_config: TrainConfig, latent_dim: int = 2,
                 model_overrides: dict | None = None, overwrite: bool = False, root: Path | None = None):
        self.name = ckpt.validate_name(name)
        self.train_config = replace(train_config)
        self.latent_dim = latent_dim
        self.model_overrides = dict(model_overrides or {})
        self.overwrite = overwrite
        self.root = Path(root) if root is not None else ckpt.default_root()
        self.path = self.root / self.name
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._trainer: Trainer | None = None
        self._thread: threading.Thread | None = None
        self._progress: tuple = (0, 0, 0, None)  # (epoch, batch, n_batches, loss tensor)
        self._state = JobSnapshot(name=self.name, data=train_config.data, status="queued",
                                  message="loading data", epochs=train_config.epochs)
        self._history: list[dict] = []
        self._map_x: np.ndarray | None = None
        self._t0 = 0.0

    # --- the page's side ---------------------------------------------------------------------

    def start(self) -> TrainingJob:
        """Start the thread (once); returns self. Use JobRegistry.start from the app."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"train-{self.name}", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to stop after the current batch; the last finished epoch stays saved."""
        with self._lock:
            self._stop.set()
            if self._trainer is not None:
                self._trainer.request_stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.active

    @property
    def active(self) -> bool:
        return self._state.status in ACTIVE

    def snapshot(self) -> JobSnapshot:
        """An immutable copy of the progress; the loss is read from its tensor only here."""
        epoch, batch, n_batches, loss = self._progress
        with self._lock:
            state = self._state
            history = tuple(dict(row) for row in self._history)
        running = state.status == "running"
        return replace(
            state, history=history,
            epoch=len(history), batch=batch if running and epoch == len(history) else 0,
            n_batches=n_batches or state.n_batches,
            loss=float(loss) if loss is not None else None,
            seconds=(time.perf_counter() - self._t0) if running else state.seconds,
        )

    # --- the training thread's side -----------------------------------------------------------

    def _set(self, **changes) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)

    def _run(self) -> None:
        try:
            dataset = load_dataset(self.train_config.data)
            self._set(class_names=tuple(dataset.class_names) if dataset.class_names else None)
            self._pick_map_subset(dataset)
            model_config = default_model_config(dataset.image_shape, self.latent_dim, **self.model_overrides)
            with _INIT_LOCK:
                trainer = Trainer(model_config, self.train_config, dataset, out=self.path,
                                  callbacks=[_Recorder(self)])
            with self._lock:
                if self._stop.is_set():
                    self._state = replace(self._state, status="stopped", message="stopped before training")
                    return
                self._trainer = trainer
            result = trainer.fit()
            self._finish(result)
        except (DataError, ConfigError, ckpt.CheckpointError, ValueError, OSError) as exc:
            # ValueError: e.g. conv on an odd image size, CUDA asked for but absent; the CLI treats
            # these as bad input too. The message names what is wrong.
            self._fail(str(exc) or type(exc).__name__)
        except BaseException as exc:  # never lose an error: the thread has no one else to tell
            log.error("training job %s failed:\n%s", self.name, traceback.format_exc())
            text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            self._fail(f"training failed unexpectedly ({type(exc).__name__}{': ' + text if text else ''})")
        finally:
            if self.active:  # a path above that did not settle the status
                self._fail("training ended without a result")
            with self._lock:  # drop the model, data and map images; the checkpoint has what counts
                self._trainer, self._map_x = None, None

    def _pick_map_subset(self, ds: Dataset) -> None:
        """A fixed, evenly spaced subset of <= MAP_POINTS test images for the live map."""
        idx = np.unique(np.linspace(0, len(ds.x_test) - 1, min(MAP_POINTS, len(ds.x_test))).astype(int))
        self._map_x = np.ascontiguousarray(ds.x_test[idx])
        labels = None if ds.y_test is None else ds.y_test[idx].copy()
        if labels is not None:
            labels.setflags(write=False)
        self._set(map_labels=labels)

    def _on_start(self, trainer: Trainer) -> None:
        self._t0 = time.perf_counter()
        self._progress = (len(trainer.history), 0, trainer.n_batches, None)
        self._set(status="running", message="training", n_batches=trainer.n_batches)
        self._refresh_map(trainer, epoch=0)

    def _on_epoch(self, event: EpochEvent) -> None:
        with self._lock:
            self._history.append(dict(event.metrics))
            self._state = replace(self._state, checkpoint=self.name)  # the Trainer saved before this event
        self._refresh_map(self._trainer, epoch=event.epoch)

    def _refresh_map(self, trainer: Trainer | None, epoch: int) -> None:
        """Encode the map subset with the current model. Runs in the training thread between
        epochs, so nothing trains meanwhile; encode_dataset uses no_grad/eval and restores train mode."""
        if trainer is None or self._map_x is None:
            return
        try:
            mu = encode_dataset(trainer.model, self._map_x, device=str(trainer.device)).mu
            points, axes = _project_2d(mu, self._state.map_points)
        except Exception:  # a map is a nicety: never let it end a training run
            log.warning("latent map for %s failed:\n%s", self.name, traceback.format_exc())
            return
        points.setflags(write=False)
        self._set(map_points=points, map_epoch=epoch, map_axes=axes)

    def _finish(self, result: TrainResult) -> None:
        seconds = time.perf_counter() - self._t0
        with self._lock:
            written = self.name if result.checkpoint is not None else self._state.checkpoint
            self._state = replace(self._state, status=result.status, message=result.message,
                                  checkpoint=written, seconds=seconds)

    def _fail(self, message: str) -> None:
        self._set(status="failed", message=message,
                  seconds=(time.perf_counter() - self._t0) if self._t0 else 0.0)


def _project_2d(mu: np.ndarray, previous: np.ndarray | None) -> tuple[np.ndarray, tuple[str, str]]:
    """mu (N, D) -> (N, 2): the latent itself for D <= 2, else PCA with the axes' signs kept
    from the previous map, so the picture does not flip between epochs."""
    if mu.shape[1] <= 2:
        return make_projection("identity").fit_transform(mu).astype(np.float32), ("z1", "z2")
    points = make_projection("pca").fit_transform(mu).astype(np.float32)
    if previous is not None and previous.shape == points.shape:
        signs = np.where((points * previous).sum(axis=0) < 0, -1.0, 1.0).astype(np.float32)
        points = points * signs
    return points, ("PC1", "PC2")


# --- one job per session ------------------------------------------------------------------------


class JobRegistry:
    """At most one job per session id; no two active jobs write the same checkpoint."""

    def __init__(self):
        self._jobs: dict[str, TrainingJob] = {}
        self._lock = threading.Lock()

    def get(self, session_id: str) -> TrainingJob | None:
        with self._lock:
            return self._jobs.get(session_id)

    def start(self, session_id: str, job: TrainingJob) -> TrainingJob:
        """Register and start `job` for this session, or raise JobError saying why not."""
        with self._lock:
            mine = self._jobs.get(session_id)
            if mine is not None and mine.active:
                raise JobError(f"this session is already training {mine.name!r}; stop it first")
            for other in self._jobs.values():
                if other.active and other.path.resolve() == job.path.resolve():
                    raise JobError(f"checkpoint {job.name!r} is being written by another training run; "
                                   "choose another name")
            if _exists(job.path) and not job.overwrite:
                raise JobError(f"checkpoint {job.name!r} already exists; choose another name or tick "
                               "'overwrite'")
            self._jobs[session_id] = job
            return job.start()

    def stop(self, session_id: str) -> None:
        job = self.get(session_id)
        if job is not None:
            job.stop()

    def names_in_use(self) -> set[str]:
        """Checkpoint names that active jobs are writing."""
        with self._lock:
            return {job.name for job in self._jobs.values() if job.active}


def _exists(path: Path) -> bool:
    return path.name in ckpt.list_checkpoints(path.parent) or path.exists()


_REGISTRY = JobRegistry()


def default_registry() -> JobRegistry:
    """The process-wide registry the app uses (modules stay imported across sessions)."""
    return _REGISTRY


# --- small helpers for the page -------------------------------------------------------------------


def free_name(base: str, root: Path | None = None, registry: JobRegistry | None = None) -> str:
    """`base`, or `base-2`, `base-3`, ... : the first name neither on disk nor being written."""
    root = Path(root) if root is not None else ckpt.default_root()
    taken = set(ckpt.list_checkpoints(root)) | (registry or _REGISTRY).names_in_use()
    name, i = base, 1
    while name in taken or (root / name).exists():
        i += 1
        name = f"{base}-{i}"
    return name


def save_upload(data: bytes, suffix: str = ".npz") -> Path:
    """Keep an uploaded file under the temp folder, named by its content hash, written atomically.

    Same bytes, same path: re-uploads cost nothing and the checkpoint's data spec stays valid for
    as long as the temp folder is kept.
    """
    folder = Path(tempfile.gettempdir()) / "latent-lab-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:24]}{suffix}"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    return path


def describe_data(spec: str, name: str | None = None) -> str:
    """One line about a dataset, e.g. '1438 train / 359 test images, 1x8x8, 10 classes'; DataError if bad
    (its message says `name`, e.g. the uploaded file's name, instead of the saved file's path)."""
    try:
        ds = load_dataset(spec)
    except DataError as exc:
        path = spec.partition(":")[2]
        raise DataError(str(exc).replace(path, name) if name and path else str(exc)) from None
    c, h, w = ds.image_shape
    classes = f", {len(np.unique(ds.y_train))} classes" if ds.y_train is not None else ", no labels"
    return f"{len(ds.x_train)} train / {len(ds.x_test)} test images, {c}x{h}x{w}{classes}"


__all__ = [
    "STATUSES", "ACTIVE", "MAP_POINTS", "BAD_SETTINGS", "JobError", "JobSnapshot", "TrainingJob",
    "JobRegistry", "default_registry", "free_name", "save_upload", "describe_data",
]
