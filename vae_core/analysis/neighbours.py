"""Neighbours and latent arithmetic: k nearest neighbours in latent and in pixel space, attribute vectors
(the mean z of one group minus another's; White 2016, "Sampling generative networks"), analogies
a - b + c, and a decoder with one more input, the strength of an attribute (so one slider applies it).

Arrays are numpy; distances are Euclidean, computed in float64.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

_CHUNK = 1 << 22  # distance-matrix entries per block: bounds memory for large sets


def knn(points: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest of points (N, F) to each query (M, F) or (F,) -> (indices, distances), each (M, k).

    Nearest first; ties keep the lower index. A query that is one of the points finds itself at distance 0.
    """
    points = np.asarray(points, np.float64).reshape(len(points), -1)
    query = np.asarray(query, np.float64).reshape(-1, points.shape[1])
    k = max(0, min(int(k), len(points)))
    sq = (points**2).sum(1)
    rows = max(1, _CHUNK // max(1, len(points)))
    idx, dist = np.zeros((len(query), k), np.int64), np.zeros((len(query), k))
    for s in range(0, len(query), rows):
        q = query[s:s + rows]
        # |q - p|^2 = |q|^2 - 2 q.p + |p|^2 finds candidates fast; their distances are then recomputed
        # directly, since the expansion leaves rounding noise (~1e-7 where a point meets itself).
        d2 = (q**2).sum(1)[:, None] - 2.0 * q @ points.T + sq[None]
        cand = np.argsort(d2, axis=1, kind="stable")[:, :min(len(points), 2 * k + 8)]
        exact = np.sqrt(((points[cand] - q[:, None, :]) ** 2).sum(-1))
        order = np.lexsort((cand, exact), axis=1)[:, :k]  # by distance, then by index
        idx[s:s + rows], dist[s:s + rows] = np.take_along_axis(cand, order, 1), np.take_along_axis(exact, order, 1)
    return idx, dist


def neighbours_of(points: np.ndarray, i: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest other points to points[i] -> (indices (k,), distances (k,)); i itself is left out."""
    idx, dist = knn(points, points[i], k + 1)
    keep = idx[0] != i
    return idx[0][keep][:k], dist[0][keep][:k]


def pixels(x: np.ndarray) -> np.ndarray:
    """Images (N, C, H, W) -> flat pixel vectors (N, C*H*W): the space where 'looks alike' means 'same pixels'."""
    return np.asarray(x, np.float32).reshape(len(x), -1)


def share_same(labels: np.ndarray | None, i: int, idx: np.ndarray) -> float | None:
    """Fraction of the neighbours idx whose label equals labels[i]; None without labels or neighbours."""
    if labels is None or len(idx) == 0:
        return None
    return float(np.mean(np.asarray(labels)[idx] == np.asarray(labels)[i]))


# --- groups and attribute vectors ---------------------------------------------------------------------


def factor_groups(values: np.ndarray, bins: int = 3, max_levels: int = 12) -> tuple[np.ndarray, list[str]]:
    """A factor (N,) as groups: (group per item (N,) int64, group names).

    A factor with few distinct values (a class, a shape) keeps them; a continuous one (position, scale)
    is cut at its quantiles into `bins` equal-sized groups named low / middle / high.
    """
    values = np.asarray(values).reshape(-1)
    levels = np.unique(values)
    if len(levels) <= max_levels:
        return np.searchsorted(levels, values).astype(np.int64), [f"{v:g}" for v in levels]
    edges = np.quantile(values.astype(np.float64), np.linspace(0, 1, bins + 1)[1:-1])
    names = {2: ["low", "high"], 3: ["low", "middle", "high"]}.get(bins) or [f"bin {b + 1}" for b in range(bins)]
    return np.searchsorted(edges, values, side="right").astype(np.int64), names


def groupings(labels: np.ndarray | None, class_names=None,
              factors: dict[str, np.ndarray] | None = None) -> dict[str, tuple[np.ndarray, list[str]]]:
    """name -> (group per item (N,), group names) to take attribute vectors between: "label" (classes,
    however many, are never binned; named by class_names where it has them), then each generative factor
    but "shape" through factor_groups. Empty without labels or factors."""
    out = {}
    if labels is not None:
        values, g = np.unique(labels, return_inverse=True)
        out["label"] = g, [class_names[int(v)] if class_names and 0 <= v < len(class_names) else str(v) for v in values]
    return out | {f: factor_groups(v) for f, v in (factors or {}).items() if f != "shape"}


def attribute_vector(mu: np.ndarray, groups: np.ndarray, plus, minus) -> np.ndarray:
    """mean(mu[groups == plus]) - mean(mu[groups == minus]) -> (D,) float32: the direction from one group to another.

    Raises ValueError if either group is empty.
    """
    mu, groups = np.asarray(mu, np.float64), np.asarray(groups)
    means = []
    for g in (plus, minus):
        members = groups == g
        if not members.any():
            raise ValueError(f"no items in group {g!r}")
        means.append(mu[members].mean(0))
    return (means[0] - means[1]).astype(np.float32)


def along(z: np.ndarray, vector: np.ndarray, strengths) -> np.ndarray:
    """z + s * vector for each strength s -> (S, D) float32: an attribute applied with several strengths."""
    z, vector = np.asarray(z, np.float64).reshape(-1), np.asarray(vector, np.float64).reshape(-1)
    s = np.asarray(strengths, np.float64).reshape(-1, 1)
    return (z + s * vector).astype(np.float32)


def analogy(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """a - b + c -> float32: "c changed the way b changes into a" (Mikolov et al. 2013, for word vectors)."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    return (a - b + c).astype(np.float32)


def analogy_defaults(labels: np.ndarray | None, i: int, n: int) -> tuple[int, int]:
    """(b, c) for the analogy a - b + c with a = item i of n: b the first other item of a's label, c the
    first item of another label (unlabelled, every item shares one label); i itself where there is none."""
    y = np.asarray(labels) if labels is not None else np.zeros(n, np.int64)
    same_label, other_label = np.flatnonzero((y == y[i]) & (np.arange(n) != i)), np.flatnonzero(y != y[i])
    return tuple(int(d[0]) if len(d) else i for d in (same_label, other_label))


# --- a decoder with an attribute slider ----------------------------------------------------------------


@torch.no_grad()
def attribute_decoder(model: nn.Module, direction: np.ndarray) -> nn.Sequential:
    """model.decoder taking one more input, a strength s: [z, s] (B, D + 1) -> the logits of decode(z + s * direction).

    The direction is folded into the first Linear layer (W (z + s v) + b = [W | W v] [z; s] + b), so the result
    is an ordinary decoder whose latent has one more dimension: the browser's decoder component then moves s
    live with a single slider while z stays put. It depends on the direction only, not on z, so one exported
    program serves every image. The later layers are shared with the model, not copied (nothing here trains).
    """
    decoder = getattr(model, "decoder", model)
    first = decoder[0] if isinstance(decoder, nn.Sequential) and len(decoder) else None
    if not isinstance(first, nn.Linear):
        raise ValueError("attribute_decoder needs a decoder (nn.Sequential) that starts with an nn.Linear")
    v = torch.as_tensor(np.asarray(direction, np.float64).reshape(-1))
    if v.numel() != first.in_features:
        raise ValueError(f"the direction must have {first.in_features} values, got {v.numel()}")
    w = first.weight.detach().cpu().double()
    folded = nn.Linear(first.in_features + 1, first.out_features, bias=first.bias is not None)
    folded = folded.to(first.weight.device, first.weight.dtype).eval()
    folded.weight.copy_(torch.cat([w, (w @ v)[:, None]], dim=1))
    if first.bias is not None:
        folded.bias.copy_(first.bias.detach())
    extended = nn.Sequential(folded, *list(decoder)[1:])
    extended.training = False  # not .eval(): that would also flip the shared layers of a model someone else holds
    return extended
