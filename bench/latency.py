"""Latency of a committed change in the real app (explorer/app.py), measured in Chromium: from the event
(pointer up on a slider, a click on the map) to the finished rerun that shows the updated element, and for a
map click also to the frame in which the browser drew the clicked point itself (selection_view.js).

The page records, with performance.now(): the last pointerup, each change of stApp's
data-test-script-state (running / notRunning), and the first animation frame after the run finished.
Checkpoints (--checkpoints): the bundled mnist-2d (the app's default, 10,000 test points on the map), digits-2d
(8x8, 359 points) and the sentence VAE grammar-16d (2,000 test sentences; issue 14), and a 28x28 conv model
trained for --epochs-28 epochs on shapes. A text checkpoint's Explore has the same hooks in its own views: the
text panel (text_panel.py: `latent-decoder`, its sentence's data-frames) and the text selection view
(text_selection.py: `selection-view` with data-index and data-drawn-at, the frame that drew the clicked sentence
and the greedy decode of its mu).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from bench import (
    checkpoint_kind,
    checkpoint_root,
    chromium,
    chromium_missing,
    e2e_helpers,
    header,
    median,
    open_app,
    p95,
    sweep,
    table,
    train_checkpoint,
)

# The views' hooks, the same for images and text (one slider_panel.js, one selection_core.js behind both):
DECODER = '.st-key-explore_decoder [data-testid="latent-decoder"]'  # latent_decoder.py, or text_panel.py
# the decoder's first item drawn: the image panel's canvas or the text panel's sentence counts its frames
DECODER_DRAWN = f'{DECODER}[data-ready="true"] [data-frames]:not([data-frames="0"])'
MAP = "explore_map"  # the canvas map (explorer/components/point_map.py), read through its hooks
SELECTION = '[data-testid="selection-view"]'  # selection_view.py or text_selection.py: drawn by the browser
DEFAULT_CHECKPOINTS = "mnist-2d,digits-2d,grammar-16d"
QUICK_CHECKPOINTS = "digits-2d,grammar-16d"  # one image and one text checkpoint: both paths, one server
RECORDER_JS = """() => {
  const log = window.__lat = {states: [], ups: []};
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => {
    const s = app.dataset.testScriptState, t = performance.now();
    log.states.push([s, t]);
    if (s === "notRunning") requestAnimationFrame(() => log.states.push(["painted", performance.now()]));
  }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
  window.addEventListener("pointerup", () => log.ups.push(performance.now()), {capture: true});
}"""
WS_RECORDER = Path(__file__).with_name("script_runs.js")  # the same runs, as the websocket reports them
# Resolves when a run that started after the last pointerup has finished and painted: seen in the page's script
# state, or on the websocket when the state never showed it running (React rendered the run's states at once:
# script_runs.js says why).
DONE_JS = """() => {
  const log = window.__lat, up = log.ups[log.ups.length - 1];
  if (up === undefined) return false;
  const done = (entries, start) => {
    const after = entries.filter(([, t]) => t >= up), run = after.findIndex(([s]) => s === start);
    return run >= 0 && after.slice(run).some(([s]) => s === "painted");
  };
  if (done(log.states, "running")) return true;
  const shown = log.states.some(([s, t]) => t >= up && s === "running");
  return !shown && done(window.__latWs || [], "start");
}"""


def _run_after(entries: list, up: float, started: str, finished: str) -> dict | None:
    """ms from the pointerup `up` to the first run that started after it, its finish and the frame painted after."""
    after = [(s, t) for s, t in entries if t >= up]
    first = next((i for i, (s, _) in enumerate(after) if s == started), None)
    if first is None:
        return None
    done = next((t for s, t in after[first:] if s == finished), None)
    painted = next((t for s, t in after[first:] if s == "painted"), None)
    if done is None or painted is None:
        return None
    return {"done_ms": done - up, "painted_ms": painted - up, "start_ms": after[first][1] - up}


async def measure(page) -> dict | None:
    """After an event: wait for the rerun it caused; ms from the pointerup to the finished run and paint
    (None if no rerun came within 20 s: counted as a failure). Timed from the page's script state; a run the
    state never showed is timed from the websocket's messages ("via": "websocket")."""
    try:
        await page.wait_for_function(DONE_JS, timeout=20_000)
    except Exception:  # playwright's TimeoutError
        return None
    log, ws = await page.evaluate("[window.__lat, window.__latWs || []]")
    up = log["ups"][-1]
    row = _run_after(log["states"], up, "running", "notRunning")
    if row is not None:
        return {**row, "via": "state"}
    return {**_run_after(ws, up, "start", "finished"), "via": "websocket"}


