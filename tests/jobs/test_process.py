"""vae_core/jobs/process.py: the spare worker is taken once, and never when the command has changed."""

import sys

import pytest

from vae_core.jobs import process


@pytest.fixture(autouse=True)
def no_spare():
    """Each test starts without a spare (a beta sweep in another test may have left one) and leaves none."""
    _drop_spare()
    yield
    _drop_spare()


def _drop_spare() -> None:
    spare, process._spare = process._spare, None
    if spare is not None:
        spare[1].stdin.close()  # the end of its stdin ends a worker
        spare[1].wait(30)


def test_take_returns_the_spare_once_then_starts_new_workers(monkeypatch):
    monkeypatch.setattr(process, "WORKER", ("-c", "import sys; sys.stdin.read()"))  # waits for stdin's end
    process.prestart()
    spare = process._spare[1]
    process.prestart()  # one spare at most
    assert process._spare[1] is spare
    first, second = process.take(), process.take()
    assert first is spare and second is not spare and process._spare is None
    assert second.args == [sys.executable, "-c", "import sys; sys.stdin.read()"]
    for proc in (first, second):
        proc.stdin.close()  # the end of its stdin ends a worker
        assert proc.wait(30) == 0


def test_a_spare_from_another_command_is_not_used(monkeypatch):
    monkeypatch.setattr(process, "WORKER", ("-c", "import sys; sys.stdin.read()"))
    process.prestart()
    stale = process._spare[1]
    monkeypatch.setattr(process, "WORKER", ("-c", "import sys; sys.exit(3)"))  # the command changed
    fresh = process.take()
    assert fresh is not stale and fresh.wait(30) == 3
    assert stale.wait(30) == 0  # told to end (its stdin closed), not left running


def test_a_dead_spare_is_replaced(monkeypatch):
    monkeypatch.setattr(process, "WORKER", ("-c", "pass"))
    process.prestart()
    dead = process._spare[1]
    dead.wait(30)
    process.prestart()
    assert process._spare[1] is not dead
    process.take().wait(30)
