"""Start-up: seconds from starting the server to an interactive Explore page (script run finished, map
drawn, decoder image drawn), in Chromium, for the launcher (`python -m explorer`) and plain `streamlit run`.

cold:   a fresh server on a checkpoints root copied without cache/ (nothing encoded or projected yet)
warm:   a fresh server on the same root again (projections cached on disk by the cold visit)
reload: a second visit (new browser context) to the warm server: modules imported, st caches full

With --floor, two floors in the same rounds, each a Streamlit page holding only one map of the same points (the
checkpoint's test-set mu), first visit and reload: bench/map_app.py, one st.plotly_chart (what Explore drew
before 2026-11-29), and tests/e2e/point_map_demo.py, the canvas map (explorer/components/point_map.py) that
Explore draws now.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import (
    APP_DONE,
    REPO,
    checkpoint_root,
    chromium_browser,
    chromium_missing,
    e2e_helpers,
    header,
    median,
    new_page,
    table,
)

FLOOR = "floor: one st.plotly_chart (bench/map_app.py)"
CANVAS_FLOOR = "floor: one canvas point_map (tests/e2e/point_map_demo.py)"
LAUNCHERS = {
    FLOOR: lambda port: [sys.executable, "-m", "streamlit", "run", "bench/map_app.py", "--server.headless", "true",
                         "--server.port", str(port)],
    CANVAS_FLOOR: lambda port: [sys.executable, "-m", "streamlit", "run", "tests/e2e/point_map_demo.py",
                                "--server.headless", "true", "--server.port", str(port),
                                "--server.enableStaticServing", "true"],
    "python -m explorer": lambda port: [sys.executable, "-m", "explorer", "--port", str(port)],
    "streamlit run explorer/app.py": lambda port: [sys.executable, "-m", "streamlit", "run", "explorer/app.py",
                                                   "--server.headless", "true", "--server.port", str(port)],
}
# Interactive: the run finished, the canvas map drawn (point_map.js sets data-points-drawn in the redraw that
# drew them), the decoder's first image drawn (Playwright's CSS engine looks inside the components' shadow
# roots, which document.querySelector would not).
READY = [APP_DONE, '.st-key-explore_map [data-testid="point-map"][data-points-drawn]',
         '[data-testid="latent-decoder"] canvas:not([data-frames="0"])']
FLOOR_READY = {FLOOR: [APP_DONE, ".st-key-map .js-plotly-plot .main-svg"],
               CANVAS_FLOOR: [APP_DONE, '[data-testid="point-map"][data-points-drawn]']}


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server not healthy after {timeout} s")


async def visit(browser, url: str, ready: list[str] = READY) -> float:
    """Seconds from the request to an interactive Explore page (or what `ready` names)."""
    page = await new_page(browser)
    t0 = time.perf_counter()
    await page.goto(url)
    for selector in ready:
        await page.wait_for_selector(selector, timeout=120_000)
    seconds = time.perf_counter() - t0
    await page.context.close()
    return seconds


async def start_and_visit(browser, launcher: str, root: Path, reload: bool, points: Path | None = None) -> dict:
    """Start a server on `root`, open Explore as soon as it answers; optionally visit a second time.
    A floor launcher serves its one-map page on the points file instead."""
    port = e2e_helpers().free_port()
    env = {**os.environ, "LATENT_LAB_CHECKPOINTS": str(root), "PYTHONPATH": str(REPO)}
    ready = READY
    if launcher in FLOOR_READY:
        env["BENCH_MAP_POINTS"], ready = str(points), FLOOR_READY[launcher]
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(LAUNCHERS[launcher](port), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            await asyncio.to_thread(wait_healthy, port, proc)
            healthy = time.perf_counter() - t0
            first = await visit(browser, f"http://localhost:{port}/", ready)
            row = {"healthy": healthy, "page": first, "total": time.perf_counter() - t0}
            if reload:
                row["reload"] = await visit(browser, f"http://localhost:{port}/", ready)
            return row
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def run(args, tmp: Path) -> list[list]:
    results: dict[tuple[str, str], list[dict]] = {}
    async with chromium_browser() as browser:
        for rep in range(0 if args.warmup else 1, args.reps + 1):  # round 0 warms the file cache, uncounted
            for launcher in args.launchers:
                root = checkpoint_root(tmp / f"r{rep}-{launcher.split()[2]}", tuple(args.checkpoints))
                cold = await start_and_visit(browser, launcher, root, reload=args.quick)
                if rep:
                    results.setdefault((launcher, "cold"), []).append(cold)
                if not args.quick:  # quick: the reload visit goes to the cold server
                    warm = await start_and_visit(browser, launcher, root, reload=True)
                    if rep:
                        results.setdefault((launcher, "warm"), []).append(warm)
                shutil.rmtree(root, ignore_errors=True)
            for floor_page in FLOOR_READY if args.floor else ():
                floor = await start_and_visit(browser, floor_page, tmp, reload=True, points=args.points)
                if rep:
                    results.setdefault((floor_page, "first visit, then reload"), []).append(floor)
    rows = []
    for (launcher, mode), runs in results.items():
        rows.append([launcher, mode, median(r["healthy"] for r in runs), median(r["page"] for r in runs),
                     median(r["total"] for r in runs), " ".join(f"{r['total']:.1f}" for r in runs)])
        if "reload" in runs[0]:
            rows.append([launcher, "reload (same server, new visit)", None, median(r["reload"] for r in runs),
                         None, " ".join(f"{r['reload']:.1f}" for r in runs)])
    return rows


def floor_points(name: str, out: Path) -> Path:
    """The checkpoint's test-set mu (its first two dims, the map of a 2-D model) and labels, for map_app.py."""
    import numpy as np

    from vae_core.checkpoint import load_checkpoint
    from vae_core.data import load_dataset
    from vae_core.latent import encode_dataset

    model, info = load_checkpoint(name, REPO / "checkpoints")
    ds = load_dataset(info.train_config.data)
    np.savez(out, points=encode_dataset(model, ds.x_test).mu[:, :2], labels=ds.y_test)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench startup", description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3, help="counted rounds, interleaved (default 3)")
    p.add_argument("--launcher", choices=["both", "explorer", "streamlit"], default="both")
    p.add_argument("--checkpoints", default="mnist-2d", help="bundled checkpoints to copy (comma-separated; the app "
                   "opens the default mnist-2d if it is among them, else the first)")
    p.add_argument("--quick", action="store_true", help="smoke: the launcher, one cold start and a reload")
    p.add_argument("--floor", action="store_true", help="also time the framework's floors in the same rounds: a "
                   "page with one st.plotly_chart (bench/map_app.py) and one with the canvas map "
                   "(tests/e2e/point_map_demo.py) of the same points")
    args = p.parse_args(argv)
    if why := chromium_missing():
        print(f"skipped: {why}")
        return 0
    prefix = {"both": "", "explorer": "python -m explorer", "streamlit": "streamlit run"}[args.launcher]
    # "explorer" is in both launchers' names
    args.launchers = [k for k in LAUNCHERS if k not in FLOOR_READY and k.startswith(prefix)]
    args.checkpoints = args.checkpoints.split(",")
    if args.quick:
        args.reps, args.launchers = 1, ["python -m explorer"]
    args.warmup = not args.quick
    header("startup: server start -> interactive Explore page")
    print(f"checkpoints root: a copy of {', '.join(args.checkpoints)} without cache/; {args.reps} counted rounds "
          "after an uncounted one; interactive = run finished, map and decoder image drawn\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        if args.floor:
            args.points = floor_points(args.checkpoints[0], Path(tmp) / "points.npz")
        rows = asyncio.run(run(args, Path(tmp)))
    print(table(["launcher", "visit", "server healthy s", "request -> interactive s", "start -> interactive s "
                 "(median)", "per round s"], rows))
    floors = {r[0]: r[3] for r in rows if r[0] in FLOOR_READY and r[1].startswith("reload")}
    for r in rows:
        for name, floor in floors.items():
            if r[0] not in FLOOR_READY and r[1].startswith("reload"):  # issue 16: <= 1.5x the framework's floor
                ratio = r[3] / floor
                print(f"\n{r[0]}, reload: {r[3]:.2f} s = {ratio:.2f}x the {name.split(' (')[0]}'s {floor:.2f} s "
                      f"(target <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'})")
        if r[1] == "warm":
            verdict = "met" if r[4] <= 3 else "met once the server is up" if r[3] <= 3 else "MISSED"
            print(f"\n{r[0]}, warm: start -> interactive {r[4]:.1f} s, request -> interactive {r[3]:.1f} s "
                  f"(target <= 3 s: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
