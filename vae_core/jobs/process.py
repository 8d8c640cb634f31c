"""Starting training worker processes (`python -m vae_core.jobs.worker`) for TrainingJob, with one spare.

A worker spends seconds importing torch and vae_core before it reads its request. `prestart()` starts one
ahead of need (a beta sweep does, while a member trains) and `take()` hands it to the next job, or starts
a new worker if there is no spare or the spare was started with another command or environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

WORKER = ("-m", "vae_core.jobs.worker")  # the child's command line after the interpreter
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # on the child's PYTHONPATH, so vae_core imports

_spare: tuple[tuple, subprocess.Popen] | None = None  # (command and environment, a started worker)
_spare_lock = threading.Lock()


def _command() -> tuple[list[str], dict, tuple]:
    """The worker's command line, its environment, and a key that tells whether a spare was started alike."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, *WORKER]
    return cmd, env, (tuple(cmd), tuple(sorted(env.items())))


def _spawn(cmd: list[str], env: dict) -> subprocess.Popen:
    # cwd stays the server's, so relative data specs mean the same in the child. start_new_session: a Ctrl-C
    # on the server does not kill it mid-write; it stops at the end of its stdin instead.
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            encoding="utf-8", errors="replace", env=env, start_new_session=True)


def prestart() -> None:
    """Start a worker now for the next job to take. At most one spare exists; it exits when the server
    does (the end of its stdin)."""
    global _spare
    cmd, env, key = _command()
    with _spare_lock:
        if _spare is None or _spare[1].poll() is not None:
            _spare = (key, _spawn(cmd, env))


def take() -> subprocess.Popen:
    """The spare worker if it is alive and was started with today's command and environment, else a new one."""
    global _spare
    cmd, env, key = _command()
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None:
        spare_key, proc = spare
        if spare_key == key and proc.poll() is None:
            return proc
        proc.stdin.close()  # stale: it ends at the end of its stdin
    return _spawn(cmd, env)
