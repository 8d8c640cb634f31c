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
    for _ in range(2):
        page.locator(".st-key-lesson_next button").click()
        e2e.wait_for_app(page)
    expect(bar).to_contain_text("Step 3 of 5")
    expect(page.locator("h1").first).to_contain_text("Interpolate")
    assert "step=3" in page.url and "a=3" in page.url and "b=11" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
