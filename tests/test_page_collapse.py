"""The Posterior collapse page through AppTest: two text checkpoints side by side. The "plain" twin here is a copy
of the bundled grammar-16d whose history says the KL fell to 0.1 nats, so nothing depends on the numbers of the
real twin (retrained at the merge)."""

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "explorer" / "app.py")
BUNDLED = REPO / "checkpoints" / "grammar-16d"


@pytest.fixture(autouse=True)
def root(tmp_path, monkeypatch, copy_bundled):
    root = tmp_path / "checkpoints"
    for name in ("grammar-16d", "grammar-16d-plain"):
        copy_bundled(root, "grammar-16d", name)
    history = json.loads((BUNDLED / "history.json").read_text())
    for row in history:
        row.update(test_kl=0.1, train_kl=0.2, active_units=0)
    (root / "grammar-16d-plain" / "history.json").write_text(json.dumps(history))
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(root))
    return root


def collapse_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at.switch_page("views/collapse.py").run()


def test_the_pair_is_picked_and_each_card_says_whether_it_collapsed():
    at = collapse_page()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="collapse_a").value == "grammar-16d"
    assert at.selectbox(key="collapse_b").value == "grammar-16d-plain"
    assert at.segmented_control(key="collapse_view").value == "KL per epoch"
    assert [s.value for s in at.success] == ["Not collapsed: KL ≥ 0.5 nats"]
    assert [w.value for w in at.warning] == ["Collapsed: KL < 0.5 nats"]
    assert len(at.metric) == 4
    assert at.metric[2].value == "0.10 nats" and at.metric[3].value == "0 of 16"


def test_samples_and_swaps_are_shown_for_both_models():
    at = collapse_page()
    at.segmented_control(key="collapse_view").set_value("Samples from the prior").run()
    assert not at.exception
    shown = [c.value for c in at.code]
    assert len(shown) == 2 and all(len(block.splitlines()) == 8 for block in shown)
    assert shown[0] == shown[1]  # the same weights decode the same seeded draws
    at.segmented_control(key="collapse_view").set_value("Swap z").run()
    assert not at.exception
    assert len(at.dataframe) == 2 and len(at.dataframe[0].value) == 6
    assert list(at.dataframe[0].value.columns) == ["sentence", "decoded from μ", "decoded from a random z"]


def test_fewer_than_two_text_checkpoints_is_explained(root):
    shutil.rmtree(root / "grammar-16d-plain")
    at = collapse_page()
    assert not at.exception
    assert "holds 1" in at.info[0].value
