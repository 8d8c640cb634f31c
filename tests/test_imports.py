"""What each entry point imports, in a fresh interpreter: no command pays for modules it does not use.

Timings are in bench/README.md ("issue 12: import costs", `python -m bench imports`); here only which
modules get loaded, which a busy machine cannot make flaky.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Print the loaded modules after `code` (or after running a module as __main__), as JSON on the last line.
WRAPPER = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.__stdout__, flush=True))
{body}
"""


def modules_after(body: str) -> set[str]:
    """The modules in sys.modules when a fresh interpreter has run `body` and is about to exit."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", WRAPPER.format(body=body)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def loaded(modules: set[str], *names: str) -> list[str]:
    return [n for n in names if n in modules]


def test_the_jobs_modules_leave_the_worker_and_dynamo_to_the_child():
    """The app's server imports vae_core.jobs.training and .sweep; the training child (vae_core.jobs.worker)
    imports torch._dynamo."""
    modules = modules_after("import vae_core.jobs.training, vae_core.jobs.sweep")
    assert loaded(modules, "vae_core.jobs.worker", "torch._dynamo") == []
