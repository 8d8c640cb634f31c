"""The latent map at scale: encoding and projection time for 10k and 70k points (PCA and UMAP, first fit and
from the disk cache, plus the inverse map a click uses) with a default conv VAE on synthetic 28x28 images,
and the browser's frame time while panning and zooming a plotly Scattergl of those points (bench/map_app.py),
timed with requestAnimationFrame in headless Chromium (software WebGL: no GPU here).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import (
    BENCH,
    REPO,
    chromium,
    chromium_missing,
    e2e_helpers,
    header,
    line_plot,
    median,
    open_app,
    p95,
    sweep,
    synthetic_data,
    table,
)

PLOT_AREA_JS = """(gd) => { const L = gd._fullLayout, r = gd.getBoundingClientRect();
  return {x: r.left + L.xaxis._offset, y: r.top + L.yaxis._offset, w: L.xaxis._length, h: L.yaxis._length,
          range: [...L.xaxis.range, ...L.yaxis.range]}; }"""
RAF_START_JS = """() => { const log = window.__raf = {t: [], on: true};
  const tick = (t) => { log.t.push(t); if (log.on) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def make_model(epochs: int, latent: int, x: np.ndarray):
    """A default conv VAE for 28x28 images, trained `epochs` epochs on the first 10k images (0: untrained)."""
    from vae_core.config import TrainConfig, default_model_config
    from vae_core.data import Dataset
    from vae_core.models import VAE
    from vae_core.train import Trainer

    cfg = default_model_config((1, 28, 28), latent)
    if epochs <= 0:
        return VAE(cfg).eval()
    ds = Dataset("synthetic", x[:10_000], None, x[10_000:11_000], None)
    trainer = Trainer(cfg, TrainConfig(data="synthetic", epochs=epochs, seed=0, device="cpu"), ds)
    trainer.fit()
    return trainer.model.eval()


def time_projections(model, x: np.ndarray, sizes: list[int], methods: list[str], cache: Path) -> tuple[list, dict]:
    """Encode and project the first n images for each n; returns table rows and the embeddings."""
    from vae_core.latent import encode_dataset
    from vae_core.projection import project_latents

    rows, embeddings = [], {}
    for n in sizes:
        t0 = time.perf_counter()
        mu = encode_dataset(model, x[:n]).mu
        row = [n, time.perf_counter() - t0]
        for method in methods:
            t0 = time.perf_counter()
            emb, _ = project_latents(mu, method, cache_dir=cache, key=f"n{n}")
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            emb2, proj = project_latents(mu, method, cache_dir=cache, key=f"n{n}")
            cached = time.perf_counter() - t0
            assert proj.from_cache_ and np.array_equal(emb, emb2)
            clicks = emb[np.random.default_rng(0).integers(0, n, 20)] + 0.01
            inv = []
            for c in clicks:
                t0 = time.perf_counter()
                proj.inverse_transform(c[None])
                inv.append((time.perf_counter() - t0) * 1000)
            row += [first, cached, median(inv)]
            embeddings[n, method] = emb
        rows.append(row)
    return rows, embeddings


async def frames_during(page, action) -> dict:
    """requestAnimationFrame intervals while `action` runs."""
    await page.evaluate(RAF_START_JS)
    t_start, t_end = await action()
    await page.mouse.up()
    stamps = await page.evaluate("() => { window.__raf.on = false; return window.__raf.t; }")
    stamps = [t for t in stamps if t_start <= t <= t_end]
    gaps = np.diff(stamps) if len(stamps) > 1 else np.array([np.nan])
    return {"fps": (len(stamps) - 1) / ((t_end - t_start) / 1000), "median": median(gaps), "p95": p95(gaps),
            "max": float(np.max(gaps)), "gaps": gaps.tolist()}


async def wheel(page, x: float, y: float, seconds: float, rate: float) -> tuple[float, float]:
    """Wheel zoom at (x, y): `rate` notches per second, in for half a second, out for half a second."""
    await page.mouse.move(x, y)
    t_start = await page.evaluate("performance.now()")
    loop = asyncio.get_running_loop()
    t0, moves = loop.time(), []
    for i in range(1, int(seconds * rate) + 1):
        await asyncio.sleep(max(0.0, t0 + i / rate - loop.time()))
        moves.append(asyncio.ensure_future(page.mouse.wheel(0, -60 if (i * 2 // int(rate)) % 2 == 0 else 60)))
    await asyncio.gather(*moves)
    return t_start, await page.evaluate("performance.now()")


async def browse(url: str, sizes: list[int], reps: int, seconds: float, warmup: bool = True) -> dict:
    out: dict[tuple[int, str], list[dict]] = {}
    async with chromium() as page:
        for rep in range(0 if warmup else 1, reps + 1):  # round 0 warms up, uncounted
            for n in sizes:
                await open_app(page, f"{url}?n={n}")
                gd = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')
                await page.locator('[data-testid="stPlotlyChart"] .gl-container canvas').first.wait_for()
                await page.wait_for_timeout(500)
                a = await gd.evaluate(PLOT_AREA_JS)
                cx, cy = a["x"] + a["w"] / 2, a["y"] + a["h"] / 2
                pan = await frames_during(page, lambda cx=cx, cy=cy, a=a: sweep(
                    page, cx - a["w"] / 4, cx + a["w"] / 4, cx, cy, seconds, 90, 400))
                moved = (await gd.evaluate(PLOT_AREA_JS))["range"] != a["range"]
                zoom = await frames_during(page, lambda cx=cx, cy=cy: wheel(page, cx, cy, seconds, 20))
                if rep:
                    out.setdefault((n, "pan (drag)"), []).append({**pan, "moved": moved})
                    out.setdefault((n, "zoom (wheel)"), []).append(zoom)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench map", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,70000", help="numbers of points (default 10000,70000)")
    p.add_argument("--methods", default="pca,umap", help="projections to time (default pca,umap)")
    p.add_argument("--latent", type=int, default=16, help="latent size of the conv VAE (default 16)")
    p.add_argument("--train-epochs", type=int, default=1, help="epochs on 10k images before encoding (default 1)")
    p.add_argument("--reps", type=int, default=3, help="pan/zoom gestures per size after a warm-up (default 3)")
    p.add_argument("--seconds", type=float, default=2.0, help="length of each gesture (default 2)")
    p.add_argument("--no-browser", action="store_true", help="skip the pan/zoom part")
    p.add_argument("--plot", action="store_true", help="write bench/map-frames.png (frame times while panning)")
    p.add_argument("--quick", action="store_true", help="smoke: 1k/2k points, PCA, untrained; 1 gesture each on 2k")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.methods, args.train_epochs, args.reps, args.seconds = "1000,2000", "pca", 0, 1, 0.5
    sizes, methods = [int(v) for v in args.sizes.split(",")], args.methods.split(",")
    header("map: projections and Scattergl frame time")
    x, labels = synthetic_data(max(sizes) + 11_000 if args.train_epochs > 0 else max(sizes), 28, seed=1)
    model = make_model(args.train_epochs, args.latent, x[max(sizes):] if args.train_epochs > 0 else x)
    x = x[:max(sizes)]
    print(f"default conv VAE, z={args.latent}, trained {args.train_epochs} epoch(s) on 10k synthetic 28x28 "
          f"images; encoding other synthetic images; UMAP seeded (single thread)\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp:
        if "umap" in methods:  # numba compiles UMAP's kernels on the first fit in a process
            from vae_core.projection import project_latents

            t0 = time.perf_counter()
            project_latents(np.random.default_rng(0).standard_normal((500, args.latent)).astype(np.float32), "umap")
            print(f"first UMAP fit in this process (500 points, numba compilation): {time.perf_counter() - t0:.1f} s\n")
        rows, embeddings = time_projections(model, x, sizes, methods, Path(tmp) / "cache")
        cols = ["points", "encode s"]
        for m in methods:
            cols += [f"{m.upper()} first s", f"{m.upper()} cached s", f"{m.upper()} inverse (1 click) ms"]
        print(table(cols, rows), flush=True)
        if args.no_browser or chromium_missing():
            print(f"\nbrowser part skipped: {chromium_missing() or '--no-browser'}")
            return 0
        n_max, method = max(sizes), methods[-1]
        path = Path(tmp) / "points.npz"
        np.savez(path, points=embeddings[n_max, method], labels=labels[:n_max])
        os.environ["BENCH_MAP_POINTS"] = str(path)
        with e2e_helpers().streamlit_server("bench/map_app.py") as app:
            res = asyncio.run(browse(app.url(), sizes[-1:] if args.quick else sizes, args.reps, args.seconds,
                                     warmup=not args.quick))
    rows = [[n, kind, median(r["fps"] for r in v), median(r["median"] for r in v), median(r["p95"] for r in v),
             max(r["max"] for r in v), "" if "moved" not in v[0] else all(r["moved"] for r in v)]
            for (n, kind), v in res.items()]
    print(f"\nScattergl of the {method.upper()} map, {args.seconds:g} s gestures (pan: 90 mouse moves/s; zoom: 20 "
          f"wheel notches/s), {args.reps} per size after a warm-up round\n")
    print(table(["points", "gesture", "frames/s", "median frame ms", "p95 frame ms", "max frame ms",
                 "plot moved"], rows))
    if args.plot:
        series = [(f"{n} points, pan", list(np.cumsum(v[-1]["gaps"]) / 1000), v[-1]["gaps"])
                  for (n, kind), v in res.items() if kind.startswith("pan")]
        out = line_plot(BENCH / "map-frames.png", series, "frame time while panning a Scattergl map (headless "
                        "Chromium, software WebGL)", "seconds into the drag", "ms per frame")
        print(f"plot: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
