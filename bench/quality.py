"""Model quality after a fixed budget, through the command line a user types: for each dataset, the default
architecture and pytorch/examples' 784-400-z MLP (`--arch mlp --hidden 400`), at z=2 and z=20, trained with
`python -m vae_core train ... --epochs 10 --seed 0` and scored with `evaluate --json --iwae-k K`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import BENCH, REPO, header, line_plot, table

# pytorch/examples' MLP on MNIST after 10 epochs, test -ELBO in nats (docs/ARCHITECTURE.md, "Loss numbers");
# shown next to idx: rows.
EXAMPLES_MNIST = {2: 154.5, 20: 105.3}
MODELS = {"default": [], "mlp400": ["--arch", "mlp", "--hidden", "400"]}
MODEL_NAMES = {"default": "default (conv)", "mlp400": "--arch mlp --hidden 400"}


def cli(args: list[str], root: Path) -> str:
    """Run `python -m vae_core ARGS` with checkpoints under root; stdout, or an error with stderr's tail."""
    env = {**os.environ, "LATENT_LAB_CHECKPOINTS": str(root), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "vae_core", *args], cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"python -m vae_core {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return proc.stdout


def run_one(spec: str, model: str, z: int, epochs: int, iwae_k: int, schedule: str | None, root: Path) -> dict:
    """Train and evaluate one configuration through the CLI; returns the evaluate row plus timings."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{spec}-{model}-z{z}")[-60:].lstrip("_.-") or "run"
    train = ["train", "--data", spec, "--out", name, "--latent-dim", str(z), "--epochs", str(epochs),
             "--seed", "0", *MODELS[model], *(["--schedule", schedule] if schedule else [])]
    t0 = time.perf_counter()
    cli(train, root)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    row = json.loads(cli(["evaluate", name, "--json", "--iwae-k", str(iwae_k)], root).strip().splitlines()[-1])
    row["eval_s"] = time.perf_counter() - t0
    history = json.loads((root / name / "history.json").read_text())
    history = history["history"] if isinstance(history, dict) else history
    row.update(train_s=train_s, curve=[h["test_neg_elbo"] for h in history],
               epoch_s=sum(h["seconds"] for h in history) / max(1, len(history)),
               command="python -m vae_core " + " ".join(train[:3] + train[5:]))
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench quality", description=__doc__.splitlines()[0])
    p.add_argument("--data", action="append", help="dataset spec, e.g. idx:DIR (repeatable; "
                   "default: digits and shapes:28)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--iwae-k", type=int, default=100, help="importance samples for the IWAE NLL (default 100)")
    p.add_argument("--z", default="2,20", help="latent sizes, comma-separated (default 2,20)")
    p.add_argument("--models", help="default and/or mlp400, comma-separated (default both)")
    p.add_argument("--schedule", choices=["onecycle", "constant"], help="passed to train (default: the CLI's)")
    p.add_argument("--plot", action="store_true", help="write bench/quality-<data>.png (test -ELBO per epoch)")
    p.add_argument("--quick", action="store_true", help="smoke settings: digits, mlp400, z=2, 1 epoch, --iwae-k 5")
    args = p.parse_args(argv)
    if args.quick:
        args.data, args.epochs, args.iwae_k, args.z = args.data or ["digits"], 1, 5, "2"
        args.models = args.models or "mlp400"
    specs = args.data or ["digits", "shapes:28"]
    zs = [int(v) for v in args.z.split(",")]
    models = (args.models or "default,mlp400").split(",")
    header("quality: test-set numbers after a fixed budget")
    print(f"{args.epochs} epochs, seed 0, batch 128 (the CLI's defaults otherwise: schedule "
          f"{args.schedule or 'onecycle'}); evaluate --iwae-k {args.iwae_k}; nats per image on the test split\n",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        for spec in specs:
            curves = []
            for model in models:
                for z in zs:
                    r = run_one(spec, model, z, args.epochs, args.iwae_k, args.schedule, Path(tmp))
                    ref = EXAMPLES_MNIST.get(z) if spec.startswith("idx:") and model == "mlp400" else None
                    rows.append([spec, MODEL_NAMES[model], z, r["neg_elbo"], r["recon"], r["kl"], r["nll_iwae"],
                                 r["active_units"], ref, r["epoch_s"], r["train_s"], r["eval_s"]])
                    curves.append((f"{MODEL_NAMES[model]}, z={z}", list(range(1, len(r["curve"]) + 1)), r["curve"]))
                    print(f"  done: {r['command']}  (-ELBO {r['neg_elbo']:.2f})", file=sys.stderr, flush=True)
            if args.plot:
                path = BENCH / f"quality-{re.sub(r'[^A-Za-z0-9]+', '_', spec).strip('_')[:40]}.png"
                line_plot(path, curves, f"test -ELBO per epoch on {spec} (python -m vae_core train, seed 0)",
                          "epoch", "-ELBO (nats)", zero=False, legend_right=True)
                print(f"plot: {path.relative_to(REPO)}")
    print(table(["data", "model", "z", "-ELBO", "recon", "KL", f"IWAE NLL (k={args.iwae_k})", "active units",
                 "pytorch/examples MNIST -ELBO", "s/epoch", "train s (CLI)", "evaluate s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
