"""Beta sweeps: one small VAE per beta on one dataset, trained one after another in the background
(beta-VAE: Higgins et al. 2017). Reading a finished sweep (its members' rate and distortion, what each one
looks like) is analysis.sweep_results.

A sweep's members are ordinary checkpoints named `beta-<data>-<beta>` (e.g. `beta-digits-0.25`), so every page
and the CLI can open them; running the same beta again on the same data replaces that member.

    sweep = default_sweeps().start(session_id, SweepJob(preset("digits"), root))
    snap = sweep.snapshot()        # poll; snap.status in training.STATUSES, snap.progress 0..1
    sweep.stop()                   # stops the member training now; the finished ones stay
    points = sweep_results.find_sweep("digits", root)
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

from .. import checkpoint as ckpt
from ..analysis.sweep_results import sweep_name
from ..config import ConfigError, ModelConfig, TrainConfig
from ..data import parse_spec
from . import process, training
from .registry import JobError, Registry

log = logging.getLogger(__name__)

BETA_CHOICES = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # what the page offers
MAX_BETAS = 8
# One intra-op thread while a sweep trains. These models are tiny (a 64-256-8 MLP), so two threads only add
# synchronisation, and on a shared, loaded 2-core machine they stall each other: 10 epochs on digits took 0.8 s
# with one thread and 12-17 s with two (load average ~7). Each member trains in its own process (jobs.training).
SWEEP_THREADS = 1


@dataclass(frozen=True)
class SweepSettings:
    """What every member of a sweep shares; only beta differs. Betas are kept sorted and unique."""

    data: str = "digits"
    betas: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    epochs: int = 40  # digits: 5 betas train in ~30 s on 2 loaded CPU cores
    latent_dim: int = 8  # room for beta to switch dims off
    hidden: tuple[int, ...] = (256,)  # mlp: fast on a CPU, and the browser decoder can run it
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0  # the same for every member: same initial weights, so only beta differs

    def __post_init__(self) -> None:
        object.__setattr__(self, "betas", tuple(sorted({float(b) for b in self.betas})))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if not 1 <= len(self.betas) <= MAX_BETAS:
            raise ConfigError(f"a sweep needs 1 to {MAX_BETAS} beta values, got {len(self.betas)}")
        parse_spec(self.data)  # DataError for a bad spec, before anything starts
        ModelConfig(latent_dim=int(self.latent_dim), arch="mlp", hidden=self.hidden)  # ConfigError for bad sizes
        for beta in self.betas:
            self.train_config(beta)  # ConfigError naming a bad value

    def train_config(self, beta: float) -> TrainConfig:
        return TrainConfig(data=self.data, epochs=int(self.epochs), batch_size=int(self.batch_size), lr=self.lr,
                           beta=float(beta), seed=int(self.seed))

    @property
    def model_overrides(self) -> dict:
        return {"arch": "mlp", "hidden": self.hidden}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sweep_name(self.data, b) for b in self.betas)


def preset(data: str) -> SweepSettings:
    """Settings sized for the page: digits ~30 s for 5 betas; shapes (12,000 images of 32x32) ~40 s; mnist
    (60,000 of 28x28) a narrower MLP, so that the bundled sweep (README) stays small: 0.8 MB a member."""
    kind = parse_spec(data)[0]
    if kind == "shapes":
        return SweepSettings(data=data, epochs=4, latent_dim=6, batch_size=128)
    if kind == "mnist":
        return SweepSettings(data=data, epochs=5, latent_dim=8, hidden=(128,), batch_size=128)
    return SweepSettings(data=data)


# --- running a sweep ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepSnapshot:
    """An immutable copy of a sweep's progress; `current` is the member now (or last) training."""

    data: str
    betas: tuple[float, ...]
    names: tuple[str, ...]
    status: str
    message: str = ""
    index: int = 0  # which member is (or was last) training
    done: tuple[str, ...] = ()  # members that trained all their epochs
    current: training.JobSnapshot | None = None
    seconds: float = 0.0

    @property
    def active(self) -> bool:
        return self.status in training.ACTIVE

    @property
    def beta(self) -> float:
        return self.betas[min(self.index, len(self.betas) - 1)]

    @property
    def progress(self) -> float:
        """Fraction of the whole sweep done, 0..1."""
        if self.status == "finished":
            return 1.0
        part = self.current.progress if self.current is not None and self.current.active else 0.0
        return min(1.0, (self.index + part) / len(self.betas))


