"""The Compression page's codec section in Chromium: 100 binarised MNIST test images compressed by the real
bits-back codec with the bundled mnist-bin model, the file's size next to bz2's, the round trip checked, the
file downloaded and uploaded again to decode, and a file that is not one refused with a message."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not all((REPO / f"checkpoints/{name}/model.safetensors").exists()
                               for name in ("digits-2d", "mnist-bin")),
                       reason="checkpoints/digits-2d or mnist-bin is missing (make checkpoints)"),
]
EXCEPTION = '[data-testid="stException"]'
RESULT = ".st-key-comp_codec_result"
UPLOADED = ".st-key-comp_codec_uploaded"
IMAGES_LOADED_JS = """([sel, n]) => { const imgs = [...document.querySelectorAll(sel + " img")];
  return imgs.length >= n && imgs.every(i => i.complete && i.naturalWidth > 0); }"""


@pytest.fixture(scope="module")
def app(streamlit_app):
    return streamlit_app("explorer/app.py")


def number_after(text: str, words: str) -> float:
    return float(re.search(words + r" ([0-9]+\.[0-9]+)", text).group(1))


def test_codec_section_compresses_checks_and_decodes_an_uploaded_file(app, page, e2e):
    e2e.open_app(page, app.url("compression", ckpt="digits-2d"))  # the codec uses mnist-bin whatever is picked
    result = page.locator(RESULT)
    # A fresh server loads MNIST and the model and codes 100 images: seconds on a busy machine.
    expect(result).to_contain_text("Exact round trip", timeout=90_000)
    e2e.wait_for_app(page)
    text = result.inner_text()
    file_bpd = number_after(text, r"bytes,")
    assert 0 < file_bpd < number_after(text, "bz2"), text  # the trained model beats bz2 on these images
    assert number_after(text, "−ELBO is") < file_bpd  # the file pays the bound plus header and seed
    size = int(re.search(r"the file is ([0-9,]+) bytes", text).group(1).replace(",", ""))
    page.wait_for_function(IMAGES_LOADED_JS, arg=[RESULT, 2])  # originals and decoded, one strip each
    assert page.locator(EXCEPTION).count() == 0

    with page.expect_download() as info:
        page.locator(".st-key-comp_codec_download button").click()
    download = info.value
    assert download.suggested_filename == "mnist-bin-100.llbb"
    data = Path(download.path()).read_bytes()
    assert len(data) == size and data[:4] == b"LLBB"

    uploader = page.locator('.st-key-comp_codec_upload input[type="file"]')
    uploader.set_input_files(files=[{"name": "back.llbb", "mimeType": "application/octet-stream", "buffer": data}])
    expect(page.locator(UPLOADED)).to_contain_text("back.llbb: 100 images decoded", timeout=60_000)
    e2e.wait_for_app(page)
    page.wait_for_function(IMAGES_LOADED_JS, arg=[UPLOADED, 1])

    uploader.set_input_files(files=[{"name": "digit.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n"}])
    expect(page.locator(f"{UPLOADED} [data-testid='stAlertContentError']")).to_contain_text(
        "digit.png: not a Latent Lab codec file", timeout=60_000)
    e2e.wait_for_app(page)
    assert page.locator(EXCEPTION).count() == 0
