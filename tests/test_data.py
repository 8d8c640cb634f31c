"""Tests for vae_core.data: every spec kind, and one clear DataError per malformed input."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from PIL import Image

from vae_core import shapes
from vae_core.data import DataError, first_of_each_label, load_dataset, parse_spec, seeded_subset
from vae_core.idx import read_idx, write_idx

# --- specs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("digits", ("digits", None)),
        ("mnist", ("mnist", None)),
        ("shapes", ("shapes", None)),
        ("shapes:16", ("shapes", "16")),
        ("idx:/data/mnist", ("idx", "/data/mnist")),
        ("npz:C:/data/x.npz", ("npz", "C:/data/x.npz")),  # only the first colon splits
        ("folder:imgs", ("folder", "imgs")),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec", ["mnist-please", "", "idx:", "digits:3", "mnist:28", "csv:/x.csv"])
def test_bad_spec_is_a_data_error(spec):
    with pytest.raises(DataError, match="spec"):
        load_dataset(spec)


# --- digits --------------------------------------------------------------------


def test_digits_matches_sklearn_with_a_fixed_split():
    from sklearn.datasets import load_digits

    ref = load_digits()
    ds = load_dataset("digits")
    assert ds.spec == "digits" and ds.image_shape == (1, 8, 8)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert len(ds.x_train) + len(ds.x_test) == 1797 and len(ds.x_test) == 1797 // 5
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    assert ds.class_names == [str(d) for d in range(10)]
    # Every 5th image is held out: test image k is sklearn's image 5k + 4.
    np.testing.assert_array_equal(ds.x_test[:, 0], (ref.images[4::5] / 16).astype(np.float32))
    np.testing.assert_array_equal(ds.y_test, ref.target[4::5])
    np.testing.assert_array_equal(ds.y_train[:4], ref.target[:4])
    assert set(ds.y_train.tolist()) == set(range(10)) == set(ds.y_test.tolist())


# --- mnist (shipped in data/mnist) ------------------------------------------------


def test_mnist_loads_offline_with_the_real_split_and_labels():
    ds = load_dataset("mnist")
    assert ds.spec == "mnist" and ds.image_shape == (1, 28, 28)
    assert ds.x_train.shape == (60_000, 1, 28, 28) and ds.x_test.shape == (10_000, 1, 28, 28)
    assert ds.x_train.dtype == np.float32 and 0.0 == ds.x_train.min() and ds.x_train.max() == 1.0
    assert ds.class_names == [str(d) for d in range(10)]
    # The published label counts of MNIST's test set, and its first training labels.
    np.testing.assert_array_equal(np.bincount(ds.y_test), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    np.testing.assert_array_equal(ds.y_train[:8], [5, 0, 4, 1, 9, 2, 1, 3])
    ds.x_test[0] = 0  # the caller's own copy
    assert load_dataset("mnist").x_test[0].max() == 1.0


def _mnist_copy(tmp_path, monkeypatch):
    """The shipped files in a folder of the test's own, which `mnist` then reads."""
    import shutil

    from vae_core import data

    folder = tmp_path / "mnist"
    shutil.copytree(data.MNIST_DIR, folder)
    monkeypatch.setattr(data, "MNIST_DIR", folder)
    return folder


@pytest.mark.parametrize("damage, words", [
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "damaged"),
    (lambda p: p.write_bytes(p.read_bytes()[:100] + b"x" + p.read_bytes()[101:]), "damaged"),
    (lambda p: p.unlink(), "cannot read the shipped MNIST file"),
])
def test_a_damaged_mnist_file_gives_one_clear_error(tmp_path, monkeypatch, damage, words):
    folder = _mnist_copy(tmp_path, monkeypatch)
    damage(folder / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match=words) as err:
        load_dataset("mnist")
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value)


def test_loaded_arrays_are_the_callers_own():
    first = load_dataset("digits")
    first.x_train[:] = 0.5
    first.y_train[:] = 0
    again = load_dataset("digits")
    assert again.x_train.max() == 1.0 and again.y_train.max() == 9


# --- shapes --------------------------------------------------------------------