class SweepJob:
    """Trains one training.TrainingJob per beta, in turn, in a daemon thread; each writes its checkpoint under root."""

    def __init__(self, settings: SweepSettings, root: Path | None = None, session_id: str = "",
                 registry: Registry[training.TrainingJob] | None = None):
        self.settings = settings
        self.names = settings.names
        self.root = Path(root) if root is not None else ckpt.default_root()
        self.registry = registry or training.default_registry()
        self.key = f"beta-lab:{session_id}"  # the members' slot in the training registry, apart from the Train page's
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._job: training.TrainingJob | None = None
        self._t0 = 0.0
        self._state = SweepSnapshot(settings.data, settings.betas, self.names, "queued", "waiting to start")

    def start(self) -> SweepJob:
        """Start the thread (once); returns self. Use default_sweeps().start from the app."""
        with self._lock:
            if self._thread is None:
                self._t0 = time.perf_counter()
                self._thread = threading.Thread(target=self._run, name=f"sweep-{self.settings.data}", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the current batch; members already trained stay, the one in training keeps its last epoch."""
        with self._lock:
            self._stop.set()
            if self._job is not None:
                self._job.stop()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.active

    @property
    def active(self) -> bool:
        return self._state.status in training.ACTIVE

    doing = "running a sweep"

    def refuse(self, active: list[SweepJob]) -> None:
        """JobError if an active sweep or training run writes one of the members (for Registry.start)."""
        for other in active:
            shared = set(other.names) & set(self.names)
            if shared and other.root.resolve() == self.root.resolve():
                raise JobError(f"another session is training {', '.join(sorted(shared))}; wait for it "
                               "or pick other β values")
        busy = sorted(self.registry.names_in_use() & set(self.names))
        if busy:
            raise JobError(f"checkpoint {busy[0]!r} is being written by another training run")

    def snapshot(self) -> SweepSnapshot:
        with self._lock:
            state, job = self._state, self._job
        seconds = time.perf_counter() - self._t0 if state.active and self._t0 else state.seconds
        return replace(state, current=job.snapshot() if job is not None else None, seconds=seconds)

    def _set(self, **changes) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)

    def _run(self) -> None:
        s, done, problems = self.settings, [], []
        try:
            for i, (beta, name) in enumerate(zip(s.betas, self.names, strict=True)):
                job = training.TrainingJob(name, s.train_config(beta), s.latent_dim, s.model_overrides,
                                       overwrite=True, root=self.root, threads=SWEEP_THREADS)
                with self._lock:
                    if self._stop.is_set():
                        break
                    self._job = job
                    self._state = replace(self._state, status="running", index=i, message=f"training β = {beta:g}")
                self.registry.start(self.key, job)
                if i + 1 < len(s.betas):
                    process.prestart()  # the next member's process imports while this one trains
                job.join()
                snap = job.snapshot()
                if snap.status == "finished":
                    done.append(name)
                elif snap.status == "diverged":
                    problems.append(f"β = {beta:g}: {snap.message}")
                elif snap.status == "failed":
                    raise JobError(f"β = {beta:g}: {snap.message}")
                self._set(done=tuple(done))
            seconds = time.perf_counter() - self._t0
            if self._stop.is_set():
                status, message = "stopped", f"stopped; {len(done)} of {len(s.betas)} β values trained"
            else:
                status, message = "finished", f"trained {len(done)} β values in {seconds:.0f} s"
            self._set(status=status, message="; ".join([message, *problems]), seconds=seconds, done=tuple(done))
        except training.BAD_SETTINGS as exc:
            self._set(status="failed", message=str(exc), seconds=time.perf_counter() - self._t0)
        except BaseException as exc:  # the thread has no one else to tell
            log.error("sweep on %s failed:\n%s", s.data, traceback.format_exc())
            self._set(status="failed", message=f"sweep failed unexpectedly ({type(exc).__name__}: {exc})"[:300],
                      seconds=time.perf_counter() - self._t0)


_SWEEPS: Registry[SweepJob] = Registry()


def default_sweeps() -> Registry[SweepJob]:
    """The process-wide registry the app uses."""
    return _SWEEPS


__all__ = ["BETA_CHOICES", "MAX_BETAS", "SWEEP_THREADS", "SweepSettings", "preset", "SweepSnapshot", "SweepJob",
           "default_sweeps"]
