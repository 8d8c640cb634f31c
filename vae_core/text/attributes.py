"""Attribute vectors on sentences with known factors (the grammar corpus): the test split grouped by each factor
with its values' names, and the factors read back from a decoded sentence, so that "make it bigger" can be
checked against what the decoder writes."""

from __future__ import annotations

import re

import numpy as np

from .corpora import FACTORS

_WORD = {name: "|".join(re.escape(v) for v in values) for name, values in FACTORS.items()}
_GRAMMAR = re.compile(rf"a ({_WORD['size']}) ({_WORD['colour']}) ({_WORD['object']}) is ({_WORD['relation']}) "
                      rf"a ({_WORD['size2']}) ({_WORD['colour2']}) ({_WORD['object2']})")


def factor_groupings(factors: dict[str, np.ndarray] | None) -> dict[str, tuple[np.ndarray, list[str]]]:
    """factor name -> (value index per sentence (N,) int64, the values' words), in FACTORS' order; empty for a
    corpus without known factors. The shape of neighbours.groupings, with words instead of numbers."""
    if not factors:
        return {}
    return {name: (np.asarray(factors[name], np.int64), list(FACTORS[name])) for name in FACTORS if name in factors}


def read_factors(sentence: str) -> dict[str, str] | None:
    """The factor words of a grammar sentence ({"size": "big", ...}), or None if it is not one (the decoder may
    write something the grammar cannot)."""
    m = _GRAMMAR.fullmatch(str(sentence).strip())
    return None if m is None else dict(zip(FACTORS, m.groups(), strict=True))
