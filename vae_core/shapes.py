"""Procedural shape images with known generative factors (a small dSprites).

Each image holds one white shape on black. Its five factors are drawn
independently and uniformly, so they are ground truth for disentanglement:

- shape:    0 square, 1 circle, 2 triangle (see SHAPE_NAMES)
- x, y:     centre position in [0, 1] (0 = left / top edge of the allowed range)
- scale:    size in [0.5, 1]; at 1 the shape fills a disc of radius size/4
- rotation: angle in [0, pi/2) radians (a square repeats every pi/2, so a wider
            range would give different factor values for identical images)

Shapes are drawn from signed distances, vectorised over all images, with a
one-pixel anti-aliased edge: pixel = clip(0.5 - distance_in_pixels, 0, 1).
"""

from __future__ import annotations

import numpy as np

SHAPE_NAMES = ("square", "circle", "triangle")
SCALE_RANGE = (0.5, 1.0)
ROTATION_RANGE = (0.0, np.pi / 2)


def sample_factors(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw n independent factor tuples; shape is int64 [n], the others float32 [n]."""
    return {
        "shape": rng.integers(0, len(SHAPE_NAMES), size=n).astype(np.int64),
        "x": rng.uniform(0.0, 1.0, size=n).astype(np.float32),
        "y": rng.uniform(0.0, 1.0, size=n).astype(np.float32),
        "scale": rng.uniform(*SCALE_RANGE, size=n).astype(np.float32),
        "rotation": rng.uniform(*ROTATION_RANGE, size=n).astype(np.float32),
    }


def render(factors: dict[str, np.ndarray], size: int) -> np.ndarray:
    """Draw the shapes described by factors; returns float32 [N x 1 x size x size] in [0, 1]."""
    n = len(factors["shape"])
    radius = factors["scale"] * (size / 4)  # every shape fits in a disc of this radius
    # Keep the largest shape inside the image at any position: centres span the
    # image minus one maximal radius (plus a pixel for the soft edge) on each side.
    margin = SCALE_RANGE[1] * size / 4 + 1
    cx = margin + factors["x"] * (size - 2 * margin)
    cy = margin + factors["y"] * (size - 2 * margin)

    images = np.zeros((n, 1, size, size), dtype=np.float32)
    centres = np.arange(size, dtype=np.float32) + 0.5  # pixel centres
    for k in range(len(SHAPE_NAMES)):
        idx = np.flatnonzero(factors["shape"] == k)
        if idx.size == 0:
            continue
        dx = centres[None, None, :] - cx[idx, None, None]  # [n x 1 x W]
        dy = centres[None, :, None] - cy[idx, None, None]  # [n x H x 1]
        cos = np.cos(factors["rotation"][idx])[:, None, None]
        sin = np.sin(factors["rotation"][idx])[:, None, None]
        u = cos * dx + sin * dy  # pixel offsets in the shape's own rotated frame
        v = cos * dy - sin * dx
        dist = _signed_distance(k, u, v, radius[idx, None, None])
        images[idx, 0] = np.clip(0.5 - dist, 0.0, 1.0)
    return images


def generate(n: int, size: int = 32, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sample and draw n shapes from a seed; returns (images [N x 1 x S x S], factors)."""
    factors = sample_factors(n, np.random.default_rng(seed))
    return render(factors, size), factors


def _signed_distance(shape: int, u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Distance in pixels outside (+) or inside (-) the shape's edge."""
    if shape == 0:  # square with half-diagonal r
        return np.maximum(np.abs(u), np.abs(v)) - r / np.sqrt(2)
    if shape == 1:  # circle of radius 0.8 r: about the same area as the square
        return np.hypot(u, v) - 0.8 * r
    # Equilateral triangle with circumradius r: inside all three edges, each at
    # distance r/2 (the inradius) from the centre along its outward normal.
    dist = None
    for angle in (-np.pi / 2, np.pi / 6, 5 * np.pi / 6):
        edge = u * np.cos(angle) + v * np.sin(angle) - r / 2
        dist = edge if dist is None else np.maximum(dist, edge)
    return dist
