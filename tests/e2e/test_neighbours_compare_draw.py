"""The Neighbours, Compare and Draw pages in Chromium: each loads cleanly, and: choosing an index shows latent and
pixel neighbours and the attribute's strength slider decodes live; Compare's table has one row per
checkpoint; a stroke drawn on the canvas comes back reconstructed.

One server for the module, on a checkpoints folder with a copy of digits-2d and a second digits model, so
Compare has a comparable pair (the bundled two differ in image size)."""


import pytest
from playwright.sync_api import expect

from vae_core.checkpoint import save_checkpoint
from vae_core.config import ModelConfig, TrainConfig
from vae_core.models import VAE

pytestmark = pytest.mark.e2e
EXCEPTION = '[data-testid="stException"]'
ERROR = '[data-testid="stAlertContentError"]'
IMAGES_LOADED_JS = """(sel) => { const imgs = [...document.querySelectorAll(sel + " img")];
  return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth >= 40); }"""


@pytest.fixture(scope="module")
def app(e2e, tmp_path_factory):
    root = e2e.copy_checkpoints(tmp_path_factory.mktemp("e2e-ncd") / "checkpoints", ("digits-2d",))
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch="mlp", hidden=(32,)))
    save_checkpoint(root / "digits-mlp", model, TrainConfig(data="digits", epochs=1), history=[])
    with e2e.app_server(root) as server:
        yield server


def clean(page) -> None:
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator(ERROR).count() == 0, page.locator(ERROR).all_inner_texts()


def open_page(page, e2e, url: str, title: str) -> None:
    """Open a page and check that it loaded cleanly: its title, no exception, no error box."""
    e2e.open_app(page, url)
    expect(page.locator("h1").first).to_contain_text(title)
    clean(page)


def test_choosing_an_index_shows_latent_and_pixel_neighbours(app, page, e2e):
    open_page(page, e2e, app.url("neighbours"), "Neighbours")
    box = page.locator(".st-key-nb_index input")
    box.fill("42")
    box.press("Enter")
    expect(page.locator(".st-key-nb_query")).to_contain_text("#42", timeout=30_000)
    grids = page.locator(".st-key-nb_grids")
    expect(grids).to_contain_text("Nearest in latent space")
    expect(grids).to_contain_text("Nearest in pixel space")
    expect(grids.locator("img")).to_have_count(2)
    page.wait_for_function(IMAGES_LOADED_JS, arg=".st-key-nb_grids")
    clean(page)

    # The attribute's strength: one slider whose images are decoded in the browser while it is dragged.
    decoder = page.locator('.st-key-nb_strength [data-testid="latent-decoder"]')
    decoder.scroll_into_view_if_needed()
    expect(decoder).to_have_attribute("data-ready", "true", timeout=30_000)
    slider = decoder.locator('input[type="range"]')
    expect(slider).to_have_count(1)
    root = '.st-key-nb_strength [data-testid="latent-decoder"]'
    drag = e2e.drag_slider(page, slider, fraction=0.4, steps=12, root=root)
    assert drag["frames"] >= 3  # images followed the drag, before any rerun
    # On release the strength goes to Python: the map's marker for μ + s·v moves off s = 0.
    page.wait_for_function("""() => [...document.querySelectorAll('.st-key-nb_map .js-plotly-plot')].some(gd =>
        gd.data.some(t => (t.name || '').startsWith('μ + ') && t.name !== 'μ + 0·v'))""", timeout=30_000)


def test_compare_table_shows_two_rows(app, page, e2e):
    open_page(page, e2e, app.url("compare", ckpt="digits-2d"), "Compare")
    rows = page.locator(".st-key-cmp_table tbody tr")
    expect(rows).to_have_count(2, timeout=30_000)
    expect(rows.nth(0)).to_contain_text("digits-2d")
    expect(rows.nth(1)).to_contain_text("digits-mlp")
    expect(page.locator(".st-key-cmp_recons img")).to_have_count(3)
    clean(page)


def test_a_drawn_stroke_is_reconstructed(app, page, e2e):
    open_page(page, e2e, app.url("draw"), "Draw")
    expect(page.locator('[data-testid="stAlertContentInfo"]')).to_contain_text("Draw something first")
    canvas = page.locator('[data-testid="draw-canvas"] canvas')
    canvas.scroll_into_view_if_needed()
    b = canvas.bounding_box()
    page.mouse.move(b["x"] + 0.5 * b["width"], b["y"] + 0.15 * b["height"])
    page.mouse.down()
    page.mouse.move(b["x"] + 0.45 * b["width"], b["y"] + 0.85 * b["height"], steps=15)  # a "1"
    page.mouse.up()
    expect(page.locator('[data-testid="draw-canvas"]')).to_have_attribute("data-strokes", "1")
    result = page.locator(".st-key-draw_result")
    expect(result).to_contain_text("reconstruction", timeout=30_000)
    page.wait_for_function(IMAGES_LOADED_JS, arg=".st-key-draw_result")
    clean(page)
