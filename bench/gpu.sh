#!/usr/bin/env bash
# The GPU measurements of issue 15 in one run, under 8 minutes on one GPU (each step has its own time limit; they
# add up to 450 s): bench/README.md, "GPU", says what to copy where.
#
#   bench/gpu.sh              run everything (needs CUDA; without it, runs the GPU test module, which skips, and stops)
#   bench/gpu.sh --dry-run    print the steps and their limits, run nothing
#
#   1. tests/test_cuda.py: train, resume, evaluate, sample, decode, encode, projection, export, bf16 and a one-GPU
#      torchrun (nccl) on --device cuda, each against the CPU                                      (limit 150 s)
#   2. python -m bench train --device cuda: vae_core's Trainer vs a bare PyTorch loop, images/s (target >= 0.95),
#      and the default conv's seconds per 60k-image epoch                                           (limit 150 s)
#   3. MNIST, the default conv (z=20), 3 epochs, --precision fp32 then bf16: seconds per epoch and test -ELBO
#      (bf16 is worth having if faster and within 0.5 nats)                                         (limit 75 s each)
#
# Logs go to $OUT (default bench/gpu-results/<date>), ignored by git; the summary table is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
[[ -x .venv/bin/python && -z "${PYTHON:-}" ]] && PY=.venv/bin/python
DRY=0
[[ "${1:-}" == "--dry-run" ]] && DRY=1
OUT=${OUT:-bench/gpu-results/$(date +%Y-%m-%d-%H%M)}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

step() {  # step LIMIT_S NAME COMMAND...: run with a time limit, log to $OUT/NAME.log, keep going on failure
    local limit=$1 name=$2
    shift 2
    echo "+ [$name, limit ${limit}s] $*"
    [[ $DRY == 1 ]] && return 0
    local t0=$SECONDS rc=0
    timeout "$limit" "$@" > >(tee "$OUT/$name.log") 2>"$OUT/$name.err" || rc=$?
    echo "  -> exit $rc after $((SECONDS - t0)) s (stderr: $OUT/$name.err)"
    return 0
}

if [[ $DRY == 0 ]]; then
    mkdir -p "$OUT"
    if [[ "$($PY -c 'import torch; print(int(torch.cuda.is_available()))')" != 1 ]]; then
        echo "no CUDA device: GPU measurements skipped; the GPU test module must skip cleanly:"
        "$PY" -m pytest -q -rs tests/test_cuda.py
        exit 0
    fi
    nvidia-smi -L | tee "$OUT/gpu.txt" || true
    "$PY" -c 'from bench import machine; print(machine())' | tee -a "$OUT/gpu.txt"
fi

step 150 test_cuda "$PY" -m pytest -q -rs tests/test_cuda.py
step 150 bench_train "$PY" -m bench train --device cuda --reps 3 --conv-reps 1
for precision in fp32 bf16; do
    step 75 "mnist_$precision" "$PY" -m vae_core train --data mnist --latent-dim 20 --epochs 3 --device cuda \
        --precision "$precision" --out "$PWD/$OUT/mnist-conv-$precision"
done

[[ $DRY == 1 ]] && exit 0
"$PY" - "$OUT" <<'EOF'
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
print("\n| MNIST default conv, z=20, 3 epochs | s/epoch (median) | test -ELBO | images/s |\n|---|---|---|---|")
for precision in ("fp32", "bf16"):
    path = out / f"mnist-conv-{precision}" / "history.json"
    if not path.exists():
        print(f"| {precision} | not finished | | |")
        continue
    rows = json.loads(path.read_text())
    secs = sorted(r["seconds"] for r in rows)[len(rows) // 2]
    print(f"| {precision} | {secs:.2f} | {rows[-1]['test_neg_elbo']:.2f} | {rows[-1]['images_per_s']:.0f} |")
print(f"\nbench train: {out / 'bench_train.log'}; GPU tests: {out / 'test_cuda.log'}")
EOF
