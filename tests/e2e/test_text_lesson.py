"""The posterior-collapse lesson (`?lesson=text`) in Chromium: every step opens with no exception element, the
collapse page shows each view the step names (the KL chart, the samples, the swap table), and the last steps open
Explore on each of the two models."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

# (page title, what the step shows that the test waits for)
STEPS = [
    ("Posterior collapse", '.st-key-collapse_kl'),
    ("Posterior collapse", '.st-key-collapse_kl'),
    ("Posterior collapse", '[data-testid="stCode"]'),
    ("Posterior collapse", '.st-key-collapse_swaps_1'),
    ("Explore", '.st-key-lesson_bar'),
    ("Explore", '.st-key-lesson_bar'),
]


def test_the_collapse_lesson_steps_through_with_no_exception(text_app, page, e2e):
    e2e.open_app(page, text_app.url(lesson="text"))
    bar = page.locator(".st-key-lesson_bar")
    for i, (title, shown) in enumerate(STEPS):
        if i:
            page.locator(".st-key-lesson_next button").click()
            e2e.wait_for_app(page)
        expect(bar).to_contain_text(f"Step {i + 1} of {len(STEPS)}")
        expect(page.locator("h1").first).to_contain_text(title)
        expect(page.locator(shown).first).to_be_visible(timeout=60_000)  # first decodes: seconds on 2 busy cores
        e2e.wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0, f"step {i + 1}"
        assert f"step={i + 1}" in page.url
    page.locator(".st-key-lesson_prev button").click()  # back to the collapsed model on Explore
    expect(bar).to_contain_text(f"Step {len(STEPS) - 1} of {len(STEPS)}")
    e2e.wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
