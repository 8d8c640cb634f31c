"""Text data as the app shows it: the test split's sentences as items, their encodings, greedy decodes of z.

An image item is a (C, H, W) array; a text item is one sentence, a str, and a batch of them a numpy str array
(N,). modality.py's items_of / encode_items / decode_items pick these for text models.
"""

from __future__ import annotations

import numpy as np
import torch

from .model import TextVAE
from .vocab import EOS

DECODE_LEN = 256  # characters decoded per z on the server: data.MAX_LINE, the longest line a corpus may hold
LABEL_FACTOR = "object"  # the grammar factor the app colours the map by (the text twin of shapes' shape label)


def items_of(dataset) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """(sentences (N,) str, labels (N,) or None, label names or None) of a TextDataset's test split; labels are
    the grammar's first object, where the corpus has known factors."""
    from .corpora import FACTORS

    items = np.array(dataset.lines_test, dtype=str)
    if dataset.factors_test is None or LABEL_FACTOR not in dataset.factors_test:
        return items, None, None
    return items, np.asarray(dataset.factors_test[LABEL_FACTOR]), list(FACTORS[LABEL_FACTOR])


@torch.no_grad()
def encode_lines(model: TextVAE, lines, batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """mu, logvar (N, D) float32 of sentences; characters the model never saw read as unk."""
    model.eval()
    vocab, device = model.config.vocab, next(model.parameters()).device
    lines = [str(s) for s in lines]
    parts = []
    for i in range(0, len(lines), batch_size):
        ids = torch.as_tensor(vocab.encode_batch(lines[i:i + batch_size]), device=device)
        parts.append(model.encode(ids))
    if not parts:
        empty = np.zeros((0, model.config.latent_dim), np.float32)
        return empty, empty.copy()
    return tuple(torch.cat([p[j] for p in parts]).float().cpu().numpy() for j in (0, 1))


def id_sentences(model: TextVAE, ids: torch.Tensor, ellipsis: bool = False) -> list[str]:
    """Token ids [M x L] as M sentences; with `ellipsis`, a row without EOS (stopped at its cap) ends in "…"."""
    vocab = model.config.vocab
    return [vocab.decode(row) + ("…" if ellipsis and EOS not in row else "") for row in ids.cpu().tolist()]


@torch.no_grad()
def decode_greedy(model: TextVAE, z, max_len: int = DECODE_LEN, batch_size: int = 256,
                  ellipsis: bool = False) -> np.ndarray:
    """The greedy sentence of each z (M, D) as a str array (M,), decoded up to EOS or max_len tokens; with
    `ellipsis` a sentence stopped at max_len ends in "…", as text.sampling.prior_sentences ends one (the Generate
    page's manifold grid and traversals, capped by length_cap like its samples). NaN or inf raises ValueError."""
    z = np.asarray(z, np.float32).reshape(-1, model.config.latent_dim)
    if not np.isfinite(z).all():
        raise ValueError("z holds NaN or inf; a latent must be finite")
    model.eval()
    device = next(model.parameters()).device
    out: list[str] = []
    for i in range(0, len(z), batch_size):
        ids = model.generate(torch.as_tensor(z[i:i + batch_size], device=device), max_len=max_len, greedy=True)
        out += id_sentences(model, ids, ellipsis)
    return np.array(out, dtype=str) if out else np.zeros(0, dtype=str)



def homotopy(model: TextVAE, z_a, z_b, steps: int, method: str = "slerp") -> list[tuple[float, str]]:
    """Bowman et al.'s homotopy: (t, greedy sentence) at `steps` evenly spaced points of the lerp or slerp path
    from z_a to z_b, both ends included."""
    from ..latent import lerp, slerp

    if method not in ("lerp", "slerp"):
        raise ValueError(f"method must be 'lerp' or 'slerp', got {method!r}")
    if steps < 2:
        raise ValueError(f"a path needs at least 2 steps, got {steps}")
    path = (slerp if method == "slerp" else lerp)(np.asarray(z_a, np.float32), np.asarray(z_b, np.float32), steps)
    return list(zip(np.linspace(0.0, 1.0, steps).tolist(), decode_greedy(model, path).tolist(), strict=True))


def unknown_characters(vocab, line: str) -> list[str]:
    """The distinct characters of a line that the vocabulary does not hold, in the order they first appear."""
    known = set(vocab.alphabet)
    return list(dict.fromkeys(c for c in str(line) if c not in known))


def check_typed(vocab, line: str) -> str:
    """A typed sentence stripped of surrounding spaces, or ValueError with one message saying what is wrong:
    empty, longer than DECODE_LEN, or holding characters the model never saw (they would all read as one unk)."""
    line = str(line).strip()
    if not line:
        raise ValueError("the sentence is empty; type at least one character")
    if len(line) > DECODE_LEN:
        raise ValueError(f"the sentence has {len(line)} characters; the limit is {DECODE_LEN}")
    bad = unknown_characters(vocab, line)
    if bad:
        shown = ", ".join(repr(c) for c in bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise ValueError(f"this model never saw the character{'s' if len(bad) > 1 else ''} {shown}; "
                         f"it knows only {vocab.alphabet!r}")
    return line


def encode_typed(model: TextVAE, line: str) -> np.ndarray:
    """mu (D,) float32 of one typed sentence, checked by check_typed (ValueError with its message)."""
    return encode_lines(model, [check_typed(model.config.vocab, line)])[0][0]
