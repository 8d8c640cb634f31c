"""A class on several replicas: deploy/replicas.sh starts 2 app replicas (`python -m explorer --served`) and nginx
on free ports over a temporary checkpoints folder; N browser sessions (one Chromium, a context each) go through
the proxy to Explore on the class's default checkpoint (mnist-2d, 10,000 points on the map).

What it checks: every session stays on one replica (the X-Latent-Lab-Replica header of each response, and nginx's
access log per route cookie, the websocket included); in each session a drag of a decoder slider draws frames and
its release reruns the page, and a map click selects the clicked point; a checkpoint trained through the Train
page of one session's replica (--quick: copied into the shared folder) shows in the picker of a session on each
replica.

What it measures, per replica (the `python -m explorer` process and its children, from /proc): RSS once warm
(one session opened and closed straight on its port) and with its sessions open, hence MB per session; CPU
seconds of the server per page open and per committed change (a slider release or a map click), each session
acting alone; and the answer time of a map click when 1, 4, ... of the sessions click at the same moment.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import (
    APP_DONE,
    checkpoint_root,
    chromium_browser,
    chromium_missing,
    e2e_helpers,
    header,
    load,
    median,
    p95,
    table,
)
from bench.latency import DECODER, DONE_JS, MAP, RECORDER_JS, SELECTION, decoder_release
from bench.replicas_deploy import Deployment, answered_by, deployment, routes_in_log, usage

CHECKPOINT = "mnist-2d"  # what a class opens first: the app's default
NEW = "shared-new"  # the checkpoint written while the sessions are open
NO_RERUN: list[str] = []  # what the page showed after each click that no rerun followed
UNSEEN_RUNS: list[float] = []  # wall ms of clicks whose run the script-state recorder did not see (map_click)
URL_Z_JS = "() => new URLSearchParams(location.search).get('z')"
URL_PICKED_JS = "(i) => new URLSearchParams(location.search).get('i') === String(i)"
# Requests that only the session's own replica can answer (deploy/nginx.conf.in never retries them elsewhere).
SESSION_BOUND = re.compile(r"^/(_stcore/stream|_stcore/upload_file/|media/)")
MAP_LOADED_JS = e2e_helpers().MAP_LOADED_JS


def nginx_missing() -> str | None:
    """Why this bench cannot run here (no nginx, no Chromium), or None."""
    if shutil.which("nginx") is None:
        return "nginx is not installed (Debian: apt-get install nginx-light)"
    return chromium_missing()


# --- the sessions ---------------------------------------------------------------------------------------


@dataclass
class Session:
    page: object
    responses: list = field(default_factory=list)  # (path, X-Latent-Lab-Replica) of every response
    route: str = ""
    open_s: float = float("nan")

    @property
    def replica(self) -> str:
        """The replica that answered the page itself (the first response)."""
        return answered_by(self.responses[0][1]) if self.responses else "none"


async def open_session(browser, url: str) -> Session:
    """A fresh context on Explore, waited until the decoder and the map answer; records the replica of every
    response."""
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(180_000)  # 16 sessions starting at once on a shared 2-core machine
    page = await context.new_page()
    session = Session(page)
    base = url.split("/?")[0]
    page.on("response", lambda r: r.url.startswith(base) and session.responses.append(
        (r.url[len(base):].split("?")[0], r.headers.get("x-latent-lab-replica") or "none")))
    t0 = time.perf_counter()
    await page.goto(url)
    await page.locator(f'{DECODER}[data-ready="true"]').wait_for()
    await page.wait_for_function(MAP_LOADED_JS, arg=MAP)
    session.open_s = time.perf_counter() - t0
    await page.locator('[data-testid="point-map"]').scroll_into_view_if_needed()
    await page.evaluate(RECORDER_JS)
    session.route = next((c["value"] for c in await context.cookies() if c["name"] == "latentlab_route"), "")
    return session


async def frames(page) -> int:
    return int(await page.locator(f"{DECODER} [data-frames]").get_attribute("data-frames") or 0)


async def map_click(page, k: int) -> dict | None:
    """Click a point of the map that is not the current selection (a click on it would change nothing); ms from
    the pointerup to the end of the rerun it causes, None if the server did not answer within 120 s.

    The server's answer is the URL's ?i= becoming the point (Explore's run writes it). The recorder of bench
    latency times the run from stApp's script-state attribute, but a fast run's start and end can reach a busy
    browser together and be drawn in one render, which changes no attribute: then the time is the wall clock's,
    which includes Playwright's polling (a few ms)."""
    helpers = e2e_helpers()
    view = page.locator(SELECTION)
    current = await view.get_attribute("data-index") if await view.count() else None
    point = await page.evaluate(helpers.MAP_POINT_JS, [MAP, 6, k])
    while str(point["index"]) == current:
        k += 1
        point = await page.evaluate(helpers.MAP_POINT_JS, [MAP, 6, k])
    await page.mouse.move(point["x"] - 4, point["y"])
    await page.mouse.move(point["x"], point["y"], steps=4)
    t0 = time.perf_counter()
    await page.mouse.click(point["x"], point["y"])
    picked = page.locator(f'{SELECTION}[data-index="{point["index"]}"]')
    try:
        await page.wait_for_function(URL_PICKED_JS, arg=point["index"], timeout=120_000)
    except Exception:  # playwright's TimeoutError: say whether the browser took the click at least
        NO_RERUN.append("the browser selected the point" if await picked.count() else "the point was not selected")
        return None
    wall_ms = (time.perf_counter() - t0) * 1000
    await picked.wait_for()
    try:
        await page.wait_for_function(DONE_JS, timeout=2_000)
    except Exception:  # the run was drawn in one render: the recorder saw nothing
        UNSEEN_RUNS.append(wall_ms)
        return {"done_ms": wall_ms}
    log = await page.evaluate("window.__lat")
    up = log["ups"][-1]
    after = [(st, t) for st, t in log["states"] if t >= up]
    first = next(i for i, (st, _) in enumerate(after) if st == "running")
    return {"done_ms": next(t for st, t in after[first:] if st == "notRunning") - up}


async def interact(session: Session, k: int) -> dict:
    """A decoder drag and release, then a map click: frames drawn during the drag, ms to each rerun's end."""
    page = session.page
    before, z_before = await frames(page), await page.evaluate(URL_Z_JS)
    release = await decoder_release(page, k)
    drawn = await frames(page) - before
    if release is None:  # the recorder saw no run (see map_click): did the server write the new z to the URL?
        try:
            await page.wait_for_function(f"(z) => ({URL_Z_JS})() !== z", arg=z_before, timeout=120_000)
            release = {"done_ms": "answered, run not seen"}
        except Exception:  # playwright's TimeoutError
            release = None
    click = await map_click(page, k)
    return {"frames": drawn, "release_ms": release and release["done_ms"], "click_ms": click and click["done_ms"]}


async def sees_checkpoint(session: Session, name: str) -> bool:
    """Is `name` among the options of the session's checkpoint picker, after the session goes to another page
    through the sidebar (a full rerun of the same session: a map click reruns only the map's fragment, and the
    sidebar lists the folder on full runs)?"""
    page = session.page
    await page.locator('[data-testid="stSidebarNav"] a', has_text="Generate").click()
    await page.wait_for_url("**/generate**")
    await page.wait_for_selector(APP_DONE)
    await page.locator(".st-key-checkpoint input").click()
    try:
        await page.get_by_role("option", name=name, exact=True).wait_for(timeout=30_000)
        return True
    except Exception:  # playwright's TimeoutError: not listed
        return False
    finally:
        await page.keyboard.press("Escape")


async def warm_up(browser, dep: Deployment) -> None:
    """One session straight on each replica's port (not through the proxy), opened, used once and closed, so
    that the model, the encoded test set and the map are cached before anything is measured."""
    for port in dep.ports:
        s = await open_session(browser, f"http://127.0.0.1:{port}/?ckpt={CHECKPOINT}")
        await interact(s, 0)
        await s.page.context.close()
    await asyncio.sleep(2)


async def fill(page, key: str, value) -> None:
    """Type into a text or number input, commit it (Enter) and wait for the rerun."""
    box = page.locator(f".st-key-{key} input")
    await box.fill(str(value))
    await box.press("Enter")
    await page.wait_for_timeout(300)
    await page.wait_for_selector(APP_DONE)


async def train_through_page(session: Session, name: str) -> str:
    """Train `name` (1 epoch on digits, the page's default data) on the Train page of the session's replica, as a
    teacher would, and wait for the page to say it is saved. Returns how it was made."""
    page = session.page
    await page.locator('[data-testid="stSidebarNav"] a', has_text="Train").click()
    await page.locator(".st-key-train_name input").wait_for()
    await page.wait_for_selector(APP_DONE)
    await fill(page, "train_epochs", 1)
    await fill(page, "train_name", name)
    await page.get_by_role("button", name="Start training").click()
    await page.get_by_text("Done: trained 1 epoch").wait_for(timeout=300_000)
    return f"trained for 1 epoch on digits through the Train page of replica {session.replica}"


def copy_checkpoint(root: Path) -> str:
    """A new checkpoint in the shared folder, copied in (to a hidden temp name, then one rename: what pickers see
    is whole). Returns how it was made."""
    tmp = root / f".tmp-{NEW}"
    shutil.copytree(root / "digits-2d", tmp)
    tmp.rename(root / NEW)
    return "digits-2d copied into the shared folder (temp name, then a rename)"


async def run(dep: Deployment, root: Path, n: int, levels: list[int], train: bool) -> dict:
    out: dict = {"rows": [], "concurrent": [], "cpu": {}, "mem": {}}
    async with chromium_browser() as browser:
        await warm_up(browser, dep)
        warm = {port: usage(pid) for port, pid in dep.pids.items()}
        # Open the sessions four at a time (a class arriving), topped up until every replica has one.
        sessions: list[Session] = []
        gate = asyncio.Semaphore(4)

        async def one() -> Session:
            async with gate:
                return await open_session(browser, f"{dep.url}/?ckpt={CHECKPOINT}")

        sessions += await asyncio.gather(*(one() for _ in range(n)))
        while len({s.replica for s in sessions}) < len(dep.ports) and len(sessions) < n + 8:
            sessions.append(await one())
        opened = {port: usage(pid) for port, pid in dep.pids.items()}
        # Each session acts alone (the others idle): the server's CPU per committed change.
        for k, s in enumerate(sessions):
            row = await interact(s, k + 1)
            out["rows"].append({"session": k, "replica": s.replica, "route": s.route, "open_s": s.open_s, **row,
                                "_session": s})
        acted = {port: usage(pid) for port, pid in dep.pids.items()}
        # Many click at once: the answer time of a click as concurrency grows.
        for c in levels:
            clicks = await asyncio.gather(*(map_click(s.page, 200 + c + i) for i, s in enumerate(sessions[:c])))
            out["concurrent"].append((c, [r["done_ms"] if r else None for r in clicks]))
        after = {port: usage(pid) for port, pid in dep.pids.items()}  # before the picker check visits Generate
        out["published"] = await train_through_page(sessions[0], NEW) if train else copy_checkpoint(root)
        seen = {}
        # A session on each replica looks in its picker, preferring sessions that did not train it; the trainer's
        # looks only where it is its replica's only session (with --quick's 2 sessions, one per replica).
        for s in sessions[1:] + sessions[:1]:
            if s.replica not in seen:
                seen[s.replica] = await sees_checkpoint(s, NEW)
        out["seen"] = seen
        for s in sessions:
            await s.page.context.close()
    await asyncio.sleep(2)  # nginx logs each websocket as it closes
    for port in dep.ports:
        addr = f"127.0.0.1:{port}"
        mine = [r for r in out["rows"] if r["replica"] == addr]
        out["mem"][addr] = (warm[port][0], opened[port][0], after[port][0], len(mine))
        out["cpu"][addr] = (opened[port][1] - warm[port][1], acted[port][1] - opened[port][1], len(mine))
    routes = routes_in_log(dep.run_dir / "access.log")
    for r in out["rows"]:  # where each request of the session was answered, from the browser and from nginx
        s, logged = r.pop("_session"), routes.get(r["route"], [])
        bound = [(path, up) for path, up in logged + s.responses if SESSION_BOUND.match(path)]
        r["sockets"] = sum(path == "/_stcore/stream" for path, _ in logged)
        r["bound"] = len(bound)
        r["bound_ok"] = all(up == r["replica"] for _, up in bound) and r["sockets"] >= 1
        r["elsewhere"] = sum(answered_by(up) != r["replica"] for _, up in s.responses)
        r["retried"] = sum("," in up for _, up in logged)
    errors = dep.run_dir / "error.log"
    out["nginx_errors"] = errors.read_text().splitlines()[-5:] if errors.exists() else []
    return out


# --- the report -----------------------------------------------------------------------------------------


def report(out: dict, per_minute: float) -> bool:
    """Print the tables; True when every check passed."""
    rows = out["rows"]
    print(table(["session", "replica", "websocket + media requests, all there", "other requests answered "
                 "elsewhere", "retried by nginx", "open s", "drag: frames drawn", "release: rerun ms",
                 "map click: rerun ms"],
                [[r["session"], r["replica"], f"{r['bound']} ({r['sockets']} websocket): "
                  + ("yes" if r["bound_ok"] else "NO"), r["elsewhere"], r["retried"], r["open_s"], r["frames"],
                  r["release_ms"] or "none", r["click_ms"] or "none"] for r in rows]))
    sticky = all(r["bound_ok"] for r in rows)
    strict = sticky and not any(r["elsewhere"] for r in rows)
    works = all(r["frames"] > 0 and r["release_ms"] and r["click_ms"] for r in rows)
    seen = out["seen"]
    print(f"\nsticky (every session's websocket and media on its replica, from nginx's log and the browser): "
          f"{'yes' if sticky else 'NO'}; every response of a session from its replica: {'yes' if strict else 'no'}")
    if any(r["retried"] for r in rows):
        print("nginx retried some requests (static files may move, session-bound ones may not); its error log "
              "ends:\n    " + "\n    ".join(out["nginx_errors"]))
    print(f"drag and map click work in every session: {'yes' if works else 'NO'}")
    print(f"new checkpoint ({out['published']}) in the picker: "
          + ", ".join(f"{rep}: {'yes' if ok else 'NO'}" for rep, ok in seen.items()) + "\n")

    mem_rows, cpu_rows, per_session, per_change, per_open = [], [], [], [], []
    for addr, (warm, opened, after, k) in out["mem"].items():
        each = (after - warm) / k if k else float("nan")
        mem_rows.append([addr, k, warm, opened, after, each])
        if k:
            per_session.append(each)
    print(table(["replica", "sessions", "RSS warm MB", "RSS sessions open MB", "RSS after acting MB",
                 "MB per session"], mem_rows))
    for addr, (cpu_open, cpu_act, k) in out["cpu"].items():
        cpu_rows.append([addr, k, cpu_open / k if k else float("nan"), cpu_act / (2 * k) if k else float("nan")])
        if k:
            per_open.append(cpu_open / k)
            per_change.append(cpu_act / (2 * k))
    print()
    print(table(["replica", "sessions", "server CPU s per page open", "server CPU s per committed change"],
                cpu_rows))
    print()
    base = None
    conc_rows = []
    for c, times in out["concurrent"]:
        ok = [t for t in times if t is not None]
        base = base or median(ok)
        conc_rows.append([c, median(ok), p95(ok), median(ok) / base, len(times) - len(ok)])
    print(table(["sessions clicking at once", "median ms to rerun end", "p95 ms", "x one click alone",
                 "no rerun in 120 s"], conc_rows))
    if NO_RERUN:
        print(f"\nclicks with no rerun in 120 s: {len(NO_RERUN)} ({'; '.join(sorted(set(NO_RERUN)))})")
    if UNSEEN_RUNS:
        print(f"\nclicks answered (?i= set) whose run the recorder did not see, timed by the wall clock: "
              f"{len(UNSEEN_RUNS)}, median {median(UNSEEN_RUNS):.0f} ms")
    change, opening, mb = median(per_change), median(per_open), median(per_session)
    busy = change * per_minute
    print(f"\nper session: {mb:.1f} MB (median over replicas); server CPU {opening:.2f} s per page open, "
          f"{change:.3f} s per committed change")
    print(f"sessions per core, at {per_minute:g} committed changes per student-minute: {busy:.2f} CPU s per "
          f"session-minute -> {60 / busy:.0f} sessions per core (page opens not counted)" if busy > 0 else "")
    print(load())
    return sticky and works and all(seen.values()) and len(seen) == len(out["mem"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench replicas", description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=16, help="browser sessions through the proxy (default 16)")
    p.add_argument("--per-minute", type=float, default=6.0,
                   help="committed changes per student-minute for sessions per core (default 6: one per 10 s)")
    p.add_argument("--quick", action="store_true", help="smoke settings: 2 sessions, a copied checkpoint")
    args = p.parse_args(argv)
    if why := nginx_missing():
        print(f"skipped: {why}")
        return 0
    n = 2 if args.quick else args.sessions
    levels = sorted({1, min(4, n), n})
    header("replicas: a class through nginx on 2 app replicas")
    print(f"{n} sessions on Explore ({CHECKPOINT}) through the proxy; clicks at once: {levels}\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp:
        root = checkpoint_root(Path(tmp) / "checkpoints", (CHECKPOINT, "digits-2d"))
        (Path(tmp) / "run").mkdir()
        with deployment(root, Path(tmp) / "run") as dep:
            out = asyncio.run(run(dep, root, n, levels, train=not args.quick))
        ok = report(out, args.per_minute)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
