"""Training speed, side by side in one process: vae_core's Trainer against a bare PyTorch loop of the same
784-400-z VAE (pytorch/examples/vae), the app's path (vae_core.jobs.training.TrainingJob) against the CLI's
(Trainer + TqdmCallback), and the default conv architecture's seconds per 60k-image epoch.

All runs see the same data (synthetic 28x28 shapes, quantised to uint8 like MNIST), batch 128, Adam 1e-3,
one epoch each, interleaved A, B, C, A, B, C ... after one untimed warm-up round.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench import header, interleave, median, synthetic_images, table

# pytorch/examples/vae/main.py's model and loss (784-400-z-400-784, BCE + KL summed), written once in the bare
# script that bench imports times a whole process against.
from bench.bare_train import VAE as ExamplesVAE
from bench.bare_train import loss_function as examples_loss
from vae_core.config import ModelConfig, TrainConfig, default_model_config
from vae_core.data import Dataset
from vae_core.train import Trainer, TrainingCallback, resolve_device

LATENT = 20  # pytorch/examples' z


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bare_epoch(x: torch.Tensor, batch: int, device: torch.device) -> float:
    """The minimal loop: a shuffled index, slices of an in-memory tensor, no DataLoader. Seconds."""
    torch.manual_seed(0)
    model = ExamplesVAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    sync(device)
    t0 = time.perf_counter()
    order = torch.randperm(len(x), device=device)
    for i in range(0, len(x), batch):
        xb = x[order[i:i + batch]]
        opt.zero_grad()
        recon, mu, logvar = model(xb)
        examples_loss(recon, xb, mu, logvar).backward()
        opt.step()
    sync(device)
    return time.perf_counter() - t0


def dataloader_epoch(x: torch.Tensor, batch: int, device: torch.device) -> float:
    """pytorch/examples' own loop: a DataLoader over a TensorDataset (what a notebook copies). Seconds."""
    torch.manual_seed(0)
    model = ExamplesVAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x.cpu()), batch_size=batch, shuffle=True)
    model.train()
    sync(device)
    t0 = time.perf_counter()
    for (xb,) in loader:
        xb = xb.to(device)
        opt.zero_grad()
        recon, mu, logvar = model(xb)
        examples_loss(recon, xb, mu, logvar).backward()
        opt.step()
    sync(device)
    return time.perf_counter() - t0


