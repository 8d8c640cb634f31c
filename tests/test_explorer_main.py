"""`python -m explorer`: which checkpoints folder it serves, and a clear error for a missing one."""

import json
import subprocess
import sys
from pathlib import Path

from explorer.__main__ import REPO, checkpoints_folder, served_environment


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


def test_the_default_checkpoint_is_loaded_and_its_test_set_encoded_before_serving(tmp_path):
    """What the first visitor's page would spend seconds on is done before serving: the encodings lie in the
    checkpoint's disk cache, where the app's loader reads them (tests/test_modality.py)."""
    import shutil

    from explorer.__main__ import warm_default_checkpoint
    from explorer.shared import DEFAULT_CHECKPOINT
    from vae_core import checkpoint as ck

    shutil.copytree(REPO / "checkpoints" / DEFAULT_CHECKPOINT, tmp_path / DEFAULT_CHECKPOINT,
                    ignore=shutil.ignore_patterns("cache"))
    warm_default_checkpoint(tmp_path)
    cache = ck.cache_dir(ck.read_info(DEFAULT_CHECKPOINT, tmp_path))
    assert [p.name.split("-")[0] for p in cache.glob("*.npz")] == ["encoded"]
    warm_default_checkpoint(tmp_path / "no-such-folder")  # no default there: nothing to warm, no error


def test_served_the_default_checkpoints_data_outside_the_data_folder_is_not_read(tmp_path, monkeypatch):
    import shutil

    from explorer.__main__ import warm_default_checkpoint
    from vae_core import data

    root = tmp_path / "checkpoints"
    shutil.copytree(REPO / "checkpoints" / "mnist-2d", root / "mnist-2d", ignore=shutil.ignore_patterns("cache"))
    config = json.loads((root / "mnist-2d" / "config.json").read_text())
    config["data"] = config["train"]["data"] = "idx:/etc"
    (root / "mnist-2d" / "config.json").write_text(json.dumps(config))
    seen = []

    def load_dataset(spec, **kw):
        seen.append(spec)
        raise data.DataError("recorded, not read")

    monkeypatch.setattr(data, "load_dataset", load_dataset)
    monkeypatch.setenv("LATENT_LAB_SERVED", "1")
    monkeypatch.setenv("LATENT_LAB_DATA_DIR", str(tmp_path / "data"))
    warm_default_checkpoint(root)
    assert seen == []
    monkeypatch.delenv("LATENT_LAB_SERVED")
    warm_default_checkpoint(root)
    assert seen == ["idx:/etc"]  # local: the user's own checkpoint, read as written


def test_served_mode_is_off_unless_asked_and_the_data_folder_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert served_environment(False, None) == {}
    assert served_environment(True, None) == {"LATENT_LAB_SERVED": "1", "LATENT_LAB_DATA_DIR": ""}
    assert served_environment(True, "data") == {"LATENT_LAB_SERVED": "1", "LATENT_LAB_DATA_DIR": str(tmp_path / "data")}


def test_a_data_folder_needs_served_mode(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "explorer", "--data-dir", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--data-dir applies to a served app: add --served" in proc.stderr
