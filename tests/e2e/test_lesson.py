"""Lesson mode in Chromium: a teacher's link opens step 1, Next moves to another page in its preset state."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app(streamlit_app):
    return streamlit_app("explorer/app.py")


def test_lesson_steps_through_pages(app, page, e2e):
    e2e.open_app(page, app.url(lesson="intro"))
    bar = page.locator(".st-key-lesson_bar")
    expect(bar).to_contain_text("Step 1 of 5")
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)  # navigation hidden in lessons
    for step in (2, 3):
        page.locator(".st-key-lesson_next button").click()
        # The bar changes early in the click's run, so the run is under way when wait_for_app looks; right after a
        # click, the finished state it waits for is still the previous run's.
        expect(bar).to_contain_text(f"Step {step} of 5")
        e2e.wait_for_app(page)
    expect(page.locator("h1").first).to_contain_text("Interpolate")
    # The step's ends reach the URL when the Interpolate page writes them, late in its run: wait for them.
    page.wait_for_url(lambda url: all(part in url for part in ("step=3", "a=3", "b=11")), timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
