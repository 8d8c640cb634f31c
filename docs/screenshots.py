"""Screenshots of every page (and a GIF of a slider drag) from the real app in headless Chromium.

    .venv/bin/python docs/screenshots.py        # writes docs/images/*.png, drag.gif and text_drag.gif
    .venv/bin/python docs/screenshots.py text_explore   # only the named shots (and their GIF)

The README shows these, so re-run this after changing a page and the pictures stay true.
"""

from __future__ import annotations

import importlib.util
import io
import math
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "images"
# (file name, URL path, query, what to wait for beyond a finished run: a selector or a tuple of them)
PAGES = [
    ("explore", "", {"ckpt": "mnist-2d", "i": "3"}, ('[data-testid="selection-view"][data-index="3"]',
                                                     '[data-testid="point-map"][data-points-drawn]')),
    ("interpolate", "interpolate", {"ckpt": "mnist-2d", "a": "3", "b": "11", "m": "slerp", "n": "10"},
     ('[data-testid="point-map"][data-points-drawn]', ".st-key-interp_norms .main-svg")),
    ("generate", "generate", {"ckpt": "mnist-2d"}, None),
    ("train", "train", {"ckpt": "mnist-2d"}, None),
    ("inside", "inside", {"ckpt": "mnist-2d"}, None),
    ("beta_lab", "beta_lab", {"ckpt": "mnist-2d"}, None),
    ("anomaly", "anomaly", {"ckpt": "mnist-2d"}, None),
    ("compression", "compression", {"ckpt": "mnist-2d"}, None),
    ("draw", "draw", {"ckpt": "mnist-2d"}, None),
    ("compare", "compare", {"ckpt": "mnist-2d"}, None),
    ("neighbours", "neighbours", {"ckpt": "mnist-2d", "i": "3"}, None),
    ("lesson", "", {"lesson": "intro", "step": "2"}, None),
    ("text_explore", "", {"ckpt": "grammar-16d", "i": "3"}, ('[data-testid="selection-view"][data-index="3"]',
                                                             '[data-testid="point-map"][data-points-drawn]')),
]
# A shot -> the GIF of a slider drag on its page: the image panel's canvas, the text panel's sentence.
GIFS = {"explore": "drag.gif", "text_explore": "text_drag.gif"}


def _e2e_helpers():
    """tests/e2e/conftest.py holds the server and browser helpers; load it by path (it is no package)."""
    spec = importlib.util.spec_from_file_location("e2e_conftest", REPO / "tests" / "e2e" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drag_gif(page, path: Path) -> None:
    """Frames of the decoder panel while its first slider is dragged, as an animated GIF: the panel down to that
    slider (the image's canvas, or the sentence), so the text panel's other 15 sliders stay out."""
    root = page.locator('[data-testid="latent-decoder"]').first
    slider = root.locator('input[type="range"]').first
    root.scroll_into_view_if_needed()
    box, top = slider.bounding_box(), root.bounding_box()
    clip = {"x": top["x"], "y": top["y"], "width": top["width"], "height": box["y"] + box["height"] + 8 - top["y"]}
    y = box["y"] + box["height"] / 2
    frames = []
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    for k in range(24):
        fraction = 0.5 + 0.45 * math.sin(k / 24 * 2 * math.pi)
        page.mouse.move(box["x"] + box["width"] * fraction, y, steps=2)
        page.wait_for_timeout(50)  # the panel decodes in the next animation frame
        frames.append(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB"))
    page.mouse.up()
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=120, loop=0)


def main() -> int:
    e2e = _e2e_helpers()
    OUT.mkdir(parents=True, exist_ok=True)
    existing = {p.stem for p in (REPO / "explorer" / "views").glob("*.py")}  # the pages' files
    only = set(sys.argv[1:])
    unknown = only - {name for name, *_ in PAGES}
    if unknown:
        print(f"no such shot: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    with e2e.streamlit_server("explorer/app.py") as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        for name, path, query, extra in PAGES:
            if only and name not in only:
                continue
            if path and path not in existing:
                print(f"skip {name}: no page file yet", file=sys.stderr)
                continue
            e2e.open_app(page, server.url(path, **query), timeout=180_000)
            for selector in (extra,) if isinstance(extra, str) else extra or ():
                page.wait_for_selector(selector)
            page.wait_for_timeout(1500)  # plotly and images settle after the run
            page.screenshot(path=str(OUT / f"{name}.png"))
            print(f"wrote {OUT / name}.png")
            if name in GIFS:
                drag_gif(page, OUT / GIFS[name])
                print(f"wrote {OUT / GIFS[name]}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
