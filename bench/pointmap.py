"""The canvas map against plotly: seconds from the request to the map drawn, on warm servers, for (a) one
st.plotly_chart of the checkpoint's 10,000 test points (bench/map_app.py, the --floor page of bench startup),
(b) the point_map component of the same points (tests/e2e/point_map_demo.py) and (c) an empty Streamlit page
(bench/empty_app.py, the framework's own floor); interleaved, a new browser context (empty cache) per visit.
Then the time per redraw while panning each map by dragging (point_map's own data-redraw-ms, and the
requestAnimationFrame intervals of both pages), and point_map's redraws while panning 70,000 seeded points
(MNIST's whole 60k + 10k; bench map has plotly's Scattergl at that size: ~4 frames/s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from bench import (
    APP_DONE,
    ainterleave,
    chromium_browser,
    chromium_missing,
    e2e_helpers,
    header,
    median,
    new_page,
    p95,
    sweep,
    table,
)
from bench.map import PLOT_AREA_JS, frames_during
from bench.startup import floor_points, visit

PLOTLY, CANVAS, EMPTY = "st.plotly_chart (bench/map_app.py)", "point_map (canvas)", "empty page"
SCRIPTS = {PLOTLY: "bench/map_app.py", CANVAS: "tests/e2e/point_map_demo.py", EMPTY: "bench/empty_app.py"}
# Drawn: the run finished and the points are on screen (plotly: its WebGL canvas exists; point_map: its first
# redraw has finished, data-points-drawn is set only then).
READY = {PLOTLY: [APP_DONE, ".st-key-map .js-plotly-plot .main-svg", ".st-key-map .gl-container canvas"],
         CANVAS: [APP_DONE, '[data-testid="point-map"][data-points-drawn]'],
         EMPTY: [APP_DONE, ".st-key-empty"]}
BIG = 70_000
CANVAS_AREA_JS = "() => window.__latentLabMaps.demo_map.area()"
CANVAS_TIMES_JS = "() => window.__latentLabMaps.demo_map.stats().times"


async def pan(browser, url: str, which: str, seconds: float) -> dict:
    """Drag across the middle of the map for `seconds` (90 moves/s, 400 px/s, like bench map): frame
    intervals, and for point_map the ms of each redraw during the drag."""
    page = await new_page(browser)
    await page.goto(url)
    for selector in READY[which]:
        await page.wait_for_selector(selector, timeout=120_000)
    await page.wait_for_timeout(500)
    if which == PLOTLY:
        a = await page.locator(".st-key-map .js-plotly-plot").evaluate(PLOT_AREA_JS)
    else:
        a = await page.evaluate(CANVAS_AREA_JS)
        before = len(await page.evaluate(CANVAS_TIMES_JS))
    cx, cy = a["x"] + a["w"] / 2, a["y"] + a["h"] / 2
    frames = await frames_during(page, lambda: sweep(page, cx - a["w"] / 4, cx + a["w"] / 4, cx, cy, seconds, 90, 400))
    if which == CANVAS:  # the hook keeps the last 240 redraws, more than one drag makes
        frames["redraw_ms"] = (await page.evaluate(CANVAS_TIMES_JS))[before:]
    await page.context.close()
    return frames


async def run(urls: dict[str, str], reps: int, seconds: float, warmup: bool) -> tuple[dict, dict]:
    async with chromium_browser() as browser:
        loads = await ainterleave({k: (lambda k=k: visit(browser, urls[k], READY[k])) for k in SCRIPTS}, reps,
                                  warmup=warmup)
        pans = await ainterleave({k: (lambda k=k: pan(browser, urls[k], k, seconds)) for k in (PLOTLY, CANVAS)},
                                 reps, warmup=warmup)
        big = f"{CANVAS}, {BIG:,} seeded points"
        pans[big] = [await pan(browser, urls[big], CANVAS, seconds) for _ in range(reps)]
    return loads, pans


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench pointmap", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default="mnist-2d", help="bundled checkpoint whose test-set mu is drawn")
    p.add_argument("--n", type=int, default=0, help="draw only the first n points (default: all)")
    p.add_argument("--reps", type=int, default=3, help="counted rounds after an uncounted one (default 3)")
    p.add_argument("--seconds", type=float, default=2.0, help="length of each pan drag (default 2)")
    p.add_argument("--quick", action="store_true", help="smoke: 2,000 points, one round, no warm-up, 0.5 s pans")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.reps, args.seconds = 2000, 1, 0.5
    if why := chromium_missing():
        print(f"skipped: {why}")
        return 0
    header("pointmap: request -> map drawn, plotly vs the canvas component; redraw while panning")
    with tempfile.TemporaryDirectory(prefix="bench-pointmap-") as tmp, ExitStack() as stack:
        path = floor_points(args.checkpoint, Path(tmp) / "points.npz")
        n = args.n or len(np.load(path)["points"])
        print(f"{n} points: {args.checkpoint}'s test-set mu (first two dims), coloured by label; warm servers "
              f"(one uncounted visit each first{'' if not args.quick else ', skipped in --quick'}), a new browser "
              f"context per visit, {args.reps} rounds interleaved\n", flush=True)
        os.environ["BENCH_MAP_POINTS"] = str(path)
        servers = {k: stack.enter_context(e2e_helpers().streamlit_server(s)) for k, s in SCRIPTS.items()}
        urls = {k: servers[k].url(**({"n": n} if k != EMPTY else {})) for k in SCRIPTS}
        urls[f"{CANVAS}, {BIG:,} seeded points"] = servers[CANVAS].url(n=BIG, blobs=1, sprites=0)
        loads, pans = asyncio.run(run(urls, args.reps, args.seconds, warmup=not args.quick))
    plotly_s = median(loads[PLOTLY])
    rows = [[k, median(v), min(v), " ".join(f"{s:.2f}" for s in v), median(v) / plotly_s] for k, v in loads.items()]
    print(table(["page", "request -> drawn s (median)", "best s", "per round s", "x plotly"], rows))
    rows = []
    for k, runs in pans.items():
        redraw = [ms for r in runs for ms in r.get("redraw_ms", [])]
        rows.append([k, median(r["fps"] for r in runs), median(r["median"] for r in runs),
                     median(r["p95"] for r in runs), median(redraw) if redraw else None,
                     p95(redraw) if redraw else None, max(redraw) if redraw else None])
    print(f"\npanning: {args.seconds:g} s drags (90 mouse moves/s), {args.reps} per page\n")
    print(table(["map", "frames/s", "median frame ms", "p95 frame ms", "redraw ms median", "redraw ms p95",
                 "redraw ms max"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
