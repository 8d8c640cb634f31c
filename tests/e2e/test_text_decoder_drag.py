"""Dragging a latent slider of the text panel rewrites the sentence during the drag, in the browser, without
reruns; the release sends z to Python once. On a seeded model and on the bundled grammar checkpoint."""

import pytest
import torch
from panel_harness import ROOT, load_demo, runs, shown_z

from vae_core.text.export import MAX_TOKENS
from vae_core.text.vocab import EOS

pytestmark = pytest.mark.e2e

DEMO = "tests/e2e/text_decoder_demo.py"
SENTENCE = f"{ROOT} .sentence"
demo = load_demo("text_decoder_demo")


def open_panel(page, e2e, url: str) -> None:
    e2e.open_app(page, url)
    page.locator(f'{ROOT}[data-ready="true"] .sentence:not([data-frames="0"])').wait_for()


def drag_watching_text(page, e2e, slider) -> tuple[dict, list[str]]:
    """drag_slider, while the page records every sentence the panel shows (read before the mouse is up)."""
    page.locator(SENTENCE).evaluate("""(el) => {
        window.__sentences = [el.textContent];
        new MutationObserver(() => window.__sentences.push(el.textContent))
            .observe(el, {childList: true, characterData: true, subtree: true});
    }""")
    drag = e2e.drag_slider(page, slider, fraction=0.9, steps=40)
    seen = page.evaluate("window.__sentences")
    return drag, seen


@pytest.mark.parametrize("source", ["seeded", "bundled"])
def test_drag_rewrites_the_sentence_mid_drag_and_returns_z_at_the_end(streamlit_app, page, e2e, source):
    app = streamlit_app(DEMO)
    url = app.url(ckpt="grammar-16d") if source == "bundled" else app.url(latent=6)
    open_panel(page, e2e, url)
    start, first, run = shown_z(page), page.locator(SENTENCE).inner_text(), runs(page)
    if source == "seeded":  # the sentence the page opens with is torch's greedy decode of the z it was given
        model = demo.demo_text_model(0, 6)
        ids = model.generate(torch.tensor([start]), max_len=MAX_TOKENS, greedy=True)[0].tolist()
        cut = "" if EOS in ids else "…"  # the panel marks a decode that hit the token limit
        assert first == model.config.vocab.decode(ids) + cut
    sliders = page.locator(f"{ROOT} input[type=range]")
    drag, seen = drag_watching_text(page, e2e, sliders.nth(0))
    assert drag["frames"] > 5, drag  # the frame counter rose during the drag
    assert len(set(seen)) >= 3, seen  # the text differed mid-drag, before any rerun

    page.locator(".st-key-decoder-runs").get_by_text(str(run + 1), exact=True).wait_for()
    e2e.wait_for_app(page)
    z = shown_z(page)
    assert z[0] == pytest.approx(float(sliders.nth(0).input_value())) and z[0] != start[0]
    assert z[1:] == start[1:]
    assert runs(page) == run + 1  # one rerun for the whole drag
