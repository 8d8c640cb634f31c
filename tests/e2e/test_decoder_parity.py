"""The JS decoder, run in Chromium, decodes what torch decodes: max abs difference <= 1e-4.

The forward pass is checked on a page that imports the decoder runtime as an ES module and
fetches hash-named decoder files, as in the app, but served by Playwright (no
Streamlit needed; panel_harness.runtime_page); one test also reads the pixels the Streamlit component draws.
"""

import json

import numpy as np
import pytest
import torch
from panel_harness import ROOT, load_demo, runtime_fixture

from vae_core.export import export_decoder

pytestmark = pytest.mark.e2e

DEMO = "tests/e2e/decoder_demo.py"
demo = load_demo("decoder_demo")
js_page = runtime_fixture("decoder_runtime.js")  # the runtime as its panel bundles it


def js_decode(js_page, model, zs: np.ndarray) -> np.ndarray:
    """[N x H*W*C]: each z decoded in the browser from the published program, the image in HWC order."""
    return np.asarray(js_page.decode("loadDecoder", export_decoder(model), zs))


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
