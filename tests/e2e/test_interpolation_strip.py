"""The interpolation strip in the browser (explorer/components/interpolation_strip.py): its lerp and slerp
match vae_core's, its tiles match torch's decodes, and a drag of its steps slider redraws it before any rerun.

Reliable: `for i in $(seq 10); do .venv/bin/python -m pytest tests/e2e/test_interpolation_strip.py -q || break; done`
passes 10 runs in a row.
"""

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

from vae_core.checkpoint import load_checkpoint
from vae_core.data import load_dataset
from vae_core.images import to_uint8
from vae_core.latent import decode_batch, encode_dataset, lerp, slerp

REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (REPO / "checkpoints/mnist-2d/model.safetensors").exists(),
                       reason="the bundled MNIST checkpoints are missing (make checkpoints)"),
]
JS = REPO / "explorer/components/interpolate.js"
ORIGIN = "http://interpolate.test"  # never reaches the network: page.route answers every request
STRIP = '[data-testid="interpolation-strip"]'
APP_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@pytest.fixture(scope="module")
def js_paths(browser):
    """A page that has imported interpolate.js as a module (window.paths)."""
    page = browser.new_page()
    page.route(f"{ORIGIN}/**", lambda route: route.fulfill(
        body=JS.read_bytes() if route.request.url.endswith(".js") else b"<!doctype html><title>paths</title>",
        content_type="text/javascript" if route.request.url.endswith(".js") else "text/html"))
    page.goto(f"{ORIGIN}/")
    page.evaluate("async () => { window.paths = await import('/interpolate.js'); }")
    yield page
    page.close()


def pairs():
    """Random pairs of codes of several sizes, and the cases slerp must treat apart."""
    rng = np.random.default_rng(7)
    out = [(rng.normal(size=d) * s, rng.normal(size=d) * s, steps)
           for d, s, steps in ((2, 1.0, 10), (16, 2.0, 24), (16, 0.3, 3), (2, 5.0, 7))]
    z = rng.normal(size=16)
    out += [(np.zeros(16), z, 5), (z, 2 * z, 6), (z, -z, 4)]  # zero, parallel, opposite: lerp instead
    return [(a.astype(np.float32), b.astype(np.float32), steps) for a, b, steps in out]


@pytest.mark.parametrize("method, reference", [("lerp", lerp), ("slerp", slerp)])
def test_js_paths_match_vae_core_within_1e_5(js_paths, method, reference):
    for a, b, steps in pairs():
        got = js_paths.evaluate(f"([a, b, n]) => window.paths.{method}(a, b, n).map((z) => Array.from(z))",
                                [a.tolist(), b.tolist(), steps])
        np.testing.assert_allclose(np.asarray(got), reference(a, b, steps), atol=1e-5, rtol=0)


def strip_tiles(page, steps: int) -> np.ndarray:
    """The strip canvas's tiles (steps, H, W) as uint8: one white pixel around each, as the component draws."""
    canvas = page.locator(f"{STRIP} canvas")
    h, w = (int(canvas.evaluate(f"c => c.{a}")) for a in ("height", "width"))
    pixels = np.asarray(canvas.evaluate("""(c) => Array.from(c.getContext("2d")
        .getImageData(0, 0, c.width, c.height).data).filter((_, i) => i % 4 === 0)"""), np.uint8).reshape(h, w)
    tile = (w - 1) // steps - 1
    return np.stack([pixels[1:1 + tile, 1 + k * (tile + 1):1 + k * (tile + 1) + tile] for k in range(steps)])


def test_the_steps_slider_redraws_the_strip_while_dragged(streamlit_app, page, e2e):
    app = streamlit_app("explorer/app.py")
    e2e.open_app(page, app.url("interpolate", ckpt="mnist-2d", a=3, b=11, n=10, m="slerp"))
    strip = page.locator(STRIP)
    expect(strip).to_have_attribute("data-draws", "1", timeout=30_000)

    # The tiles are torch's decodes of vae_core's slerp path.
    x = load_dataset("mnist").x_test
    model, _ = load_checkpoint("mnist-2d", REPO / "checkpoints")
    mu = encode_dataset(model, x[[3, 11]]).mu
    expected = to_uint8(decode_batch(model, slerp(mu[0], mu[1], 10))).astype(int)
    assert np.abs(strip_tiles(page, 10).astype(int) - expected).max() <= 2

    # A drag: the strip follows every step of it before the mouse is released.
    slider = strip.locator("input[type=range]")
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    start = box["x"] + 8 + (10 - 3) / (24 - 3) * (box["width"] - 16)  # the thumb at 10 steps
    page.mouse.move(start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 8, y, steps=12)
    expect(strip).to_have_attribute("data-steps", "24")
    draws = int(strip.get_attribute("data-draws"))
    assert draws >= 3, draws  # several redraws during the drag
    assert parse_qs(urlparse(page.url).query)["n"] == ["10"]  # no rerun yet: Python still has 10 steps
    page.mouse.up()

    # The release reruns the page with 24 steps; the strip, already drawn, is not drawn again.
    page.wait_for_function("() => new URL(location.href).searchParams.get('n') === '24'", timeout=30_000)
    page.locator(APP_DONE).wait_for()
    page.wait_for_timeout(500)
    assert int(strip.get_attribute("data-draws")) == draws
    assert strip.locator(".caption").inner_text().endswith("24 steps by slerp")
    expected = to_uint8(decode_batch(model, slerp(mu[0], mu[1], 24))).astype(int)
    assert np.abs(strip_tiles(page, 24).astype(int) - expected).max() <= 2
