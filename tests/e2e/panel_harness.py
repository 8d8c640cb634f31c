"""What the browser tests of the two decoder panels (image: latent_decoder, text: text_panel) share: the demo
pages loaded as modules, the demo page's read-outs, and a bare Chromium page that runs a decoder runtime's JS
(explorer/components, bundled as the app bundles it) on exported programs that Python serves."""

import base64
import importlib.util
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from explorer.components import bundle

REPO = Path(__file__).resolve().parents[2]
ROOT = '[data-testid="latent-decoder"]'
TYPES = {".js": "text/javascript", ".json": "application/json", ".bin": "application/octet-stream"}


def load_demo(name: str):
    """tests/e2e/<name>.py as a module (its UI runs only as __main__): the same seeded models in both processes."""
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "e2e" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shown_z(page) -> list[float]:
    """The z the demo page's panel returned on its last run."""
    return json.loads(page.locator(".st-key-decoder-result").inner_text())


def runs(page) -> int:
    """How many times the demo page has run."""
    return int(page.locator(".st-key-decoder-runs").inner_text())


# Decode each z with the bundle's loader (loadDecoder, loadTextDecoder); typed arrays (images) come back as lists.
DECODE_JS = """async ([loader, src, zs]) => {
    const decoder = await window.runtime[loader](src);
    return zs.map((z) => { const out = decoder.decode(z); return ArrayBuffer.isView(out) ? Array.from(out) : out; });
}"""


class RuntimePage:
    """A Chromium page that imported a decoder runtime and fetches the files Python puts in `files`."""

    def __init__(self, page, files: dict):
        self.page, self.files = page, files

    def decode(self, loader: str, payload: dict, zs, inline: bool = False) -> list:
        """Publish an exported program as the app does (hash-named .json + .bin, or inline) and decode each z of
        `zs` ([N x D]) in the browser with `window.runtime[loader]`."""
        return self.page.evaluate(DECODE_JS, [loader, publish(self.files, payload, inline), [list(map(float, z))
                                                                                             for z in zs]])


@contextmanager
def runtime_page(browser, runtime_js: str) -> Iterator[RuntimePage]:
    """A page on a fake origin (page.route answers every request: nothing reaches the network) that imports
    program_loader.js and `runtime_js` bundled as a panel bundles them, as `window.runtime`."""
    files = {"/": b"<!doctype html><title>decoder parity</title>",
             "/runtime.js": bundle(("program_loader.js", runtime_js)).encode()}
    origin = f"http://{Path(runtime_js).stem.replace('_', '-')}.test"

    def serve(route):
        path = urlparse(route.request.url).path
        if path not in files:
            return route.fulfill(status=404)
        route.fulfill(body=files[path], content_type=TYPES.get(Path(path).suffix, "text/html"))

    page = browser.new_page()
    page.route(f"{origin}/**", serve)
    page.goto(f"{origin}/")
    page.evaluate("async () => { window.runtime = await import('/runtime.js'); }")
    try:
        yield RuntimePage(page, files)
    finally:
        page.close()


def runtime_fixture(runtime_js: str):
    """A module-scoped fixture (assign it to a test module's `js_page`) giving runtime_page(browser, runtime_js)."""

    @pytest.fixture(scope="module")
    def js_page(browser):
        with runtime_page(browser, runtime_js) as page:
            yield page

    return js_page


def publish(files: dict, payload: dict, inline: bool = False) -> dict:
    """An exported program (export_decoder, export_text_decoder) as the app sends it: hash-named .json + .bin put
    in `files`, or inline (under a hash of its own, so that it is compiled apart from the served copy)."""
    digest = payload["hash"]
    if inline:
        return {"hash": digest + "-inline", "program": payload}
    weights = base64.b64decode(payload.pop("weights_b64"))
    files[f"/{digest}.json"], files[f"/{digest}.bin"] = json.dumps(payload).encode(), weights
    return {"hash": digest, "program_url": f"/{digest}.json", "weights_url": f"/{digest}.bin"}
