"""One registry for background work: at most one job per (opaque) session id, and no job that would write
what an active job is writing. The Train page's TrainingJobs and the Beta lab's SweepJobs each have one.

A job tells the registry what it writes (`names`), what it is doing ("training 'my-vae'", for the refusal
message) and why it cannot start beside the active jobs (`refuse`, which raises JobError); the registry
keeps the sessions apart and starts the job under its lock, so two sessions cannot both pass the checks.

    registry = Registry()
    job = registry.start(session_id, job)   # JobError saying why not
    registry.get(session_id).snapshot()
    registry.stop(session_id)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar


class JobError(ValueError):
    """A job cannot start: bad name, checkpoint exists, session busy, name being written."""


class Job(Protocol):
    """What the registry needs of a job."""

    names: Sequence[str]  # the checkpoint names it writes

    @property
    def active(self) -> bool: ...

    @property
    def doing(self) -> str:
        """What a session running it is doing, e.g. "training 'my-vae'"."""

    def refuse(self, active: list) -> None:
        """Raise JobError if this job cannot start beside the `active` jobs of its registry."""

    def start(self): ...

    def stop(self) -> None: ...


J = TypeVar("J", bound=Job)


class Registry(Generic[J]):
    """At most one job per session id; a job starts only when its own checks against the active ones pass."""

    def __init__(self):
        self._jobs: dict[str, J] = {}
        self._lock = threading.Lock()

    def get(self, session_id: str) -> J | None:
        with self._lock:
            return self._jobs.get(session_id)

    def start(self, session_id: str, job: J) -> J:
        """Register and start `job` for this session, or raise JobError saying why not."""
        with self._lock:
            mine = self._jobs.get(session_id)
            if mine is not None and mine.active:
                raise JobError(f"this session is already {mine.doing}; stop it first")
            job.refuse([other for other in self._jobs.values() if other.active])
            self._jobs[session_id] = job
            return job.start()

    def stop(self, session_id: str) -> None:
        job = self.get(session_id)
        if job is not None:
            job.stop()

    def names_in_use(self) -> set[str]:
        """Checkpoint names that active jobs are writing."""
        with self._lock:
            return {name for job in self._jobs.values() if job.active for name in job.names}
