"""Beta sweeps: one small VAE per beta on one dataset, trained one after another in the background; their
checkpoints' names, discovery, and each one's rate (KL) and distortion (reconstruction) in nats per image
(beta-VAE: Higgins et al. 2017; the rate-distortion view: Alemi et al. 2018, "Fixing a Broken ELBO").

A sweep's members are ordinary checkpoints named `beta-<data>-<beta>` (e.g. `beta-digits-0.25`), so every page
and the CLI can open them; running the same beta again on the same data replaces that member.

    sweep = default_sweeps().start(session_id, SweepJob(preset("digits"), root))
    snap = sweep.snapshot()        # poll; snap.status in jobs.STATUSES, snap.progress 0..1
    sweep.stop()                   # stops the member training now; the finished ones stay
    points = find_sweep("digits", root)
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import checkpoint as ckpt
from . import jobs, worker_process
from .config import ConfigError, ModelConfig, TrainConfig
from .data import parse_spec
from .latent import decode_batch, encode_dataset
from .losses import kl_per_dim
from .metrics import active_unit_mask

log = logging.getLogger(__name__)

PREFIX = "beta"
BETA_CHOICES = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # what the page offers
MAX_BETAS = 8
# One intra-op thread while a sweep trains. These models are tiny (a 64-256-8 MLP), so two threads only add
# synchronisation, and on a shared, loaded 2-core machine they stall each other: 10 epochs on digits took 0.8 s
# with one thread and 12-17 s with two (load average ~7). Each member trains in its own process (jobs).
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


# --- names and discovery ---------------------------------------------------------------------------


def data_slug(data: str) -> str:
    """The dataset part of a member's name: the kind for `digits` / `shapes`, else kind plus a hash of the spec."""
    kind, arg = parse_spec(data)
    return kind if arg is None else f"{kind}-{hashlib.sha1(data.encode()).hexdigest()[:8]}"


def sweep_name(data: str, beta: float) -> str:
    """`beta-<data>-<beta>`, e.g. beta-digits-0.25; validated as a checkpoint name."""
    return ckpt.validate_name(f"{PREFIX}-{data_slug(data)}-{float(beta):g}")


@dataclass(frozen=True)
class SweepPoint:
    """One member's test-set numbers from its last evaluated epoch, in nats per image."""

    name: str
    beta: float
    rate: float  # KL(q(z|x) || p(z))
    distortion: float  # -log p(x|z), the reconstruction term
    active_units: int
    latent_dim: int
    epochs_done: int
    epochs: int  # planned
    weights_sha256: str = field(default="", repr=False)

    @property
    def neg_elbo(self) -> float:
        return self.rate + self.distortion

    @property
    def complete(self) -> bool:
        return self.epochs_done >= self.epochs


def rate_distortion(info: ckpt.CheckpointInfo) -> tuple[float, float] | None:
    """(rate, distortion) = (test KL, test recon) of a checkpoint's last evaluated epoch, or None."""
    last = next((h for h in reversed(info.history) if "test_kl" in h and "test_recon" in h), None)
    return None if last is None else (float(last["test_kl"]), float(last["test_recon"]))


def sweep_point(info: ckpt.CheckpointInfo) -> SweepPoint | None:
    """A checkpoint as a point of the trade-off, or None without test numbers."""
    rd = rate_distortion(info)
    if rd is None:
        return None
    last = info.history[-1]
    return SweepPoint(name=info.name, beta=float(info.train_config.beta), rate=rd[0], distortion=rd[1],
                      active_units=int(last.get("active_units", 0)), latent_dim=info.model_config.latent_dim,
                      epochs_done=info.epochs_done, epochs=info.train_config.epochs,
                      weights_sha256=info.weights_sha256)


def find_sweep(data: str, root: Path | None = None, exclude=()) -> list[SweepPoint]:
    """The sweep members trained on `data` under root, sorted by beta; names in `exclude` (being written) and
    unreadable checkpoints are skipped."""
    prefix = f"{PREFIX}-{data_slug(data)}-"
    points = []
    for name in ckpt.list_checkpoints(root):
        if not name.startswith(prefix) or name in exclude:
            continue
        try:
            info = ckpt.read_info(name, root)
        except ckpt.CheckpointError:
            continue
        if info.train_config.data == data and (p := sweep_point(info)) is not None:
            points.append(p)
    return sorted(points, key=lambda p: (p.beta, p.name))


# --- what a member looks like ----------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    """One model on a test set: recon and samples (n, C, H, W) in [0, 1]; mu (N, D); kl (D,) nats; active (D,)."""

    recon: np.ndarray
    samples: np.ndarray
    mu: np.ndarray
    kl: np.ndarray
    active: np.ndarray


def example_indices(n_total: int, n: int = 8) -> np.ndarray:
    """n evenly spaced test indices: the same images for every member."""
    return np.unique(np.linspace(0, n_total - 1, min(n, n_total)).astype(int))


