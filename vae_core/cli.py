"""Command line: `python -m vae_core train|evaluate|project|info|sweep|sample|compress|decompress`.

Exit codes: 0 ok, 2 bad input (one readable line on stderr), 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from tqdm import tqdm

from . import checkpoint as ckpt
from .analysis import codec_cli
from .cli_args import build_parser
from .config import ConfigError, TrainConfig, default_model_config
from .data import DataError, is_text_spec, load_dataset
from .modality import modality_of

# ConfigError and DataError are ValueErrors, as are the other bad-input cases
# (--device cuda without CUDA, conv on an odd image size); OSError covers unwritable paths.
BAD_INPUT = (ckpt.CheckpointError, ValueError, OSError)


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> dict:
    """The config fields whose flags the user actually gave."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


# argparse stores each flag under its config field's name
MODEL_FLAGS = ("arch", "hidden", "channels", "fc_width", "res_blocks", "activation", "likelihood", "gaussian_std")
TRAIN_FLAGS = ("beta", "warmup_epochs", "epochs", "batch_size", "lr", "schedule", "seed", "device", "kl_cycles",
               "free_bits", "word_dropout", "precision")


class TqdmCallback:
    """Progress bar per epoch on stderr; the loss is read only when the bar refreshes."""

    def __init__(self):
        self.bar = None

    def on_train_start(self, trainer) -> None:
        procs = f" x {trainer.run.world_size} processes" if trainer.run.world_size > 1 else ""
        print(f"training on {trainer.device}{procs}: {len(trainer.x_train)} examples, "
              f"{sum(p.numel() for p in trainer.model.parameters()):,} parameters", file=sys.stderr)

    def on_batch_end(self, event) -> None:
        if self.bar is None:
            self.bar = tqdm(total=event.n_batches, desc=f"epoch {event.epoch + 1}", unit="batch",
                            file=sys.stderr, leave=False)
        if self.bar.update(1):
            self.bar.set_postfix(loss=f"{float(event.loss):.2f}", refresh=False)

    def on_epoch_end(self, event) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        m = event.metrics
        tqdm.write(f"epoch {event.epoch}/{event.epochs}  train loss {m['train_loss']:.2f}  test -ELBO "
                   f"{m['test_neg_elbo']:.2f} (recon {m['test_recon']:.2f} + KL {m['test_kl']:.2f})  "
                   f"{m['images_per_s']:.0f} examples/s", file=sys.stderr)

    def on_train_end(self, result) -> None:
        if self.bar is not None:
            self.bar.close()


def _load(ref: str, device: str = "cpu"):
    """Load the checkpoint a command line names (any path, or NAME in the checkpoints folder)."""
    path = ckpt.command_line_path(ref)
    return ckpt.load_checkpoint(path.name, root=path.parent, device=device)


def _kept(out) -> str:
    """What a stopped run leaves: the last saved epoch at `out`, if any."""
    try:
        return f"the last saved checkpoint, {out} (epoch {ckpt.read_info(out.name, root=out.parent).epochs_done}), " \
               "is intact; continue with the same command and --resume"
    except ckpt.CheckpointError:
        return "no epoch was saved yet"


def cmd_train(args: argparse.Namespace) -> int:
    from .distributed import PeerStopped, Run, on_sigterm

    run = Run.detect()  # torchrun's RANK/WORLD_SIZE, or one process
    if run.world_size > 1:
        on_sigterm()
    try:
        return _train(args, run)
    except (PeerStopped, RuntimeError) as exc:  # gloo/nccl raise DistBackendError when a peer's connection drops
        if run.world_size == 1:
            raise
        print(f"error: rank {run.rank}: {str(exc).splitlines()[0][:300]}\n{_kept(ckpt.command_line_path(args.out))}",
              file=sys.stderr)
        return 1
    finally:
        run.close()