def test_shapes_are_deterministic_with_factors_in_range():
    a, b = load_dataset("shapes"), load_dataset("shapes")
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.factors_test["rotation"], b.factors_test["rotation"])
    assert a.x_train.shape == (12_000, 1, 32, 32) and a.x_test.shape == (2_000, 1, 32, 32)
    assert a.class_names == ["square", "circle", "triangle"]
    splits = [(a.factors_train, a.x_train, a.y_train), (a.factors_test, a.x_test, a.y_test)]
    for split, x, y in splits:
        assert set(split) == {"shape", "x", "y", "scale", "rotation"}
        assert all(len(v) == len(x) for v in split.values())
        np.testing.assert_array_equal(split["shape"], y)
    f = a.factors_train
    assert set(np.unique(f["shape"]).tolist()) == {0, 1, 2}
    assert 0 <= f["x"].min() and f["x"].max() <= 1 and 0 <= f["y"].min() and f["y"].max() <= 1
    assert 0.5 <= f["scale"].min() and f["scale"].max() <= 1
    assert 0 <= f["rotation"].min() and f["rotation"].max() < np.pi / 2


def test_shapes_images_follow_their_factors():
    x, f = shapes.generate(600, size=32, seed=1)
    assert x.min() >= 0 and x.max() == 1
    mass = x.sum(axis=(1, 2, 3))
    assert mass.min() > 10  # no empty image, even the smallest triangle
    # The shape stays inside at every position; at most a soft corner grazes the border.
    assert x[:, 0, [0, -1], :].max() < 0.3 and x[:, 0, :, [0, -1]].max() < 0.3
    # All three shapes are centred on their position, so the centre of mass follows x and y.
    cols = (x[:, 0].sum(axis=1) * np.arange(32)).sum(axis=1) / mass
    rows = (x[:, 0].sum(axis=2) * np.arange(32)).sum(axis=1) / mass
    assert np.corrcoef(cols, f["x"])[0, 1] > 0.99 and np.corrcoef(rows, f["y"])[0, 1] > 0.99
    # Within a shape, area grows with scale squared.
    for k in range(3):
        sel = f["shape"] == k
        assert np.corrcoef(mass[sel], f["scale"][sel] ** 2)[0, 1] > 0.98


def test_shapes_rotation_turns_a_square():
    f = {k: np.array([v, v], np.float32) for k, v in [("x", 0.5), ("y", 0.5), ("scale", 1.0)]}
    f["shape"] = np.array([0, 0])
    f["rotation"] = np.array([0.0, np.pi / 4], np.float32)
    upright, diamond = shapes.render(f, size=32)[:, 0]
    assert upright[16, 16] == diamond[16, 16] == 1
    # On the middle row the diamond reaches out to its tips, the upright square to its sides.
    assert (upright[16] > 0.5).sum() < (diamond[16] > 0.5).sum()
    assert abs(upright.sum() - diamond.sum()) < 0.02 * upright.sum()  # same area


def test_shapes_size_parameter():
    ds = load_dataset("shapes:16")
    assert ds.image_shape == (1, 16, 16) and ds.spec == "shapes:16"
    for spec in ("shapes:abc", "shapes:1000", "shapes:8"):
        with pytest.raises(DataError, match="16..64"):
            load_dataset(spec)


# --- idx:DIR -------------------------------------------------------------------


