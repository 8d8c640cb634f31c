"""Lesson mode (`?lesson=NAME`): a bar of steps above the page; each step opens a page in a preset state.

The lesson files are JSON in explorer/lessons/ (parsed and validated by explorer.lessons). In lesson
mode the sidebar's expert controls are hidden: the steps choose the checkpoint and the settings.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from explorer import shared
from explorer.lessons import Lesson, LessonError, load_lesson

LESSONS = Path(__file__).resolve().parent / "lessons"


def start_from_url() -> None:
    """Once per session: a lesson named in the URL starts at the URL's step (1-based), else step 1."""
    if "_lesson_checked" in st.session_state:
        return
    st.session_state["_lesson_checked"] = True
    if name := st.query_params.get("lesson"):
        step = shared.query_int("step") or 1
        st.session_state.update(lesson=name, lesson_step=max(step, 1) - 1, _lesson_apply=True)


def active_lesson(page_stems: set[str]) -> Lesson | None:
    """The session's lesson, or None; a bad name or file shows one error and leaves lesson mode."""
    name = st.session_state.get("lesson")
    if not name:
        return None
    try:
        lesson = load_lesson(name, LESSONS, pages=page_stems)
    except LessonError as exc:
        st.error(f"Lesson problem: {exc}")
        leave()
        return None
    st.session_state["lesson_step"] = min(st.session_state.get("lesson_step", 0), len(lesson.steps) - 1)
    return lesson


def apply_pending_step(lesson: Lesson, pages: dict[str, st.Page], current: st.Page, names: list[str]) -> None:
    """After a step change: preset its state, then open its page (a rerun) if another page is showing."""
    if not st.session_state.pop("_lesson_apply", False):
        return
    step = lesson.steps[st.session_state["lesson_step"]]
    state = dict(step.state)
    if state.get("checkpoint") not in (None, *names):
        st.warning(f"This step wants checkpoint {state.pop('checkpoint')!r}, which is not here; "
                   "staying on the current one.")
    if "checkpoint" in state and state["checkpoint"] != st.session_state.get("checkpoint"):
        shared.reset_selection()
    st.session_state.update(state)
    target = pages[step.page]
    if target.title != current.title:
        st.switch_page(target)


def _go(index: int) -> None:
    st.session_state.update(lesson_step=index, _lesson_apply=True)


def leave() -> None:
    """Back to the full app: drop the lesson and its URL keys."""
    for key in ("lesson", "lesson_step", "_lesson_apply"):
        st.session_state.pop(key, None)
    shared.set_query(lesson=None, step=None)


def render(lesson: Lesson) -> None:
    """The step bar: where we are, the step's explanation, previous / next."""
    i, n = st.session_state["lesson_step"], len(lesson.steps)
    step = lesson.steps[i]
    shared.set_query(lesson=lesson.name, step=i + 1)
    with st.container(key="lesson_bar", border=True):
        head, prev_col, next_col = st.columns([6, 1, 1], vertical_alignment="center")
        head.markdown(f"**{lesson.title}**  \nStep {i + 1} of {n}: **{step.title}**")
        prev_col.button("Previous", key="lesson_prev", disabled=i == 0, on_click=_go, args=(i - 1,),
                        width="stretch", icon=":material/arrow_back:")
        next_col.button("Next", key="lesson_next", disabled=i == n - 1, on_click=_go, args=(i + 1,),
                        width="stretch", type="primary", icon=":material/arrow_forward:")
        st.markdown(step.text)
    st.sidebar.markdown(f"## Lesson\n{lesson.title}")
    st.sidebar.progress((i + 1) / n, text=f"step {i + 1} of {n}")
    st.sidebar.button("Leave the lesson", key="lesson_leave", on_click=leave, icon=":material/logout:")
