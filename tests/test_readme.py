"""The README's Python example is real: run it as written."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_python_example_runs():
    text = open(os.path.join(ROOT, "README.md")).read()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert 8 <= len(code.strip().splitlines()) <= 12
    env = {**os.environ, "PYTHONPATH": ROOT, "LATENT_LAB_CHECKPOINTS": os.path.join(ROOT, "checkpoints")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    status, loss = proc.stdout.split()
    assert status == "finished" and 0 < float(loss) < 60
