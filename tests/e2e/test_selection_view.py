"""Map clicks answered in the browser (explorer/components/selection_view.py): with the server's rerun held back
on purpose, a click on a point already shows the point's original and decode(mu), and a click between the dots
on a PCA map already shows the decode of the inverse-mapped spot; the rerun that follows repaints neither.

The server here waits LATENT_LAB_TEST_CLICK_DELAY_S seconds in the click's Python handler, so everything these
tests read before the run finishes was drawn by the browser alone. Pixels are compared with what torch makes
of the same checkpoint in this process.

Reliable: `for i in $(seq 10); do .venv/bin/python -m pytest tests/e2e/test_selection_view.py -q || break; done`
passes 10 runs in a row.
"""

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

from explorer.components.map_overlay import TEST_DELAY_ENV
from vae_core.checkpoint import load_checkpoint
from vae_core.data import load_dataset
from vae_core.images import to_uint8
from vae_core.latent import decode_batch, encode_dataset
from vae_core.projection import make_projection

REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (REPO / "checkpoints/mnist-16d/model.safetensors").exists(),
                       reason="the bundled MNIST checkpoints are missing (make checkpoints)"),
]
DELAY_S = 4  # long enough for the browser to draw (tens of ms) and the test to read it, on a loaded machine
MAP = "explore_map"  # Explore's canvas map, clicked through its hooks (tests/e2e/conftest.py)
VIEW = '[data-testid="selection-view"]'
DECODER = '.st-key-explore_decoder [data-testid="latent-decoder"]'
APP_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
PIXELS_JS = """(c) => Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data)
  .filter((_, i) => i % 4 === 0)"""


@pytest.fixture(scope="module")
def slow_app(e2e):
    """The app, its click handler held back DELAY_S seconds."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(TEST_DELAY_ENV, str(DELAY_S))
        with e2e.streamlit_server("explorer/app.py") as server:
            yield server


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def reference(name: str, x: np.ndarray):
    """(model, mu of every test image) of a bundled checkpoint, as the server computes them."""
    model, _ = load_checkpoint(name, REPO / "checkpoints")
    return model, encode_dataset(model, x).mu


def grey(page, selector: str) -> np.ndarray:
    """A canvas's pixels (its red channel: these images are grey) as uint8 (H, W)."""
    canvas = page.locator(selector)
    h, w = (int(canvas.evaluate(f"c => c.{a}")) for a in ("height", "width"))
    return np.asarray(canvas.evaluate(PIXELS_JS), np.uint8).reshape(h, w)


def open_map(page, e2e, app, ckpt: str):
    e2e.open_app(page, app.url(ckpt=ckpt))
    page.locator(f'{VIEW}[data-ready="true"]').wait_for(timeout=60_000)
    page.locator(f'{DECODER}[data-ready="true"]').wait_for(timeout=60_000)
    e2e.wait_for_map(page, MAP)


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def decoder_frames(page) -> int:
    return int(page.locator(f"{DECODER} canvas").get_attribute("data-frames"))


def test_a_click_on_a_point_is_drawn_before_python_answers(slow_app, page, e2e, mnist):
    open_map(page, e2e, slow_app, "mnist-2d")
    point = e2e.map_point(page, MAP)  # MNIST's 10,000 points overlap: one with no neighbour within 8 px
    page.mouse.move(point["x"] - 4, point["y"])
    page.mouse.move(point["x"], point["y"], steps=3)
    page.mouse.click(point["x"], point["y"])

    i = point["index"]
    page.locator(f'{VIEW}[data-index="{i}"]').wait_for(timeout=DELAY_S * 1000 / 2)
    assert query(page).get("i") != str(i)  # Python has not answered yet (it writes i): the browser drew all this
    model, mu = reference("mnist-2d", mnist.x_test)
    original = grey(page, f"{VIEW} canvas.original")
    assert np.abs(original.astype(int) - to_uint8(mnist.x_test[i])[0]).max() <= 1
    decoded = to_uint8(decode_batch(model, mu[i:i + 1]))[0].astype(int)
    assert np.abs(grey(page, f"{VIEW} canvas.recon").astype(int) - decoded).max() <= 2
    assert np.abs(grey(page, f"{DECODER} canvas").astype(int) - decoded).max() <= 2  # z = mu: the panel too
    expect(page.locator(f"{VIEW} .title")).to_have_text(f"Test image #{i} · label {mnist.y_test[i]}")
    draws, frames = page.locator(VIEW).get_attribute("data-draws"), decoder_frames(page)

    # Python's rerun arrives with the same selection and z: neither image is drawn again, none is loaded.
    page.wait_for_function("(i) => new URL(location.href).searchParams.get('i') === i", arg=str(i),
                           timeout=(DELAY_S + 30) * 1000)
    page.locator(APP_DONE).wait_for()
    page.wait_for_timeout(500)  # a redraw would come in the frames after the run
    assert page.locator(VIEW).get_attribute("data-draws") == draws
    assert decoder_frames(page) == frames
    assert page.locator(".st-key-selected img").count() == 0


def test_a_click_between_the_dots_on_a_pca_map_decodes_the_spot(slow_app, page, e2e, mnist):
    open_map(page, e2e, slow_app, "mnist-16d")  # 16-D: the map opens on PCA
    spot = e2e.empty_spot(page, MAP)
    frames, z_before = decoder_frames(page), query(page).get("z")
    page.mouse.move(spot["x"], spot["y"])
    page.mouse.click(spot["x"], spot["y"])
    canvas = page.locator(f"{DECODER} canvas")
    expect(canvas).not_to_have_attribute("data-frames", str(frames), timeout=DELAY_S * 1000 / 2)
    assert query(page).get("z") == z_before  # drawn before Python answered (it writes the new z)
    model, mu = reference("mnist-16d", mnist.x_test)
    z = make_projection("pca").fit(mu).inverse_transform([[spot["mapX"], spot["mapY"]]])
    decoded = to_uint8(decode_batch(model, z))[0].astype(int)
    assert np.abs(grey(page, f"{DECODER} canvas").astype(int) - decoded).max() <= 2
    assert page.locator(f"{VIEW}[data-index]").count() == 0  # no point was selected
    page.wait_for_function("() => new URL(location.href).searchParams.has('z')", timeout=(DELAY_S + 30) * 1000)
    assert "i" not in query(page)


def test_reruns_do_not_pile_up_listeners(slow_app, page, e2e):
    """Streamlit calls a component's function again on every rerun but its cleanup only on unmount: each rerun
    used to add one more listener, so one z set in the browser was handled once per rerun so far."""
    open_map(page, e2e, slow_app, "mnist-2d")
    for _ in range(3):  # three reruns, each with a new z for the decoder panel
        frames = decoder_frames(page)
        page.get_by_role("button", name="Sample from prior").click()
        expect(page.locator(f"{DECODER} canvas")).not_to_have_attribute("data-frames", str(frames), timeout=30_000)
        page.locator(APP_DONE).wait_for()
    handled = page.evaluate("""() => { let n = 0;
        window.addEventListener("latent-lab:z", () => n++);
        const detail = {target: "explore_decoder", z: [0.5, -0.5]};
        window.dispatchEvent(new CustomEvent("latent-lab:set-z", {detail}));
        return n; }""")
    assert handled == 1
