"""explorer/shared/loaders.py outside a browser: what the cached loaders read, and when."""

from types import SimpleNamespace

import numpy as np

from explorer.shared import loaders
from vae_core import data


def test_the_test_set_loader_finds_load_dataset_when_called_not_when_imported(monkeypatch):
    """It once bound vae_core.data.load_dataset at import, so a stand-in that a test had patched in when the
    module was first imported (a test of warm start-up) answered every later page: the Explore
    page failed with "'NoneType' object has no attribute 'x_test'" when that test ran first."""
    fake = SimpleNamespace(x_test=np.zeros((1, 1, 2, 2), np.float32), y_test=None, class_names=None)
    monkeypatch.setattr(data, "load_dataset", lambda spec, **kw: fake)
    loaders.load_test_set.clear()
    assert loaders.load_test_set("digits")[0].shape == (1, 1, 2, 2)
    monkeypatch.undo()
    loaders.load_test_set.clear()
    assert loaders.load_test_set("digits")[0].shape == (359, 1, 8, 8)  # the real digits test split again
