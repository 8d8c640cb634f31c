"""The JS text decoder (explorer/components/text_decoder.js), run in Chromium, decodes greedily the same tokens
as torch's TextVAE.generate for 24 random z per model: seeded models and the bundled grammar checkpoint."""

import base64
import importlib.util
import json
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
import torch

from vae_core import checkpoint as ck
from vae_core.text.export import MAX_TOKENS, export_text_decoder
from vae_core.text.vocab import EOS

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
JS = REPO / "explorer/components/text_decoder.js"
ORIGIN = "http://text-decoder.test"  # never reaches the network: page.route answers every request
BUNDLED = "grammar-16d"


def load_demo():
    spec = importlib.util.spec_from_file_location("text_decoder_demo", REPO / "tests/e2e/text_decoder_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = load_demo()


@pytest.fixture(scope="module")
def js_page(browser):
    """A page on a fake origin that imports text_decoder.js and fetches the files put in `files`."""
    files = {"/": b"<!doctype html><title>text decoder parity</title>", "/text_decoder.js": JS.read_bytes()}
    types = {".js": "text/javascript", ".json": "application/json", ".bin": "application/octet-stream"}

    def serve(route):
        path = urlparse(route.request.url).path
        if path not in files:
            return route.fulfill(status=404)
        route.fulfill(body=files[path], content_type=types.get(Path(path).suffix, "text/html"))

    page = browser.new_page()
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.evaluate("async () => { window.textModule = await import('/text_decoder.js'); }")
    yield page, files
    page.close()


def js_greedy(js_page, model, zs: np.ndarray, inline: bool = False) -> list[dict]:
    """Publish the model as the app does (hash-named .json + .bin, or inline) and decode each z in Chromium."""
    page, files = js_page
    payload = export_text_decoder(model)
    digest = payload["hash"]
    if inline:
        src = {"hash": digest + "-inline", "program": payload}
    else:
        weights = base64.b64decode(payload.pop("weights_b64"))
        files[f"/{digest}.json"], files[f"/{digest}.bin"] = json.dumps(payload).encode(), weights
        src = {"hash": digest, "program_url": f"/{digest}.json", "weights_url": f"/{digest}.bin"}
    return page.evaluate("""async ([src, zs]) => {
        const decoder = await window.textModule.loadTextDecoder(src);
        return zs.map((z) => decoder.decode(z));
    }""", [src, zs.tolist()])


def torch_greedy(model, zs: np.ndarray) -> list[list[int]]:
    ids = model.generate(torch.as_tensor(zs, dtype=torch.float32), max_len=MAX_TOKENS, greedy=True).tolist()
    return [row[: row.index(EOS) + 1] if EOS in row else row for row in ids]  # PAD after EOS cut off


@pytest.mark.parametrize("seed, inline", [(0, False), (1, False), (2, True)])
def test_seeded_models_decode_the_same_tokens_in_chromium(js_page, seed, inline):
    model = demo.demo_text_model(seed)
    zs = np.random.default_rng(seed).normal(0, 1.5, (24, model.config.latent_dim)).astype(np.float32)
    got = js_greedy(js_page, model, zs, inline)
    want = torch_greedy(model, zs)
    assert [g["tokens"] for g in got] == want
    assert [g["text"] for g in got] == [model.config.vocab.decode(row) for row in want]
    assert len({g["text"] for g in got}) >= 6  # z changes the sentence: the comparison means something


def test_bundled_grammar_checkpoint_decodes_the_same_sentences_in_chromium(js_page):
    model, _ = ck.load_checkpoint(BUNDLED, REPO / "checkpoints")
    zs = np.random.default_rng(7).standard_normal((32, model.config.latent_dim)).astype(np.float32)
    got = js_greedy(js_page, model, zs)
    want = torch_greedy(model, zs)
    assert [g["tokens"] for g in got] == want
    texts = [g["text"] for g in got]
    assert texts == [model.config.vocab.decode(row) for row in want]
    assert len(set(texts)) >= 16, texts  # z changes the sentence
