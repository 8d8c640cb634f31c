"""Lesson mode through the real app (AppTest): steps preset state and open their pages."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "explorer" / "app.py")


def start(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def step_line(at: AppTest) -> str:
    return at.markdown[0].value


def test_lesson_walks_through_its_steps_and_pages():
    at = start(lesson="intro")
    assert not at.exception and not at.error
    assert "Step 1 of 5" in step_line(at) and at.query_params["step"] == "1"
    assert at.session_state["explore_method"] == "identity" and at.session_state["selected"] == 3
    assert not at.sidebar.selectbox  # the expert controls (checkpoint picker) are hidden
    at.button(key="lesson_next").click().run()
    assert at.query_params["z"] == "0,0"
    at.button(key="lesson_next").click().run()
    assert not at.exception and "Step 3 of 5" in step_line(at)
    assert at.title[0].value.startswith("Interpolate")
    assert at.number_input(key="interp_a").value == 3 and at.number_input(key="interp_b").value == 11
    at.button(key="lesson_prev").click().run()
    assert at.title[0].value.startswith("Explore") and "Step 2 of 5" in step_line(at)


def test_a_link_reopens_a_step_and_leaving_restores_the_app():
    at = start(lesson="intro", step="4")
    assert "Step 4 of 5" in step_line(at) and at.radio(key="interp_method").value == "slerp"
    at.sidebar.button(key="lesson_leave").click().run()
    assert not at.exception and "lesson" not in at.query_params
    assert at.sidebar.selectbox(key="checkpoint").value == "mnist-2d"


def test_bad_lesson_names_give_one_message_and_the_normal_app():
    for name in ("../../etc/passwd", "no-such-lesson"):
        at = start(lesson=name)
        assert not at.exception
        assert len(at.error) == 1 and "Lesson problem" in at.error[0].value
        assert at.sidebar.selectbox(key="checkpoint").value == "mnist-2d"
