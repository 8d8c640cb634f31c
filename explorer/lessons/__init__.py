"""Lessons: a teacher's sequence of steps, each a short text plus a page in a preset state. The lesson files
are the JSON files beside this one; explorer/lesson_bar.py shows them.

A lesson is a small JSON file that a teacher can copy and edit, for example::

    {"title": "What a VAE learns",
     "steps": [{"title": "The map", "page": "explore", "text": "Each dot is ...",
                "state": {"checkpoint": "digits-2d", "selected": 3}}]}

`state` may set only the keys in STATE_KEYS (those explorer/page_keys.py marks for lessons), so a lesson
cannot reach into anything else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from explorer.page_keys import lesson_keys

LESSON_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_STEPS = 50
# What a step may preset, with the type each value must have: the `lesson` column of the page-key table.
STATE_KEYS: dict[str, type | tuple[type, ...]] = lesson_keys()


class LessonError(ValueError):
    """A lesson name or file is invalid; the message says which and why."""


@dataclass
class LessonStep:
    title: str
    text: str
    page: str
    state: dict = field(default_factory=dict)


@dataclass
class Lesson:
    name: str
    title: str
    steps: list[LessonStep]


def _step(raw, where: str, pages: set[str] | None) -> LessonStep:
    if not isinstance(raw, dict):
        raise LessonError(f"{where}: a step must be an object with title, text, page and state")
    unknown = set(raw) - {"title", "text", "page", "state"}
    if unknown:
        raise LessonError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    title, text, page, state = raw.get("title"), raw.get("text", ""), raw.get("page"), raw.get("state", {})
    if not isinstance(title, str) or not title.strip():
        raise LessonError(f"{where}: needs a non-empty 'title'")
    if not isinstance(text, str):
        raise LessonError(f"{where}: 'text' must be a string")
    if not isinstance(page, str) or (pages is not None and page not in pages):
        raise LessonError(f"{where}: 'page' must be one of {sorted(pages or [])}, got {page!r}")
    if not isinstance(state, dict):
        raise LessonError(f"{where}: 'state' must be an object")
    for key, value in state.items():
        if key not in STATE_KEYS:
            raise LessonError(f"{where}: state key {key!r} is not one a lesson may set ({', '.join(STATE_KEYS)})")
        if isinstance(value, bool) or not isinstance(value, STATE_KEYS[key]):
            raise LessonError(f"{where}: state {key!r} has the wrong type ({type(value).__name__})")
        if isinstance(value, list) and not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               for v in value):
            raise LessonError(f"{where}: state {key!r} must be a list of numbers")
    return LessonStep(title.strip(), text, page, dict(state))


def parse_lesson(name: str, text: str, pages: set[str] | None = None, source: str = "lesson") -> Lesson:
    """Validate a lesson's JSON text; `pages` (page stems) restricts where steps may go."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LessonError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str) or not isinstance(raw.get("steps"), list):
        raise LessonError(f"{source}: expected an object with a 'title' and a list of 'steps'")
    if not 1 <= len(raw["steps"]) <= MAX_STEPS:
        raise LessonError(f"{source}: a lesson has 1 to {MAX_STEPS} steps, found {len(raw['steps'])}")
    steps = [_step(s, f"{source}, step {i + 1}", pages) for i, s in enumerate(raw["steps"])]
    return Lesson(name, raw["title"], steps)


def lesson_path(name: str, folder: Path) -> Path:
    """The file of a lesson name; names are checked before the disk is touched."""
    if not isinstance(name, str) or not LESSON_NAME_RE.match(name):
        raise LessonError(f"invalid lesson name {name!r}: use lowercase letters, digits, '-' and '_'")
    return Path(folder) / f"{name}.json"


def load_lesson(name: str, folder: Path, pages: set[str] | None = None) -> Lesson:
    """Read and validate `folder/NAME.json`."""
    path = lesson_path(name, folder)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LessonError(f"no lesson named {name!r} (looked for {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError(f"{path}: cannot read ({exc})") from None
    return parse_lesson(name, text, pages, source=str(path))


def list_lessons(folder: Path) -> list[str]:
    """Names of the lesson files in folder."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if LESSON_NAME_RE.match(p.stem))
