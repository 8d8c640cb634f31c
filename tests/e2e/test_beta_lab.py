"""The Beta lab page in Chromium: it loads cleanly, and a tiny sweep (2 β values, 1 epoch) runs in the
background to the rate-distortion chart. The server writes into a temporary copy of checkpoints/."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")
EXCEPTION = '[data-testid="stException"]'
PROGRESS = '[data-testid="stProgress"]'


@pytest.fixture(scope="module")
def lab_app(e2e, tmp_path_factory):
    with e2e.app_server(e2e.copy_checkpoints(tmp_path_factory.mktemp("beta-lab") / "checkpoints")) as server:
        yield server


def test_a_tiny_sweep_runs_to_the_rate_distortion_chart(lab_app, page, e2e):
    e2e.open_app(page, lab_app.url("beta_lab", ckpt="digits-2d"))  # digits: no sweep is bundled for it
    page.get_by_role("heading", name="Beta lab").wait_for()
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator(".st-key-beta_rd").count() == 0  # nothing saved yet

    for beta in ("0.25", "0.5", "1"):  # keep 2 and 4
        page.locator(".st-key-beta_betas").get_by_role("button", name=beta, exact=True).click()
        e2e.wait_for_app(page)
    box = page.locator(".st-key-beta_epochs input")
    box.fill("1")
    box.press("Enter")
    page.wait_for_timeout(300)
    e2e.wait_for_app(page)
    page.get_by_role("button", name="Start sweep").click()

    page.locator(PROGRESS, has_text="Sweep on digits").wait_for()
    page.get_by_text("Sweep finished: trained 2 β values").wait_for(timeout=120_000)
    page.locator(".st-key-beta_rd .js-plotly-plot").wait_for()
    e2e.wait_for_app(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "beta_lab_tiny.png"), full_page=True)
    labels = page.locator(".st-key-beta_rd .textpoint").all_text_contents()
    assert labels == ["β = 2", "β = 4"]
    assert page.locator(EXCEPTION).count() == 0
    assert sorted(p.name for p in lab_app.root.glob("beta-digits-*")) == ["beta-digits-2", "beta-digits-4"]
    assert not list((e2e.REPO / "checkpoints").glob("beta-digits-*"))
