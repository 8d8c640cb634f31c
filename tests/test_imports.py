"""What each entry point imports, in a fresh interpreter: no command pays for modules it does not use.

Timings are in bench/README.md ("issue 12: import costs", `python -m bench imports`); here only which
modules get loaded, which a busy machine cannot make flaky.
"""

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

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
    assert loaded(modules, "vae_core.jobs.worker", "torch._dynamo", "vae_core.train") == []


HEAVY = ("sklearn", "umap", "plotly", "streamlit", "scipy")


def test_import_vae_core_imports_nothing_heavy_not_even_torch():
    assert loaded(modules_after("import vae_core"), "torch", *HEAVY) == []


def test_the_notebook_surface_without_projections_needs_none_of_the_analysis_packages():
    modules = modules_after(
        "import numpy as np\nimport vae_core as vc\n"
        "model, info = vc.load('digits-2d')\n"
        "data = vc.load_dataset('shapes:16')\n"
        "vc.encode(model, np.zeros((2, 1, 8, 8), np.float32))\n"
        "vc.decode(model, vc.interpolate(np.zeros(2), np.ones(2), steps=3))\n"
        "vc.sample(model, 2)\n"
        "assert isinstance(model, vc.VAE) and info.name in vc.list_checkpoints()\n")
    assert loaded(modules, *HEAVY) == []


def run_main(*argv: str) -> str:
    """`python -m vae_core ARGV` as the wrapper's body."""
    return ("import runpy, sys\n"
            f"sys.argv = ['vae_core', *{list(argv)!r}]\n"
            "try:\n    runpy.run_module('vae_core', run_name='__main__', alter_sys=True)\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n")


def test_info_imports_neither_analysis_packages_nor_the_trainer():
    modules = modules_after(run_main("info", "digits-2d"))
    assert "vae_core.cli" in modules  # the command ran
    assert loaded(modules, *HEAVY, "vae_core.train", "vae_core.projection", "torch._dynamo") == []


def test_train_imports_no_analysis_package(tmp_path):
    import numpy as np

    np.savez(tmp_path / "tiny.npz", x=np.random.default_rng(0).integers(0, 256, (40, 8, 8), dtype=np.uint8))
    modules = modules_after(run_main("train", "--data", f"npz:{tmp_path / 'tiny.npz'}", "--out", str(tmp_path / "m"),
                                     "--arch", "mlp", "--hidden", "8", "--epochs", "1"))
    assert "vae_core.train" in modules and (tmp_path / "m" / "config.json").is_file()
    assert loaded(modules, *HEAVY) == []


def test_lazy_names_still_import_the_usual_ways():
    import vae_core
    from vae_core import VAE, TrainConfig, list_checkpoints  # noqa: F401
    from vae_core.models import VAE as ModelsVAE

    assert VAE is ModelsVAE
    assert set(vae_core.__all__) <= set(dir(vae_core))
    assert all(getattr(vae_core, name) is not None for name in vae_core.__all__)
    with pytest.raises(AttributeError, match="no_such_name"):
        vae_core.no_such_name  # noqa: B018


def test_vae_core_train_stays_the_function_after_the_submodule_is_imported():
    import vae_core as vc
    from vae_core.train import Trainer  # noqa: F401  (imports the submodule vae_core.train)

    assert callable(vc.train) and vc.train.__module__ == "vae_core"
    assert isinstance(sys.modules["vae_core.train"], types.ModuleType) and sys.modules["vae_core.train"].Trainer
