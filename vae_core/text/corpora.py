"""The two bundled text corpora; neither downloads anything.

- `grammar`: sentences from a small procedural grammar with known factors, the text twin of `shapes`:
  "a big red circle is above a small blue square". Seven factors drawn independently from a seeded generator,
  so disentanglement and attribute vectors can be checked against the truth.
- `pydoc`: English sentences written by the Python documentation's authors: the help-topic prose that CPython
  ships in the standard library module `pydoc_data.topics` (what `help("if")` prints), under the PSF License.
  Code, grammar rules and tables are dropped and the prose is split into sentences; about 2,300 distinct
  sentences on CPython 3.11 (the text differs a little between Python versions).
"""

from __future__ import annotations

import re

import numpy as np

SIZES = ("tiny", "small", "big", "huge")
COLOURS = ("red", "green", "blue", "yellow", "white", "black")
OBJECTS = ("circle", "square", "triangle", "star", "cube", "ball")
RELATIONS = ("above", "below", "left of", "right of", "near", "far from")
# factor name -> its values, in sentence order; the second object has the same three factors as the first
FACTORS = {"size": SIZES, "colour": COLOURS, "object": OBJECTS, "relation": RELATIONS,
           "size2": SIZES, "colour2": COLOURS, "object2": OBJECTS}
GRAMMAR_TRAIN, GRAMMAR_TEST = 12_000, 2_000  # as many as shapes


def grammar_sentence(values: dict[str, int]) -> str:
    """The sentence for one choice of each factor (indices into FACTORS' value lists)."""
    w = {name: FACTORS[name][values[name]] for name in FACTORS}
    return f"a {w['size']} {w['colour']} {w['object']} is {w['relation']} a {w['size2']} {w['colour2']} {w['object2']}"


def generate_grammar(n: int, seed: int = 0) -> tuple[list[str], dict[str, np.ndarray]]:
    """n sentences and their factors {name: int64 [n]}, drawn independently and uniformly; same seed, same text."""
    rng = np.random.default_rng(seed)
    factors = {name: rng.integers(0, len(values), n).astype(np.int64) for name, values in FACTORS.items()}
    lines = [grammar_sentence({name: int(v[i]) for name, v in factors.items()}) for i in range(n)]
    return lines, factors


# A paragraph with any of these lines is code, a grammar rule, a table or a heading, not prose.
_NOT_PROSE = re.compile(r"^(>>>|\.\.\.|\||[*=\-~^+]+$)")
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z\"*])")
PYDOC_MIN, PYDOC_MAX = 12, 250  # characters per sentence
# Share of letters, spaces and light punctuation a sentence needs; below it is mostly code such as "x[i:j]".
PROSE_SHARE = 0.8


def _is_sentence(s: str) -> bool:
    prose = sum(c.isalpha() or c in " ,.'’" for c in s) / len(s)
    return (PYDOC_MIN <= len(s) <= PYDOC_MAX and (s[0].isupper() or s[0] in "\"*") and s[-1] in ".!?:"
            and "::=" not in s and prose >= PROSE_SHARE)


def pydoc_sentences() -> list[str]:
    """The distinct prose sentences of pydoc_data.topics, in topic order (first occurrence kept)."""
    from pydoc_data.topics import topics  # the standard library's help text, about 0.5 MB

    found = []
    for key in sorted(topics):
        for para in re.split(r"\n\s*\n", topics[key]):
            lines = [line.strip() for line in para.split("\n")]
            if any(_NOT_PROSE.match(line) for line in lines if line):
                continue
            found += [s.strip() for s in _SENTENCE_END.split(" ".join(lines)) if _is_sentence(s.strip())]
    return list(dict.fromkeys(found))
