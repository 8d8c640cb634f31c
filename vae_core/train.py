"""The Trainer: epochs over in-memory tensors, events for the CLI and the app, stop, resume.

It knows nothing of any UI: progress goes out through `TrainingCallback` methods, which
the CLI (tqdm) and the app's training page implement.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import checkpoint as ckpt
from .config import ModelConfig, TrainConfig
from .data import Dataset
from .distributed import Run, per_rank_batch, shard_order, wrap
from .losses import kl_weight
from .modality import batch_order, batch_terms, build_model, check_compatible, evaluate_model

NAN_CHECK_EVERY = 25  # batches; a finite check forces a device sync, so not every batch
# Outlier batches. With the default peak rate of 2e-3, one epoch of the default conv on `shapes` ended in NaN
# (seeds 0 and 1): a batch's gradient norm jumped 5-100x the recent mean, the next Adam steps swung the encoder's
# logvar from -27 to +36 within a few batches, and exp(logvar) overflowed the KL. Clipping a batch's gradient norm to
# SPIKE_FACTOR x the running mean of recent norms caps such an outlier and leaves every ordinary batch bit for bit as
# it was; being relative, it needs no threshold per dataset. With it both seeds finish (test -ELBO 177 and 130).
SPIKE_FACTOR = 4.0
NORM_DECAY = 0.98  # the running mean follows roughly the last 50 batches


@dataclass
class BatchEvent:
    """After each optimiser step. `loss` is a detached 0-d tensor: call float() only if needed."""

    epoch: int
    batch: int
    n_batches: int
    loss: torch.Tensor


@dataclass
class EpochEvent:
    """After each epoch, with that epoch's row of the history."""

    epoch: int
    epochs: int
    metrics: dict


@dataclass
class TrainResult:
    status: str  # "finished" | "stopped" | "diverged"
    message: str
    history: list[dict] = field(default_factory=list)
    checkpoint: Path | None = None


class TrainingCallback:
    """Override what you need; every method is optional."""

    def on_train_start(self, trainer: Trainer) -> None: ...
    def on_batch_end(self, event: BatchEvent) -> None: ...
    def on_epoch_end(self, event: EpochEvent) -> None: ...
    def on_train_end(self, result: TrainResult) -> None: ...


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA when present; asking for CUDA without one is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was requested but no CUDA device is available")
    return torch.device(name)


def flatten_optimizer_state(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """Adam's per-parameter tensors as a flat name -> tensor dict, storable as safetensors."""
    flat = {}
    for idx, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            flat[f"{idx}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return flat


def restore_optimizer_state(optimizer: torch.optim.Optimizer, flat: dict[str, torch.Tensor]) -> None:
    state: dict[int, dict] = {}
    for name, value in flat.items():
        idx, key = name.split(".", 1)
        state.setdefault(int(idx), {})[key] = value
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})


