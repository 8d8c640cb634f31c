"""The anomaly and compression pages in Chromium: they load cleanly, the anomaly page shows its AUROC
numbers, and an uploaded PNG gets a verdict and a reconstruction."""

import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
EXCEPTION = '[data-testid="stException"]'
PLOT = '[data-testid="stMain"] [data-testid="stPlotlyChart"]'  # main area only, not the sidebar
IMAGES_LOADED_JS = """(sel) => { const imgs = [...document.querySelectorAll(sel + " img")];
  return imgs.length >= 2 && imgs.every(i => i.complete && i.naturalWidth >= 64); }"""


@pytest.fixture(scope="module")
def app(streamlit_app):
    return streamlit_app("explorer/app.py")


def digit_png() -> bytes:
    """A light digit on black, 64x64, as someone might draw or screenshot it."""
    from sklearn.datasets import load_digits

    pixels = (load_digits().images[0] * 255 / 16).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).resize((64, 64), Image.Resampling.NEAREST).save(buf, format="PNG")
    return buf.getvalue()


def test_anomaly_page_shows_auroc_and_scores_an_upload(app, page, e2e):
    e2e.open_app(page, app.url("anomaly", ckpt="digits-2d"))  # the sets and AUROCs below are digits-2d's
    expect(page.locator("h1").first).to_contain_text("Anomaly detection")
    aurocs = page.locator(".st-key-anomaly_auroc")
    # A fresh server's first run loads the model and data, and scoring
    # takes seconds on a busy machine: wait for the numbers, then for the run to end.
    expect(aurocs).to_contain_text("AUROC · shapes", timeout=60_000)
    e2e.wait_for_app(page)
    values = [float(v) for v in re.findall(r"\b[01]\.\d{3}\b", aurocs.inner_text())]
    assert len(values) == 4 and values[0] > 0.9
    expect(page.locator(PLOT)).to_have_count(2)  # histogram and ROC
    assert page.locator(EXCEPTION).count() == 0

    page.locator('.st-key-anomaly_upload input[type="file"]').set_input_files(
        files=[{"name": "digit.png", "mimeType": "image/png", "buffer": digit_png()}])
    verdict = page.locator(".st-key-anomaly_verdict")
    expect(verdict).to_contain_text(re.compile("Looks normal|Unusual"), timeout=30_000)
    expect(verdict).to_contain_text("its reconstruction")
    page.wait_for_function(IMAGES_LOADED_JS, arg=".st-key-anomaly_verdict")
    assert page.locator(EXCEPTION).count() == 0


def test_compression_page_loads(app, page, e2e):
    e2e.open_app(page, app.url("compression"))
    expect(page.locator("h1").first).to_contain_text("Compression")
    expect(page.locator(PLOT)).to_have_count(2, timeout=60_000)  # bits per image and the beta trade
    e2e.wait_for_app(page)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
