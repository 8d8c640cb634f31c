"""`python -m explorer`: which checkpoints folder it serves, and a clear error for a missing one."""

import subprocess
import sys
from pathlib import Path

from explorer.__main__ import REPO, checkpoints_folder


def test_the_folder_comes_from_the_flag_then_the_environment_then_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LATENT_LAB_CHECKPOINTS", raising=False)
    assert checkpoints_folder(None) == REPO / "checkpoints"  # nothing here: the bundled ones
    (tmp_path / "checkpoints").mkdir()
    assert checkpoints_folder(None) == tmp_path / "checkpoints"
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", "from-env")
    assert checkpoints_folder(None) == tmp_path / "from-env"
    assert checkpoints_folder("mine") == tmp_path / "mine"  # the flag wins, made absolute where it was typed
    assert checkpoints_folder("~/x") == Path.home() / "x"


def test_a_missing_folder_is_one_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "explorer", "--checkpoints", str(tmp_path / "nope")], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"--checkpoints {tmp_path / 'nope'}: no such folder" in proc.stderr and "Traceback" not in proc.stderr


def test_the_default_checkpoints_data_is_read_before_serving(monkeypatch):
    from explorer.__main__ import warm_default_data
    from vae_core import data

    seen = []
    monkeypatch.setattr(data, "load_dataset", lambda spec: seen.append(spec))
    warm_default_data(REPO / "checkpoints")
    assert seen == ["mnist"]
    warm_default_data(REPO / "no-such-folder")  # no default there: nothing to warm, no error
    assert seen == ["mnist"]
