"""Checkpoint folders: config.json + model.safetensors + history.json, written atomically.

Loading never unpickles (safetensors and JSON only); every problem raises CheckpointError
naming the file and what is wrong. Names are validated before the disk is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .ckpt_paths import (  # noqa: F401 - re-exported: checkpoint is where callers find them
    CONFIG,
    HISTORY,
    NAME_RE,
    OPTIMIZER,
    TMP_PREFIX,
    WEIGHTS,
    CheckpointError,
    _readable_path,
    _recover_and_clean,
    check_replaceable,
    checkpoint_path,
    command_line_path,
    default_root,
    list_checkpoints,
    recover,
    validate_name,
)
from .config import ConfigError, ModelConfig, TrainConfig, from_dict, to_dict
from .modality import build_model, config_class, modality_of
from .models import VAE

SCHEMA_VERSION = 1


@dataclass
class CheckpointInfo:
    """What a checkpoint folder says about itself, without its weights."""

    name: str
    path: Path
    model_config: ModelConfig  # or text.model.TextModelConfig, whose alphabet is the vocabulary
    train_config: TrainConfig
    history: list[dict] = field(default_factory=list)
    weights_sha256: str = ""
    versions: dict = field(default_factory=dict)
    resume: dict = field(default_factory=dict)  # epoch done, scheduler steps, ...
    run: dict = field(default_factory=dict)  # how it trained: world_size, device (type), backend; {} if not recorded

    @property
    def epochs_done(self) -> int:
        return len(self.history)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _versions() -> dict:
    import numpy

    return {"torch": torch.__version__, "numpy": numpy.__version__}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.flush()
        os.fsync(f.fileno())


def save_checkpoint(
    path: Path,
    model: VAE,
    train_config: TrainConfig,
    history: list[dict],
    optimizer_state: dict[str, torch.Tensor] | None = None,
    resume: dict | None = None,
    run: dict | None = None,
) -> Path:
    """Write the checkpoint folder atomically: a temp folder beside it, fsync, then rename.

    `run` records how the model trained (distributed.Run.describe: world_size, device type, backend).

    A crash at any moment leaves either the old folder or the new one, never a mix. The
    `cache/` of the old folder is dropped since a new model invalidates it.
    """
    path = Path(path)
    validate_name(path.name)
    check_replaceable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _recover_and_clean(path)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{path.name}-", dir=path.parent))
    except OSError as exc:
        raise CheckpointError(f"could not write checkpoint {str(path)!r}: {exc.strerror or exc}") from None
    try:
        state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
        for key, tensor in state.items():  # never replace a good checkpoint with one that cannot load
            if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                raise CheckpointError(f"not saving {str(path)!r}: tensor {key!r} holds NaN or inf (the loss "
                                      "diverged?); the previous version is kept")
        save_file(state, str(tmp / WEIGHTS))
        if optimizer_state:
            save_file({k: v.detach().to("cpu").contiguous() for k, v in optimizer_state.items()},
                      str(tmp / OPTIMIZER))
        config = {
            "schema_version": SCHEMA_VERSION,
            # absent means image: image checkpoints written before text existed read as they are
            **({"modality": "text"} if modality_of(model.config) == "text" else {}),
            "model": to_dict(model.config),
            "train": to_dict(train_config),
            "data": train_config.data,
            "weights_sha256": sha256_file(tmp / WEIGHTS),
            "versions": _versions(),
            "resume": resume or {},
            **({"run": run} if run else {}),
        }
        _write_json(tmp / CONFIG, config)
        _write_json(tmp / HISTORY, history)
        for name in (WEIGHTS, OPTIMIZER):
            if (tmp / name).exists():
                with open(tmp / name, "rb") as f:
                    os.fsync(f.fileno())
        _fsync_dir(tmp)
        # os.replace cannot replace a non-empty folder: move the old one aside first, so
        # there is always one complete folder at either `path` or `old`.
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{path.name}-old-", dir=path.parent))
            os.replace(path, old / "ckpt")
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except (OSError, SafetensorError) as exc:  # safetensors reports a full disk as SafetensorError
        shutil.rmtree(tmp, ignore_errors=True)
        reason = getattr(exc, "strerror", None) or exc
        raise CheckpointError(f"could not write checkpoint {str(path)!r}: {reason}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _read_json(path: Path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: file is missing") from None
    except (OSError, ValueError, RecursionError) as exc:  # ValueError: bad JSON, bad UTF-8, a 5000-digit int
        raise CheckpointError(f"{path}: not valid JSON ({type(exc).__name__}: {str(exc)[:200]})") from None


def read_info(ref: str | os.PathLike, root: Path | None = None) -> CheckpointInfo:
    """Read and validate config.json and history.json (not the weights)."""
    path = checkpoint_path(ref, root)
    name, path = path.name, _readable_path(path)
    if not path.is_dir():
        raise CheckpointError(f"checkpoint {name!r} not found in {str(path.parent)!r}")
    cfg = _read_json(path / CONFIG)
    if not isinstance(cfg, dict):
        raise CheckpointError(f"{path / CONFIG}: expected a JSON object")
    version = cfg.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
        raise CheckpointError(
            f"{path / CONFIG}: schema_version {version!r} is not supported (this version reads 1..{SCHEMA_VERSION})"
        )
    try:
        model_config = from_dict(config_class(cfg.get("modality", "image")), cfg.get("model"))
        train_config = from_dict(TrainConfig, cfg.get("train"))
    except (ConfigError, TypeError, ValueError, OverflowError) as exc:  # e.g. input_shape ["a", 8, 8]
        raise CheckpointError(f"{path / CONFIG}: {exc}") from None
    history = _read_json(path / HISTORY) if (path / HISTORY).exists() else []
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        raise CheckpointError(f"{path / HISTORY}: expected a list of per-epoch objects")
    if not all(isinstance(v, (int, float)) for row in history for v in row.values()):
        raise CheckpointError(f"{path / HISTORY}: per-epoch values must be numbers")
    return CheckpointInfo(
        name=name, path=path, model_config=model_config, train_config=train_config,
        history=history, weights_sha256=str(cfg.get("weights_sha256", "")),
        versions=cfg.get("versions", {}), resume=cfg.get("resume", {}) or {},
        run=cfg.get("run") if isinstance(cfg.get("run"), dict) else {},
    )


def _load_tensors(path: Path, device: str) -> dict[str, torch.Tensor]:
    if not path.exists():
        raise CheckpointError(f"{path}: file is missing")
    try:
        return load_file(str(path), device=device)
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from None


def load_checkpoint(
    ref: str | os.PathLike, root: Path | None = None, device: str = "cpu"
) -> tuple[VAE, CheckpointInfo]:
    """Rebuild the model from config.json and fill it from model.safetensors, in eval mode."""
    info = read_info(ref, root)
    weights = info.path / WEIGHTS
    try:  # shapes only, on the meta device: a config that claims a huge model allocates nothing here
        with torch.device("meta"):
            expected = build_model(info.model_config).state_dict()
    except Exception as exc:  # noqa: BLE001 - any config that cannot build a model is a bad config
        raise CheckpointError(f"{info.path / CONFIG}: cannot build this model ({exc})") from None
    state = _load_tensors(weights, device)
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{weights}: tensors do not match config.json (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    for key, tensor in state.items():
        if tensor.shape != expected[key].shape:
            raise CheckpointError(
                f"{weights}: tensor {key!r} has shape {tuple(tensor.shape)}, config.json implies "
                f"{tuple(expected[key].shape)}"
            )
        if not tensor.is_floating_point():
            raise CheckpointError(f"{weights}: tensor {key!r} has dtype {tensor.dtype}, expected floats")
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f"{weights}: tensor {key!r} holds NaN or inf")
    if info.weights_sha256 and sha256_file(weights) != info.weights_sha256:  # e.g. a flipped bit
        raise CheckpointError(f"{weights}: contents differ from the sha256 in config.json (damaged or replaced)")
    model = build_model(info.model_config)  # now as big as the weights file that fills it
    model.load_state_dict(state)
    return model.to(device).eval(), info


def load_optimizer_state(info: CheckpointInfo, device: str = "cpu") -> dict[str, torch.Tensor] | None:
    """The flattened optimizer tensors saved for --resume, or None if the run kept none."""
    path = info.path / OPTIMIZER
    return _load_tensors(path, device) if path.exists() else None


def comparison_partner(name: str, infos: dict[str, CheckpointInfo]) -> str | None:
    """The checkpoint that compares best with `name`: one that takes the same input shape, preferably trained on
    the same data with the same architecture and another latent size (mnist-2d -> mnist-16d), and not a Beta lab
    sweep member; None if no other checkpoint takes that shape."""
    cfg, data = infos[name].model_config, infos[name].train_config.data

    def closeness(other: str) -> tuple:
        o = infos[other]
        return (o.train_config.data != data, other.startswith("beta-"), o.model_config.arch != cfg.arch,
                o.model_config.latent_dim == cfg.latent_dim, other)

    shape = getattr(cfg, "input_shape", None)  # text models have none: they pair with no image model
    same_shape = [n for n in infos if n != name and shape is not None
                  and getattr(infos[n].model_config, "input_shape", None) == shape]
    return min(same_shape, key=closeness, default=None)


def cache_dir(info: CheckpointInfo) -> Path:
    """Per-checkpoint cache folder keyed by the weights' hash, so a new model never reads stale data."""
    return info.path / "cache" / (info.weights_sha256[:16] or "unhashed")
