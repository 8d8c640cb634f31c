"""vae_core/modality.py: encode_items' disk cache, for image and text checkpoints."""

from pathlib import Path

import numpy as np
import pytest

from vae_core import checkpoint as ck
from vae_core import modality
from vae_core.data import load_dataset

REPO_CKPTS = Path(__file__).resolve().parents[1] / "checkpoints"


@pytest.mark.parametrize("name", ["digits-2d", "grammar-16d"])
def test_encodings_are_kept_on_disk_and_read_back_equal(name, tmp_path):
    model, info = ck.load_checkpoint(name, REPO_CKPTS)
    items = modality.items_of(load_dataset(info.train_config.data))[0][:300]
    fresh = modality.encode_items(model, items)
    first = modality.encode_items(model, items, cache_dir=tmp_path)
    files = list(tmp_path.glob("encoded-*.npz"))
    assert len(files) == 1
    again = modality.encode_items(model, items, cache_dir=tmp_path)
    for a, b, c in zip(fresh, first, again, strict=True):
        assert a.dtype == c.dtype == np.float32 and np.array_equal(a, b) and np.array_equal(a, c)


def test_other_items_get_their_own_file_and_a_corrupt_file_is_recomputed(tmp_path):
    model, info = ck.load_checkpoint("digits-2d", REPO_CKPTS)
    x = modality.items_of(load_dataset("digits"))[0]
    mu_a, _ = modality.encode_items(model, x[:50], cache_dir=tmp_path)
    mu_b, _ = modality.encode_items(model, x[50:100], cache_dir=tmp_path)
    assert len(list(tmp_path.glob("encoded-*.npz"))) == 2 and not np.array_equal(mu_a, mu_b)
    for f in tmp_path.glob("encoded-*.npz"):
        f.write_bytes(b"garbage")
    mu_again, _ = modality.encode_items(model, x[:50], cache_dir=tmp_path)
    assert np.array_equal(mu_again, mu_a)
