"""Explore on the bundled text checkpoint (grammar-16d): a dot's tooltip on the canvas map shows its sentence, a
click shows the sentence and its reconstruction from mu, the decoder panel rewrites its sentence during a drag,
and a page built for images says it does not apply and links to Explore."""

import pytest
from playwright.sync_api import expect

from vae_core.data import load_dataset

pytestmark = pytest.mark.e2e

SELECTION = ".st-key-explore_selection"
PANEL = '.st-key-explore_decoder [data-testid="latent-decoder"]'
EXCEPTION = '[data-testid="stException"]'


@pytest.fixture(scope="module")
def app(e2e, tmp_path_factory):
    root = e2e.copy_checkpoints(tmp_path_factory.mktemp("checkpoints"), ("grammar-16d",))
    with e2e.app_server(root) as server:
        yield server


@pytest.fixture(scope="module")
def sentences():
    return load_dataset("grammar").lines_test


def open_explore(page, e2e, app):
    e2e.open_app(page, app.url(ckpt="grammar-16d"))
    e2e.wait_for_map(page, "explore_map")
    page.locator(f'{PANEL}[data-ready="true"] .sentence:not([data-frames="0"])').wait_for()


def test_hover_shows_the_sentence_and_a_click_its_reconstruction(app, page, e2e, sentences):
    open_explore(page, e2e, app)
    point = e2e.map_point(page, "explore_map", away=6)  # no other dot within 6 px: the hover can only mean it
    page.mouse.move(point["x"] - 6, point["y"])
    page.mouse.move(point["x"], point["y"], steps=3)
    sentence = sentences[point["index"]]
    tip = page.get_by_test_id("point-map-tooltip")
    expect(tip).to_have_attribute("data-index", str(point["index"]))
    expect(tip.get_by_test_id("point-map-tip-sentence")).to_have_text(sentence)  # shorter than MAX_HOVER

    page.mouse.click(point["x"], point["y"])
    selection = page.locator(SELECTION)
    expect(selection).to_contain_text(f"Test sentence #{point['index']}", timeout=30_000)
    # The rerun streams its elements: the sentence shows before the reconstruction, which waits for a greedy
    # decode on the server. Wait for both (once, wait_for_app returned with only the first shown).
    expect(selection.locator("code")).to_have_count(2)
    codes = selection.locator("code").all_inner_texts()
    assert codes[0] == sentence and codes[1].startswith("a ")  # the sentence; its greedy decode from mu
    # The click put z at the sentence's mu: the panel shows that decode too, up to its 64 characters.
    expect(page.locator(f"{PANEL} .sentence")).to_contain_text(codes[1][:40])
    assert page.locator(EXCEPTION).count() == 0


def test_the_sentence_changes_during_a_drag(app, page, e2e):
    open_explore(page, e2e, app)
    sentence = page.locator(f"{PANEL} .sentence")
    sentence.evaluate("""(el) => {
        window.__sentences = [el.textContent];
        new MutationObserver(() => window.__sentences.push(el.textContent))
            .observe(el, {childList: true, characterData: true, subtree: true});
    }""")
    drag = e2e.drag_slider(page, page.locator(f"{PANEL} input[type=range]").first, fraction=0.9, root=PANEL)
    seen = page.evaluate("window.__sentences")
    assert drag["frames"] > 5, drag
    assert len(set(seen)) >= 3, seen
    e2e.wait_for_app(page)
    assert page.locator(EXCEPTION).count() == 0


def test_an_image_page_points_to_explore(app, page, e2e):
    e2e.open_app(page, app.url("draw", ckpt="grammar-16d"))
    expect(page.get_by_text("works on image checkpoints")).to_be_visible()
    page.get_by_role("link", name="Open Explore").click()
    page.locator(f'{PANEL}[data-ready="true"]').wait_for()
    assert page.locator(EXCEPTION).count() == 0