def make_idx(folder, n_train=7, n_test=3, gz=(False, False, False, False), labels=True):
    """Write a small valid MNIST-format folder; returns the arrays written."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 5, 4), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 5, 4), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(exist_ok=True)
    for (name, array), zipped in zip(arrays.items(), gz, strict=True):
        if labels or "images" in name:
            write_idx(folder / (name + ".gz" if zipped else name), array)
    return arrays


@pytest.mark.parametrize("gz", [(False,) * 4, (True,) * 4, (True, False, False, True)])
def test_idx_round_trip(tmp_path, gz):
    arrays = make_idx(tmp_path / "mnist", gz=gz)
    ds = load_dataset(f"idx:{tmp_path / 'mnist'}")
    assert ds.image_shape == (1, 5, 4) and ds.x_train.dtype == np.float32
    expected = arrays["train-images-idx3-ubyte"].astype(np.float32)[:, None] / 255
    np.testing.assert_array_equal(ds.x_train, expected)
    np.testing.assert_array_equal(ds.x_test[:, 0] * 255, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(ds.y_train, arrays["train-labels-idx1-ubyte"])
    assert ds.y_test.dtype == np.int64 and ds.class_names is None


def test_idx_labels_are_optional(tmp_path):
    make_idx(tmp_path, labels=False)
    ds = load_dataset(f"idx:{tmp_path}")
    assert ds.y_train is None and ds.y_test is None and len(ds.x_train) == 7


def test_write_idx_header_is_big_endian(tmp_path):
    write_idx(tmp_path / "a", np.zeros((2, 3, 44), np.uint8))
    raw = (tmp_path / "a").read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03"  # unsigned bytes, 3 dimensions
    assert raw[4:16] == bytes([0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 44])
    assert read_idx(tmp_path / "a", ndim=3).shape == (2, 3, 44)
    with pytest.raises(ValueError, match="uint8"):
        write_idx(tmp_path / "b", np.zeros(3, np.int32))


def broken_idx_cases():
    """(name, how to break a valid folder, file named in the error, words in the error)."""

    def bad_magic(d):  # labels where images belong
        write_idx(d / "train-images-idx3-ubyte", np.zeros(7, np.uint8))

    def truncated(d):
        p = d / "t10k-images-idx3-ubyte"
        p.write_bytes(p.read_bytes()[:-5])

    def truncated_header(d):
        (d / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00")

    def trailing(d):
        p = d / "t10k-labels-idx1-ubyte"
        p.write_bytes(p.read_bytes() + b"\x00")

    def count_mismatch(d):
        write_idx(d / "train-labels-idx1-ubyte", np.zeros(6, np.uint8))

    def missing_images(d):
        (d / "t10k-images-idx3-ubyte").unlink()

    def missing_half_labels(d):
        (d / "t10k-labels-idx1-ubyte").unlink()

    def not_gzip(d):
        p = d / "train-images-idx3-ubyte"
        p.rename(d / "train-images-idx3-ubyte.gz")

    def truncated_gzip(d):
        p = d / "train-images-idx3-ubyte"
        data = gzip.compress(p.read_bytes())
        p.unlink()
        (d / "train-images-idx3-ubyte.gz").write_bytes(data[:-12])

    def absurd_size(d):  # 100000 x 100000 pixels: refused before any allocation
        header = bytes.fromhex("00000803 00000001 000186a0 000186a0")
        (d / "train-images-idx3-ubyte").write_bytes(header)

    def empty(d):
        write_idx(d / "train-images-idx3-ubyte", np.zeros((0, 5, 4), np.uint8))

    def other_size(d):
        write_idx(d / "t10k-images-idx3-ubyte", np.zeros((3, 4, 4), np.uint8))

    return [
        (bad_magic, "train-images-idx3-ubyte", ["magic", "0x00000801"]),
        (truncated, "t10k-images-idx3-ubyte", ["truncated"]),
        (truncated_header, "train-labels-idx1-ubyte", ["truncated", "header"]),
        (trailing, "t10k-labels-idx1-ubyte", ["more data"]),
        (count_mismatch, "train-labels-idx1-ubyte", ["6 labels", "7 images"]),
        (missing_images, "t10k-images-idx3-ubyte", ["missing"]),
        (missing_half_labels, "t10k-labels-idx1-ubyte", ["missing"]),
        (not_gzip, "train-images-idx3-ubyte.gz", ["cannot read"]),
        (truncated_gzip, "train-images-idx3-ubyte.gz", ["cannot read"]),
        (absurd_size, "train-images-idx3-ubyte", ["100000x100000"]),
        (empty, "train-images-idx3-ubyte", ["no images"]),
        (other_size, "t10k-images-idx3-ubyte", ["(4, 4)", "(5, 4)"]),
    ]


@pytest.mark.parametrize(
    "break_it, filename, words", broken_idx_cases(), ids=lambda c: getattr(c, "__name__", "")
)
def test_broken_idx_names_the_file(tmp_path, break_it, filename, words):
    make_idx(tmp_path)
    break_it(tmp_path)
    with pytest.raises(DataError) as err:
        load_dataset(f"idx:{tmp_path}")
    message = str(err.value)
    assert str(tmp_path / filename) in message
    for word in words:
        assert word in message


def test_idx_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no such directory") as err:
        load_dataset(f"idx:{tmp_path / 'nope'}")
    assert "nope" in str(err.value)


# --- npz:FILE ------------------------------------------------------------------


def test_npz_uint8_gray_with_labels(tmp_path):
    x = np.arange(10 * 3 * 2, dtype=np.uint8).reshape(10, 3, 2) * 4
    y = np.arange(10) % 3
    np.savez(tmp_path / "d.npz", x=x, y=y)
    ds = load_dataset(f"npz:{tmp_path / 'd.npz'}")
    assert ds.image_shape == (1, 3, 2) and len(ds.x_train) == 8 and len(ds.x_test) == 2
    np.testing.assert_array_equal(ds.x_test[:, 0], x[[4, 9]].astype(np.float32) / 255)
    np.testing.assert_array_equal(ds.y_test, y[[4, 9]])
    assert ds.y_train.dtype == np.int64


def test_npz_uint8_rgb_is_channels_first(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (6, 4, 5, 3), dtype=np.uint8)
    np.savez(tmp_path / "rgb.npz", x=x)
    ds = load_dataset(f"npz:{tmp_path / 'rgb.npz'}")
    assert ds.image_shape == (3, 4, 5) and ds.y_train is None
    assert ds.x_train[0, 2, 3, 1] == np.float32(x[0, 3, 1, 2]) / 255


def test_npz_float_with_its_own_test_set(tmp_path):
    rng = np.random.default_rng(0)
    x, x_test = rng.random((7, 4, 4)), rng.random((2, 4, 4, 1)).astype(np.float32)
    np.savez(tmp_path / "f.npz", x=x, y=np.arange(7), x_test=x_test, y_test=np.array([1, 0]))
    ds = load_dataset(f"npz:{tmp_path / 'f.npz'}")
    assert len(ds.x_train) == 7 and ds.x_train.dtype == np.float32
    np.testing.assert_allclose(ds.x_train[:, 0], x, rtol=1e-6)
    np.testing.assert_array_equal(ds.x_test[:, 0], x_test[..., 0])
    assert ds.y_test.tolist() == [1, 0]


def test_npz_object_array_is_refused(tmp_path):
    x = np.empty(6, dtype=object)
    x[:] = [np.zeros((2, 2))] * 6
    np.savez(tmp_path / "obj.npz", x=x, allow_pickle=True)
    with pytest.raises(DataError, match="(?i)object") as err:
        load_dataset(f"npz:{tmp_path / 'obj.npz'}")
    assert "obj.npz" in str(err.value)


@pytest.mark.parametrize(
    "arrays, words",
    [
        ({"images": np.zeros((6, 2, 2), np.uint8)}, "no array 'x'"),
        ({"x": np.full((6, 2, 2), 1.5)}, "[0, 1]"),
        ({"x": np.full((6, 2, 2), np.nan)}, "NaN"),
        ({"x": np.zeros((6, 2, 2), np.int64)}, "dtype int64"),
        ({"x": np.zeros((6, 2, 2, 5), np.uint8)}, "(N, H, W, C)"),
        ({"x": np.zeros((6, 2), np.uint8)}, "(N, H, W)"),
        ({"x": np.zeros((6, 300, 2), np.uint8)}, "300x2"),
        ({"x": np.zeros((0, 2, 2), np.uint8)}, "no images"),
        ({"x": np.zeros((3, 2, 2), np.uint8)}, "only 3 images"),
        ({"x": np.zeros((6, 2, 2), np.uint8), "y": np.zeros(5, int)}, "6 integer labels"),
        ({"x": np.zeros((6, 2, 2), np.uint8), "y": np.zeros(6)}, "integer labels"),
        ({"x": np.zeros((6, 2, 2), np.uint8), "x_test": np.zeros((2, 3, 2))}, "'x_test'"),
    ],
)
def test_bad_npz_names_the_file(tmp_path, arrays, words):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError) as err:
        load_dataset(f"npz:{tmp_path / 'bad.npz'}")
    assert str(tmp_path / "bad.npz") in str(err.value) and words in str(err.value)


@pytest.mark.parametrize(
    "name, content, words",
    [("missing.npz", None, "no such file"), ("text.npz", b"hello", "not a readable .npz")],
)
def test_unreadable_npz(tmp_path, name, content, words):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=words) as err:
        load_dataset(f"npz:{tmp_path / name}")
    assert name in str(err.value)


def test_npy_instead_of_npz(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((6, 2, 2), np.uint8))
    with pytest.raises(DataError, match="x.npy: is a single .npy array"):
        load_dataset(f"npz:{tmp_path / 'x.npy'}")


# --- folder:DIR ----------------------------------------------------------------


def make_folder(root, mode="L", size=(6, 4), per_class=5):
    """Two class folders of solid-colour PNGs; pixel value = 10 * image index (+ class)."""
    for c, name in enumerate(["dog", "cat"]):  # listed out of order: classes get sorted
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            colour = 10 * i + c if mode == "L" else (10 * i, 20 * c, 7)  # cat: c = 1
            Image.new(mode, size, colour).save(root / name / f"{i:02d}.png")


def test_folder_of_gray_pngs(tmp_path):
    make_folder(tmp_path)
    (tmp_path / ".DS_Store").write_bytes(b"junk")  # hidden files are skipped
    (tmp_path / "cat" / ".hidden").write_bytes(b"junk")
    ds = load_dataset(f"folder:{tmp_path}")
    assert ds.class_names == ["cat", "dog"] and ds.image_shape == (1, 4, 6)
    assert len(ds.x_train) == 8 and len(ds.x_test) == 2
    # File order is cat/00..04, dog/00..04; every 5th (cat/04, dog/04) is held out.
    assert ds.y_test.tolist() == [0, 1]
    np.testing.assert_array_equal(ds.x_test[:, 0, 0, 0] * 255, [41, 40])
    assert ds.y_train.tolist() == [0] * 4 + [1] * 4
    np.testing.assert_array_equal(ds.x_train[:, 0, 2, 3] * 255, [1, 11, 21, 31, 0, 10, 20, 30])


def test_folder_of_rgb_pngs(tmp_path):
    make_folder(tmp_path, mode="RGB")
    ds = load_dataset(f"folder:{tmp_path}")
    assert ds.image_shape == (3, 4, 6)
    np.testing.assert_array_equal(ds.x_train[1, :, 0, 0] * 255, [10, 20, 7])  # cat/01


def break_folder_cases():
    def not_an_image(d):
        (d / "dog" / "notes.txt").write_text("not a picture")

    def other_size(d):
        Image.new("L", (5, 4)).save(d / "dog" / "zz.png")

    def empty_class(d):
        (d / "empty").mkdir()

    def too_big(d):
        for p in d.glob("cat/*.png"):
            p.unlink()
        Image.new("L", (300, 10)).save(d / "cat" / "big.png")

    return [
        (not_an_image, "dog/notes.txt", "not a readable image"),
        (other_size, "dog/zz.png", "same size"),
        (empty_class, "empty", "no images"),
        (too_big, "cat/big.png", "10x300"),
    ]


@pytest.mark.parametrize(
    "break_it, filename, words", break_folder_cases(), ids=lambda c: getattr(c, "__name__", "")
)
def test_broken_folder_names_the_file(tmp_path, break_it, filename, words):
    make_folder(tmp_path)
    break_it(tmp_path)
    with pytest.raises(DataError) as err:
        load_dataset(f"folder:{tmp_path}")
    assert str(tmp_path / filename) in str(err.value) and words in str(err.value)


def test_folder_without_class_subfolders(tmp_path):
    Image.new("L", (4, 4)).save(tmp_path / "a.png")
    with pytest.raises(DataError, match="no class subfolders"):
        load_dataset(f"folder:{tmp_path}")
    with pytest.raises(DataError, match="no such directory"):
        load_dataset(f"folder:{tmp_path / 'missing'}")


def test_first_of_each_label_picks_each_labels_first_item_in_label_order():
    labels = np.array([3, 1, 1, 0, 3, 2, 0])
    assert first_of_each_label(labels, 3, len(labels)) == [3, 1, 5]  # labels 0, 1, 2 first appear there
    assert first_of_each_label(labels, 10, len(labels)) == [3, 1, 5, 0]  # fewer labels than k: each once
    assert first_of_each_label(None, 3, 10) == [0, 1, 2]  # no labels: the first k items
    assert first_of_each_label(None, 3, 2) == [0, 1]
    assert first_of_each_label(np.arange(5), 3, 5) == [0, 1, 2]  # every item its own label: the same


def test_a_shared_load_reads_the_cached_arrays_and_a_plain_load_copies_them():
    shared_a, shared_b = load_dataset("digits", shared=True), load_dataset("digits", shared=True)
    assert shared_a is not shared_b and shared_a.x_test is shared_b.x_test  # no copy of the pixels
    own = load_dataset("digits")
    assert own.x_test is not shared_a.x_test and np.array_equal(own.x_test, shared_a.x_test)
    own.x_test[:] = 0  # a plain load's edits stay its own
    assert load_dataset("digits", shared=True).x_test.max() == 1.0


def test_seeded_subset_is_a_fixed_sorted_sample_or_everything():
    np.testing.assert_array_equal(seeded_subset(5, 10), np.arange(5))
    a = seeded_subset(10_000, 2000, seed=0)
    assert len(a) == len(np.unique(a)) == 2000 and (np.diff(a) > 0).all() and 0 <= a[0] and a[-1] < 10_000
    np.testing.assert_array_equal(a, seeded_subset(10_000, 2000, seed=0))
    assert not np.array_equal(a, seeded_subset(10_000, 2000, seed=1))
