"""Data-parallel training on CPU: `torchrun --nproc-per-node 2 -m vae_core train` against one process, the same
global batch and epochs (issue 15's target: test -ELBO within 0.5 nats; images/s of both).

Each configuration is a whole `python -m vae_core train` process (or torchrun and its workers) on MNIST with the
784-400-z MLP; the numbers come from the checkpoint's history.json (rank 0's epoch time, so the pair's images/s is
the whole run's). Runs go one after another, A, B, C, A, B, C ... so load on the shared machine hits all alike.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import REPO, header, median, table

CONFIGS = {  # name -> (processes, torch threads per process)
    "1 process, 1 thread": (1, 1),
    "1 process, 2 threads": (1, 2),
    "torchrun: 2 processes, 1 thread each": (2, 1),
}


def run_one(procs: int, threads: int, out: Path, args: argparse.Namespace) -> dict:
    """Train once; the last epoch's test -ELBO, the mean images/s over epochs and the process's wall seconds."""
    train = ["-m", "vae_core", "train", "--data", args.data, "--arch", "mlp", "--latent-dim", str(args.latent),
             "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--device", "cpu",
             "--seed", str(args.seed), "--out", str(out)]
    launcher = [sys.executable] if procs == 1 else [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                                    f"--nproc-per-node={procs}"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": str(threads)}
    t0 = time.perf_counter()
    proc = subprocess.run([*launcher, *train], capture_output=True, text=True, env=env, cwd=out.parent)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        # A rank's own last words (an abort's "terminate called ... what(): ...") come before torchrun's summary,
        # which alone fills the tail: keep every line that names an error, then the tail.
        said = [line for line in proc.stderr.splitlines() if any(w in line for w in ("terminate", "what()", "rror"))]
        raise SystemExit(f"{' '.join(launcher)} failed:\n" + "\n".join(said[:20]) + f"\n...\n{proc.stderr[-2000:]}")
    history = json.loads((out / "history.json").read_text())
    return {"neg_elbo": history[-1]["test_neg_elbo"], "wall": wall,
            "images_per_s": sum(h["images_per_s"] for h in history) / len(history)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench dist", description=__doc__.splitlines()[0])
    p.add_argument("--data", default="mnist")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=128, help="the global batch (default 128)")
    p.add_argument("--latent", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reps", type=int, default=1, help="interleaved repetitions (default 1)")
    p.add_argument("--quick", action="store_true", help="smoke settings: digits, 1 epoch")
    args = p.parse_args(argv)
    if args.quick:
        args.data, args.epochs = "digits", 1
    header("dist: torchrun data-parallel training vs one process (CPU, gloo)")
    print(f"{args.data}, mlp (hidden 400, z={args.latent}), global batch {args.batch_size}, {args.epochs} "
          f"epochs, seed {args.seed}, {args.reps} interleaved rep(s), "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}\n", flush=True)
    results: dict[str, list[dict]] = {name: [] for name in CONFIGS}
    with tempfile.TemporaryDirectory(prefix="bench-dist-") as tmp:
        for rep in range(args.reps):
            for i, (name, (procs, threads)) in enumerate(CONFIGS.items()):
                results[name].append(run_one(procs, threads, Path(tmp) / f"r{rep}-{i}", args))
                print(f"  {name}: {results[name][-1]}", flush=True)
    base = median([r["images_per_s"] for r in results["1 process, 1 thread"]])
    ref = median([r["neg_elbo"] for r in results["1 process, 1 thread"]])
    rows = []
    for name, runs in results.items():
        ips, nelbo = median([r["images_per_s"] for r in runs]), median([r["neg_elbo"] for r in runs])
        rows.append([name, f"{nelbo:.2f}", f"{nelbo - ref:+.2f}", ips, ips / base, median([r["wall"] for r in runs])])
    print()
    print(table(["configuration", "test -ELBO", "vs 1 process", "images/s (training)", "x 1 process, 1 thread",
                 "process wall s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
