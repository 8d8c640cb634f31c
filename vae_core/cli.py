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
from .config import ConfigError, TrainConfig, default_model_config
from .data import DataError, load_dataset

# ConfigError and DataError are ValueErrors, as are the other bad-input cases
# (--device cuda without CUDA, conv on an odd image size); OSError covers unwritable paths.
BAD_INPUT = (ckpt.CheckpointError, ValueError, OSError)


def _int_tuple(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _float_tuple(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vae_core", description="Train and inspect small VAEs.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a VAE and write a checkpoint after every epoch")
    t.add_argument("--data", required=True, help="dataset spec: mnist, digits, shapes, idx:DIR, npz:FILE, folder:DIR")
    t.add_argument("--out", required=True, help="checkpoint folder to write: any path, or NAME for checkpoints/NAME")
    t.add_argument("--arch", choices=["mlp", "conv"], help="model family (default: conv; mlp below 8x8 images)")
    t.add_argument("--hidden", type=_int_tuple,
                   help="mlp hidden widths, e.g. 400 (the pytorch/examples VAE) or 512,256 (default 400)")
    t.add_argument("--channels", type=_int_tuple, help="conv channels per downsampling stage (default 32,64,128,128)")
    t.add_argument("--fc-width", type=int, help="conv: width of the layer between feature map and z (default 512)")
    t.add_argument("--res-blocks", type=int, help="residual blocks per conv stage (default 1)")
    t.add_argument("--activation", choices=["relu", "elu", "leaky_relu", "silu", "tanh"],
                   help="hidden activation (default: relu for mlp, elu for conv)")
    t.add_argument("--latent-dim", type=int, help="size of z (default 2)")
    t.add_argument("--likelihood", choices=["bernoulli", "gaussian"], help="pixel likelihood (default bernoulli)")
    t.add_argument("--gaussian-std", type=float, help="fixed pixel std for --likelihood gaussian (default: learned)")
    t.add_argument("--beta", type=float, help="weight of the KL term (default 1.0; >1 favours disentangling)")
    t.add_argument("--warmup-epochs", type=float, help="epochs over which the KL weight rises from 0 (default 0)")
    t.add_argument("--epochs", type=int, help="total epochs to train (default 10)")
    t.add_argument("--batch-size", type=int, help="examples per step (default 128)")
    t.add_argument("--lr", type=float, help="peak learning rate for Adam (default 2e-3)")
    t.add_argument("--schedule", choices=["onecycle", "constant"],
                   help="learning-rate schedule (default onecycle; constant is pytorch/examples')")
    t.add_argument("--seed", type=int, help="random seed; runs are reproducible on CPU (default 0)")
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], help="auto uses CUDA when present (default auto)")
    t.add_argument("--resume", action="store_true", help="continue the run saved at --out")

    e = sub.add_parser("evaluate", help="test-set -ELBO, recon, KL, IWAE NLL and active units")
    e.add_argument("checkpoint", help="checkpoint folder: any path, or NAME for checkpoints/NAME")
    e.add_argument("--data", help="dataset spec (default: the one it was trained on)")
    e.add_argument("--iwae-k", type=int, default=0, help="importance samples for log p(x), e.g. 1000 (0: skip)")
    e.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    e.add_argument("--json", action="store_true", help="print one JSON object on the last line")

    pr = sub.add_parser("project", help="project the test-set latents to 2-D and cache the result")
    pr.add_argument("checkpoint", help="checkpoint folder: any path, or NAME for checkpoints/NAME")
    pr.add_argument("--method", choices=["identity", "pca", "umap"], default="pca")
    pr.add_argument("--data", help="dataset spec (default: the one it was trained on)")

    i = sub.add_parser("info", help="show a checkpoint's configuration and training history")
    i.add_argument("checkpoint", help="checkpoint folder: any path, or NAME for checkpoints/NAME")
    i.add_argument("--json", action="store_true", help="print the info as one JSON object")

    w = sub.add_parser("sweep", help="train one small MLP VAE per beta (the Beta lab's sweep) into beta-<data>-<beta>")
    w.add_argument("--data", required=True, help="dataset spec, e.g. mnist or shapes")
    w.add_argument("--betas", type=_float_tuple, help="comma-separated beta values (default 0.25,0.5,1,2,4)")
    w.add_argument("--epochs", type=int, help="epochs per beta (default: the dataset's preset)")
    w.add_argument("--latent-dim", type=int, help="size of z (default: the dataset's preset)")
    w.add_argument("--root", help="folder to write the members into (default: the checkpoints folder)")

    s = sub.add_parser("sample", help="write a PNG grid of samples from the prior")
    s.add_argument("checkpoint", help="checkpoint folder: any path, or NAME for checkpoints/NAME")
    s.add_argument("--out", required=True, help="PNG file to write")
    s.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    s.add_argument("--temperature", type=float, default=1.0, help="prior std multiplier (default 1.0)")
    s.add_argument("--seed", type=int, default=0)
    codec_cli.add_parsers(sub)  # compress, decompress: the bits-back codec
    return p


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> dict:
    """The config fields whose flags the user actually gave."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


# argparse stores each flag under its config field's name
MODEL_FLAGS = ("arch", "hidden", "channels", "fc_width", "res_blocks", "activation", "likelihood", "gaussian_std")
TRAIN_FLAGS = ("beta", "warmup_epochs", "epochs", "batch_size", "lr", "schedule", "seed", "device")


class TqdmCallback:
    """Progress bar per epoch on stderr; the loss is read only when the bar refreshes."""

    def __init__(self):
        self.bar = None

    def on_train_start(self, trainer) -> None:
        print(f"training on {trainer.device}: {len(trainer.x_train)} images, "
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
                   f"{m['images_per_s']:.0f} img/s", file=sys.stderr)

    def on_train_end(self, result) -> None:
        if self.bar is not None:
            self.bar.close()


def _load(ref: str, device: str = "cpu"):
    """Load the checkpoint a command line names (any path, or NAME in the checkpoints folder)."""
    path = ckpt.command_line_path(ref)
    return ckpt.load_checkpoint(path.name, root=path.parent, device=device)


def cmd_train(args: argparse.Namespace) -> int:
    from .train import Trainer

    out = ckpt.command_line_path(args.out)
    ckpt.check_replaceable(out)  # before minutes of training, not at the first save
    if args.resume:
        ckpt.recover(out.name, root=out.parent)  # a save killed mid-swap left the last epoch beside `out`
        info = ckpt.read_info(out.name, root=out.parent)
        model_config = info.model_config
        train_config = replace(info.train_config, **_given(args, TRAIN_FLAGS))
    else:
        train_config = TrainConfig(data=args.data, **_given(args, TRAIN_FLAGS))
    dataset = load_dataset(args.data if not args.resume else train_config.data)
    if not args.resume:
        latent = args.latent_dim if args.latent_dim is not None else 2
        model_config = default_model_config(dataset.image_shape, latent, **_given(args, MODEL_FLAGS))
    trainer = Trainer(model_config, train_config, dataset, out=out, callbacks=[TqdmCallback()],
                      resume=args.resume)
    result = trainer.fit()
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
    if tuple(dataset.image_shape) != tuple(info.model_config.input_shape):
        raise DataError(f"{args.data}: images are {dataset.image_shape}, the model expects "
                        f"{tuple(info.model_config.input_shape)}")
    if args.iwae_k < 0:
        raise ConfigError("--iwae-k must be >= 0")
    with tqdm(total=len(dataset.x_test), desc="evaluate", unit="img", file=sys.stderr, leave=False) as bar:
        result = evaluate(model, dataset.x_test, iwae_k=args.iwae_k, device=device,
                          progress=lambda done, total: bar.update(done - bar.n))
    row = result.to_dict()
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
    from .models import VAE, count_parameters

    path = ckpt.command_line_path(args.checkpoint)
    info = ckpt.read_info(path.name, root=path.parent)
    row = {"name": info.name, "data": info.train_config.data, "model": to_dict(info.model_config),
           "train": to_dict(info.train_config), "epochs_done": info.epochs_done,
           "parameters": count_parameters(VAE(info.model_config)),
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

    if not 1 <= args.n <= 4096 or not args.temperature > 0:
        raise ConfigError("--n must be 1..4096 and --temperature positive")
    model, _ = _load(args.checkpoint)
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
