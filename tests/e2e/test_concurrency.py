"""Many sessions on one server: 8 browser contexts explore and drag the decoder while two of them train.

All pages keep responding, each trainer writes only its own checkpoint, no session sees another's state,
a damaged checkpoint shows an error in one session and the next pick works, and the peak RSS of the server
(alone, and with its training processes) is reported. The server writes into a temporary copy of
checkpoints/, never into the repository.
"""

import hashlib
import re
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SESSIONS = 8
TRAINERS = {0: "conc-alpha", 1: "conc-beta"}  # context index -> checkpoint it trains
DECODER = '[data-testid="latent-decoder"]'
STATUS = '[data-testid="stProgress"]'
EXCEPTION = '[data-testid="stException"]'
SHOTS = Path("/tmp/shots")  # screenshots of every session when the test fails


@pytest.fixture(scope="module")
def server(e2e, tmp_path_factory):
    """The real app over a temp copy of checkpoints/ plus one checkpoint with truncated weights."""
    root = tmp_path_factory.mktemp("concurrency") / "checkpoints"
    shutil.copytree(e2e.REPO / "checkpoints", root, ignore=shutil.ignore_patterns("cache", ".tmp-*"))
    shutil.copytree(root / "digits-2d", root / "broken")
    weights = root / "broken" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LATENT_LAB_CHECKPOINTS", str(root))
        with e2e.streamlit_server("explorer/app.py") as srv:
            srv.root = root
            yield srv


def _hashes(root: Path) -> dict[str, str]:
    return {p.parent.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.glob("*/model.safetensors")}


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the server and its training children)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{p}/status").read_text()).group(1))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):  # the process ended while we looked
            continue
    return total / 1024


