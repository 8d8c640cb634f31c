"""vae_core/text/anomaly.py (sentence scores, outside sets), analysis.anomaly's modality entry points for text,
and text.data.parse_lines (the upload's reader)."""

import numpy as np
import pytest
import torch

from vae_core.analysis.anomaly import ood_items, score_items
from vae_core.data import DataError
from vae_core.text.anomaly import ood_sentences, random_characters, score_sentences, shuffled_words
from vae_core.text.data import parse_lines
from vae_core.text.metrics import evaluate_text
from vae_core.text.model import TextModelConfig, TextVAE

LINES = ["abc", "a b c", "cab ba.", "b", "aa bb cc", "c. a"]


def small_model(seed: int = 0) -> TextVAE:
    torch.manual_seed(seed)
    return TextVAE(TextModelConfig(alphabet="abc .", latent_dim=3, embed_dim=4, hidden=8)).eval()


def test_elbo_scores_average_to_evaluate_text_whatever_the_batch():
    model = small_model()
    scores = score_sentences(model, LINES, batch_size=4)
    assert scores.shape == (6,) and scores.dtype == np.float64 and (scores > 0).all()
    want = evaluate_text(model, model.config.vocab.encode_batch(LINES)).neg_elbo
    assert scores.mean() == pytest.approx(want, rel=1e-5)
    assert np.allclose(scores, score_sentences(model, LINES, batch_size=1))
    assert np.allclose(score_items(model, np.array(LINES)), scores)
    assert score_sentences(model, []).shape == (0,)


def test_scores_from_given_encodings_equal_the_encoded_ones():
    from vae_core.text.items import encode_lines

    model = small_model(2)
    encoded = encode_lines(model, LINES)
    assert np.allclose(score_sentences(model, LINES, encoded=encoded), score_sentences(model, LINES))
    shifted = (encoded[0] + 1.0, encoded[1])
    assert not np.allclose(score_sentences(model, LINES, encoded=shifted), score_sentences(model, LINES))


def test_iwae_scores_are_finite_and_leave_the_global_rng_alone():
    model = small_model(1)
    state = torch.get_rng_state()
    scores = score_sentences(model, LINES, iwae_k=5)
    assert np.isfinite(scores).all() and scores.shape == (6,)
    assert torch.equal(state, torch.get_rng_state())


def test_shuffled_words_keep_the_words_in_another_order():
    rng = np.random.default_rng(0)
    lines = ["a big red ball", "one", "x x", "is it so"]
    out = shuffled_words(lines, rng)
    assert out[1] == "one" and out[2] == "x x"  # nothing to reorder
    for before, after in zip(lines, out, strict=True):
        assert sorted(before.split(" ")) == sorted(after.split(" "))
    assert out[0] != lines[0] and out[3] != lines[3]


def test_random_characters_match_lengths_and_alphabet():
    out = random_characters(["abc", "", "hello world"], "xy", np.random.default_rng(0))
    assert [len(s) for s in out] == [3, 0, 11] and set("".join(out)) == {"x", "y"}


def test_outside_sets_of_a_grammar_model_are_deterministic_and_use_the_other_corpus():
    from vae_core.data import load_dataset

    lines = load_dataset("grammar").lines_test
    sets = ood_sentences("grammar", lines, "abc", seed=0, n=20)
    assert list(sets) == ["shuffled words", "pydoc", "random characters"]
    assert all(v.shape == (20,) for v in sets.values())
    assert set(sets["pydoc"]) <= set(load_dataset("pydoc").lines_test)
    assert set("".join(sets["random characters"])) <= set("abc")
    again = ood_sentences("grammar", lines, "abc", seed=0, n=20)
    assert all(np.array_equal(sets[k], again[k]) for k in sets)
    assert list(ood_sentences("text:x.txt", ["a b"], "ab", n=3)) == ["shuffled words", "grammar", "random characters"]
    with pytest.raises(ValueError, match="at least one test sentence"):
        ood_sentences("grammar", [], "abc")


def test_ood_items_for_a_text_model_reads_its_test_split():
    model = TextVAE(TextModelConfig(alphabet=" abcdefghijklmnopqrstuvwxyz", latent_dim=2, embed_dim=4, hidden=8))
    sets = ood_items("grammar", model)
    assert list(sets) == ["shuffled words", "pydoc", "random characters"]
    assert set("".join(sets["random characters"])) <= set(model.config.alphabet)


def test_parse_lines_reads_an_upload_or_says_in_one_line_what_is_wrong():
    assert parse_lines("\ufeffone line\r\n\n  two  \n".encode(), "up.txt") == ["one line", "two"]
    for raw, message in ((b"a\x00b", "up.txt: is a binary file"), (b"ok\n\xff", "up.txt: is not UTF-8 text"),
                         (b"\n  \n", "up.txt: is empty"), (("x" * 300).encode(), "line 1 has 300 characters")):
        with pytest.raises(DataError, match=message):
            parse_lines(raw, "up.txt")
