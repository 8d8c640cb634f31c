"""The canvas latent map (explorer/components/point_map.py) in Chromium, on tests/e2e/point_map_demo.py: it draws
every point, hover shows the point's index and image, clicks reach Python as an index or as map coordinates,
wheel zoom and double-click reset, box and lasso selection, the legend hides a class.

Each test passed 10 runs in a row:
`for i in $(seq 10); do python -m pytest -q tests/e2e/test_point_map_browser.py || break; done`
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DEMO = "tests/e2e/point_map_demo.py"
ROOT = '[data-testid="point-map"]'
N = 2000
_spec = importlib.util.spec_from_file_location("point_map_demo", Path(__file__).with_name("point_map_demo.py"))
_demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_demo)
demo_points, demo_images = _demo.demo_points, _demo.demo_images


def open_map(page, e2e, app, **query) -> None:
    e2e.open_app(page, app.url(**query))
    page.locator(f'{ROOT}[data-ready="true"]').wait_for()


def attr(page, name: str) -> str | None:
    return page.locator(ROOT).get_attribute(f"data-{name}")


def pixels(page, xy: np.ndarray) -> np.ndarray:
    """Page pixel positions (CSS px) of map points, from the component's own mapping."""
    return np.array(page.evaluate("""(xy) => xy.map(([x, y]) => window.__latentLabMaps.demo_map.toPixel(x, y))""",
                                  xy.astype(float).tolist()))


def lonely_point(page, xy: np.ndarray, labels: np.ndarray | None = None, away: float = 12) -> tuple[int, np.ndarray]:
    """A point with no other point within `away` px (so the mouse on it can only mean it), and its pixel."""
    px = pixels(page, xy)
    d = np.linalg.norm(px[:, None] - px[None], axis=2)
    np.fill_diagonal(d, np.inf)
    candidates = np.flatnonzero(d.min(1) > away)
    assert len(candidates), "the demo's blobs should leave some points alone"
    i = int(candidates[len(candidates) // 2])
    return i, px[i]


def python_click(page, before: str) -> dict:
    """The click Python wrote on the page, once it differs from `before`."""
    box = page.locator(".st-key-demo-click")
    box.get_by_text(before, exact=True).wait_for(state="detached")
    return json.loads(box.inner_text())


@pytest.mark.parametrize("n", [N, 70_000])
def test_draws_every_point(streamlit_app, page, e2e, n):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=n, sprites=0)
    assert int(attr(page, "points-drawn")) == n  # the home view holds them all
    assert float(attr(page, "redraw-ms")) > 0


def test_hover_shows_the_index_and_image(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=N)
    xy, labels = demo_points(N)
    i, (x, y) = lonely_point(page, xy)
    page.mouse.move(x + 1, y - 1)
    tip = page.locator('[data-testid="point-map-tooltip"]')
    tip.and_(page.locator(f'[data-image-index="{i}"]')).wait_for()
    assert attr(page, "hover-index") == str(i)
    assert tip.inner_text().strip() == f"#{i} · class {labels[i]}"
    shown = tip.locator("canvas").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)")
    grey = np.array(shown).reshape(8, 8, 4)[..., 0]
    np.testing.assert_array_equal(grey, np.round(demo_images(N)[i, 0] * 255))
    page.mouse.move(5, 5)  # off the map: the tooltip goes
    tip.wait_for(state="hidden")


def test_a_click_on_a_point_sends_its_index_to_python(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=N)
    page.evaluate("""() => { window.__picks = [];
        window.addEventListener('latent-lab:pick', (e) => window.__picks.push(e.detail)); }""")
    xy, _ = demo_points(N)
    i, (x, y) = lonely_point(page, xy)
    page.mouse.click(x + 2, y)
    click = python_click(page, "null")
    assert click["index"] == i
    picks = page.evaluate("window.__picks")  # answered in the browser too, as map_overlay does
    assert len(picks) == 1 and picks[0]["chart"] == "demo_map" and picks[0]["index"] == i
    assert picks[0]["point"] == pytest.approx(xy[i].astype(float).tolist())
    assert attr(page, "clicks") == "1"
    # the ring and the cross sit on the point (moved by the browser, then by Python's rerun alike)
    markers = {m["kind"]: (m["x"], m["y"]) for m in json.loads(attr(page, "markers"))}
    assert markers["ring"] == pytest.approx(xy[i].tolist()) and markers["x"] == pytest.approx(xy[i].tolist())


def test_the_cross_follows_a_decoder_drag_through_the_linear_map(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=N)
    assert json.loads(attr(page, "markers")) == [{"kind": "x", "x": 0, "y": 0}]
    page.evaluate("""() => window.dispatchEvent(new CustomEvent('latent-lab:z',
        {detail: {source: 'demo_decoder', z: [1.5, -2, 7]}}))""")
    assert json.loads(attr(page, "markers")) == [{"kind": "x", "x": -1.5, "y": 2}]  # (z1 + 0.5, 2 z0 - 1)
    page.evaluate("""() => window.dispatchEvent(new CustomEvent('latent-lab:z',
        {detail: {source: 'another_decoder', z: [0, 0, 0]}}))""")
    assert json.loads(attr(page, "markers")) == [{"kind": "x", "x": -1.5, "y": 2}]  # not ours: ignored