class Trainer:
    """Train a VAE (images) or TextVAE (text) on its dataset; writes a checkpoint after every epoch when `out` is
    given. What differs between the two goes through vae_core.modality. `run` is this process's place in a
    torchrun run (distributed.Run.detect()); by default one process. Under torchrun only rank 0 evaluates,
    saves and calls the callbacks' epoch events; train_config.batch_size stays the global batch."""

    def __init__(
        self,
        model_config: ModelConfig,
        train_config: TrainConfig,
        dataset: Dataset,
        out: Path | None = None,
        callbacks: list[TrainingCallback] | tuple = (),
        resume: bool = False,
        run: Run | None = None,
    ):
        check_compatible(model_config, dataset, train_config)
        self.train_config = train_config
        self.dataset = dataset
        self.out = Path(out) if out is not None else None
        self.callbacks = list(callbacks)
        self.run = run or Run()
        self.batch_size = per_rank_batch(train_config.batch_size, self.run.world_size)  # every rank fails alike
        self.device = self.run.start(resolve_device(train_config.device))
        self._stop = threading.Event()
        self.history: list[dict] = []

        torch.manual_seed(train_config.seed)
        self.model = build_model(model_config).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=train_config.lr)
        self.x_train = torch.from_numpy(np.ascontiguousarray(dataset.x_train)).to(self.device)
        # per process: its shard (padded to ceil(N / world)) in batches of its share of the global batch
        self.n_batches = math.ceil(math.ceil(len(self.x_train) / self.run.world_size) / self.batch_size)
        self.grad_norm_mean: torch.Tensor | None = None  # running mean of recent gradient norms (spike clipping)
        self.scheduler = None
        if train_config.schedule == "onecycle":
            self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
                self.optimizer, max_lr=train_config.lr, total_steps=train_config.epochs * self.n_batches
            )
        if resume:
            self._resume()
        self.net = wrap(self.model, self.run, self.device)  # what training steps call: DDP under torchrun

    def _resume(self) -> None:
        """Continue from the checkpoint at `out`: weights, optimiser, schedule and history."""
        if self.out is None or not self.out.is_dir():
            raise ckpt.CheckpointError(f"--resume: no checkpoint at {self.out}")
        model, info = ckpt.load_checkpoint(self.out.name, root=self.out.parent, device=str(self.device))
        if info.model_config != self.model.config:
            raise ckpt.CheckpointError(f"{info.path / ckpt.CONFIG}: --resume needs the same model settings")
        self.model.load_state_dict(model.state_dict())
        opt_state = ckpt.load_optimizer_state(info, device=str(self.device))
        if opt_state:
            restore_optimizer_state(self.optimizer, opt_state)
        self.history = list(info.history)
        if "grad_norm_mean" in info.resume:
            self.grad_norm_mean = torch.tensor(float(info.resume["grad_norm_mean"]), device=self.device)
        if self.scheduler is not None:
            with warnings.catch_warnings():  # replaying the schedule, no optimiser steps are due
                warnings.simplefilter("ignore", UserWarning)
                for _ in range(len(self.history) * self.n_batches):
                    self.scheduler.step()

    def request_stop(self) -> None:
        """Thread-safe: the run stops after the current batch and keeps the last saved epoch."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def _emit(self, method: str, event) -> None:
        for cb in self.callbacks:
            getattr(cb, method)(event)

    def _clip_spike(self) -> torch.Tensor:
        """Clip an outlier batch's gradients to SPIKE_FACTOR x the running mean norm; 1 if clipped, else 0.

        All on the device, with no sync: the caller adds the flag to the epoch's sums."""
        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        norm = torch.nn.utils.get_total_norm(grads)
        if self.grad_norm_mean is None:  # the first batch of a run sets the scale
            self.grad_norm_mean = norm.detach().clone()
        limit = SPIKE_FACTOR * self.grad_norm_mean
        scale = torch.clamp(limit / (norm + 1e-6), max=1.0)  # exactly 1.0 for an ordinary batch
        # Multiplying every gradient by 1.0 cost 7% of a CPU epoch of the MLP; on the CPU reading the scale is free,
        # so ordinary batches skip it (bit-identical). On an accelerator that read would sync, so it always multiplies.
        if self.device.type != "cpu" or bool(scale != 1.0):
            torch._foreach_mul_(grads, scale)
        seen = torch.minimum(norm, limit)
        self.grad_norm_mean = torch.where(torch.isfinite(seen), NORM_DECAY * self.grad_norm_mean
                                          + (1 - NORM_DECAY) * seen, self.grad_norm_mean)
        return (scale < 1.0).to(norm.dtype)

    def _train_epoch(self, epoch: int) -> dict | None:
        """One pass over the training set; None if stopped or the loss went non-finite."""
        cfg, model, run, bs = self.train_config, self.net, self.run, self.batch_size
        model.train()
        # Seeding per epoch makes a resumed run identical to an uninterrupted one; each process draws its own noise.
        order = shard_order(len(self.x_train), run, cfg.seed * 100_003, epoch).to(self.device)
        order = batch_order(self.model.config, self.x_train, order, bs, cfg.seed * 100_003 + epoch)
        torch.manual_seed((cfg.seed * 100_003 + epoch) * run.world_size + run.rank)
        sums = torch.zeros(4, device=self.device)  # loss, recon, kl summed over examples; clipped batches
        for b in range(self.n_batches):
            x = self.x_train[order[b * bs:(b + 1) * bs]]
            weight = kl_weight(epoch + b / self.n_batches, cfg.beta, cfg.warmup_epochs, cfg.kl_cycles, cfg.epochs)
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bf16"):
                terms = batch_terms(model, x, weight, cfg)
            self.optimizer.zero_grad(set_to_none=True)
            terms.loss.backward()
            clipped = self._clip_spike()
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            loss = terms.loss.detach()
            sums += torch.stack([loss * len(x), terms.recon.detach().sum(), terms.kl.detach().sum(), clipped])
            self._emit("on_batch_end", BatchEvent(epoch, b, self.n_batches, loss))
            if (b + 1) % NAN_CHECK_EVERY == 0 and run.any(not torch.isfinite(sums).all(), self.device):
                return {"diverged": True}
            if self._stop.is_set():
                return None
        run.sum(sums)  # every process's examples; each clipped the same (averaged) gradients
        if not torch.isfinite(sums).all():
            return {"diverged": True}
        loss, recon, kl = (sums[:3] / (len(order) * run.world_size)).tolist()
        return {"train_loss": loss, "train_recon": recon, "train_kl": kl, "kl_weight": weight,
                "clipped_batches": round(float(sums[3]) / run.world_size)}

    def fit(self) -> TrainResult:
        """Run the remaining epochs; returns how it ended. Never leaves a bad checkpoint."""
        cfg = self.train_config
        x_test = self.dataset.x_test
        self._emit("on_train_start", self)
        status, message = "finished", f"trained {cfg.epochs} epochs"
        for epoch in range(len(self.history), cfg.epochs):
            start = time.perf_counter()
            row = self._train_epoch(epoch)
            if row is None:
                status, message = "stopped", f"stopped during epoch {epoch + 1}; kept the last saved epoch"
                break
            if row.get("diverged"):
                status = "diverged"
                message = (f"loss became NaN/inf in epoch {epoch + 1}; stopped and kept the last good "
                           "checkpoint (try a lower --lr)")
                break
            seconds = time.perf_counter() - start
            row.update(epoch=epoch + 1, lr=self.optimizer.param_groups[0]["lr"], seconds=seconds,
                       images_per_s=len(self.x_train) / seconds)
            if not self.run.is_main:  # rank 0 evaluates and saves; the others go on to the next epoch's all-reduce
                self.history.append(row)
                continue
            result = evaluate_model(self.model, x_test, device=str(self.device), seed=cfg.seed)
            row.update(test_neg_elbo=result.neg_elbo, test_recon=result.recon, test_kl=result.kl,
                       active_units=result.active_units)
            self.history.append(row)
            if self.out is not None:
                ckpt.save_checkpoint(
                    self.out, self.model, cfg, self.history,
                    optimizer_state=flatten_optimizer_state(self.optimizer),
                    resume={"epochs_done": len(self.history), "grad_norm_mean": float(self.grad_norm_mean)},
                    run=self.run.describe(self.device),
                )
            self._emit("on_epoch_end", EpochEvent(epoch + 1, cfg.epochs, row))
        result = TrainResult(status, message, self.history, self.out if self.history else None)
        self._emit("on_train_end", result)
        return result