class _PeakSampler(threading.Thread):
    """Samples the server tree's RSS every 0.2 s: training children come and go between reads."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()

    def run(self):
        while not self.done.wait(0.2):
            self.peak = max(self.peak, _tree_rss_mb(self.pid))


def _fill(page, e2e, key: str, value) -> None:
    box = page.locator(f".st-key-{key} input")
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(300)
    e2e.wait_for_app(page)


def _drag_decoder(page, e2e) -> dict:
    """Drag the first latent slider; the image redraws during the drag and the page reruns after it."""
    page.locator(f'{DECODER}[data-ready="true"] canvas:not([data-frames="0"])').wait_for(timeout=90_000)
    before = page.url
    drag = e2e.drag_slider(page, page.locator(f"{DECODER} input[type=range]").first, steps=15)
    t0 = time.perf_counter()
    page.wait_for_function("(old) => location.href !== old", arg=before, timeout=60_000)  # z went back
    e2e.wait_for_app(page, timeout=60_000)
    return {**drag, "rerun_s": time.perf_counter() - t0}


def test_eight_sessions_explore_while_two_train(server, browser, e2e):
    t_start = time.perf_counter()
    bundled = _hashes(server.root)
    sampler = _PeakSampler(server.process.pid)
    sampler.start()
    contexts = [browser.new_context(viewport={"width": 1300, "height": 950}) for _ in range(SESSIONS)]
    pages = [c.new_page() for c in contexts]
    try:
        for i, page in enumerate(pages):  # every session starts on its own test image
            page.set_default_timeout(60_000)
            page.goto(server.url(i=10 + i) if i not in TRAINERS else server.url())
        for page in pages:
            e2e.wait_for_app(page, timeout=120_000)
        phases = {"loaded": time.perf_counter() - t_start}

        for i, name in TRAINERS.items():  # two sessions train, with different names, 2 epochs each
            page = pages[i]
            page.locator('[data-testid="stSidebarNav"] a', has_text="Train").click()
            page.locator(".st-key-train_name input").wait_for()
            e2e.wait_for_app(page)
            _fill(page, e2e, "train_epochs", 2)
            _fill(page, e2e, "train_name", name)
            page.get_by_role("button", name="Start training").click()
        for i in TRAINERS:  # the job is registered at once
            pages[i].locator(STATUS, has_text=TRAINERS[i]).wait_for()

        active = sum(bool(re.search("queued|running", pages[i].locator(STATUS).inner_text())) for i in TRAINERS)
        drags = [_drag_decoder(pages[i], e2e) for i in range(SESSIONS) if i not in TRAINERS]  # while training
        phases["dragged"] = time.perf_counter() - t_start

        for i, name in TRAINERS.items():
            pages[i].get_by_text("Done: trained 2 epochs").wait_for(timeout=240_000)
            assert name in pages[i].locator(STATUS).inner_text()
            other = TRAINERS[1 - i]
            assert other not in pages[i].locator(STATUS).inner_text()  # its own run only

        phases["trained"] = time.perf_counter() - t_start
        # Each session still shows its own selection and its own z; nobody shows an exception.
        for i, page in enumerate(pages):
            assert page.locator(EXCEPTION).count() == 0, i
            if i in TRAINERS:
                continue
            selected = page.locator('[data-testid="selection-view"] .title').inner_text()
            assert f"Test image #{10 + i}" in selected, (i, selected)
            for j in range(SESSIONS):
                if j != i and j not in TRAINERS:
                    assert f"Test image #{10 + j}" not in selected
            assert f"i={10 + i}" in page.url
        zs = [parse_qs(urlparse(pages[i].url).query).get("z") for i in range(SESSIONS) if i not in TRAINERS]
        assert None not in zs and len({z[0] for z in zs}) == len(zs), zs  # each session kept its own z

        # A damaged checkpoint in one session: an error naming the file; picking another works.
        probe = pages[2]
        probe.goto(server.url(ckpt="broken"))
        e2e.wait_for_app(probe)
        probe.locator('[data-testid="stAlert"]', has_text="model.safetensors").first.wait_for()
        probe.locator(".st-key-checkpoint input").click()
        probe.get_by_role("option", name="digits-2d").click()
        e2e.wait_for_app(probe)
        probe.locator(f"{DECODER} canvas").wait_for(timeout=60_000)
        assert probe.locator('[data-testid="stAlertContentError"]').count() == 0
        assert probe.locator(EXCEPTION).count() == 0
        assert "ckpt=digits-2d" in probe.url
        # ...and every other explorer still answers a drag afterwards.
        drags += [_drag_decoder(pages[i], e2e) for i in (3, SESSIONS - 1)]
    except Exception:
        SHOTS.mkdir(exist_ok=True)
        for i, page in enumerate(pages):
            page.screenshot(path=str(SHOTS / f"concurrency-{i}.png"), full_page=True)
        raise
    finally:
        sampler.done.set()
        for c in contexts:
            c.close()

    after = _hashes(server.root)
    assert {k: after[k] for k in bundled} == bundled  # nobody wrote into another checkpoint
    assert set(after) - set(bundled) == set(TRAINERS.values())  # each trainer wrote its own, nothing else
    assert not [p.name for p in server.root.iterdir() if p.name.startswith(".tmp-")]
    assert all(d["frames"] > 0 for d in drags), drags
    peak = _peak_rss_mb(server.process.pid)
    seconds = time.perf_counter() - t_start
    print(f"\nconcurrency: {SESSIONS} sessions, {len(TRAINERS)} trainers ({active} active when the drags began), "
          f"{len(drags)} drags, "
          f"max rerun after a drag {max(d['rerun_s'] for d in drags):.2f} s, "
          f"min frames per drag {min(d['frames'] for d in drags)}, server peak RSS {peak:.0f} MB, "
          f"server + training processes peak {sampler.peak:.0f} MB, {seconds:.0f} s "
          f"({', '.join(f'{k} at {v:.0f} s' for k, v in phases.items())})")
    assert peak < 4096 and sampler.peak < 6144
