"""vae_core/text/items.py and the modality seam's items_of / encode_items / decode_items: what the app shows
for text (sentences as items) and for images (unchanged)."""

import numpy as np
import pytest
import torch

from vae_core import modality
from vae_core.config import ModelConfig
from vae_core.data import load_dataset
from vae_core.models import VAE
from vae_core.text.corpora import FACTORS
from vae_core.text.data import make_dataset
from vae_core.text.items import decode_greedy, encode_lines, items_of
from vae_core.text.model import TextModelConfig, TextVAE


def small_model(seed: int = 0) -> TextVAE:
    torch.manual_seed(seed)
    return TextVAE(TextModelConfig(alphabet="abc .", latent_dim=3, embed_dim=4, hidden=8)).eval()


def test_grammar_test_split_is_its_sentences_labelled_by_the_first_object():
    ds = load_dataset("grammar")
    items, labels, names = items_of(ds)
    assert items.shape == (2000,) and items[0] == ds.lines_test[0]
    assert names == list(FACTORS["object"])
    assert names[labels[0]] in items[0].split(" is ")[0]  # "a big red cube is ...": label cube


def test_a_corpus_without_factors_has_no_labels():
    ds = make_dataset("text:x", ["ab", "ba c"], ["abc"])
    items, labels, names = modality.items_of(ds)
    assert items.tolist() == ["abc"] and labels is None and names is None


def test_encode_lines_matches_the_model_one_sentence_at_a_time_whatever_the_batch():
    model, lines = small_model(), ["abc", "a", "cab ba.", "zzz"]  # z: never seen, read as unk
    mu, logvar = encode_lines(model, lines, batch_size=3)
    for i, line in enumerate(lines):
        m, lv = model.encode(torch.as_tensor(model.config.vocab.encode_batch([line])))
        assert np.allclose(mu[i], m[0].detach().numpy(), atol=1e-6)
        assert np.allclose(logvar[i], lv[0].detach().numpy(), atol=1e-6)
    assert encode_lines(model, [])[0].shape == (0, 3)


def test_decode_greedy_is_generate_greedy_as_text_and_refuses_nan():
    model = small_model(1)
    z = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    got = decode_greedy(model, z, max_len=20, batch_size=2)
    ids = model.generate(torch.as_tensor(z), max_len=20, greedy=True)
    assert got.tolist() == [model.config.vocab.decode(r) for r in ids.tolist()]
    assert decode_greedy(model, np.zeros((0, 3))).shape == (0,)
    with pytest.raises(ValueError, match="NaN or inf"):
        decode_greedy(model, np.full((1, 3), np.nan))


def test_modality_picks_the_text_or_the_image_code():
    text = small_model()
    lines = np.array(["abc", "ca"])
    mu, _ = modality.encode_items(text, lines)
    assert np.array_equal(mu, encode_lines(text, lines)[0])
    assert modality.decode_items(text, mu).dtype.kind == "U"
    torch.manual_seed(0)
    image = VAE(ModelConfig(input_shape=(1, 8, 8), arch="mlp", latent_dim=2)).eval()
    x = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    mu, logvar = modality.encode_items(image, x)
    assert mu.shape == logvar.shape == (4, 2)
    assert modality.decode_items(image, mu).shape == (4, 1, 8, 8)


def test_homotopy_runs_from_the_decode_of_one_end_to_the_other():
    from vae_core.text.items import homotopy

    model = small_model(2)
    za, zb = np.array([2.0, -1.0, 0.5]), np.array([-1.5, 2.0, 1.0])
    rows = homotopy(model, za, zb, 5, "lerp")
    ends = decode_greedy(model, np.stack([za, zb]))
    assert [t for t, _ in rows] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert rows[0][1] == ends[0] and rows[-1][1] == ends[1]
    assert [s for _, s in homotopy(model, za, zb, 3, "slerp")][0] == ends[0]
    with pytest.raises(ValueError, match="lerp"):
        homotopy(model, za, zb, 3, "cubic")
    with pytest.raises(ValueError, match="at least 2"):
        homotopy(model, za, zb, 1)


def test_check_typed_strips_and_names_unknown_characters_once():
    from vae_core.text.items import check_typed, encode_typed, unknown_characters

    model = small_model()
    vocab = model.config.vocab
    assert check_typed(vocab, "  ab c. ") == "ab c."
    assert unknown_characters(vocab, "aQbQ!") == ["Q", "!"]
    with pytest.raises(ValueError, match=r"never saw the characters 'Q', '!'; it knows only 'abc \.'"):
        check_typed(vocab, "aQbQ!")
    with pytest.raises(ValueError, match="never saw the character 'z';"):
        check_typed(vocab, "zab")
    with pytest.raises(ValueError, match="empty"):
        check_typed(vocab, "   ")
    with pytest.raises(ValueError, match="257 characters; the limit is 256"):
        check_typed(vocab, "a" * 257)
    mu = encode_typed(model, " cab ")
    assert mu.shape == (3,) and np.allclose(mu, encode_lines(model, ["cab"])[0][0])
    with pytest.raises(ValueError, match="never saw"):
        encode_typed(model, "cabz")
