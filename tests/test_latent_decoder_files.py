"""explorer/components/latent_decoder.py's static files: written once and atomically, pruned when stale."""

import os
import time

from explorer.components import latent_decoder as ld


def test_write_atomic_writes_once_and_touches_on_reuse(tmp_path):
    path = tmp_path / "abc.bin"
    ld._write_atomic(path, b"first")
    os.utime(path, (0, 0))
    ld._write_atomic(path, b"second")  # same name = same content hash: kept, only marked as used
    assert path.read_bytes() == b"first"
    assert path.stat().st_mtime > time.time() - 60
    assert [p.name for p in tmp_path.iterdir()] == ["abc.bin"]  # no temp file left behind


def test_prune_deletes_only_stale_exports(tmp_path):
    old_bin, old_json, fresh, other = (tmp_path / n for n in ("old.bin", "old.json", "new.bin", "notes.txt"))
    for p in (old_bin, old_json, fresh, other):
        p.write_bytes(b"x")
    for p in (old_bin, old_json, other):
        os.utime(p, (0, 0))
    ld._prune(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.bin", "notes.txt"]
