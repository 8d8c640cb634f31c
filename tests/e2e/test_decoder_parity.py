"""The JS decoder, run in Chromium, decodes what torch decodes: max abs difference <= 1e-4.

The forward pass is checked on a page that imports the decoder runtime's ES module and
fetches hash-named decoder files, as in the app, but served by Playwright (no
Streamlit needed); one test also reads the pixels the Streamlit component draws.
"""

import base64
import importlib.util
import json
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
import torch

from vae_core.export import export_decoder

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
DEMO = "tests/e2e/decoder_demo.py"
JS = REPO / "explorer/components/decoder_runtime.js"
ROOT = '[data-testid="latent-decoder"]'
ORIGIN = "http://decoder.test"  # never reaches the network: page.route answers every request


def load_demo():
    """The demo page as a module (its UI runs only as __main__): the same seeded models in both processes."""
    spec = importlib.util.spec_from_file_location("decoder_demo", REPO / DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = load_demo()


@pytest.fixture(scope="module")
def js_page(browser):
    """A page on a fake origin whose files (the component module, exported decoders) Python serves.

    Returns (page, files): put `files["/name"] = bytes` and the page can fetch /name.
    """
    files = {"/": b"<!doctype html><title>decoder parity</title>", "/decoder_runtime.js": JS.read_bytes()}
    types = {".js": "text/javascript", ".json": "application/json", ".bin": "application/octet-stream"}

    def serve(route):
        path = urlparse(route.request.url).path
        if path not in files:
            return route.fulfill(status=404)
        route.fulfill(body=files[path], content_type=types.get(Path(path).suffix, "text/html"))

    page = browser.new_page()
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.evaluate("async () => { window.decoderModule = await import('/decoder_runtime.js'); }")
    yield page, files
    page.close()


def js_decode(js_page, model, zs: np.ndarray) -> np.ndarray:
    """Publish the model as the app does (hash-named .json + .bin), load and decode each z in the browser.

    Returns [N x H*W*C], the image in HWC order.
    """
    page, files = js_page
    payload = export_decoder(model)
    digest, weights = payload["hash"], base64.b64decode(payload.pop("weights_b64"))
    files[f"/{digest}.json"], files[f"/{digest}.bin"] = json.dumps(payload).encode(), weights
    src = {"hash": digest, "program_url": f"/{digest}.json", "weights_url": f"/{digest}.bin"}
    out = page.evaluate("""async ([src, zs]) => {
        const decoder = await window.decoderModule.loadDecoder(src);
        return zs.map((z) => Array.from(decoder.decode(z)));
    }""", [src, zs.tolist()])
    return np.asarray(out)


def torch_decode(model, zs: np.ndarray) -> np.ndarray:
    images = model.decode_mean(torch.as_tensor(zs, dtype=torch.float32))
    return images.permute(0, 2, 3, 1).reshape(len(zs), -1).numpy()  # HWC, as the program emits


CASES = [(arch, shape, likelihood, None)
         for shape in [(1, 8, 8), (1, 28, 28), (3, 32, 32), (1, 64, 64)]
         for arch in ["mlp", "conv"]
         for likelihood in ["bernoulli", "gaussian"]]
CASES += [(arch, (3, 16, 16), "bernoulli", activation)
          for arch in ["mlp", "conv"] for activation in ["leaky_relu", "silu", "tanh"]]


@pytest.mark.parametrize("arch, shape, likelihood, activation", CASES, ids=lambda v: "x".join(map(str, v))
                         if isinstance(v, tuple) else str(v))
def test_js_forward_pass_matches_torch(js_page, arch, shape, likelihood, activation):
    model = demo.demo_model(arch, shape, latent_dim=4, likelihood=likelihood, seed=3, activation=activation)
    zs = np.random.default_rng(0).normal(0, 1.5, (3, 4))
    zs[0] = 0
    want, got = torch_decode(model, zs), js_decode(js_page, model, zs)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4
    assert want.std() > 0.05  # images, not a flat grey: the comparison means something


@pytest.mark.parametrize("serving, arch, shape", [
    ("static", "conv", (1, 28, 28)), ("static", "mlp", (3, 32, 32)), ("inline", "conv", (1, 28, 28))])
def test_component_draws_the_decoded_image(streamlit_app, page, e2e, serving, arch, shape):
    """End to end: weights from the static files (or inline without static serving), image drawn at z."""
    app = streamlit_app(DEMO, *(["--server.enableStaticServing", "false"] if serving == "inline" else []))
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if "/app/static/decoders/" in r.url else None)
    e2e.open_app(page, app.url(arch=arch, shape="x".join(map(str, shape)), latent=3))
    page.locator(f'{ROOT}[data-ready="true"] canvas:not([data-frames="0"])').wait_for()
    rgba = page.locator(f"{ROOT} canvas").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)")
    z = json.loads(page.locator(".st-key-decoder-result").inner_text())
    assert z == demo.demo_z(3)
    image = demo.demo_model(arch, shape, latent_dim=3).decode_mean(torch.tensor([z]))[0]
    want = (image.permute(1, 2, 0).numpy() * 255).reshape(-1, shape[0])
    got = np.asarray(rgba, dtype=float).reshape(-1, 4)
    drawn = got[:, :3] if shape[0] == 3 else got[:, :1]
    assert np.abs(drawn - want).max() <= 0.5 + 1e-3  # rounding to bytes, nothing more
    assert (got[:, 3] == 255).all()
    assert len(fetched) == (2 if serving == "static" else 0)  # <hash>.json and <hash>.bin
