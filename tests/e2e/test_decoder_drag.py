"""Dragging a latent slider redraws the image during the drag, in the browser, without reruns."""

import json

import pytest
from panel_harness import ROOT, runs, shown_z
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DEMO = "tests/e2e/decoder_demo.py"


def canvas_pixels(page) -> str:
    return page.locator(f"{ROOT} canvas").evaluate("c => c.toDataURL()")


def open_decoder(page, e2e, url: str) -> None:
    e2e.open_app(page, url)
    page.locator(f'{ROOT}[data-ready="true"] canvas:not([data-frames="0"])').wait_for()


def test_drag_redraws_every_frame_and_returns_z_at_the_end(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    weight_fetches, ws_frames = [], []
    page.on("request", lambda r: weight_fetches.append(r.url) if r.url.endswith(".bin") else None)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: ws_frames.append(len(data))))
    open_decoder(page, e2e, app.url(latent=3, dims="0,2"))  # dimension 1 hidden: it keeps its value
    start, pixels, run = shown_z(page), canvas_pixels(page), runs(page)
    sliders = page.locator(f"{ROOT} input[type=range]")
    assert sliders.count() == 2
    ws_frames.clear()

    drag = e2e.drag_slider(page, sliders.nth(1))  # frames are read before the mouse is released
    assert drag["frames"] > 5, drag
    assert canvas_pixels(page) != pixels

    # One rerun for the whole drag, when the mouse is released.
    page.locator(".st-key-decoder-runs").get_by_text(str(run + 1), exact=True).wait_for()
    e2e.wait_for_app(page)
    z = shown_z(page)
    assert z[2] == pytest.approx(float(sliders.nth(1).input_value())) and z[2] != start[2]
    assert z[0] == start[0] and z[1] == start[1]
    assert page.locator(f"{ROOT} output").nth(1).inner_text() == f"{z[2]:.2f}"
    assert runs(page) == run + 1
    # The weights came once, as a static file; the rerun carried no megabytes.
    assert len(weight_fetches) == 1 and "/app/static/decoders/" in weight_fetches[0]
    assert max(ws_frames, default=0) < 20_000, ws_frames


def test_new_z_from_python_moves_the_sliders(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_decoder(page, e2e, app.url(latent=3))
    before, frames = shown_z(page), e2e.decoder_stats(page)["frames"]
    page.locator(".st-key-new-z button").click()
    old = page.locator(".st-key-decoder-result").get_by_text(json.dumps(before), exact=True)
    old.wait_for(state="detached")
    e2e.wait_for_app(page)
    z = shown_z(page)
    assert z != before
    sliders = page.locator(f"{ROOT} input[type=range]")
    values = [float(v) for v in sliders.evaluate_all("es => es.map(e => e.value)")]
    assert values == pytest.approx(z)
    expect(page.locator(f"{ROOT} canvas")).not_to_have_attribute("data-frames", str(frames))  # redrawn
    assert e2e.decoder_stats(page)["frames"] > frames


@pytest.mark.parametrize("latent", [2, 20])
def test_a_drag_reports_its_decode_time(streamlit_app, page, e2e, latent, record_property):
    """The default 28x28 conv decoder: mean decode+draw ms over the drag's frames, and frames per second, recorded
    as properties. Whether that fits the 16.7 ms frame is `python -m bench drag`'s question, asked side by side
    with a baseline: a fixed bound here failed on main's code too whenever the shared 2-core machine was busy
    (45-59 ms at load 18-22, 2026-11-29), saying nothing about the decoder."""
    app = streamlit_app(DEMO)
    open_decoder(page, e2e, app.url(latent=latent, dims="0,1"))
    drag = e2e.drag_slider(page, page.locator(f"{ROOT} input[type=range]").first, steps=60, pause_ms=10)
    for name, value in drag.items():
        record_property(name, value)
    print(f"latent {latent}: {drag['decode_ms']:.2f} ms/frame, {drag['fps']:.1f} fps during the drag")
    assert drag["frames"] > 5, drag  # it redrew during the drag
    assert drag["decode_ms"] > 0 and drag["fps"] > 0, drag  # and the hooks bench/ reads report the time
