"""The Inside the VAE page in Chromium: it loads cleanly, the reparameterisation button draws new samples,
and clicking a KL bar chooses the Explore page's slider dimensions."""


import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
EXCEPTION = '[data-testid="stException"]'
DRAW_IMAGES = ".st-key-inside_draws img"
KL_CHART = ".st-key-inside_kl .js-plotly-plot"
# Screen position of the middle of the bar for a category (e.g. "z1") in a plotly bar chart.
BAR_JS = """([gd, category]) => {
  const L = gd._fullLayout, r = gd.getBoundingClientRect();
  const trace = gd._fullData.find(t => t.x.includes(category)), k = trace.x.indexOf(category);
  return {x: r.left + L.xaxis._offset + L.xaxis.d2p(category),
          y: r.top + L.yaxis._offset + L.yaxis.l2p(trace.y[k] / 2)};
}"""


@pytest.fixture(scope="module")
def app(streamlit_app):
    return streamlit_app("explorer/app.py")


def sources(page) -> list[str]:
    return page.locator(DRAW_IMAGES).evaluate_all("imgs => imgs.map(i => i.src)")


def test_sampling_button_draws_new_samples(app, page, e2e):
    e2e.open_app(page, app.url("inside", ckpt="digits-2d"))
    expect(page.locator("h1").first).to_contain_text("Inside the VAE", timeout=30_000)
    expect(page.locator(DRAW_IMAGES)).to_have_count(3, timeout=30_000)  # a row per chosen image
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    seen = [sources(page)]
    for _ in range(2):
        page.locator(".st-key-inside_sample button").click()
        page.wait_for_function("([sel, old]) => { const s = [...document.querySelectorAll(sel)].map(i => i.src);"
                               " return s.length === old.length && s.every((src, k) => src !== old[k]); }",
                               arg=[DRAW_IMAGES, seen[-1]])
        e2e.wait_for_app(page)
        seen.append(sources(page))
    assert len({tuple(s) for s in seen}) == 3  # each press: new eps, new decodes in every row
    assert page.locator(EXCEPTION).count() == 0


def test_clicking_a_kl_bar_chooses_the_decoder_dims(app, page, e2e):
    e2e.open_app(page, app.url("inside", ckpt="digits-2d"))
    dims = page.locator(".st-key-inside_dims_digits-2d")
    expect(dims).to_contain_text("z0", timeout=30_000)
    chart = page.locator(KL_CHART)
    chart.scroll_into_view_if_needed()
    bar = page.evaluate(BAR_JS, [chart.element_handle(), "z1"])
    page.mouse.move(bar["x"], bar["y"] - 5)
    page.mouse.move(bar["x"], bar["y"], steps=3)  # plotly picks the bar under the cursor on hover
    page.mouse.click(bar["x"], bar["y"])
    expect(dims).not_to_contain_text("z0", timeout=20_000)
    expect(dims).to_contain_text("z1")
    e2e.wait_for_app(page)
    assert page.locator(EXCEPTION).count() == 0
