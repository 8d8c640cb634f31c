"""Text VAEs (issue 13): the default sentence VAE vs a plain GRU language model with the same decoder, trained
with the same budget (epochs, batch size, learning rate, seed) on the same corpus, and the VAE with no collapse
remedies. Reports the test IWAE NLL (nats per sentence), its ratio to the language model's (target <= 1.01), the
KL (target >= 3 nats), active units (target >= 2), nats per token and the exact-reconstruction rate from mu.
Trains in-process with vae_core's Trainer, exactly what `python -m vae_core train --data pydoc` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from bench import header, table


def run(name: str, dataset, model_config, train_config, iwae_k: int) -> list:
    """Train one model and score it on the test split; one row of the table."""
    from vae_core.text.metrics import evaluate_text
    from vae_core.train import Trainer

    start = time.perf_counter()
    trainer = Trainer(model_config, train_config, dataset)
    result = trainer.fit()
    seconds = time.perf_counter() - start
    ev = evaluate_text(trainer.model, dataset.x_test, iwae_k=iwae_k, exact=True)
    # each model's numbers as soon as it is done: a long run on a busy machine keeps what it finished
    print(f"{name}: {ev.to_dict()} in {seconds:.0f} s", file=sys.stderr, flush=True)
    return [name, ev.nll_iwae, ev.neg_elbo, ev.kl, ev.active_units, ev.iwae_nats_per_token, ev.exact_recon,
            seconds / max(1, len(result.history)), result.status]


def quick_corpus() -> str:
    """The --quick smoke tests' corpus: 200 four-word lines from the grammar's words (seconds, not minutes)."""
    import tempfile

    from vae_core.text.corpora import COLOURS, OBJECTS

    words = COLOURS + OBJECTS
    path = Path(tempfile.mkdtemp(prefix="bench-text-")) / "quick.txt"
    path.write_text("".join(" ".join(words[(i * k + k) % len(words)] for k in (1, 3, 5, 7)) + "\n"
                            for i in range(200)), encoding="utf-8")
    return f"text:{path}"


def main(argv: list[str] | None = None) -> int:
    """Run the three models and print the table (and the NLL ratio to the language model)."""
    p = argparse.ArgumentParser(prog="python -m bench text", description=__doc__)
    p.add_argument("--data", default="pydoc", help="text spec (default pydoc)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--iwae-k", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="smoke test: 200 generated lines, 1 epoch, k=4")
    args = p.parse_args(argv)
    if args.quick:
        args.data, args.epochs, args.iwae_k = quick_corpus(), 1, 4

    from vae_core.config import TrainConfig
    from vae_core.data import load_dataset
    from vae_core.text import cli as text_cli
    from vae_core.text.model import TextModelConfig

    header(f"text: default VAE vs GRU language model on {args.data}, {args.epochs} epochs")
    dataset = load_dataset(args.data)
    vae = TextModelConfig(alphabet=dataset.vocab.alphabet, **text_cli.MODEL_DEFAULTS)
    default = TrainConfig(data=args.data, epochs=args.epochs, seed=args.seed, device="cpu",
                          **text_cli.train_overrides({}))
    plain = replace(default, warmup_epochs=0.0, word_dropout=0.0, free_bits=0.0)
    rows = [run("VAE, default remedies", dataset, vae, default, args.iwae_k),
            run("GRU language model (same decoder)", dataset, replace(vae, conditioned=False), plain, args.iwae_k),
            run("VAE, no remedies", dataset, vae, plain, args.iwae_k)]
    lm_nll = rows[1][1]
    for row in rows:
        row.insert(2, f"{row[1] / lm_nll:.4f}")
        row[1] = f"{row[1]:.2f}"
    print(table(["model", f"test NLL (IWAE k={args.iwae_k})", "NLL / LM", "-ELBO", "KL", "active units",
                 "nats/token", "exact recon", "s/epoch", "status"], rows))
    return 0