async def decoder_release(page, k: int) -> dict:
    """A short drag of the decoder's first slider (0.3 s), then release: the z goes to Python, one rerun."""
    slider = page.locator(f"{DECODER} input[type=range]").first
    # On screen first: a clicked sentence (text) grows the selection view above the panel and can push its sliders
    # below the viewport, where the mouse cannot reach them (7 of 10 grammar-16d releases were lost so).
    await slider.scroll_into_view_if_needed()
    box = await slider.bounding_box()
    x0 = box["x"] + box["width"] * (0.3 if k % 2 else 0.7)
    await sweep(page, box["x"] + 10, box["x"] + box["width"] - 10, x0, box["y"] + box["height"] / 2, 0.3, 60,
                100 if k % 2 else -100)
    await page.mouse.up()
    return await measure(page)


async def hover_point(page, k: int) -> dict:
    """Move the mouse onto a point of the map, as a hand would before clicking; returns the point."""
    # a different point each time, with no other point within 6 px (the 10,000 MNIST points overlap), inside
    # the middle of the plot: tests/e2e/conftest.py's MAP_POINT_JS, through the map's hooks; the map on screen
    # (the decoder's sliders may have been scrolled to)
    await page.locator('[data-testid="point-map"]').scroll_into_view_if_needed()
    point = await page.evaluate(e2e_helpers().MAP_POINT_JS, [MAP, 6, k])
    await page.mouse.move(point["x"] - 4, point["y"])
    await page.mouse.move(point["x"], point["y"], steps=4)
    return point


async def map_click(page, k: int) -> dict:
    """A click on a point of the latent map (a different one each time): it becomes the selection."""
    point = await hover_point(page, k)
    await page.mouse.click(point["x"], point["y"])
    row = await measure(page)
    if row is not None:  # the selection view shows this point, not another: when was it drawn?
        view = page.locator(f'{SELECTION}[data-index="{point["index"]}"]')
        await view.wait_for()
        up = (await page.evaluate("window.__lat.ups"))[-1]
        row["drawn_ms"] = float(await view.get_attribute("data-drawn-at")) - up
    return row


async def native_release(page, k: int) -> dict:
    """Drag the Generate page's temperature st.slider a little and release: new samples from the server."""
    thumb = page.locator(".st-key-gen_temperature input[type=range]").locator("xpath=../..")
    await thumb.scroll_into_view_if_needed()
    box = await thumb.bounding_box()
    x0, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    dx = 30 if k % 2 == 0 else -30
    await sweep(page, x0 - 40, x0 + 40, x0, y, 0.3, 60, dx / 0.3)
    await page.mouse.up()
    return await measure(page)


