"""Import costs: what a command pays before its work, timed as whole processes, side by side.

start-up: `python -c "import torch"` (the floor of every torch command) interleaved with `python -m vae_core
          info digits-2d` and `python -c "import vae_core"`: median wall seconds, the difference to the floor
          (target for info: <= 0.5 s), and the heavy modules each loaded (from `python -X importtime`).
training: a whole `python -m vae_core train` process (3 epochs of pytorch/examples' 784-400-20 MLP, Adam 1e-3,
          batch 128, on the shipped MNIST) interleaved with bench/bare_train.py, the same training as a bare
          PyTorch script: bare s / CLI s (target >= 0.95). The CLI also writes a checkpoint per epoch.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import REPO, header, interleave, median, synthetic_images, table

HEAVY = ("sklearn", "scipy", "umap", "numba", "plotly", "streamlit", "PIL", "torch._dynamo")
TORCH = "python -c 'import torch'"
STARTUP = {TORCH: ["-c", "import torch"],
           "python -m vae_core info digits-2d": ["-m", "vae_core", "info", "digits-2d"],
           "python -c 'import vae_core'": ["-c", "import vae_core"]}


def run(args: list[str]) -> dict:
    """`python ARGS` in the repository (output discarded; a failure raises) -> {"wall": s, "cpu": s}: its CPU
    time (user + system, all threads), which a busy machine inflates far less than the wall time."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, [sys.executable, *args])
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime}


def heavy_imports(args: list[str]) -> str:
    """The HEAVY packages `python ARGS` imports: 'sklearn 1.21 s; also scipy' (the seconds of each one imported
    directly, not from within another heavy one; -X importtime's cumulative import time)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, check=True)
    lines = [line.split("|") for line in proc.stderr.splitlines() if line.startswith("import time:")]
    seconds: dict[str, float] = {}
    seen: set[str] = set()
    stack: list[tuple[int, bool]] = []  # (indent, heavy) of the enclosing imports
    for _, cumulative, field in reversed(lines[1:]):  # reversed: each import before the ones it made
        name, level = field.strip(), len(field) - len(field.lstrip())
        while stack and stack[-1][0] >= level:
            stack.pop()
        family = next((h for h in HEAVY if name == h or name.startswith(h + ".")), None)
        if family:
            seen.add(family)
            if not any(heavy for _, heavy in stack):
                seconds[family] = seconds.get(family, 0.0) + int(cumulative) / 1e6
        stack.append((level, family is not None))
    also = sorted(seen - set(seconds))
    text = ", ".join(f"{name} {s:.2f} s" for name, s in sorted(seconds.items()))
    return (text + (f"; also {', '.join(also)}" if also else "")) or "none"


def startup(reps: int) -> None:
    raw = interleave({name: (lambda a=a: run(a)) for name, a in STARTUP.items()}, reps)
    res, cpu = ({k: [r[key] for r in v] for k, v in raw.items()} for key in ("wall", "cpu"))
    floor, cpu_floor = median(res[TORCH]), median(cpu[TORCH])
    rows = [[name, median(v), min(v), median(v) - floor, median(cpu[name]) - cpu_floor,
             heavy_imports(STARTUP[name]), " ".join(f"{t:.2f}" for t in v)] for name, v in res.items()]
    print(table(["command", "wall s (median)", "(best)", "minus import torch (median)", "CPU s minus import torch",
                 "heavy modules loaded (cumulative import s)", "wall s per rep"], rows))
    extra = median(res["python -m vae_core info digits-2d"]) - floor
    print(f"\ninfo: {extra:+.2f} s over `import torch` (target <= 0.5 s): {'met' if extra <= 0.5 else 'MISSED'}\n",
          flush=True)


def training(reps: int, data: str, epochs: int, root: Path) -> None:
    counter = [0]

    def cli() -> dict:
        counter[0] += 1
        return run(["-m", "vae_core", "train", "--data", data, "--out", str(root / f"cli-{counter[0]}"), "--arch",
                    "mlp", "--hidden", "400", "--latent-dim", "20", "--epochs", str(epochs), "--batch-size", "128",
                    "--lr", "1e-3", "--schedule", "constant", "--seed", "0"])

    def bare() -> dict:
        return run([str(REPO / "bench" / "bare_train.py"), "--data", data, "--epochs", str(epochs), "--out",
                    str(root / "bare.pt")])

    bare_name, cli_name = "bare PyTorch script (bench/bare_train.py)", "python -m vae_core train"
    raw = interleave({bare_name: bare, cli_name: cli}, reps)
    res, cpu = ({k: [r[key] for r in v] for k, v in raw.items()} for key in ("wall", "cpu"))
    ratio, cpu_ratio = (median(d[bare_name]) / median(d[cli_name]) for d in (res, cpu))
    rows = [[name, median(v), min(v), median(res[bare_name]) / median(v), median(cpu[name]),
             median(cpu[bare_name]) / median(cpu[name]), " ".join(f"{t:.2f}" for t in v)] for name, v in res.items()]
    print(table([f"{epochs}-epoch MLP run, whole process ({data})", "wall s (median)", "(best)", "vs bare (median)",
                 "CPU s (median)", "vs bare (CPU)", "wall s per rep"], rows))
    print(f"\nCLI vs bare script: {ratio:.3f} by wall time, {cpu_ratio:.3f} by CPU time (target >= 0.95): "
          f"{'met' if ratio >= 0.95 else 'MISSED'}\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench imports", description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=7, help="interleaved start-up reps after a warm-up round (default 7)")
    p.add_argument("--train-reps", type=int, default=3, help="interleaved training reps (default 3; 0: skip)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--data", default="mnist", help="mnist (default), or N for N synthetic 28x28 images")
    p.add_argument("--quick", action="store_true", help="smoke settings: 1 rep, 1 epoch on 1024 synthetic images")
    args = p.parse_args(argv)
    if args.quick:
        args.reps, args.train_reps, args.epochs, args.data = 1, 1, 1, "1024"
    header("imports: start-up and whole-process training")
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        root = Path(tmp)
        data = args.data
        if data != "mnist":  # a synthetic npz, uint8 like MNIST, that both scripts read
            n = int(data)
            u8 = (synthetic_images(n + n // 6, 28, seed=0) * 255).round().astype(np.uint8)[:, 0]
            np.savez(root / "synthetic.npz", x=u8[:n], x_test=u8[n:])
            data = f"npz:{root / 'synthetic.npz'}"
        print(f"start-up: {args.reps} interleaved reps after a warm-up round; training: {args.train_reps} reps of "
              f"{args.epochs} epochs on {data}; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}\n",
              flush=True)
        if args.reps > 0:
            startup(args.reps)
        if args.train_reps > 0:
            training(args.train_reps, data, args.epochs, root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
