"""Browser-test fixtures: a real Streamlit server per script and Debian's Chromium driven by Playwright.

    def test_x(streamlit_app, page, e2e):
        app = streamlit_app("explorer/app.py")            # started once per session, stopped at the end
        e2e.open_app(page, app.url("some_page", k="v"))   # goes there and waits for the run to finish

Text pages: the module-scoped `text_app` fixture serves explorer/app.py over a copy of the two bundled text
checkpoints, and `e2e.open_text(page, app, path, **query)` opens a page of it on grammar-16d and waits for it.

The helpers (`open_app`, `wait_for_app`, `drag_slider`, `decoder_stats`, `streamlit_server`, and the canvas
map's `wait_for_map`, `map_point`, `empty_spot`, `map_marker`, `map_marker_at`)
are plain functions, reached in tests through the `e2e` fixture: two conftest.py files
cannot both be imported as `conftest`. Scripts (bench/) load this file by path.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
APP_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# The canvas map (explorer/components/point_map.js) seen through its hooks window.__latentLabMaps[key]: points()
# (the map coordinates of the loaded points), toPixel / toMap (page CSS px, as page.mouse takes them), area()
# and markers(). One copy of each query, for every test and bench that clicks a map.
MAP_LOADED_JS = """(key) => { const m = (window.__latentLabMaps || {})[key]; return !!(m && m.points()); }"""
# A point with no other point within `away` px (so a click near it can only mean it), inside the middle 60% of
# the plot area; the k-th such point in a fixed scattered order, so repeated clicks take different points.
MAP_POINT_JS = """([key, away, k]) => {
  const m = window.__latentLabMaps[key], pts = m.points(), a = m.area(), grid = new Map(), px = [];
  for (let i = 0; i < pts.n; i++) {
    const [x, y] = m.toPixel(pts.x[i], pts.y[i]), cell = `${Math.floor(x / away)},${Math.floor(y / away)}`;
    px.push([x, y]);
    if (!grid.has(cell)) grid.set(cell, []);
    grid.get(cell).push(i);
  }
  const lonely = [];
  for (let i = 0; i < pts.n; i++) {
    const [x, y] = px[i], cx = Math.floor(x / away), cy = Math.floor(y / away);
    if (x < a.x + 0.2 * a.w || x > a.x + 0.8 * a.w || y < a.y + 0.2 * a.h || y > a.y + 0.8 * a.h) continue;
    let alone = true;
    for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++)
      for (const j of grid.get(`${cx + dx},${cy + dy}`) || [])
        if (j !== i && Math.hypot(px[j][0] - x, px[j][1] - y) <= away) alone = false;
    if (alone) lonely.push({x, y, index: i, mapX: pts.x[i], mapY: pts.y[i]});
  }
  return lonely.length ? lonely[(3 + 7919 * k) % lonely.length] : null;
}"""
# A spot of the plot area on whole page pixels (as a click's clientX / clientY are) with no point within `away`
# px, so a click there picks none; with its map coordinates.
EMPTY_SPOT_JS = """([key, away]) => {
  const m = window.__latentLabMaps[key], pts = m.points(), a = m.area(), px = [];
  for (let i = 0; i < pts.n; i++) px.push(m.toPixel(pts.x[i], pts.y[i]));
  for (let fy = 0.1; fy < 0.95; fy += 0.05) for (let fx = 0.1; fx < 0.95; fx += 0.05) {
    const x = Math.round(a.x + fx * a.w), y = Math.round(a.y + fy * a.h);
    if (px.every(([qx, qy]) => Math.hypot(qx - x, qy - y) > away)) {
      const [mapX, mapY] = m.toMap(x, y);
      return {x, y, mapX, mapY};
    }
  }
  return null;
}"""
# A marker as drawn ("ring": the selection, "x": the current z): its page pixel and its map coordinates.
MAP_MARKER_JS = """([key, kind]) => {
  const m = (window.__latentLabMaps || {})[key], mk = m && m.markers().find((k) => k.kind === kind);
  if (!mk) return null;
  const [x, y] = m.toPixel(mk.x, mk.y);
  return {x, y, mapX: mk.x, mapY: mk.y};
}"""


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: drives Chromium against a running Streamlit server")


@dataclass
class StreamlitServer:
    script: Path
    port: int
    process: subprocess.Popen
    log: Path
    root: Path | None = None  # the checkpoints folder, when the test chose one (app_server)

    def url(self, path: str = "", **query) -> str:
        """http://localhost:PORT/path?query: a page of the running app."""
        return f"http://localhost:{self.port}/{path.lstrip('/')}" + (f"?{urlencode(query)}" if query else "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(script: str | Path, *args: str, timeout: float = 90) -> Iterator[StreamlitServer]:
    """Run `streamlit run script` from the repository root until the block ends."""
    script, port = REPO / script, free_port()
    log = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.enableStaticServing", "true",
           "--server.fileWatcherType", "none", *args]  # generated files must not trigger reruns
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = StreamlitServer(script, port, proc, log)
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def copy_checkpoints(dest: Path, names: tuple[str, ...] | None = None) -> Path:
    """A copy of the bundled checkpoints (all, or `names`) in dest, without their caches or temp debris."""
    ignore = shutil.ignore_patterns("cache", ".tmp-*")
    for name in names or [p.name for p in (REPO / "checkpoints").iterdir() if p.is_dir() and p.name[0] != "."]:
        shutil.copytree(REPO / "checkpoints" / name, dest / name, ignore=ignore)
    return dest