def bare_vae_core_epoch(cfg: ModelConfig, x: torch.Tensor, batch: int, device: torch.device) -> float:
    """A bare loop over vae_core's own VAE module and loss: isolates the Trainer's overhead. Seconds."""
    from vae_core.losses import elbo_terms
    from vae_core.models import VAE

    torch.manual_seed(0)
    model = VAE(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    sync(device)
    t0 = time.perf_counter()
    order = torch.randperm(len(x), device=device)
    for i in range(0, len(x), batch):
        opt.zero_grad(set_to_none=True)
        elbo_terms(model, x[order[i:i + batch]]).loss.backward()
        opt.step()
    sync(device)
    return time.perf_counter() - t0


class PageLikeCallback(TrainingCallback):
    """What a Streamlit page's callback does per batch when no TrainingJob exists: keep a reference."""

    def on_batch_end(self, event) -> None:
        self.last = event


def trainer_run(cfg: ModelConfig, ds: Dataset, batch: int, device: str, callbacks=(), out: Path | None = None):
    """One epoch with vae_core's Trainer -> {loop: the Trainer's epoch seconds, wall: fit() incl. eval}."""
    tc = TrainConfig(data=ds.spec, epochs=1, batch_size=batch, seed=0, device=device)
    t0 = time.perf_counter()
    result = Trainer(cfg, tc, ds, out=out, callbacks=list(callbacks)).fit()
    return {"loop": result.history[0]["seconds"], "wall": time.perf_counter() - t0}


def cli_run(cfg: ModelConfig, ds: Dataset, batch: int, device: str, root: Path, counter: list) -> dict:
    """The CLI's path in-process: Trainer + vae_core.cli.TqdmCallback, a checkpoint written per epoch."""
    from vae_core.cli import TqdmCallback

    counter[0] += 1
    with open(os.devnull, "w") as null, contextlib.redirect_stderr(null):  # the bar's cost, not the terminal's
        return trainer_run(cfg, ds, batch, device, [TqdmCallback()], out=root / f"cli-{counter[0]}")


def job_run(spec: str, batch: int, device: str, root: Path, counter: list) -> dict:
    """The app's path: a TrainingJob (a child process: loads the spec, checkpoint + latent map per epoch)."""
    from vae_core.jobs.training import TrainingJob

    counter[0] += 1
    tc = TrainConfig(data=spec, epochs=1, batch_size=batch, seed=0, device=device)
    t0 = time.perf_counter()
    job = TrainingJob(f"app-{counter[0]}", tc, latent_dim=LATENT, model_overrides={"arch": "mlp", "hidden": (400,)},
                      overwrite=True, root=root).start()
    job.join()
    snap = job.snapshot()
    if snap.status != "finished":
        raise RuntimeError(f"TrainingJob ended {snap.status}: {snap.message}")
    return {"loop": snap.history[0]["seconds"], "wall": time.perf_counter() - t0}


def make_data(n: int, n_test: int, root: Path) -> tuple[Dataset, str]:
    """Synthetic 28x28 images as uint8 (like MNIST), in memory and as an npz spec for the job."""
    u8 = (synthetic_images(n + n_test, 28, seed=0) * 255).round().astype(np.uint8)[:, 0]
    path = root / "synthetic28.npz"
    np.savez(path, x=u8[:n], x_test=u8[n:])
    f32 = u8[:, None].astype(np.float32) / 255.0
    return Dataset(f"npz:{path}", f32[:n], None, f32[n:], None), f"npz:{path}"


THREAD_SETTINGS = [("2 threads, OMP_WAIT_POLICY unset (torch default)", 2, None),
                   ("2 threads, OMP_WAIT_POLICY=PASSIVE", 2, "PASSIVE"),
                   ("1 thread", 1, None)]


def thread_study(data: Path, reps: int, n: int) -> None:
    """The bare loops in child processes, one per thread setting, interleaved: OpenMP reads its wait policy
    once per process, so it cannot change inside this one. CPU s is the child's process time, which a busy
    machine inflates far less than wall time when one thread runs."""
    import json
    import subprocess

    times: dict[tuple[str, str], list[dict]] = {}
    for _ in range(reps):
        for arch in ("mlp", "conv"):
            for label, threads, policy in THREAD_SETTINGS:
                env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
                env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
                if policy:
                    env["OMP_WAIT_POLICY"] = policy
                out = subprocess.run([sys.executable, "-m", "bench", "train", "--inner-bare", str(data), "--inner-arch",
                                      arch, "--threads", str(threads)], env=env, capture_output=True, text=True,
                                     check=True)
                times.setdefault((arch, label), []).append(json.loads(out.stdout.strip().splitlines()[-1]))
    rows = [[arch, label, 60_000 * median(r["seconds"] for r in v) / n, 60_000 * min(r["seconds"] for r in v) / n,
             60_000 * median(r["cpu"] for r in v) / n, " ".join(f"{r['seconds']:.2f}" for r in v)]
            for (arch, label), v in times.items()]
    print(table(["bare loop", "torch threads", "s per 60k epoch (median)", "(best)", "CPU s per 60k epoch",
                 f"wall s per rep ({n} images)"], rows))


def inner_bare(path: Path, arch: str, batch: int) -> None:
    """Child of thread_study: one warm-up pass, one timed epoch; prints {"seconds", "cpu"} as JSON."""
    x = torch.from_numpy(np.load(path))
    cpu = torch.device("cpu")
    if arch == "mlp":
        def epoch(data):
            return bare_epoch(data, batch, cpu)
    else:
        conv = default_model_config((1, 28, 28), 2)

        def epoch(data):
            return bare_vae_core_epoch(conv, data, batch, cpu)
    epoch(x[:1024])
    c0 = time.process_time()
    seconds = epoch(x)
    print(f'{{"seconds": {seconds}, "cpu": {time.process_time() - c0}}}')


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench train", description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=60_000, help="training images (default 60000)")
    p.add_argument("--n-test", type=int, default=10_000, help="test images evaluated after each epoch")
    p.add_argument("--reps", type=int, default=3, help="timed epochs per path, interleaved (default 3)")
    p.add_argument("--conv-reps", type=int, default=1, help="timed conv epochs (0: skip the conv row)")
    p.add_argument("--conv-n", type=int, help="images per conv epoch (default --n; times are scaled to 60k)")
    p.add_argument("--thread-reps", type=int, default=0,
                   help="also time the bare loop in child processes: 2 threads (OpenMP default / PASSIVE) vs 1")
    p.add_argument("--thread-n", type=int, default=10_000, help="images per epoch in the thread study (default 10000)")
    p.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's, one per core)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    p.add_argument("--quick", action="store_true", help="smoke settings: 2048 images, 1 rep")
    p.add_argument("--inner-bare", type=Path, help=argparse.SUPPRESS)  # child of --thread-reps: data .npy
    p.add_argument("--inner-arch", default="mlp", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.inner_bare:
        inner_bare(args.inner_bare, args.inner_arch, args.batch_size)
        return 0
    if args.quick:
        args.n, args.n_test, args.reps, args.conv_reps, args.conv_n = 2048, 256, 1, 1, 256
    device = resolve_device(args.device)
    header("train: images/s")
    print(f"data: {args.n} synthetic 28x28 shape images (uint8 -> [0,1]), {args.n_test} test; batch "
          f"{args.batch_size}; {args.reps} interleaved reps of one epoch each after a warm-up round; "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}\n", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        root = Path(tmp)
        ds, spec = make_data(args.n, args.n_test, root)
        x = torch.from_numpy(ds.x_train).to(device)
        mlp = ModelConfig(arch="mlp", hidden=(400,), latent_dim=LATENT, input_shape=(1, 28, 28))
        b, dev, counter = args.batch_size, str(device), [0]
        bare = "bare loop (pytorch/examples model, tensor slices)"
        cli = "CLI path (Trainer + TqdmCallback, checkpoint)"
        app = "app path (jobs.TrainingJob, checkpoint + map)"
        if args.reps > 0:
            runs = {
                bare: lambda: {"loop": bare_epoch(x, b, device)},
                "pytorch/examples loop (DataLoader)": lambda: {"loop": dataloader_epoch(x, b, device)},
                "vae_core Trainer (no callback)": lambda: trainer_run(mlp, ds, b, dev),
                "vae_core Trainer + page-like callback": lambda: trainer_run(mlp, ds, b, dev, [PageLikeCallback()]),
                cli: lambda: cli_run(mlp, ds, b, dev, root, counter),
                app: lambda: job_run(spec, b, dev, root, counter),
            }
            raw = interleave(runs, args.reps)
            res = {k: [r["loop"] for r in v] for k, v in raw.items()}
            wall = {k: median(r.get("wall") for r in v) for k, v in raw.items()}
            med, best = {k: median(v) for k, v in res.items()}, {k: min(v) for k, v in res.items()}
            rows = [[k, args.n / med[k], med[k], best[k], med[bare] / med[k], best[bare] / best[k],
                     f"{med[cli] / med[k]:.2f} / {best[cli] / best[k]:.2f}" if k == app else "", wall[k],
                     " ".join(f"{t:.2f}" for t in res[k])] for k in runs]
            print(table(["path (784-400-20 MLP)", "images/s (median)", "epoch s (median)", "epoch s (best)",
                         "vs bare (median)", "vs bare (best)", "app vs CLI (median / best)", "1-epoch run wall s",
                         "epoch s per rep"], rows))
            print("\nvs bare = bare epoch s / path epoch s (target >= 0.9 for the Trainer); app vs CLI = CLI epoch s / "
                  "app epoch s (target >= 0.85). Epoch s is the training loop alone (the Trainer's own timer); run "
                  "wall adds the test-set evaluation, checkpoint writes and, for the app, loading the npz and "
                  "encoding the live map.\n", flush=True)

        if args.conv_reps > 0:
            conv = default_model_config((1, 28, 28), 2)  # what `python -m vae_core train` builds for 28x28
            cn = min(args.conv_n or args.n, args.n)
            cds = Dataset(ds.spec, ds.x_train[:cn], None, ds.x_test[:cn // 6 + 1], None)
            lean = default_model_config((1, 28, 28), 2, res_blocks=0)  # for scale: the residual blocks' cost
            conv_runs = {"vae_core Trainer, default conv": lambda: trainer_run(conv, cds, b, dev),
                         "bare loop, same conv VAE": lambda: {"loop": bare_vae_core_epoch(conv, x[:cn], b, device)},
                         "vae_core Trainer, conv with --res-blocks 0": lambda: trainer_run(lean, cds, b, dev)}
            cres = {k: [r["loop"] for r in v] for k, v in interleave(conv_runs, args.conv_reps, warmup=False).items()}
            rows = [[k, cn / median(v), median(v) * 60_000 / cn, min(v) * 60_000 / cn,
                     " ".join(f"{t:.1f}" for t in v)] for k, v in cres.items()]
            print(table(["conv 28x28 (z=2)", "images/s (median)", "s per 60k epoch (median)",
                         "s per 60k epoch (best)", "epoch s per rep"], rows))
            trainer_s, bare_s = (median(v) for v in list(cres.values())[:2])
            print(f"\nconv: Trainer speed vs bare loop {bare_s / trainer_s:.2f}; target < 60 s per 60k epoch "
                  f"on 2 CPU cores: {'met' if trainer_s * 60_000 / cn < 60 else 'MISSED'}\n", flush=True)

        if args.thread_reps > 0:
            n = min(args.n, args.thread_n)
            np.save(root / "x.npy", ds.x_train[:n])
            thread_study(root / "x.npy", args.thread_reps, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