async def run(url: str, reps: int, warmup: bool = True) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {"decoder slider release (Explore)": [], "map click (Explore)": [],
                                  "native st.slider release (Generate)": []}
    async with chromium() as page:
        await page.add_init_script(path=str(WS_RECORDER))  # before Streamlit's code, on every page load
        await open_app(page, url)
        # Everything that answers an event in the browser has loaded: the decoder (its first item drawn), the map's
        # points and the selection view's point set and decoder; else a click would wait for Python's rerun.
        await page.locator(DECODER_DRAWN).wait_for()
        await page.wait_for_function(e2e_helpers().MAP_LOADED_JS, arg=MAP)
        await page.locator(f'{SELECTION}[data-ready="true"]').wait_for()
        await page.locator('[data-testid="point-map"]').scroll_into_view_if_needed()
        await page.evaluate(RECORDER_JS)
        for k in range(0 if warmup else 1, reps + 1):  # round 0 warms up, uncounted
            for name, fn in (("decoder slider release (Explore)", decoder_release), ("map click (Explore)", map_click)):
                row = await fn(page, k)
                if k:
                    out[name].append(row)
        await open_app(page, url.replace("/?", "/generate?") if "/?" in url else url.rstrip("/") + "/generate")
        await page.evaluate(RECORDER_JS)
        for k in range(0 if warmup else 1, reps + 1):
            row = await native_release(page, k)
            if k:
                out["native st.slider release (Generate)"].append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench latency", description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=15, help="events of each kind per checkpoint (default 15)")
    p.add_argument("--epochs-28", type=int, default=1, help="epochs for the 28x28 conv checkpoint (0: skip it)")
    p.add_argument("--checkpoints", help=f"bundled checkpoints, in turn on one server (default {DEFAULT_CHECKPOINTS}; "
                   f"with --quick {QUICK_CHECKPOINTS})")
    p.add_argument("--quick", action="store_true", help="smoke settings: 1 event each, no warm-up, no conv model, "
                   f"{QUICK_CHECKPOINTS} unless --checkpoints")
    args = p.parse_args(argv)
    if why := chromium_missing():
        print(f"skipped: {why}")
        return 0
    if args.quick:
        args.reps, args.epochs_28 = 1, 0
    args.checkpoints = args.checkpoints or (QUICK_CHECKPOINTS if args.quick else DEFAULT_CHECKPOINTS)
    header("latency: committed change -> updated page (real app)")
    h = e2e_helpers()
    rows, failed, unseen = [], False, []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        names = args.checkpoints.split(",")
        root = checkpoint_root(Path(tmp) / "checkpoints", tuple(names))
        if args.epochs_28 > 0:
            train_checkpoint(root, "shapes28-conv-z8", ["--data", "shapes:28", "--latent-dim", "8", "--epochs",
                                                        str(args.epochs_28)])
            names.append("shapes28-conv-z8")
        os.environ["LATENT_LAB_CHECKPOINTS"] = str(root)
        kinds = {name: checkpoint_kind(root, name) for name in names}
        extra = f" (default conv, z=8, {args.epochs_28} epoch(s) on shapes:28)" if args.epochs_28 else ""
        print(f"{args.reps} events of each kind per checkpoint{'' if args.quick else ' after a warm-up round'}; "
              "checkpoints: "
              f"{', '.join(f'{n} ({kinds[n]})' for n in names)}{extra}\n", flush=True)
        with h.streamlit_server("explorer/app.py") as app:
            for name in names:
                try:
                    res = asyncio.run(run(app.url("", ckpt=name), args.reps, warmup=not args.quick))
                except Exception as exc:  # keep what the other checkpoints measured; say what failed
                    print(f"{name}: failed: {type(exc).__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
                    failed = True
                    continue
                for kind, all_runs in res.items():
                    runs = [r for r in all_runs if r is not None]
                    if ws := sum(r["via"] == "websocket" for r in runs):
                        unseen.append(f"{name} {kind}: {ws}")
                    done = [r["done_ms"] for r in runs]
                    drawn = [r["drawn_ms"] for r in runs if "drawn_ms" in r]
                    rows.append([name, kind, median(drawn) if drawn else "-", median(done), p95(done),
                                 median(r["painted_ms"] for r in runs), median(r["start_ms"] for r in runs),
                                 len(runs), len(all_runs) - len(runs)])
    print(table(["checkpoint", "event", "median ms drawn in the browser", "median ms (run finished)", "p95 ms",
                 "median ms (next frame painted)", "median ms to rerun start", "n", "no rerun within 20 s"], rows))
    print(f"\nruns the page's script state never showed running, timed from the websocket instead: "
          f"{'; '.join(unseen) or 'none'}")
    worst = max((r[3] for r in rows), default=float("nan"))
    print(f"\nrerun target: median <= 150 ms: {'met' if worst <= 150 else 'MISSED'} (worst median {worst:.0f} ms)")
    for name in dict.fromkeys(r[0] for r in rows):  # issue 16: a map click drawn in the browser
        mine = {r[1]: r for r in rows if r[0] == name}
        click, native = mine.get("map click (Explore)"), mine.get("native st.slider release (Generate)")
        if click and native and click[2] != "-":
            ratio = click[2] / native[3]
            ok = click[2] <= 50 and ratio <= 0.35
            print(f"{name}: map click drawn in the browser {click[2]:.0f} ms = {ratio:.2f}x the native st.slider "
                  f"rerun ({native[3]:.0f} ms); target <= 50 ms and <= 0.35x: {'met' if ok else 'MISSED'}")
    for line in text_verdicts(rows, kinds):
        print(line)
    return 1 if failed else 0


def _verdict(ms) -> str:
    """A median against issue 14's 150 ms, as "123 ms (met)"; "-" where the event has no such figure."""
    if ms == "-" or ms != ms:
        return "-"
    return f"{ms:.0f} ms ({'met' if ms <= 150 else 'MISSED'})"


def text_verdicts(rows: list[list], kinds: dict[str, str]) -> list[str]:
    """Issue 14's target for each text checkpoint of the table: map click and slider release <= 150 ms median to the
    updated page, read both as drawn by the browser and as Python's finished rerun, with ratios to the native
    st.slider rerun on the same checkpoint's Generate page and on the first image checkpoint's (the same run)."""
    by = {(r[0], r[1]): r for r in rows}
    native = "native st.slider release (Generate)"
    images = [n for n, k in kinds.items() if k == "image" and (n, native) in by]
    out = []
    for name in [n for n, k in kinds.items() if k == "text"]:
        click, release = by.get((name, "map click (Explore)")), by.get((name, "decoder slider release (Explore)"))
        if not (click and release):
            continue
        bases = [(f"its own Generate ({name})", by[name, native][3])] if (name, native) in by else []
        bases += [(f"{images[0]}'s Generate", by[images[0], native][3])] if images else []
        ratios = "; ".join(f"vs the native st.slider rerun on {what} ({ms:.0f} ms): click rerun {click[3] / ms:.2f}x, "
                           f"release rerun {release[3] / ms:.2f}x" for what, ms in bases)
        out.append(f"{name} (text, issue 14: <= 150 ms median to the updated page): map click drawn in the browser "
                   f"{_verdict(click[2])}, its rerun {_verdict(click[3])}; decoder slider release rerun "
                   f"{_verdict(release[3])}; {ratios or 'no native baseline in this run'}")
    return out


if __name__ == "__main__":
    sys.exit(main())
