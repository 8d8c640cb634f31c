"""vae_core/text/data.py and the text specs of vae_core/data.py: files, folders, splits, every bad input."""

import pytest

from vae_core.data import DataError, is_text_spec, load_dataset
from vae_core.text.data import MAX_LINE
from vae_core.text.vocab import EOS, PAD


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_one_file_splits_by_a_fixed_seed(tmp_path):
    f = write(tmp_path / "lines.txt", "".join(f"line number {i}\n" for i in range(50)) + "\n\n")
    a, b = load_dataset(f"text:{f}"), load_dataset(f"text:{f}")
    assert len(a.lines_train) == 45 and len(a.lines_test) == 5  # blank lines skipped, 10% held out
    assert a.lines_test == b.lines_test and set(a.lines_train).isdisjoint(a.lines_test)
    assert a.spec == f"text:{f}" and a.vocab.alphabet == "".join(sorted(set("".join(a.lines_train))))
    assert [a.vocab.decode(r) for r in a.x_test] == a.lines_test
    assert a.x_train.shape[1] == max(map(len, a.lines_train + a.lines_test)) + 1


def test_a_folder_uses_its_train_and_test_files_and_unk_for_new_characters(tmp_path):
    write(tmp_path / "train.txt", "abc\r\nbca\n")  # CRLF is fine
    write(tmp_path / "test.txt", "\ufeffabz\n", encoding="utf-8")  # a BOM is not text
    ds = load_dataset(f"text:{tmp_path}")
    assert ds.lines_train == ["abc", "bca"] and ds.lines_test == ["abz"]
    assert ds.vocab.decode(ds.x_test[0]) == "ab\ufffd"


def test_bundled_corpora():
    g = load_dataset("grammar")
    assert g.x_train.shape[0] == 12_000 and g.x_test.shape[0] == 2_000
    assert g.lines_train[0].startswith("a ") and set(g.factors_train) >= {"size", "colour", "object", "relation"}
    assert load_dataset("grammar").lines_test == g.lines_test  # generated from a fixed seed
    g.x_train[:] = 0  # a copy: the cache is untouched
    assert (load_dataset("grammar").x_train != 0).any()
    p = load_dataset("pydoc")
    assert len(p.lines_train) + len(p.lines_test) >= 2000
    assert all(len(s) <= MAX_LINE for s in p.lines_train)
    assert sum(s.count(" the ") for s in p.lines_train) > 1000  # English prose, not code
    assert ((p.x_train == EOS).sum(1) == 1).all() and (p.x_train[:, -1] == PAD).any()


def test_spec_kinds():
    assert is_text_spec("grammar") and is_text_spec("text:x") and not is_text_spec("digits")
    with pytest.raises(DataError, match="needs a path"):
        load_dataset("text:")
    with pytest.raises(DataError, match="takes no argument"):
        load_dataset("pydoc:3")


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file"),
    ("caf\u00e9\n".encode("latin-1"), r"is not UTF-8 text \(invalid byte 0xe9 at offset 3\)"),
    (b"", r"is empty \(no non-blank lines\)"),
    (b"\n  \n\n", "is empty"),
    (("x" * (MAX_LINE + 1) + "\n").encode(), f"line 1 has {MAX_LINE + 1} characters; the limit is {MAX_LINE}"),
    (b"only one line\n", "only 1 line"),
])
def test_bad_files_give_one_clear_message(tmp_path, content, message):
    f = write(tmp_path / "bad.txt", content)
    with pytest.raises(DataError, match=message) as err:
        load_dataset(f"text:{f}")
    assert str(f) in str(err.value) and "\n" not in str(err.value)


def test_bad_folders_and_paths(tmp_path):
    write(tmp_path / "train.txt", "abc\n")
    with pytest.raises(DataError, match=r"needs train.txt and test.txt \(missing test.txt\)"):
        load_dataset(f"text:{tmp_path}")
    with pytest.raises(DataError, match="no such file or folder"):
        load_dataset(f"text:{tmp_path / 'nope.txt'}")


def test_long_line_message_names_its_line(tmp_path):
    f = write(tmp_path / "l.txt", "ok\n" * 3 + "y" * 300 + "\n")
    with pytest.raises(DataError, match="line 4 has 300 characters"):
        load_dataset(f"text:{f}")
