"""Benchmarks with recorded results (bench/README.md): `python -m bench <name> [options]`.

What every benchmark shares: a description of the machine, side-by-side timing (interleaved
repetitions, medians), markdown tables, small PNG line plots drawn with Pillow, synthetic 28x28
data, and the browser helpers of tests/e2e/conftest.py loaded by path.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib.util
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent


# --- the machine ----------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line: date, cores, CPU model, GPU (or 'no GPU'), torch and Python versions."""
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{datetime.date.today().isoformat()}, nproc={os.cpu_count()}, {cpu_model()}, {gpu}, "
            f"torch {torch.__version__} ({torch.get_num_threads()} threads), Python {platform.python_version()}")


def header(title: str) -> None:
    """Print the benchmark's title, the exact command and the machine, as the README records them."""
    print(f"## {title}\n")
    print(f"command: `python -m bench {' '.join(sys.argv[1:])}`  ")
    print(f"machine: {machine()}  ")
    print(f"load: {load()}\n", flush=True)


def load() -> str:
    """The 1/5/15-minute load averages: the machine is shared, so every result says how busy it was."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores at {time.strftime('%H:%M')}"


# --- timing ---------------------------------------------------------------------------------------


def interleave(runs: dict[str, Callable[[], object]], reps: int, warmup: bool = True) -> dict[str, list]:
    """Call each run once per repetition, in turn (A, B, A, B, ...), so that load on a shared machine
    hits all of them alike; returns each run's results in order. A run returns its own measurement
    (seconds, or a dict); an untimed warm-up round first pays the one-off costs."""
    if warmup:
        for fn in runs.values():
            fn()
    out: dict[str, list] = {name: [] for name in runs}
    for _ in range(reps):
        for name, fn in runs.items():
            out[name].append(fn())
    return out


async def ainterleave(runs: dict[str, Callable], reps: int, warmup: bool = True) -> dict[str, list]:
    """interleave() for coroutine functions."""
    if warmup:
        for fn in runs.values():
            await fn()
    out: dict[str, list] = {name: [] for name in runs}
    for _ in range(reps):
        for name, fn in runs.items():
            out[name].append(await fn())
    return out


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def median(values) -> float:
    values = [v for v in values if v is not None]
    return float(statistics.median(values)) if values else float("nan")


def p95(values) -> float:
    values = [v for v in values if v is not None]
    return float(np.percentile(values, 95)) if values else float("nan")


# --- output ---------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list]) -> str:
    """A markdown table; floats get 3 significant figures (or whole numbers from 100 on)."""

    def cell(v) -> str:
        if isinstance(v, float):
            if v != v:
                return "n/a"
            return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"
        return "" if v is None else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"]


def line_plot(path: str | Path, series: list[tuple[str, list, list]], title: str, xlabel: str, ylabel: str,
              size: tuple[int, int] = (720, 420), step: bool = False, logy: bool = False, zero: bool = True,
              legend_right: bool = False) -> Path:
    """Draw (label, xs, ys) series as lines into a PNG with Pillow (no matplotlib needed); the y axis starts
    at 0 when `zero`, else at the lowest value."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = size
    font = ImageFont.load_default(size=12)
    left, right, top, bottom = 70, 20, 36, 50
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    xs_all = [x for _, xs, _ in series for x in xs] or [0, 1]
    ys_all = [y for _, _, ys in series for y in ys if y == y] or [0, 1]
    fy = (lambda v: np.log10(max(v, 1e-9))) if logy else (lambda v: v)
    x0, x1 = min(xs_all), max(xs_all)
    y0 = min(fy(v) for v in ys_all)  # (no map() in this module: the bench.map submodule shadows it)
    y0 = min(0.0, y0) if zero and not logy else y0
    y1 = max(fy(v) for v in ys_all)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    y1 += 0.05 * (y1 - y0)

    def px(x, y):
        return (left + (x - x0) / (x1 - x0) * (w - left - right),
                h - bottom - (fy(y) - y0) / (y1 - y0) * (h - top - bottom))

    d.rectangle([left, top, w - right, h - bottom], outline="black")
    for i in range(6):  # ticks
        xv, yv = x0 + i * (x1 - x0) / 5, y0 + i * (y1 - y0) / 5
        xp, yp = left + i * (w - left - right) / 5, h - bottom - i * (h - top - bottom) / 5
        d.line([xp, h - bottom, xp, h - bottom + 4], fill="black")
        d.text((xp - 12, h - bottom + 6), f"{xv:.3g}", fill="black", font=font)
        d.line([left - 4, yp, left, yp], fill="black")
        d.line([left + 1, yp, w - right - 1, yp], fill="#eeeeee")
        d.text((4, yp - 6), f"{10 ** yv if logy else yv:.3g}", fill="black", font=font)
    d.text((left, 10), title, fill="black", font=font)
    d.text(((w - len(xlabel) * 6) / 2, h - 18), xlabel, fill="black", font=font)
    d.text((4, top - 16), ylabel, fill="black", font=font)
    for k, (label, xs, ys) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        pts = []
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            if step and i:
                pts.append(px(x, ys[i - 1]))
            pts.append(px(x, y))
        if len(pts) > 1:
            d.line(pts, fill=color, width=2)
        for p in pts if len(pts) < 40 else []:
            d.ellipse([p[0] - 2, p[1] - 2, p[0] + 2, p[1] + 2], fill=color)
        ly, lx = top + 8 + 16 * k, (w - right - 250 if legend_right else left + 10)
        d.line([lx, ly + 6, lx + 20, ly + 6], fill=color, width=3)
        d.text((lx + 26, ly), label, fill="black", font=font)
    path = Path(path)
    img.save(path)
    return path