def _train(args: argparse.Namespace, run) -> int:
    from .train import Trainer

    out = ckpt.command_line_path(args.out)
    ckpt.check_replaceable(out)  # before minutes of training, not at the first save
    if args.resume:
        if run.is_main:  # the other ranks read whichever version the atomic renames show them
            ckpt.recover(out.name, root=out.parent)  # a save killed mid-swap left the last epoch beside `out`
        info = ckpt.read_info(out.name, root=out.parent)
        model_config = info.model_config
        train_config = replace(info.train_config, **_given(args, TRAIN_FLAGS))
    elif is_text_spec(args.data):
        from .text import cli as text_cli

        train_config = TrainConfig(data=args.data, **text_cli.train_overrides(_given(args, TRAIN_FLAGS)))
    else:
        train_config = TrainConfig(data=args.data, **_given(args, TRAIN_FLAGS))
    # shared: the Trainer only reads the arrays, and this process loads them once (a copy of MNIST costs 0.4 s)
    dataset = load_dataset(args.data if not args.resume else train_config.data, shared=True)
    if not args.resume and is_text_spec(args.data):
        model_config = text_cli.model_config(args, dataset)
    elif not args.resume:
        if args.arch == "gru" or args.embed_dim is not None or args.pooled_encoder:
            raise ConfigError("--arch gru, --embed-dim and --pooled-encoder are for text data (grammar, pydoc, "
                              "text:PATH)")
        latent = args.latent_dim if args.latent_dim is not None else 2
        model_config = default_model_config(dataset.image_shape, latent, **_given(args, MODEL_FLAGS))
    trainer = Trainer(model_config, train_config, dataset, out=out,
                      callbacks=[TqdmCallback()] if run.is_main else [], resume=args.resume, run=run)
    result = trainer.fit()
    if not run.is_main:  # rank 0 reports for the run
        return 1 if result.status == "diverged" else 0
    print(result.message, file=sys.stderr)
    if result.status == "diverged":
        return 1
    if result.history:
        print(f"checkpoint: {out}  test -ELBO {result.history[-1]['test_neg_elbo']:.2f}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .metrics import evaluate
    from .train import resolve_device

    device = str(resolve_device(args.device))
    model, info = _load(args.checkpoint, device=device)
    dataset = load_dataset(args.data or info.train_config.data)
    text = modality_of(info.model_config) == "text"
    if text:
        from .text import cli as text_cli

        if not hasattr(dataset, "lines_test"):
            raise DataError(f"{dataset.spec}: is images; this is a text model")
    elif tuple(getattr(dataset, "image_shape", ())) != tuple(info.model_config.input_shape):
        raise DataError(f"{args.data}: is not images of {tuple(info.model_config.input_shape)}, as the model expects")
    if args.iwae_k < 0:
        raise ConfigError("--iwae-k must be >= 0")
    with tqdm(total=len(dataset.x_test), desc="evaluate", unit="ex", file=sys.stderr, leave=False) as bar:
        if text:
            row = text_cli.evaluate(args, model, dataset, device, bar)
        else:
            row = evaluate(model, dataset.x_test, iwae_k=args.iwae_k, device=device,
                           progress=lambda done, total: bar.update(done - bar.n)).to_dict()
    if args.json:
        print(json.dumps(row))
    else:
        for key, value in row.items():
            print(f"{key:>13}: {value:.3f}" if isinstance(value, float) else f"{key:>13}: {value}")
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    from .latent import encode_dataset
    from .projection import project_latents

    model, info = _load(args.checkpoint)
    dataset = load_dataset(args.data or info.train_config.data)
    encoded = encode_dataset(model, dataset.x_test, dataset.y_test)
    if args.method == "identity" and encoded.mu.shape[1] > 2:  # a 1-D latent is drawn along x, y = 0
        raise ConfigError(f"--method identity needs a 1-D or 2-D latent; this model has {encoded.mu.shape[1]} "
                          "(use pca)")
    points, _ = project_latents(encoded.mu, args.method, cache_dir=ckpt.cache_dir(info), key=dataset.spec)
    lo, hi = points.min(0), points.max(0)
    print(f"projected {len(points)} test latents with {args.method}: x in [{lo[0]:.2f}, {hi[0]:.2f}], "
          f"y in [{lo[1]:.2f}, {hi[1]:.2f}]; cached in {ckpt.cache_dir(info)}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from .config import to_dict
    from .modality import build_model
    from .models import count_parameters

    path = ckpt.command_line_path(args.checkpoint)
    info = ckpt.read_info(path.name, root=path.parent)
    row = {"name": info.name, "modality": modality_of(info.model_config), "data": info.train_config.data,
           "model": to_dict(info.model_config), "train": to_dict(info.train_config), "epochs_done": info.epochs_done,
           "parameters": count_parameters(build_model(info.model_config)),
           "last_epoch": info.history[-1] if info.history else None}
    if args.json:
        print(json.dumps(row))
        return 0
    for key, value in row.items():
        print(f"{key:>12}: {value}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """The Beta lab's sweep from the command line: the same settings, processes and checkpoint names."""
    from pathlib import Path

    from .jobs.sweep import SweepJob, preset

    given = {"betas": args.betas, "epochs": args.epochs, "latent_dim": args.latent_dim}
    settings = replace(preset(args.data), **{k: v for k, v in given.items() if v is not None})
    root = Path(args.root).expanduser() if args.root else ckpt.default_root()
    job = SweepJob(settings, root).start()
    with tqdm(total=100, unit="%", file=sys.stderr, bar_format="{desc} {bar} {percentage:3.0f}%") as bar:
        while not job.join(0.5):
            snap = job.snapshot()
            bar.set_description(f"{snap.message} ({snap.index + 1} of {len(snap.betas)})", refresh=False)
            bar.update(max(0, int(100 * snap.progress) - bar.n))  # never backwards between members
    snap = job.snapshot()
    print(snap.message, file=sys.stderr)
    if snap.status != "finished":
        return 1
    print(f"checkpoints: {', '.join(str(root / name) for name in snap.done)}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    import torch

    from .images import save_png_grid

    model, info = _load(args.checkpoint)
    if modality_of(info.model_config) == "text":
        from .text import cli as text_cli

        return text_cli.sample(args, model)
    args.n = 64 if args.n is None else args.n
    if args.out is None or args.greedy:
        raise ConfigError("an image model needs --out FILE.png (and takes no --greedy)")
    if not 1 <= args.n <= 4096 or not args.temperature > 0:
        raise ConfigError("--n must be 1..4096 and --temperature positive")
    images = model.sample(args.n, args.temperature, generator=torch.Generator().manual_seed(args.seed))
    save_png_grid(images.numpy(), args.out, ncols=int(args.n ** 0.5 + 0.999))
    print(f"wrote {args.n} samples to {args.out}")
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "project": cmd_project, "info": cmd_info,
            "sweep": cmd_sweep, "sample": cmd_sample, **codec_cli.COMMANDS}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except BAD_INPUT as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1
