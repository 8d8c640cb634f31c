"""vae_core/text/vocab.py: ids round trip, specials, UNK, padding layout."""

import numpy as np
import pytest

from vae_core.text.vocab import BOS, EOS, MAX_ALPHABET, PAD, UNK, UNK_CHAR, Vocab


def test_round_trip_and_specials():
    vocab = Vocab.build(["hello world", "héllo, ünïcode ✓"])
    assert vocab.alphabet == "".join(sorted(set("hello worldhéllo, ünïcode ✓")))
    assert vocab.size == 4 + len(vocab.alphabet) and {PAD, BOS, EOS, UNK} == {0, 1, 2, 3}
    for line in ("hello world", "héllo, ünïcode ✓", ""):
        assert vocab.decode(vocab.encode(line)) == line
    assert min(vocab.encode("hello")) >= 4


def test_unknown_characters_become_one_token():
    vocab = Vocab.build(["abc"])
    assert vocab.encode("axz") == [vocab.encode("a")[0], UNK, UNK]
    assert vocab.decode(vocab.encode("axb")) == f"a{UNK_CHAR}b"


def test_decode_stops_at_eos_and_skips_pad_and_bos():
    vocab = Vocab.build(["ab"])
    a, b = vocab.encode("ab")
    assert vocab.decode([BOS, a, PAD, b, EOS, a, a]) == "ab"


def test_encode_batch_pads_after_eos():
    vocab = Vocab.build(["abc", "a"])
    x = vocab.encode_batch(["abc", "a"])
    assert x.dtype == np.int64 and x.shape == (2, 4)
    assert x[0, 3] == EOS and x[1, 1] == EOS and (x[1, 2:] == PAD).all()
    assert [vocab.decode(row) for row in x] == ["abc", "a"]


def test_the_rarest_characters_beyond_the_cap_become_unk():
    lines = ["".join(chr(0x4E00 + i) for i in range(MAX_ALPHABET + 5)), chr(0x4E00) * 3]
    vocab = Vocab.build(lines)
    assert len(vocab.alphabet) == MAX_ALPHABET and chr(0x4E00) in vocab.alphabet


def test_bad_alphabets_are_refused():
    with pytest.raises(ValueError, match="distinct"):
        Vocab("aa")
    with pytest.raises(ValueError, match="newline"):
        Vocab("a\n")
