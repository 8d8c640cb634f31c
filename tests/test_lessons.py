import json
from pathlib import Path

import pytest

from explorer.lessons import LessonError, list_lessons, load_lesson, parse_lesson

LESSONS = Path(__file__).resolve().parents[1] / "explorer" / "lessons"
GOOD = {"title": "t",
        "steps": [{"title": "s", "page": "explore", "text": "x", "state": {"selected": 2, "z": [0, 1.5]}}]}


def test_bundled_lessons_are_valid():
    names = list_lessons(LESSONS)
    assert "intro" in names
    for name in names:
        lesson = load_lesson(name, LESSONS)
        assert lesson.steps and all(step.title and step.text for step in lesson.steps)


def test_parse_keeps_steps_in_order():
    lesson = parse_lesson("demo", json.dumps(GOOD), pages={"explore"})
    assert lesson.title == "t" and lesson.steps[0].state == {"selected": 2, "z": [0, 1.5]}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["steps"][0].update(page="admin"), "'page' must be one of"),
        (lambda d: d["steps"][0]["state"].update(_app_frame=True), "not one a lesson may set"),
        (lambda d: d["steps"][0]["state"].update(selected="3"), "wrong type"),
        (lambda d: d["steps"][0]["state"].update(z=["a"]), "list of numbers"),
        (lambda d: d["steps"][0].update(title=""), "non-empty 'title'"),
        (lambda d: d["steps"][0].update(extra=1), "unknown field"),
        (lambda d: d.update(steps=[]), "1 to 50 steps"),
    ],
)
def test_bad_lessons_name_what_is_wrong(change, message):
    data = json.loads(json.dumps(GOOD))
    change(data)
    with pytest.raises(LessonError, match=message):
        parse_lesson("demo", json.dumps(data), pages={"explore"})


@pytest.mark.parametrize("name", ["../intro", "/etc/passwd", "Intro", "a b", ""])
def test_bad_names_are_refused(name):
    with pytest.raises(LessonError, match="invalid lesson name"):
        load_lesson(name, LESSONS)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(LessonError, match="no lesson named 'nope'"):
        load_lesson("nope", tmp_path)
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(LessonError, match="not valid JSON"):
        load_lesson("bad", tmp_path)
    assert list_lessons(tmp_path) == ["bad"]
