"""The Train page in Chromium: train in the background, stop, refuse bad settings, two sessions at once.

The server writes checkpoints into a temporary copy of checkpoints/, never into the repository.
"""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")
STATUS = '[data-testid="stProgress"]'
CHART = '[data-testid="stMain"] [data-testid="stPlotlyChart"]'  # main area only, not the sidebar


@pytest.fixture(scope="module")
def train_app(e2e, tmp_path_factory):
    """A server of the real app whose checkpoints root is a temp copy of the bundled checkpoints."""
    with e2e.app_server(e2e.copy_checkpoints(tmp_path_factory.mktemp("train-page") / "checkpoints")) as server:
        yield server


def open_train_page(page, app, e2e) -> None:
    e2e.open_app(page, app.url())  # the app's entry first, as a visitor would
    page.locator('[data-testid="stSidebarNav"] a', has_text="Train").click()
    page.locator(".st-key-train_name input").wait_for()
    e2e.wait_for_app(page)


def fill(page, e2e, key: str, value) -> None:
    """Type into a text or number input and commit it (Enter), then wait for the rerun."""
    box = page.locator(f".st-key-{key} input")
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(300)
    e2e.wait_for_app(page)


def start(page, e2e, name: str, epochs: int, **numbers) -> None:
    fill(page, e2e, "train_epochs", epochs)
    for key, value in numbers.items():
        fill(page, e2e, key, value)
    fill(page, e2e, "train_name", name)
    page.get_by_role("button", name="Start training").click()


def shoot(page, name: str) -> None:
    """A screenshot from the top of the page (Streamlit scrolls inside its own container)."""
    page.evaluate("document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer]')"
                  ".forEach(e => e.scrollTo(0, 0))")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def metric_values(page) -> list[float]:
    return [float(v.replace(",", "")) for v in page.locator(
        '.st-key-train-metrics [data-testid="stMetricValue"]').all_inner_texts()]


def test_train_watch_it_learn_and_open_the_checkpoint(train_app, page, e2e):
    open_train_page(page, train_app, e2e)
    shoot(page, "train_page_idle.png")
    start(page, e2e, "e2e-digits", epochs=3)
    # A quiet machine may train all 3 epochs before the first 1 s poll shows "running".
    page.locator(STATUS, has_text=re.compile("running|finished")).wait_for(timeout=60_000)
    page.locator(CHART).first.wait_for()  # the untrained latent map
    shoot(page, "train_page_during.png")

    page.get_by_text("Done: trained 3 epochs").wait_for(timeout=120_000)
    e2e.wait_for_app(page)
    shoot(page, "train_page_after.png")
    first, last, recon, kl, _ = metric_values(page)
    assert last < first and last == pytest.approx(recon + kl, abs=0.02)
    assert page.locator(CHART).count() == 3  # curves, KL per epoch and map
    assert page.locator('[data-testid="stException"]').count() == 0
    assert (train_app.root / "e2e-digits" / "model.safetensors").is_file()
    assert not (e2e.REPO / "checkpoints" / "e2e-digits").exists()

    # The sidebar picker lists it at once; the button opens it in Explore.
    page.locator(".st-key-checkpoint input").click()
    assert page.get_by_role("option", name="e2e-digits").count() == 1
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Open e2e-digits in Explore").click()
    page.get_by_role("heading", name="Explore the latent space").wait_for()
    e2e.wait_for_app(page)
    page.wait_for_function("() => new URL(location.href).searchParams.get('ckpt') === 'e2e-digits'")
    assert page.locator(".st-key-checkpoint input").input_value() == "e2e-digits"


def test_bad_settings_and_uploads_get_a_message(train_app, page, e2e, tmp_path):
    bundled = (train_app.root / "digits-2d" / "model.safetensors").read_bytes()
    open_train_page(page, train_app, e2e)
    start(page, e2e, "../escape", epochs=1)
    page.locator('[data-testid="stAlert"]', has_text="invalid checkpoint name").wait_for()
    fill(page, e2e, "train_name", "digits-2d")  # bundled
    page.get_by_role("button", name="Start training").click()
    page.locator('[data-testid="stAlert"]', has_text="already exists; choose another name or tick").wait_for()

    bad = tmp_path / "pickled.npz"
    bad.write_bytes(b"this is not a zip file")
    page.locator(".st-key-train_source button", has_text="Upload .npz").click()
    e2e.wait_for_app(page)
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(bad))
    page.locator('[data-testid="stAlert"]', has_text="pickled.npz: not a readable .npz file").wait_for()
    page.get_by_role("button", name="Start training").click()
    page.locator('[data-testid="stAlert"]', has_text="not a readable .npz file").first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert (train_app.root / "digits-2d" / "model.safetensors").read_bytes() == bundled


def test_two_sessions_train_at_once_and_stop_mid_run(train_app, browser, e2e):
    alice, bob = (browser.new_context(viewport={"width": 1300, "height": 900}).new_page() for _ in range(2))
    try:
        for p in (alice, bob):
            p.set_default_timeout(30_000)
            open_train_page(p, train_app, e2e)
        start(alice, e2e, "alice-long", epochs=1000)
        alice.locator(STATUS, has_text="running").wait_for(timeout=60_000)
        start(bob, e2e, "alice-long", epochs=2)  # the name another session is writing
        bob.locator('[data-testid="stAlert"]', has_text="being written by another training run").wait_for()
        start(bob, e2e, "bob-short", epochs=2)
        bob.get_by_text("Done: trained 2 epochs").wait_for(timeout=120_000)
        assert alice.locator(STATUS, has_text="running").count() == 1  # undisturbed, still training
        assert "alice-long" not in bob.locator(STATUS).inner_text()

        alice.get_by_role("button", name="Stop").click()
        alice.locator(STATUS, has_text="stopped").wait_for(timeout=60_000)
        alice.locator('[data-testid="stAlert"]', has_text="stopped during epoch").wait_for()
        assert (train_app.root / "bob-short" / "config.json").is_file()
    finally:
        for p in (alice, bob):
            p.context.close()