@contextmanager
def app_server(root: Path) -> Iterator[StreamlitServer]:
    """explorer/app.py served with `root` as its checkpoints folder, so the repository's stay untouched."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LATENT_LAB_CHECKPOINTS", str(root))
        with streamlit_server("explorer/app.py") as server:
            server.root = root
            yield server


def _wait_healthy(server: StreamlitServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text()[-3000:]
            raise RuntimeError(f"streamlit exited with {server.process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(server.url("_stcore/health"), timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy after {timeout}s:\n{server.log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def streamlit_app():
    """Factory: streamlit_app(script, *args) -> StreamlitServer, one server per (script, args) per session."""
    servers: dict[tuple, StreamlitServer] = {}
    contexts = []

    def get(script: str | Path, *args: str) -> StreamlitServer:
        if (str(script), args) not in servers:
            ctx = streamlit_server(script, *args)
            servers[str(script), args] = ctx.__enter__()
            contexts.append(ctx)
        return servers[str(script), args]

    yield get
    for ctx in reversed(contexts):
        ctx.__exit__(None, None, None)


TEXT_CHECKPOINTS = ("grammar-16d", "grammar-16d-plain")  # the bundled text checkpoints (issue 14's lesson pair)


@pytest.fixture(scope="module")
def text_app(request, tmp_path_factory, browser):
    """explorer/app.py over a temporary copy of the bundled text checkpoints, one server per test module (the
    Train page may write into it), warmed by one visit to Explore on grammar-16d. A module that sets
    CLICK_DELAY_S gets a server whose map-click handler waits that long (map_overlay.TEST_DELAY_ENV), so a test
    can read what the browser drew before Python answered.

    Why the warm-up: a fresh server's first visit imports torch, loads the model and encodes the test split (the
    copy has no cache); with two e2e runs and other work on 2 cores (load average 11-12) that took over the 60 s
    a test gives a page (test_text_pages failed so, 1 of 2 runs). The start-up is the server's, not a page's."""
    from explorer.components.map_overlay import TEST_DELAY_ENV

    root = copy_checkpoints(tmp_path_factory.mktemp("text") / "checkpoints", TEXT_CHECKPOINTS)
    delay = getattr(request.module, "CLICK_DELAY_S", None)
    with pytest.MonkeyPatch.context() as mp:
        if delay:
            mp.setenv(TEST_DELAY_ENV, str(delay))
        with app_server(root) as server:
            context = browser.new_context()
            open_text(context.new_page(), server, timeout=300_000)
            context.close()
            yield server


def open_text(page, app: StreamlitServer, path: str = "", timeout: float = 60_000, **query) -> None:
    """Open page `path` of `app` on the text checkpoint grammar-16d (or query's ckpt) and wait for its run."""
    open_app(page, app.url(path, **{"ckpt": "grammar-16d", **query}), timeout)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: `make chromium` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def e2e():
    """This module's helpers: e2e.open_app, e2e.open_text, e2e.wait_for_app, e2e.decoder_stats, e2e.drag_slider,
    e2e.streamlit_server, e2e.copy_checkpoints, e2e.app_server, and for the canvas map e2e.wait_for_map,
    e2e.map_point, e2e.empty_spot, e2e.map_marker, e2e.map_marker_at."""
    return SimpleNamespace(REPO=REPO, open_app=open_app, open_text=open_text, wait_for_app=wait_for_app,
                           decoder_stats=decoder_stats, drag_slider=drag_slider, wait_for_map=wait_for_map,
                           map_point=map_point, empty_spot=empty_spot, map_marker=map_marker,
                           map_marker_at=map_marker_at, MAP_MARKER_JS=MAP_MARKER_JS, MAP_POINT_JS=MAP_POINT_JS,
                           EMPTY_SPOT_JS=EMPTY_SPOT_JS, MAP_LOADED_JS=MAP_LOADED_JS,
                           streamlit_server=streamlit_server, copy_checkpoints=copy_checkpoints,
                           app_server=app_server)


@pytest.fixture
def page(browser):
    """A fresh browser context (no shared session or storage) and page per test."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the script run has finished (the attribute is "initial" before the first run)."""
    page.wait_for_selector(APP_DONE, timeout=timeout)


def open_app(page, url: str, timeout: float = 60_000) -> None:
    page.goto(url)
    wait_for_app(page, timeout)


def wait_for_map(page, key: str, timeout: float = 60_000) -> None:
    """Wait until the canvas map `key` has loaded its points (it answers clicks from then on) and scroll it into
    view, so that the pixels the hooks give are on screen."""
    page.wait_for_function(MAP_LOADED_JS, arg=key, timeout=timeout)
    page.locator('[data-testid="point-map"]').first.scroll_into_view_if_needed()


def map_point(page, key: str, k: int = 0, away: float = 8) -> dict:
    """{x, y, index, mapX, mapY} of a point of map `key` with no other point within `away` px (MAP_POINT_JS)."""
    point = page.evaluate(MAP_POINT_JS, [key, away, k])
    assert point is not None, f"map {key}: no point is {away} px clear of the others"
    return point


def empty_spot(page, key: str, away: float = 25) -> dict:
    """{x, y, mapX, mapY} of a spot of map `key` with no point within `away` px (EMPTY_SPOT_JS)."""
    spot = page.evaluate(EMPTY_SPOT_JS, [key, away])
    assert spot is not None, f"map {key}: no spot is {away} px clear of every point"
    return spot


def map_marker(page, key: str, kind: str) -> dict | None:
    """The marker `kind` of map `key` as drawn: {x, y, mapX, mapY}, or None (MAP_MARKER_JS)."""
    return page.evaluate(MAP_MARKER_JS, [key, kind])


def map_marker_at(page, key: str, kind: str, map_x: float, map_y: float, tol: float = 1e-6) -> dict:
    """Wait until the marker `kind` of map `key` stands at (map_x, map_y), within tol; return it."""
    page.wait_for_function(f"""([key, kind, x, y, tol]) => {{ const m = ({MAP_MARKER_JS})([key, kind]);
        return m !== null && Math.abs(m.mapX - x) <= tol && Math.abs(m.mapY - y) <= tol; }}""",
                           arg=[key, kind, map_x, map_y, tol])
    return map_marker(page, key, kind)


def decoder_stats(page, root: str = '[data-testid="latent-decoder"]') -> dict:
    """Items drawn so far and the mean decode+draw time (ms) over the last 60, from the hooks of the element that
    shows them (the image panel's canvas, the text panel's sentence)."""
    canvas = page.locator(f"{root} [data-frames]")
    return {"frames": int(canvas.get_attribute("data-frames") or 0),
            "decode_ms": float(canvas.get_attribute("data-decode-ms") or "nan")}


def drag_slider(page, slider, fraction: float = 0.8, steps: int = 40, pause_ms: float = 16,
                root: str = '[data-testid="latent-decoder"]') -> dict:
    """Drag a range input's thumb from its current value across `fraction` of its width, like a hand.

    Returns frames drawn and wall time during the drag, read before the mouse is released.
    """
    box = slider.bounding_box()
    lo, hi, value = (float(slider.evaluate(f"e => e.{a}")) for a in ("min", "max", "value"))
    thumb = 8  # Chromium's thumb is ~16 px wide: its centre runs from left+8 to right-8
    x0 = box["x"] + thumb + (value - lo) / (hi - lo) * (box["width"] - 2 * thumb)
    y = box["y"] + box["height"] / 2
    direction = -1 if x0 > box["x"] + box["width"] / 2 else 1
    page.mouse.move(x0, y)
    page.mouse.down()
    before, t0 = decoder_stats(page, root), time.perf_counter()
    for i in range(1, steps + 1):
        page.mouse.move(x0 + direction * fraction * (box["width"] - 2 * thumb) * i / steps, y)
        page.wait_for_timeout(pause_ms)
    during, seconds = decoder_stats(page, root), time.perf_counter() - t0
    page.mouse.up()
    frames = during["frames"] - before["frames"]
    return {"frames": frames, "seconds": seconds, "fps": frames / seconds, "decode_ms": during["decode_ms"]}