def test_a_click_between_points_sends_the_spot(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=N)
    (cx, cy), = pixels(page, np.array([[0.3, -0.4]]))  # the middle of the ring of blobs is empty
    cx, cy = round(cx), round(cy)
    page.mouse.click(cx, cy)
    click = python_click(page, "null")
    assert click["index"] is None
    (px, py), = pixels(page, np.array([[click["x"], click["y"]]]))
    assert abs(px - cx) <= 1 and abs(py - cy) <= 1


def test_wheel_zoom_changes_the_view_and_clicks_still_pick(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=N)
    xy, _ = demo_points(N)
    view = page.evaluate("window.__latentLabMaps.demo_map.view()")
    redraws = int(attr(page, "redraws"))
    (cx, cy), = pixels(page, np.array([[4.0, 0.0]]))
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -600)
    expect(page.locator(ROOT)).not_to_have_attribute("data-redraws", str(redraws))
    zoomed = page.evaluate("window.__latentLabMaps.demo_map.view()")
    assert zoomed["x1"] - zoomed["x0"] < 0.5 * (view["x1"] - view["x0"])
    assert zoomed["x0"] < 4 < zoomed["x1"]  # around the cursor
    assert int(attr(page, "points-drawn")) < N
    inside = ((xy[:, 0] > zoomed["x0"]) & (xy[:, 0] < zoomed["x1"])
              & (xy[:, 1] > zoomed["y0"]) & (xy[:, 1] < zoomed["y1"]))
    i, (x, y) = lonely_point(page, np.where(inside[:, None], xy, 1e3), away=20)
    page.mouse.click(x, y)
    assert python_click(page, "null")["index"] == i
    page.mouse.dblclick(x, y)  # the whole map again
    page.wait_for_function("(v) => window.__latentLabMaps.demo_map.view().x0 === v.x0", arg=view)
    assert page.evaluate("window.__latentLabMaps.demo_map.view()") == pytest.approx(view)


def drag(page, path: list[tuple[float, float]]) -> None:
    page.mouse.move(*path[0])
    page.mouse.down()
    for x, y in path[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def python_selection(page) -> list[int]:
    box = page.locator(".st-key-demo-selection")
    box.get_by_text("[]", exact=True).wait_for(state="detached")
    return json.loads(box.inner_text())


def test_box_selection_returns_exactly_the_points_inside(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=N)
    xy, _ = demo_points(N)
    px = pixels(page, xy)
    page.locator(f"{ROOT} button[data-mode=box]").click()
    (x0, y0), (x1, y1) = pixels(page, np.array([[2.0, 3.5], [5.0, -0.5]]))
    drag(page, [(round(x0), round(y0)), (round(x1), round(y1))])
    inside = ((px[:, 0] >= round(x0)) & (px[:, 0] <= round(x1)) & (px[:, 1] >= round(y0)) & (px[:, 1] <= round(y1)))
    expected = np.flatnonzero(inside).tolist()
    assert len(expected) > 50
    assert python_selection(page) == expected
    assert attr(page, "selected") == str(len(expected))
    (cx, cy), = pixels(page, np.array([[0.0, 0.0]]))
    page.mouse.dblclick(cx, cy)  # clears the selection, as in plotly
    page.locator(".st-key-demo-selection").get_by_text("[]", exact=True).wait_for()


def test_lasso_selection_returns_the_points_inside_the_loop(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=N)
    xy, _ = demo_points(N)
    page.locator(f"{ROOT} button[data-mode=lasso]").click()
    loop = pixels(page, np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])).round()
    drag(page, [tuple(p) for p in loop])  # the browser closes the loop back to the start
    got = python_selection(page)
    # every point well inside the triangle is selected, none well outside
    bary = xy @ np.linalg.inv(np.array([[6.0, 0.0], [0.0, 6.0]]))
    well_in = (bary > 0.03).all(1) & (bary.sum(1) < 0.97)
    well_out = (bary < -0.03).any(1) | (bary.sum(1) > 1.03)
    assert set(np.flatnonzero(well_in)) <= set(got) and not set(np.flatnonzero(well_out)) & set(got)


def test_a_legend_click_hides_and_shows_a_class(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=N)
    xy, labels = demo_points(N)
    legend = page.locator('[data-testid="point-map-legend"] button', has_text="class 3")
    redraws = int(attr(page, "redraws"))
    legend.click()
    page.locator(f'{ROOT}[data-points-drawn="{N - int((labels == 3).sum())}"]').wait_for()
    assert int(attr(page, "redraws")) > redraws
    assert legend.get_attribute("aria-pressed") == "false"
    # a hidden point is neither hovered nor clicked
    i, (x, y) = lonely_point(page, np.where((labels == 3)[:, None], xy, 1e3), away=0)
    page.mouse.move(x, y)
    page.wait_for_timeout(100)
    assert attr(page, "hover-index") != str(i)
    legend.click()
    page.locator(f'{ROOT}[data-points-drawn="{N}"]').wait_for()


def test_colour_by_value_shows_a_colour_bar(streamlit_app, page, e2e):
    app = streamlit_app(DEMO)
    open_map(page, e2e, app, n=N, color="value")
    assert int(attr(page, "points-drawn")) == N
    assert page.locator(f"{ROOT} .colorbar").is_visible()
    assert page.locator('[data-testid="point-map-legend"] button').count() == 0
