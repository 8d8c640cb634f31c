"""The JS text decoder (explorer/components/text_decoder.js, bundled as the text panel bundles it), run in
Chromium, decodes greedily the same tokens as torch's TextVAE.generate for 24 random z per model: seeded models
and the bundled grammar checkpoint."""

import numpy as np
import pytest
import torch
from panel_harness import REPO, load_demo, runtime_fixture

from vae_core import checkpoint as ck
from vae_core.text.export import MAX_TOKENS, export_text_decoder
from vae_core.text.vocab import EOS

pytestmark = pytest.mark.e2e

BUNDLED = "grammar-16d"
demo = load_demo("text_decoder_demo")
js_page = runtime_fixture("text_decoder.js")  # the runtime as its panel bundles it


def js_greedy(js_page, model, zs: np.ndarray, inline: bool = False) -> list[dict]:
    """{tokens, text} for each z, greedy-decoded in Chromium from the published program (or the inline one)."""
    return js_page.decode("loadTextDecoder", export_text_decoder(model), zs, inline)


def torch_greedy(model, zs: np.ndarray) -> list[list[int]]:
    ids = model.generate(torch.as_tensor(zs, dtype=torch.float32), max_len=MAX_TOKENS, greedy=True).tolist()
    return [row[: row.index(EOS) + 1] if EOS in row else row for row in ids]  # PAD after EOS cut off


@pytest.mark.parametrize("seed, inline", [(0, False), (1, False), (2, True)])
def test_seeded_models_decode_the_same_tokens_in_chromium(js_page, seed, inline):
    model = demo.demo_text_model(seed)
    zs = np.random.default_rng(seed).normal(0, 1.5, (24, model.config.latent_dim)).astype(np.float32)
    got = js_greedy(js_page, model, zs, inline)
    want = torch_greedy(model, zs)
    assert [g["tokens"] for g in got] == want
    assert [g["text"] for g in got] == [model.config.vocab.decode(row) for row in want]
    assert len({g["text"] for g in got}) >= 6  # z changes the sentence: the comparison means something


def test_bundled_grammar_checkpoint_decodes_the_same_sentences_in_chromium(js_page):
    model, _ = ck.load_checkpoint(BUNDLED, REPO / "checkpoints")
    zs = np.random.default_rng(7).standard_normal((32, model.config.latent_dim)).astype(np.float32)
    got = js_greedy(js_page, model, zs)
    want = torch_greedy(model, zs)
    assert [g["tokens"] for g in got] == want
    texts = [g["text"] for g in got]
    assert texts == [model.config.vocab.decode(row) for row in want]
    assert len(set(texts)) >= 16, texts  # z changes the sentence
