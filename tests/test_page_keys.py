"""explorer/page_keys.py: the one table of session keys that outlive a page, read by the app frame and lessons."""

import re
from pathlib import Path

import pytest

from explorer import lessons, page_keys

REPO = Path(__file__).resolve().parents[1]
VIEWS = REPO / "explorer" / "views"
DISPLAY = REPO / "explorer" / "display"


def page_text(page: str) -> str:
    """The page's file and the display modules as this page calls them: a widget drawn through the display seam
    is keyed f"{key}_..." with the key="..." the page passes, so each such key is put in for {key}."""
    text = (VIEWS / f"{page}.py").read_text(encoding="utf-8")
    passed = set(re.findall(r'\bkey="([a-z_]+)"', text))
    shown = [f.read_text(encoding="utf-8") for f in sorted(DISPLAY.glob("*.py"))]
    return "\n".join([text, *(d.replace("{key}", k) for k in passed for d in shown)])


@pytest.mark.parametrize("page", [p for p in page_keys.PAGE_KEYS if p])
def test_every_listed_key_is_used_by_its_page(page):
    """A stale row would keep a key no page draws; a key listed under the wrong page misleads its reader."""
    text = page_text(page)
    assert [k for k in page_keys.PAGE_KEYS[page] if f'"{k}' not in text] == []


def test_a_key_drawn_through_the_display_seam_is_found_under_its_page_only():
    assert '"interp_strip_typed_a' in page_text("interpolate") and '"gen_decoding' in page_text("generate")
    assert '"interp_strip_typed_a' not in page_text("generate")  # generate passes no key="interp_strip"


def test_kept_keys_families_and_plain_state():
    assert page_keys.kept("interp_a") and page_keys.kept("checkpoint")
    assert page_keys.kept("inside_dx_mnist-2d") and not page_keys.kept("inside_dx")  # a family: its members only
    assert not page_keys.kept("selected")  # plain state: Streamlit never drops it
    assert not page_keys.kept("lesson_step") and not page_keys.kept("_inside_dx_mnist-2d")


def test_lessons_may_set_exactly_the_keys_marked_for_them():
    assert lessons.STATE_KEYS == page_keys.lesson_keys()
    assert {"checkpoint", "selected", "z", "decoder_dims", "explore_method", "interp_a", "gen_seed"} <= set(
        lessons.STATE_KEYS)
    assert "train_name" not in lessons.STATE_KEYS


def test_a_key_is_listed_once():
    names = [k for keys in page_keys.PAGE_KEYS.values() for k in keys]
    assert len(names) == len(set(names))
