"""vae_core/array_cache.py: cache files named by content, round trips, and what an unusable file or folder does."""

import numpy as np

from vae_core.array_cache import cache_file, load_arrays, load_or_compute, save_arrays


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


def test_load_or_compute_computes_once_then_reads_back_and_recomputes_what_is_turned_away(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(3.0) * len(calls)}

    path = tmp_path / "r.npz"
    first = load_or_compute(path, compute)
    again = load_or_compute(path, compute)
    assert len(calls) == 1 and np.array_equal(first["x"], again["x"]) and path.exists()
    turned_away = load_or_compute(path, compute, valid=lambda a: a["x"].shape == (4,))
    assert len(calls) == 2 and np.array_equal(turned_away["x"], [0.0, 2.0, 4.0])
    assert np.array_equal(load_arrays(path)["x"], [0.0, 2.0, 4.0])  # replaced on disk
    assert np.array_equal(load_or_compute(None, compute)["x"], [0.0, 3.0, 6.0]) and len(calls) == 3
