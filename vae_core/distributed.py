"""Data-parallel training under PyTorch's own launcher, `torchrun --nproc-per-node N -m vae_core train ...`.

Everything the Trainer needs to run as one of N processes, so train.py stays the single-process story:

- `Run.detect()`: torchrun sets RANK, WORLD_SIZE and LOCAL_RANK in each process's environment; without them
  the run is one process (rank 0 of 1) and nothing here touches torch.distributed.
- `Run.start(device)`: joins the process group (gloo on CPU, nccl on CUDA; each process takes the GPU of its
  LOCAL_RANK) and returns the device this process trains on.
- `per_rank_batch`: the user's --batch-size stays the global batch; each process takes an equal share.
- `shard_order`: the epoch's example order for this process, from a DistributedSampler. Its seed is the one the
  single-process Trainer always used (seed * 100_003 + epoch), and the sampler deals the permutation out round
  robin, so global batch b is the same set of examples for any N: positions b*G .. (b+1)*G of the permutation.
- `wrap`: DistributedDataParallel, which averages the gradients across processes in backward.

Only rank 0 writes checkpoints, prints the progress bar and evaluates the test set; the others wait for it at
the next gradient all-reduce. A process that dies makes torchrun stop the others (SIGTERM): `on_sigterm` turns
that into `PeerStopped`, and the CLI names the checkpoint that is kept. Checkpoints are written atomically
(checkpoint.py), so one killed mid-save leaves the previous epoch.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from .config import ConfigError


class PeerStopped(RuntimeError):
    """Another process of a torchrun run died (or torchrun was stopped), so this one stops too."""


@dataclass(frozen=True)
class Run:
    """Where this process sits in the run: rank of world_size, its local rank on this machine, and whether
    torchrun started it (then it joins a process group even alone: `torchrun --nproc-per-node 1` tests that path)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    torchrun: bool = False

    @property
    def distributed(self) -> bool:
        return dist.is_available() and dist.is_initialized()

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes checkpoints, prints and evaluates."""
        return self.rank == 0

    @staticmethod
    def detect(environ: dict | None = None) -> Run:
        """The torchrun environment of this process, or a single-process Run without one."""
        env = os.environ if environ is None else environ
        if "WORLD_SIZE" not in env or "RANK" not in env:
            return Run()
        try:
            rank, world, local = int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", 0))
        except ValueError:
            raise ConfigError(f"RANK/WORLD_SIZE/LOCAL_RANK must be integers, got {env['RANK']!r}, "
                              f"{env['WORLD_SIZE']!r}, {env.get('LOCAL_RANK')!r}") from None
        if not 0 <= rank < world:
            raise ConfigError(f"RANK {rank} is outside WORLD_SIZE {world}")
        return Run(rank, world, local, torchrun=True)

    def start(self, device: torch.device) -> torch.device:
        """Join the process group (once) and return this process's device; a no-op for one process."""
        if not self.torchrun or self.distributed:
            return device
        if device.type == "cuda":  # one GPU per process, picked by its rank on this machine
            device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=self.rank,
                                world_size=self.world_size, **({"device_id": device} if device.type == "cuda" else {}))
        return device

    def barrier(self) -> None:
        """Wait for every process (e.g. while rank 0 repairs a checkpoint before all of them read it)."""
        if self.distributed:
            dist.barrier()

    def any(self, flag: bool, device: torch.device) -> bool:
        """True on every process if `flag` is True on any: the ranks must agree to stop (a NaN on one of them)."""
        if not self.distributed:
            return flag
        t = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def sum(self, t: torch.Tensor) -> torch.Tensor:
        """The elementwise sum of `t` over all processes (in place; returned for chaining)."""
        if self.distributed:
            dist.all_reduce(t)
        return t

    def describe(self, device: torch.device) -> dict:
        """How the run trained, for config.json: the number of processes and the device type."""
        return {"world_size": self.world_size, "device": device.type,
                "backend": dist.get_backend() if self.distributed else None}

    def close(self) -> None:
        """Leave the process group (after the last collective)."""
        if self.distributed:
            dist.destroy_process_group()


def per_rank_batch(global_batch: int, world_size: int) -> int:
    """Each process's share of the global batch; one clear error if it does not divide evenly."""
    if global_batch % world_size:
        raise ConfigError(f"--batch-size {global_batch} does not divide among {world_size} processes; use a "
                          f"multiple of {world_size} (it is the global batch, split evenly)")
    return global_batch // world_size


def shard_order(n: int, run: Run, seed: int, epoch: int) -> torch.Tensor:
    """This process's example order for an epoch: a DistributedSampler over range(n), set to `epoch`.

    With one process it is torch.randperm(n) seeded with seed + epoch, as the Trainer always drew it. With N the
    sampler pads the permutation to a multiple of N (repeating its first examples) so every process takes the
    same number of batches, which DistributedDataParallel needs."""
    sampler = DistributedSampler(range(n), num_replicas=run.world_size, rank=run.rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    return torch.tensor(list(iter(sampler)), dtype=torch.long)


class _DDP(DistributedDataParallel):
    """DistributedDataParallel that also answers the wrapped model's own attributes (config, log_std, ...), so
    the loss functions take it in place of the model."""

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.module, name)


def wrap(model: torch.nn.Module, run: Run, device: torch.device) -> torch.nn.Module:
    """The model to call in training steps: DistributedDataParallel under torchrun, else the model itself."""
    if not run.distributed:
        return model
    # A text language model (conditioned=False) never uses its encoder: DDP must be told, or it waits for those
    # gradients forever. Every other model uses all its parameters, and the search costs a graph walk per step.
    unused = getattr(model.config, "conditioned", True) is False
    return _DDP(model, device_ids=[device.index] if device.type == "cuda" else None, find_unused_parameters=unused)


def on_sigterm() -> None:
    """Turn torchrun's SIGTERM (sent when another process died) into PeerStopped: the run ends through the
    CLI's error path with a message instead of a bare kill."""

    def handler(signum, frame):
        raise PeerStopped("another process of this torchrun run stopped (see torchrun's report for which rank "
                          "and why), so this one stopped too")

    signal.signal(signal.SIGTERM, handler)
