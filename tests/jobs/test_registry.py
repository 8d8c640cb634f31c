"""The one registry of background jobs, with stand-in jobs (no processes): one job per session, a job's own
refusals, the names in use. TrainingJob's and SweepJob's refusals run in test_training.py and test_sweep.py."""

import pytest

from vae_core.jobs.registry import JobError, Registry


class Stub:
    """A job that is active from start() until finish(); refuses to start beside a job writing one of its names."""

    def __init__(self, *names: str):
        self.names, self.active, self.started, self.stopped = names, False, 0, 0

    @property
    def doing(self) -> str:
        return f"writing {', '.join(self.names)}"

    def refuse(self, active: list) -> None:
        if taken := sorted({n for job in active for n in job.names} & set(self.names)):
            raise JobError(f"{taken[0]} is being written")

    def start(self):
        self.started += 1
        self.active = True
        return self

    def stop(self) -> None:
        self.stopped += 1

    def finish(self) -> None:
        self.active = False


def test_one_active_job_per_session_then_another_once_it_ends():
    registry = Registry()
    first = registry.start("s1", Stub("a"))
    assert registry.get("s1") is first and first.started == 1 and registry.get("s2") is None
    second = Stub("b")
    with pytest.raises(JobError, match=r"^this session is already writing a; stop it first$"):
        registry.start("s1", second)
    assert registry.get("s1") is first and second.started == 0  # refused: neither registered nor started
    first.finish()
    assert registry.start("s1", second) is second and registry.get("s1") is second


def test_a_job_refuses_to_start_beside_active_ones_and_stays_out():
    registry = Registry()
    registry.start("s1", Stub("a", "b"))
    clash = Stub("b", "c")
    with pytest.raises(JobError, match="b is being written"):
        registry.start("s2", clash)
    assert registry.get("s2") is None and clash.started == 0
    registry.get("s1").finish()
    assert registry.start("s2", clash).started == 1  # ended jobs are not asked about


def test_names_in_use_are_those_of_active_jobs():
    registry = Registry()
    assert registry.names_in_use() == set()
    one, two = registry.start("s1", Stub("a", "b")), registry.start("s2", Stub("c"))
    assert registry.names_in_use() == {"a", "b", "c"}
    one.finish()
    assert registry.names_in_use() == {"c"}
    two.finish()
    assert registry.names_in_use() == set()


def test_stop_reaches_the_session_job_only():
    registry = Registry()
    mine, other = registry.start("s1", Stub("a")), registry.start("s2", Stub("b"))
    registry.stop("s1")
    registry.stop("nobody")  # no job: nothing happens
    assert (mine.stopped, other.stopped) == (1, 0)
