"""The Train page through streamlit.testing.v1.AppTest: its defaults are the library's (vae_core.config)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from vae_core.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "explorer" / "app.py")


@pytest.fixture
def train_page(tmp_path, monkeypatch) -> AppTest:
    """The Train page, run once, over an empty checkpoints folder (nothing is trained or written)."""
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()  # AppTest needs one run before switching pages
    return at.switch_page("views/train.py").run()


@pytest.fixture
def served_train_page(tmp_path, monkeypatch) -> AppTest:
    """The Train page served to others (vae_core.served), with a data folder, over an empty checkpoints folder."""
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("LATENT_LAB_SERVED", "1")
    monkeypatch.setenv("LATENT_LAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at.switch_page("views/train.py").run()


def test_learning_rate_defaults_to_the_library_default(train_page):
    """The page and `python -m vae_core train` share one default learning rate, and the page can pick it."""
    assert not train_page.exception, train_page.exception
    slider = train_page.select_slider(key="train_lr")
    assert slider.value == TrainConfig().lr
    assert f"{TrainConfig().lr:g}" in slider.options  # AppTest lists the options as their labels


def test_served_page_refuses_a_folder_outside_the_data_folder(served_train_page):
    """Served to others (vae_core.served), the IDX folder box reads only inside the data folder."""
    at = served_train_page
    at.segmented_control(key="train_source").set_value("idx").run()
    at.text_input(key="train_idx").input("/etc").run()
    assert [e.value for e in at.error] == ["'/etc' is outside the server's data folder: give a folder inside it, "
                                           "e.g. 'mnist'"]
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception  # refused with the same message a second time: nothing starts
    assert [e.value for e in at.error][1:] == [at.error[0].value]


def test_text_data_shows_the_text_models_settings_with_the_cli_defaults(train_page):
    at = train_page
    at.segmented_control(key="train_source").set_value("grammar").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.select_slider(key="train_hidden").value == 128
    assert at.number_input(key="train_word_dropout").value == 0.0  # off by default (bench/README.md, "text")
    assert at.number_input(key="train_free_bits").value == 0.125
    assert (at.number_input(key="train_warmup").value, at.select_slider(key="train_batch").value) == (2, 64)
    assert at.number_input(key="train_latent").value == 16
    assert not [c for c in at.segmented_control if c.key == "train_arch"]  # a text model is a GRU
    at.segmented_control(key="train_source").set_value("digits").run()  # back to images: their defaults
    assert (at.number_input(key="train_warmup").value, at.number_input(key="train_latent").value) == (0, 2)


def test_a_text_source_without_data_says_what_is_missing(train_page):
    at = train_page
    at.segmented_control(key="train_source").set_value("txt").run()
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["upload a .txt file or give a text file first"]


def test_served_page_confines_a_typed_text_path(served_train_page):
    at = served_train_page
    at.segmented_control(key="train_source").set_value("textpath").run()
    at.text_input(key="train_textpath").input("/etc/passwd").run()
    assert [e.value for e in at.error] == ["'/etc/passwd' is outside the server's data folder: give a folder "
                                           "inside it, e.g. 'mnist'"]
