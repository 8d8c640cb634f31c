"""Text training speed, side by side in one process: vae_core's Trainer on a text VAE against a bare PyTorch loop
of the same model, and the Trainer with shuffled (unbucketed) batches, the order it used before length buckets.

All runs: the default text VAE (text.cli.MODEL_DEFAULTS and TRAIN_DEFAULTS), the same data, batch 64, Adam with
the one-cycle rate, one epoch each, interleaved A, B, C, A, B, C ... (no warm-up round unless --warmup: a text
epoch has no one-off costs worth a round). The Trainer's time is its epoch loop (history "seconds"), without
the test-set evaluation, which the bare loop does not do either.
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import torch
import torch.nn.functional as F

from bench import header, interleave, median, table


def bare_epoch(model_config, dataset, train_config) -> float:
    """The loop a notebook user writes around vae_core's TextVAE: the same batches as the Trainer (bucketed), the
    loss written out (cross-entropy summed per sentence, KL with free bits, the warm-up weight), Adam with
    one-cycle. Seconds."""
    from vae_core.text.batching import bucket_order
    from vae_core.text.model import TextVAE
    from vae_core.text.vocab import PAD

    torch.manual_seed(train_config.seed)
    model = TextVAE(model_config)
    opt = torch.optim.Adam(model.parameters(), lr=train_config.lr)
    x = torch.from_numpy(dataset.x_train)
    bs = train_config.batch_size
    steps = -(-len(x) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=train_config.lr, total_steps=steps)
    model.train()
    t0 = time.perf_counter()
    lengths = (x != PAD).sum(1)
    order = bucket_order(lengths, torch.randperm(len(x)), bs, seed=0)
    for b in range(steps):
        xb = x[order[b * bs:(b + 1) * bs]]
        xb = xb[:, : int(lengths[order[b * bs:(b + 1) * bs]].max())]
        out = model(xb, word_dropout=train_config.word_dropout)
        recon = F.cross_entropy(out.logits.transpose(1, 2), xb, ignore_index=PAD, reduction="none").sum(1)
        kl = 0.5 * (out.mu.pow(2) + out.logvar.exp() - 1 - out.logvar)
        kl = torch.clamp(kl.mean(0), min=train_config.free_bits).sum()  # free bits on the batch-mean KL per dim
        weight = min(1.0, b / steps / train_config.warmup_epochs) if train_config.warmup_epochs else 1.0
        loss = recon.mean() + weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return time.perf_counter() - t0


def trainer_epoch(model_config, dataset, train_config, bucketed: bool = True) -> float:
    """One epoch with vae_core's Trainer (no checkpoint, no callbacks): its epoch loop's seconds. bucketed=False
    gives every batch the shuffled order, as the Trainer drew it before text.batching."""
    from vae_core.train import Trainer

    if bucketed:
        return Trainer(model_config, train_config, dataset).fit().history[0]["seconds"]
    with mock.patch("vae_core.train.batch_order", lambda config, x, order, bs, seed: order):
        return Trainer(model_config, train_config, dataset).fit().history[0]["seconds"]


def main(argv: list[str] | None = None) -> int:
    """Time the runs and print the table with the Trainer / bare ratio."""
    p = argparse.ArgumentParser(prog="python -m bench text_speed", description=__doc__)
    p.add_argument("--data", default="pydoc", help="text spec (default pydoc)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--warmup", action="store_true", help="one untimed round first")
    p.add_argument("--no-shuffled", action="store_true", help="skip the Trainer with shuffled batches (slow)")
    p.add_argument("--quick", action="store_true", help="smoke test: 200 generated lines, one round")
    args = p.parse_args(argv)
    if args.quick:
        from bench.text import quick_corpus

        args.data, args.reps = quick_corpus(), 1

    from vae_core.config import TrainConfig
    from vae_core.data import load_dataset
    from vae_core.text import cli as text_cli
    from vae_core.text.model import TextModelConfig

    header(f"text training speed on {args.data}: Trainer vs a bare loop, one epoch each, {args.reps} rounds")
    dataset = load_dataset(args.data)
    mc = TextModelConfig(alphabet=dataset.vocab.alphabet, **text_cli.MODEL_DEFAULTS)
    tc = TrainConfig(data=args.data, epochs=1, seed=0, device="cpu", **text_cli.train_overrides({}))
    runs = {"bare loop (bucketed batches)": lambda: bare_epoch(mc, dataset, tc),
            "Trainer (bucketed batches)": lambda: trainer_epoch(mc, dataset, tc)}
    if not args.no_shuffled:
        runs["Trainer, shuffled batches (before)"] = lambda: trainer_epoch(mc, dataset, tc, bucketed=False)
    times = interleave(runs, args.reps, warmup=args.warmup)
    bare = median(times["bare loop (bucketed batches)"])
    rows = [[name, median(t), median(t) / bare, " ".join(f"{v:.1f}" for v in t)] for name, t in times.items()]
    print(table(["run", "s/epoch (median)", "ratio to bare", "each round (s)"], rows))
    return 0
