"""vae_core/text/export.py: the exported program, run by the float64 numpy reference, decodes greedily what torch
decodes, token for token."""

import base64

import numpy as np
import pytest
import torch

from vae_core.text.export import MAX_TOKENS, export_text_decoder, greedy_decode, text_decoder_program
from vae_core.text.model import TextModelConfig, TextVAE
from vae_core.text.vocab import EOS


def seeded_model(seed: int = 0, latent_dim: int = 6) -> TextVAE:
    """An untrained model whose greedy output depends on z (logits and z's input weights stretched)."""
    torch.manual_seed(seed)
    model = TextVAE(TextModelConfig(alphabet="abcde .", latent_dim=latent_dim, embed_dim=8, hidden=24)).eval()
    with torch.no_grad():
        model.out.weight.mul_(4)
        model.decoder.weight_ih_l0[:, 8:].mul_(3)
        model.z_to_h.weight.mul_(2)
    return model


def torch_greedy(model: TextVAE, zs: np.ndarray) -> list[list[int]]:
    ids = model.generate(torch.as_tensor(zs, dtype=torch.float32), max_len=MAX_TOKENS, greedy=True)
    # generate pads a row that ended with PAD up to the batch's longest: cut each row after its EOS
    return [row[: row.index(EOS) + 1] if EOS in row else row for row in ids.tolist()]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reference_decodes_the_tokens_torch_decodes_for_24_random_z(seed):
    model = seeded_model(seed)
    layout, weights = text_decoder_program(model)
    zs = np.random.default_rng(seed).normal(0, 1.5, (24, 6)).astype(np.float32)
    want = torch_greedy(model, zs)
    got = [greedy_decode(layout, weights, z) for z in zs]
    assert got == want
    assert len({tuple(r) for r in got}) >= 6  # z changes the sentence: the comparison means something
    assert any(r[-1] == EOS for r in got) and any(len(r) == MAX_TOKENS for r in got)


def test_payload_carries_the_vocabulary_and_weights_that_round_trip():
    model = seeded_model()
    payload = export_text_decoder(model)
    layout, weights = text_decoder_program(model)
    assert payload["kind"] == "text" and payload["alphabet"] == "abcde ." and payload["vocab_size"] == 11
    assert payload["latent_dim"] == 6 and payload["hidden"] == 24 and payload["max_tokens"] == MAX_TOKENS
    raw = np.frombuffer(base64.b64decode(payload["weights_b64"]), dtype="<f4")
    assert np.array_equal(raw, weights)
    assert payload["offsets"] == layout["offsets"]
    assert raw.size == 24 * 6 + 24 + 11 * 72 + 72 * 6 + 72 * 24 + 72 + 11 * 24 + 11


def test_hash_follows_the_weights():
    a, b = seeded_model(0), seeded_model(0)
    assert export_text_decoder(a)["hash"] == export_text_decoder(b)["hash"]
    with torch.no_grad():
        b.out.bias[0] += 1e-3
    assert export_text_decoder(a)["hash"] != export_text_decoder(b)["hash"]


def test_a_language_model_without_z_is_refused():
    model = TextVAE(TextModelConfig(alphabet="ab", conditioned=False, hidden=8, embed_dim=4))
    with pytest.raises(ValueError, match="without z"):
        text_decoder_program(model)
