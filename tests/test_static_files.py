"""explorer/components/static_files.py: content-named files written once and atomically, pruned when stale."""

import os
import time

from explorer.components import static_files


def test_publish_writes_once_and_touches_on_reuse(tmp_path):
    static_files.publish(tmp_path, "abc.bin", b"first")
    path = tmp_path / "abc.bin"
    os.utime(path, (0, 0))
    made = []
    static_files.publish(tmp_path, "abc.bin", make=lambda: made.append(1) or b"second")
    assert path.read_bytes() == b"first" and made == []  # same name = same content: not even made again
    assert path.stat().st_mtime > time.time() - 60
    assert [p.name for p in tmp_path.iterdir()] == ["abc.bin"]  # no temp file left behind


def test_publish_makes_a_missing_file_from_make(tmp_path):
    static_files.publish(tmp_path, "sheet.png", make=lambda: b"png bytes")
    assert (tmp_path / "sheet.png").read_bytes() == b"png bytes"


def test_prune_deletes_only_stale_published_files(tmp_path):
    names = ("old.bin", "old.json", "old.png", "new.bin", "notes.txt", ".gitignore")
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    for name in ("old.bin", "old.json", "old.png", "notes.txt", ".gitignore"):
        os.utime(tmp_path / name, (0, 0))
    static_files.prune(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore", "new.bin", "notes.txt"]
