"""vae_core/array_cache.py: cache files named by content, round trips, and what an unusable file or folder does."""

import numpy as np

from vae_core.array_cache import cache_file, load_arrays, save_arrays


def test_the_name_keeps_the_key_readable_and_the_digest_apart(tmp_path):
    path = cache_file(tmp_path, "pca", "test set/1", "0123456789abcdef0123456789")
    assert path == tmp_path / "pca-test_set_1-0123456789abcdef0123.npz"
    assert cache_file(tmp_path, "encoded", "", "ff" * 20).name == "encoded-" + "f" * 20 + ".npz"


def test_arrays_round_trip(tmp_path):
    path = tmp_path / "sub" / "a.npz"
    mu = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert save_arrays(path, mu=mu, dims=np.array([0, 1]))
    got = load_arrays(path)
    assert set(got) == {"mu", "dims"} and np.array_equal(got["mu"], mu) and got["mu"].dtype == np.float32
    assert [p.name for p in path.parent.iterdir()] == ["a.npz"]  # no temp file left beside it


def test_a_missing_or_corrupt_file_reads_as_none(tmp_path):
    assert load_arrays(tmp_path / "none.npz") is None
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really a zip")
    assert load_arrays(tmp_path / "bad.npz") is None


def test_a_pickled_array_is_not_loaded(tmp_path):
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object))
    assert load_arrays(tmp_path / "obj.npz") is None


def test_a_folder_that_cannot_be_written_is_skipped_not_an_error(tmp_path):
    (tmp_path / "c").write_text("a file where the cache folder would go")  # fails for root too, unlike chmod
    assert save_arrays(tmp_path / "c" / "a.npz", x=np.zeros(2)) is False
    assert (tmp_path / "c").read_text().startswith("a file")
