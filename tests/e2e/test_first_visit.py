"""A new user's first five minutes, in Chromium, on the bundled checkpoints with no training: the app opens on
MNIST with a 28x28 decoder canvas, Compare shows two comparable MNIST models side by side, and the Beta lab
shows the bundled MNIST sweep.

Ten runs in a row: `for i in $(seq 10); do .venv/bin/python -m pytest tests/e2e/test_first_visit.py -q || break; done`
"""

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (REPO / "checkpoints/mnist-2d/model.safetensors").exists(),
                       reason="checkpoints/mnist-2d is missing (make checkpoints)"),
]
EXCEPTION = '[data-testid="stException"]'
IMAGES_LOADED_JS = """(sel) => { const imgs = [...document.querySelectorAll(sel + " img")];
  return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }"""


@pytest.fixture(scope="module")
def app(streamlit_app):
    return streamlit_app("explorer/app.py")


def test_the_app_opens_on_mnist_with_a_28x28_canvas(app, page, e2e):
    e2e.open_app(page, app.url())
    expect(page.locator("h1").first).to_contain_text("Explore")
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("mnist")
    assert parse_qs(urlparse(page.url).query)["ckpt"] == ["mnist-2d"]
    canvas = page.locator('[data-testid="latent-decoder"] canvas')
    page.wait_for_function("(c) => +c.dataset.frames >= 1", arg=canvas.element_handle())
    assert canvas.evaluate("c => [c.width, c.height]") == [28, 28]
    # the canvas map (point_map) has drawn the 10,000 test points
    expect(page.locator('[data-testid="point-map"][data-ready="true"]')).to_have_count(1)
    assert page.locator('[data-testid="point-map"]').get_attribute("data-points-drawn") == "10000"
    assert page.locator(EXCEPTION).count() == 0


def test_compare_opens_on_two_mnist_models_side_by_side(app, page, e2e):
    e2e.open_app(page, app.url("compare"))
    rows = page.locator(".st-key-cmp_table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("mnist-2d")
    expect(rows.nth(1)).to_contain_text("mnist-16d")
    for tag in "AB":
        page.locator(f".st-key-cmp_map_{tag} .js-plotly-plot .scatterlayer, "
                     f".st-key-cmp_map_{tag} .js-plotly-plot canvas").first.wait_for()
    page.wait_for_function(IMAGES_LOADED_JS, arg=".st-key-cmp_recons")
    assert page.locator(".st-key-cmp_recons img").count() == 3  # originals, A, B
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0
    assert page.locator(EXCEPTION).count() == 0


def test_the_beta_lab_shows_the_bundled_mnist_sweep(app, page, e2e):
    e2e.open_app(page, app.url("beta_lab"))
    page.locator(".st-key-beta_rd .js-plotly-plot").wait_for()
    labels = page.locator(".st-key-beta_rd .textpoint").all_text_contents()
    assert labels == ["β = 0.25", "β = 0.5", "β = 1", "β = 2", "β = 4"]
    page.locator(".st-key-beta_active .js-plotly-plot").wait_for()
    # Reconstructions: the test images, then one grid per beta; samples: one grid per beta.
    expect(page.locator('[data-testid="stMain"] [data-testid="stImage"]')).to_have_count(1 + 5 + 5)
    page.wait_for_function(IMAGES_LOADED_JS, arg='[data-testid="stMain"]')
    assert page.locator(EXCEPTION).count() == 0
