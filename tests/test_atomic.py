"""vae_core.atomic: whole files or nothing, fsync'ed, no temp file left behind."""

import os
import stat

import numpy as np
import pytest

from vae_core import atomic
from vae_core.atomic import atomic_write, write_atomic


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_round_trip_and_replace(tmp_path):
    path = tmp_path / "a.bin"
    assert write_atomic(path, b"first") == path
    assert path.read_bytes() == b"first"
    write_atomic(str(path), b"second")  # str paths too; an existing file is replaced
    assert path.read_bytes() == b"second"
    assert names(tmp_path) == ["a.bin"]


def test_a_file_object_for_writers_like_np_savez(tmp_path):
    path = tmp_path / "arrays.npz"
    with atomic_write(path) as f:
        np.savez(f, x=np.arange(5))
    with np.load(path) as a:
        np.testing.assert_array_equal(a["x"], np.arange(5))
    assert names(tmp_path) == ["arrays.npz"]


def test_an_exception_mid_write_keeps_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_write(path) as f:
        f.write(b"half of the new")
        f.flush()
        assert len(names(tmp_path)) == 2  # the temp file exists while writing, beside the target
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"old"
    assert names(tmp_path) == ["a.bin"]


def test_a_failed_replace_leaves_no_temp_file(tmp_path):
    target = tmp_path / "folder"
    (target / "inside").mkdir(parents=True)  # os.replace cannot put a file over a folder
    with pytest.raises(OSError):
        write_atomic(target, b"data")
    assert names(tmp_path) == ["folder"] and target.is_dir()


def test_fsync_before_replace(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: calls.append(("fsync", fd)))
    real_replace = os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (calls.append(("replace", b)), real_replace(a, b)))
    write_atomic(tmp_path / "a.bin", b"data")
    assert [c[0] for c in calls] == ["fsync", "replace"]


def test_permissions(tmp_path):
    shared, private = write_atomic(tmp_path / "shared", b"x"), write_atomic(tmp_path / "private", b"x", mode=0o600)
    assert stat.S_IMODE(shared.stat().st_mode) == atomic.FILE_MODE == 0o644
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "no" / "a.bin", b"x")
