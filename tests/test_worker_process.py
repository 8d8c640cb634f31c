"""vae_core/worker_process.py: the spare worker is taken once, and never when the command has changed."""

import sys

import pytest

from vae_core import worker_process


@pytest.fixture(autouse=True)
def no_spare():
    """Each test starts without a spare (a beta sweep in another test may have left one) and leaves none."""
    _drop_spare()
    yield
    _drop_spare()


def _drop_spare() -> None:
    spare, worker_process._spare = worker_process._spare, None
    if spare is not None:
        spare[1].stdin.close()  # the end of its stdin ends a worker
        spare[1].wait(30)


def test_take_returns_the_spare_once_then_starts_new_workers(monkeypatch):
    monkeypatch.setattr(worker_process, "WORKER", ("-c", "import sys; sys.stdin.read()"))  # waits for stdin's end
    worker_process.prestart()
    spare = worker_process._spare[1]
    worker_process.prestart()  # one spare at most
    assert worker_process._spare[1] is spare
    first, second = worker_process.take(), worker_process.take()
    assert first is spare and second is not spare and worker_process._spare is None
    assert second.args == [sys.executable, "-c", "import sys; sys.stdin.read()"]
    for proc in (first, second):
        proc.stdin.close()  # the end of its stdin ends a worker
        assert proc.wait(30) == 0


def test_a_spare_from_another_command_is_not_used(monkeypatch):
    monkeypatch.setattr(worker_process, "WORKER", ("-c", "import sys; sys.stdin.read()"))
    worker_process.prestart()
    stale = worker_process._spare[1]
    monkeypatch.setattr(worker_process, "WORKER", ("-c", "import sys; sys.exit(3)"))  # the command changed
    fresh = worker_process.take()
    assert fresh is not stale and fresh.wait(30) == 3
    assert stale.wait(30) == 0  # told to end (its stdin closed), not left running


def test_a_dead_spare_is_replaced(monkeypatch):
    monkeypatch.setattr(worker_process, "WORKER", ("-c", "pass"))
    worker_process.prestart()
    dead = worker_process._spare[1]
    dead.wait(30)
    worker_process.prestart()
    assert worker_process._spare[1] is not dead
    worker_process.take().wait(30)