# --- data -----------------------------------------------------------------------------------------


def synthetic_data(n: int, size: int = 28, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n procedural shape images float32 [n x 1 x size x size] in [0, 1] (vae_core.shapes), made in-process,
    and their shape labels [n]."""
    from vae_core import shapes

    parts = [shapes.generate(min(10_000, n - i), size=size, seed=seed + i) for i in range(0, n, 10_000)]
    if not parts:
        return np.zeros((0, 1, size, size), np.float32), np.zeros(0, np.int64)
    return np.concatenate([x for x, _ in parts]), np.concatenate([f["shape"] for _, f in parts])


def synthetic_images(n: int, size: int = 28, seed: int = 0) -> np.ndarray:
    return synthetic_data(n, size, seed)[0]


# --- browser --------------------------------------------------------------------------------------


def e2e_helpers():
    """tests/e2e/conftest.py as a module: streamlit_server, open_app, wait_for_app, CHROMIUM, ..."""
    spec = importlib.util.spec_from_file_location("latent_lab_e2e_helpers", REPO / "tests" / "e2e" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checkpoint_root(dest: Path, names: tuple[str, ...] = ("digits-2d",)) -> Path:
    """Copy bundled checkpoints into `dest` without their cache/ (cold), for LATENT_LAB_CHECKPOINTS."""
    return e2e_helpers().copy_checkpoints(dest, names)


def checkpoint_kind(root: Path, name: str) -> str:
    """"image" or "text": what the checkpoint `name` in root models (its config.json)."""
    from vae_core.checkpoint import read_info
    from vae_core.modality import modality_of

    return modality_of(read_info(name, root).model_config)


def train_checkpoint(root: Path, name: str, args: list[str]) -> Path:
    """`python -m vae_core train --out NAME ARGS` into root (e.g. a quick 28x28 conv model for the app)."""
    import subprocess

    env = {**os.environ, "LATENT_LAB_CHECKPOINTS": str(root), "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "vae_core", "train", "--out", name, "--seed", "0", *args], cwd=REPO,
                   env=env, check=True, capture_output=True)
    return root / name


def chromium_missing() -> str | None:
    """Why the browser benchmarks cannot run here, or None."""
    if not Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium is missing (make chromium)"
    return None


APP_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@asynccontextmanager
async def chromium_browser():
    """Debian's headless Chromium (tests/e2e's launch flags) through Playwright's async API, so that mouse
    moves can be sent at a steady rate without waiting for each one's round trip. Closed on exit."""
    from playwright.async_api import async_playwright

    helpers = e2e_helpers()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=helpers.CHROMIUM, args=helpers.CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def new_page(browser, viewport: tuple[int, int] = (1200, 900)):
    """A page in a fresh context: no cookies, storage or HTTP cache from earlier visits."""
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.set_default_timeout(60_000)
    return await context.new_page()


@asynccontextmanager
async def chromium(viewport: tuple[int, int] = (1200, 900)):
    """One page in a fresh headless Chromium."""
    async with chromium_browser() as browser:
        yield await new_page(browser, viewport)


async def open_app(page, url: str) -> None:
    """Go to a Streamlit page and wait until its script run has finished."""
    await page.goto(url)
    await page.wait_for_selector(APP_DONE)


async def sweep(page, x_lo: float, x_hi: float, x0: float, y: float, seconds: float, rate: float,
                speed: float) -> tuple[float, float]:
    """Press the mouse at (x0, y) and move back and forth between x_lo and x_hi at `speed` px/s, one move
    every 1/rate s, like a hand; the moves are sent on a clock, not after each other's round trip. Returns
    the page's clock (ms) at the start and end of the drag; the button is still down."""
    await page.mouse.move(x0, y)
    await page.mouse.down()
    t_start = await page.evaluate("performance.now()")
    loop = asyncio.get_running_loop()
    t0, x, step, moves = loop.time(), x0, speed / rate, []
    for i in range(1, int(seconds * rate) + 1):
        await asyncio.sleep(max(0.0, t0 + i / rate - loop.time()))
        x += step
        if not x_lo <= x <= x_hi:  # bounce at the ends
            step, x = -step, min(max(x, x_lo), x_hi)
        moves.append(asyncio.ensure_future(page.mouse.move(x, y)))
    await asyncio.gather(*moves)
    return t_start, await page.evaluate("performance.now()")
