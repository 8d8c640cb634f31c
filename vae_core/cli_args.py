"""The command line's arguments (`python -m vae_core --help`); cli.py runs the commands they name."""

from __future__ import annotations

import argparse

from .analysis import codec_cli


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
    """The parser of every command and flag; each flag stores under its config field's name."""
    p = argparse.ArgumentParser(prog="python -m vae_core", description="Train and inspect small VAEs.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a VAE and write a checkpoint after every epoch")
    t.add_argument("--data", required=True, help="dataset spec: mnist, digits, shapes, idx:DIR, npz:FILE, folder:DIR; "
                   "text: grammar, pydoc, text:FILE (one example per line) or text:DIR (train.txt, test.txt)")
    t.add_argument("--out", required=True, help="checkpoint folder to write: any path, or NAME for checkpoints/NAME")
    t.add_argument("--arch", choices=["mlp", "conv", "gru"],
                   help="model family (default: conv; mlp below 8x8 images; gru, the only one, for text)")
    t.add_argument("--hidden", type=_int_tuple, help="mlp hidden widths, e.g. 400 (the pytorch/examples VAE) or "
                   "512,256 (default 400); text: the GRU width (default 128)")
    t.add_argument("--embed-dim", type=int, help="text: character embedding size (default 64)")
    t.add_argument("--pooled-encoder", action="store_true", default=None,
                   help="text: mu also reads the mean of the encoder's outputs, not only its final states (a word "
                        "mid-sentence reaches z; the grammar corpus needs it for exact reconstruction)")
    t.add_argument("--channels", type=_int_tuple, help="conv channels per downsampling stage (default 32,64,128,128)")
    t.add_argument("--fc-width", type=int, help="conv: width of the layer between feature map and z (default 512)")
    t.add_argument("--res-blocks", type=int, help="residual blocks per conv stage (default 1)")
    t.add_argument("--activation", choices=["relu", "elu", "leaky_relu", "silu", "tanh"],
                   help="hidden activation (default: relu for mlp, elu for conv)")
    t.add_argument("--latent-dim", type=int, help="size of z (default 2)")
    t.add_argument("--likelihood", choices=["bernoulli", "gaussian", "beta-binomial"],
                   help="pixel likelihood (default bernoulli; beta-binomial: 8-bit pixels, for the codec)")
    t.add_argument("--gaussian-std", type=float, help="fixed pixel std for --likelihood gaussian (default: learned)")
    t.add_argument("--beta", type=float, help="weight of the KL term (default 1.0; >1 favours disentangling)")
    t.add_argument("--warmup-epochs", type=float, help="epochs over which the KL weight rises from 0 (default 0)")
    t.add_argument("--kl-cycles", type=int, help="cyclical KL annealing with this many cycles (default 0: linear)")
    t.add_argument("--free-bits", type=float, help="floor in nats on each latent dim's KL (default 0; text 0.125)")
    t.add_argument("--word-dropout", type=float, help="text: share of decoder inputs blanked (default 0)")
    t.add_argument("--epochs", type=int, help="total epochs to train (default 10)")
    t.add_argument("--batch-size", type=int, help="examples per step (default 128)")
    t.add_argument("--lr", type=float, help="peak learning rate for Adam (default 2e-3)")
    t.add_argument("--schedule", choices=["onecycle", "constant"],
                   help="learning-rate schedule (default onecycle; constant is pytorch/examples')")
    t.add_argument("--seed", type=int, help="random seed; runs are reproducible on CPU (default 0)")
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], help="auto uses CUDA when present (default auto)")
    t.add_argument("--precision", choices=["fp32", "bf16"],
                   help="bf16: forward pass and loss under autocast with bfloat16, for GPUs (default fp32)")
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

    s = sub.add_parser("sample", help="write a PNG grid of samples from the prior (text: print sentences)")
    s.add_argument("checkpoint", help="checkpoint folder: any path, or NAME for checkpoints/NAME")
    s.add_argument("--out", help="PNG file to write (image models; required for them)")
    s.add_argument("--n", type=int, help="number of samples (default 64 images, 10 sentences)")
    s.add_argument("--temperature", type=float, default=1.0,
                   help="images: prior std multiplier; text: softmax temperature (default 1.0)")
    s.add_argument("--greedy", action="store_true", help="text: take the most likely character at each step")
    s.add_argument("--seed", type=int, default=0)
    codec_cli.add_parsers(sub)  # compress, decompress: the bits-back codec
    return p