def member_view(model, x: np.ndarray, n: int = 8, seed: int = 0) -> MemberView:
    """Encode x (N, C, H, W); reconstruct the example images from mu; decode n prior draws from `seed`."""
    enc = encode_dataset(model, x)
    z = np.random.default_rng(seed).standard_normal((n, model.config.latent_dim)).astype(np.float32)
    return MemberView(recon=decode_batch(model, enc.mu[example_indices(len(x), n)]), samples=decode_batch(model, z),
                      mu=enc.mu, kl=kl_per_dim(enc.mu, enc.logvar).mean(0), active=active_unit_mask(enc.mu))


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
    current: jobs.JobSnapshot | None = None
    seconds: float = 0.0

    @property
    def active(self) -> bool:
        return self.status in jobs.ACTIVE

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
    """Trains one jobs.TrainingJob per beta, in turn, in a daemon thread; each writes its checkpoint under root."""

    def __init__(self, settings: SweepSettings, root: Path | None = None, session_id: str = "",
                 registry: jobs.JobRegistry | None = None):
        self.settings = settings
        self.names = settings.names
        self.root = Path(root) if root is not None else ckpt.default_root()
        self.registry = registry or jobs.default_registry()
        self.key = f"beta-lab:{session_id}"  # the members' slot in the training registry, apart from the Train page's
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._job: jobs.TrainingJob | None = None
        self._t0 = 0.0
        self._state = SweepSnapshot(settings.data, settings.betas, self.names, "queued", "waiting to start")

    def start(self) -> SweepJob:
        """Start the thread (once); returns self. Use SweepRegistry.start from the app."""
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
        return self._state.status in jobs.ACTIVE

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
                job = jobs.TrainingJob(name, s.train_config(beta), s.latent_dim, s.model_overrides,
                                       overwrite=True, root=self.root, threads=SWEEP_THREADS)
                with self._lock:
                    if self._stop.is_set():
                        break
                    self._job = job
                    self._state = replace(self._state, status="running", index=i, message=f"training β = {beta:g}")
                self.registry.start(self.key, job)
                if i + 1 < len(s.betas):
                    worker_process.prestart()  # the next member's process imports while this one trains
                job.join()
                snap = job.snapshot()
                if snap.status == "finished":
                    done.append(name)
                elif snap.status == "diverged":
                    problems.append(f"β = {beta:g}: {snap.message}")
                elif snap.status == "failed":
                    raise jobs.JobError(f"β = {beta:g}: {snap.message}")
                self._set(done=tuple(done))
            seconds = time.perf_counter() - self._t0
            if self._stop.is_set():
                status, message = "stopped", f"stopped; {len(done)} of {len(s.betas)} β values trained"
            else:
                status, message = "finished", f"trained {len(done)} β values in {seconds:.0f} s"
            self._set(status=status, message="; ".join([message, *problems]), seconds=seconds, done=tuple(done))
        except jobs.BAD_SETTINGS as exc:
            self._set(status="failed", message=str(exc), seconds=time.perf_counter() - self._t0)
        except BaseException as exc:  # the thread has no one else to tell
            log.error("sweep on %s failed:\n%s", s.data, traceback.format_exc())
            self._set(status="failed", message=f"sweep failed unexpectedly ({type(exc).__name__}: {exc})"[:300],
                      seconds=time.perf_counter() - self._t0)


class SweepRegistry:
    """At most one sweep per session id; two active sweeps never write the same member."""

    def __init__(self):
        self._sweeps: dict[str, SweepJob] = {}
        self._lock = threading.Lock()

    def get(self, session_id: str) -> SweepJob | None:
        with self._lock:
            return self._sweeps.get(session_id)

    def start(self, session_id: str, sweep: SweepJob) -> SweepJob:
        """Register and start `sweep` for this session, or raise jobs.JobError saying why not."""
        with self._lock:
            mine = self._sweeps.get(session_id)
            if mine is not None and mine.active:
                raise jobs.JobError("this session is already running a sweep; stop it first")
            for other in self._sweeps.values():
                shared = set(other.names) & set(sweep.names) if other.active else set()
                if shared and other.root.resolve() == sweep.root.resolve():
                    raise jobs.JobError(f"another session is training {', '.join(sorted(shared))}; wait for it "
                                        "or pick other β values")
            busy = sorted(sweep.registry.names_in_use() & set(sweep.names))
            if busy:
                raise jobs.JobError(f"checkpoint {busy[0]!r} is being written by another training run")
            self._sweeps[session_id] = sweep
            return sweep.start()

    def stop(self, session_id: str) -> None:
        sweep = self.get(session_id)
        if sweep is not None:
            sweep.stop()


_SWEEPS = SweepRegistry()


def default_sweeps() -> SweepRegistry:
    """The process-wide registry the app uses."""
    return _SWEEPS


__all__ = ["PREFIX", "BETA_CHOICES", "MAX_BETAS", "SweepSettings", "preset", "data_slug", "sweep_name",
           "SweepPoint", "rate_distortion", "sweep_point", "find_sweep", "MemberView", "example_indices",
           "member_view", "SweepSnapshot", "SweepJob", "SweepRegistry", "default_sweeps"]
