"""The anomaly and compression pages through AppTest, for the bundled digits-2d and shapes-6d checkpoints
(plotly charts are not seen here: tests/e2e/test_anomaly_compression.py covers them in Chromium)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "explorer" / "app.py")
CHECKPOINTS = ["digits-2d", "shapes-6d"]
PAGES = ["views/anomaly.py", "views/compression.py"]


@pytest.fixture(autouse=True)
def bundled_root(monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(REPO / "checkpoints"))


def run(name: str, page: str) -> AppTest:
    if not (REPO / "checkpoints" / name / "model.safetensors").exists():
        pytest.skip(f"checkpoints/{name} is missing (make checkpoints)")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ckpt"] = name
    at.run()
    return at.switch_page(page).run()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", CHECKPOINTS)
def test_page_runs_cleanly(name, page):
    at = run(name, page)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="checkpoint").value == name
    assert at.title[0].value in ("Anomaly detection", "Compression")


def test_anomaly_page_shows_an_auroc_per_set():
    at = run("digits-2d", "views/anomaly.py")
    aurocs = {m.label.split("·")[1].strip(): float(m.value) for m in at.metric if m.label.startswith("AUROC")}
    assert set(aurocs) == {"shapes", "noise", "inverted", "rotated 90°"}
    assert aurocs["shapes"] > 0.9


def test_compression_page_shows_bits_for_the_chosen_images():
    at = run("digits-2d", "views/compression.py")
    chosen = at.multiselect(key="comp_images").value
    assert len(chosen) == 5
    table = at.dataframe[0].value
    assert len(table) == len(chosen) + 1 and (table["raw (bits)"] == 512).all()
    assert (table["rate (bits)"] < table["raw (bits)"]).all()
    # With one beta on digits the page says how to get more; with several it lists their points.
    assert any("Only β =" in i.value for i in at.info) or len(at.dataframe) == 2


def test_compression_page_codes_a_real_file_with_mnist_bin():
    if not (REPO / "checkpoints" / "mnist-bin" / "model.safetensors").exists():
        pytest.skip("checkpoints/mnist-bin is missing (make checkpoints)")
    at = run("digits-2d", "views/compression.py")
    assert at.select_slider(key="comp_codec_n").value == 100
    assert any(s.value.startswith("Exact round trip: the 100 images") for s in at.success)
    table = at.dataframe[-1].value
    bpp = table["bits per pixel"]
    assert table.index[0] == "bits-back ANS (this file)" and bpp.iloc[0] < bpp["bz2"]


def test_compression_page_without_mnist_bin_says_where_it_comes_from(tmp_path, monkeypatch):
    import shutil

    if not (REPO / "checkpoints" / "digits-2d" / "model.safetensors").exists():
        pytest.skip("checkpoints/digits-2d is missing (make checkpoints)")
    shutil.copytree(REPO / "checkpoints" / "digits-2d", tmp_path / "digits-2d")
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(tmp_path))
    at = run("digits-2d", "views/compression.py")
    assert not at.exception and not at.error
    assert any("bundled `mnist-bin` checkpoint" in i.value for i in at.info)


def test_the_beta_chart_draws_one_curve_per_latent_size():
    """mnist-2d (z=2), mnist-16d (z=16) and the bundled β sweep (z=8) are three curves; a line joins only the sweep's
    models, in β order (one line through all of them zigzagged between latent sizes)."""
    import json

    if not (REPO / "checkpoints" / "beta-mnist-1" / "model.safetensors").exists():
        pytest.skip("the bundled β sweep is missing (make checkpoints)")
    at = run("mnist-2d", "views/compression.py")
    chart = next(c for c in at.get("plotly_chart") if "comp_beta" in c.proto.id)
    traces = {t["name"]: t["text"] for t in json.loads(chart.proto.spec)["data"]}
    assert list(traces) == ["z = 2", "z = 8", "z = 16"]
    assert traces["z = 2"] == ["β=1 · mnist-2d"] and traces["z = 16"] == ["β=1 · mnist-16d"]
    assert traces["z = 8"] == [f"β={b} · beta-mnist-{b}" for b in ("0.25", "0.5", "1", "2", "4")]
