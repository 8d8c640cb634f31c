"""Character vocabulary: the training split's characters plus four special tokens, saved in the checkpoint.

A sequence is stored as its characters' ids, then EOS, then PAD up to the batch's length; the decoder reads BOS
first. Characters the training split never had map to UNK.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
# Above this many distinct characters (a corpus in a large script, say) the rarest become UNK: a softmax over
# thousands of symbols would dominate these small models' size and time.
MAX_ALPHABET = 1000
UNK_CHAR = "\ufffd"  # what decode shows for UNK: the Unicode replacement character


@dataclass(frozen=True)
class Vocab:
    """The characters of a training split, in code-point order; ids 0-3 are PAD, BOS, EOS, UNK."""

    alphabet: str

    def __post_init__(self) -> None:
        if len(set(self.alphabet)) != len(self.alphabet) or "\n" in self.alphabet:
            raise ValueError("a vocabulary's alphabet must hold distinct characters and no newline")
        if len(self.alphabet) > MAX_ALPHABET:
            raise ValueError(f"a vocabulary holds at most {MAX_ALPHABET} characters, got {len(self.alphabet)}")
        object.__setattr__(self, "_ids", {c: i + len(SPECIALS) for i, c in enumerate(self.alphabet)})

    @classmethod
    def build(cls, lines: Iterable[str]) -> Vocab:
        """The vocabulary of these lines: every character, or the MAX_ALPHABET most frequent ones."""
        counts = Counter(c for line in lines for c in line)
        kept = sorted(counts, key=lambda c: (-counts[c], c))[:MAX_ALPHABET]
        return cls("".join(sorted(kept)))

    @property
    def size(self) -> int:
        """Number of token ids, specials included."""
        return len(SPECIALS) + len(self.alphabet)

    def encode(self, line: str) -> list[int]:
        """Token ids of a line's characters (no BOS or EOS); unknown characters become UNK."""
        return [self._ids.get(c, UNK) for c in line]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of a token sequence, up to its first EOS; PAD and BOS are skipped, UNK shows as U+FFFD."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i >= len(SPECIALS):
                out.append(self.alphabet[i - len(SPECIALS)])
            elif i == UNK:
                out.append(UNK_CHAR)
        return "".join(out)

    def encode_batch(self, lines: list[str], length: int | None = None) -> np.ndarray:
        """int64 [N x T]: each line's ids, EOS, then PAD; T = the longest line + 1 unless `length` is given."""
        length = length if length is not None else max((len(s) for s in lines), default=0) + 1
        out = np.full((len(lines), length), PAD, np.int64)
        for row, line in enumerate(lines):
            ids = self.encode(line)[: length - 1] + [EOS]
            out[row, : len(ids)] = ids
        return out
