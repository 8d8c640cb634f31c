"""Anomaly detection with a VAE: score each image by -ELBO (or the IWAE bound) in nats, compare with
out-of-distribution sets that need no download, and turn a score into a plain verdict.

A high score means the model finds the image unlikely: -ELBO >= -log p(x). Images are float32
(N, C, H, W) in [0, 1]; scores are float64 (N,) nats per image.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..array_cache import cache_file, load_or_compute
from ..data import load_dataset, parse_spec
from ..losses import iwae_log_likelihood, kl_divergence, reconstruction_nll
from ..metrics import IWAE_CHUNK, IWAE_PIXEL_BUDGET

OOD_SIZE = 500  # images per out-of-distribution set: enough for a smooth histogram, quick to score
DEFAULT_QUANTILE = 0.99  # threshold: 1% of in-distribution test images are flagged (false alarms)
SCORE_CACHE_VERSION = 1  # bump when what score_items returns changes, so old cache files miss
SLOW_PIXELS = 2e7  # pixels decoded by one scoring beyond which the Anomaly page warns: about 30 s when it was set


@torch.no_grad()
def score_images(model, x: np.ndarray, iwae_k: int = 0, batch_size: int = 500, seed: int = 0,
                 encoded: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Per-image anomaly scores (N,) float64 in nats: -ELBO (one seeded z each) or, if iwae_k > 0, the
    IWAE estimate of -log p(x) with k samples (Burda et al. 2016). `encoded`, the images' (mu, logvar) already
    at hand (modality.encode_items), spares the -ELBO the encoder.

    Uses the same noise as metrics.evaluate, so the mean of the -ELBO scores equals its neg_elbo.
    The global torch RNG and the model's train/eval mode are left as they were.
    """
    n = len(x)
    if n == 0:
        return np.zeros(0, np.float64)
    was_training = model.training
    model.eval()
    eps_all = torch.randn((n, model.config.latent_dim), generator=torch.Generator().manual_seed(seed))
    chunk = 1
    if iwae_k > 0:  # bound the pixels decoded per call, as metrics.evaluate does
        per_call = max(1, IWAE_PIXEL_BUDGET // model.config.n_pixels)
        chunk = min(iwae_k, IWAE_CHUNK, per_call)
        batch_size = max(1, min(batch_size, per_call // chunk))
    scores = []
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            for start in range(0, n, batch_size):
                xb = torch.as_tensor(np.asarray(x[start:start + batch_size], np.float32))
                if iwae_k > 0:
                    scores.append(-iwae_log_likelihood(model, xb, iwae_k, chunk=chunk).double())
                    continue
                if encoded is None:
                    mu, logvar = model.encode(xb)
                else:
                    mu, logvar = (torch.as_tensor(a[start:start + batch_size]) for a in encoded)
                z = mu + torch.exp(0.5 * logvar) * eps_all[start:start + batch_size].to(mu.dtype)
                recon = reconstruction_nll(model, model.decode(z), xb)
                scores.append(recon.double() + kl_divergence(mu, logvar).double())
    finally:
        model.train(was_training)
    return torch.cat(scores).numpy()


def resize_images(x: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Images (N, C, H, W) in [0, 1] -> (N, C', H', W') float32 for shape (C', H', W').

    An area average when shrinking, antialiased bilinear otherwise, so values stay in [0, 1]; grey becomes
    RGB by repeating, RGB becomes grey by the usual luminance weights.
    """
    c, h, w = (int(s) for s in shape)
    t = torch.as_tensor(np.ascontiguousarray(x, np.float32))
    if t.ndim != 4 or t.shape[1] not in (1, 3) or c not in (1, 3):
        raise ValueError(f"need images (N, 1 or 3, H, W) and a target (1 or 3, H, W), got {tuple(t.shape)} -> {shape}")
    if t.shape[1] == 3 and c == 1:
        t = (t * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    elif t.shape[1] == 1 and c == 3:
        t = t.expand(-1, 3, -1, -1)
    if tuple(t.shape[2:]) != (h, w) and len(t):
        if h <= t.shape[2] and w <= t.shape[3]:  # shrinking: each new pixel averages the area it covers
            t = F.interpolate(t, size=(h, w), mode="area")
        else:
            t = F.interpolate(t, size=(h, w), mode="bilinear", antialias=True, align_corners=False)
    return t.clamp(0.0, 1.0).contiguous().numpy()


def ood_sets(spec: str, image_shape: tuple[int, int, int], seed: int = 0, n: int = OOD_SIZE) -> dict[str, np.ndarray]:
    """Out-of-distribution sets for a model trained on `spec`, each (n, *image_shape) in [0, 1].

    Built from embedded or generated data only, deterministically from the seed:
    other built-in datasets (shapes for a model of digits; for MNIST also the 8x8 digits scaled up, written by
    other hands and blurred; digits for any other), uniform noise, and the model's own test images inverted
    (1 - x) and rotated by 90 degrees.
    """
    from .. import shapes

    kind, _ = parse_spec(spec)
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in image_shape)
    sets = {}
    if kind in ("digits", "mnist"):
        sets["shapes"] = shapes.generate(n, size=32, seed=seed + 1)[0]
    if kind != "digits":
        digits = load_dataset("digits").x_test
        sets["digits 8×8" if kind == "mnist" else "digits"] = digits[rng.choice(len(digits), n,
                                                                                 replace=len(digits) < n)]
    sets["noise"] = rng.uniform(0.0, 1.0, (n, *shape)).astype(np.float32)
    own = load_dataset(spec).x_test
    own = own[rng.choice(len(own), n, replace=len(own) < n)]
    sets["inverted"] = 1.0 - own
    sets["rotated 90°"] = np.rot90(own, k=1, axes=(2, 3))
    return {name: resize_images(images, shape) for name, images in sets.items()}


def scoring_is_slow(n_pixels: int, n_test: int, iwae_k: int, n_sets: int = 4) -> bool:
    """Whether IWAE scoring of n_test images and n_sets out-of-distribution sets (OOD_SIZE images each) decodes
    more than SLOW_PIXELS pixels; -ELBO scoring (iwae_k = 0) decodes one sample per image and is never slow."""
    return bool(iwae_k) and n_pixels * (n_test + n_sets * OOD_SIZE) * iwae_k > SLOW_PIXELS


def threshold(scores_in: np.ndarray, quantile: float = DEFAULT_QUANTILE) -> float:
    """The score above which an image is called unusual: a quantile of in-distribution test scores."""
    return float(np.quantile(np.asarray(scores_in, np.float64), quantile))


def worst(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest (most unusual) scores, highest first."""
    return np.argsort(-np.asarray(scores), kind="stable")[:k]


@dataclass
class Verdict:
    """An image's score against the threshold; `percentile` is the share of test images scoring lower."""

    score: float
    threshold: float
    percentile: float
    anomalous: bool
    message: str


def verdict(score: float, scores_in: np.ndarray, quantile: float = DEFAULT_QUANTILE) -> Verdict:
    """Compare one score with the in-distribution scores' quantile and say what it means, plainly."""
    limit = threshold(scores_in, quantile)
    pct = 100.0 * float(np.mean(np.asarray(scores_in) < score))
    if not np.isfinite(score):
        return Verdict(float(score), limit, pct, True, "Unusual: the model cannot score this image at all.")
    if score > limit:
        text = (f"Unusual: it scores {score:.1f} nats, above the threshold of {limit:.1f} "
                f"(higher than {pct:.0f}% of test images). The model finds it unlike what it was trained on.")
    else:
        text = (f"Looks normal: it scores {score:.1f} nats, below the threshold of {limit:.1f} "
                f"(higher than {pct:.0f}% of test images). The model finds it like what it was trained on.")
    return Verdict(float(score), limit, pct, score > limit, text)


# --- any modality: the Anomaly page's entry points ------------------------------------------------------


def score_items(model, items, iwae_k: int = 0, encoded: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Scores (N,) in nats of the items modality.items_of gives: score_images for images, and for sentences
    text.anomaly.score_sentences (nats per sentence); `encoded` as there."""
    from ..modality import modality_of

    if modality_of(model.config) == "image":
        return score_images(model, items, iwae_k, encoded=encoded)
    from ..text.anomaly import score_sentences

    return score_sentences(model, items, iwae_k, encoded=encoded)


def cached_scores(model, items, iwae_k: int = 0, encoded: tuple[np.ndarray, np.ndarray] | None = None,
                  cache_dir: Path | None = None) -> np.ndarray:
    """score_items, kept in `cache_dir` (checkpoint.cache_dir, a folder keyed by the weights) in a file named by
    a hash of the items and the score, so a later server reads them back: scoring grammar's test and outside
    sets took 3-4 s of a first visit to the Anomaly page, IWAE on MNIST minutes."""
    from ..modality import items_digest

    path = None if cache_dir is None else cache_file(
        cache_dir, "scores", f"k{iwae_k}", items_digest(items, f"{SCORE_CACHE_VERSION}|{iwae_k}"))
    return load_or_compute(path, lambda: {"scores": score_items(model, items, iwae_k,
                                                                encoded=None if iwae_k else encoded)},
                           valid=lambda a: a.get("scores", np.zeros(0)).shape == (len(items),))["scores"]


def score_sets(model, sets: dict[str, np.ndarray], iwae_k: int = 0, encoded: dict | None = None,
               cache_dir: Path | None = None, workers: int | None = None) -> dict[str, np.ndarray]:
    """cached_scores of each named set (encoded: {name: (mu, logvar)} for the sets that have them).

    -ELBO scores take their noise from a seeded generator of their own, so the sets can run side by side in
    `workers` threads with the same result as one after another; the default, the cores over torch's threads,
    gives the server (one torch thread) both cores: 0.53-0.80x the time for grammar's four sets. IWAE draws from
    the global RNG and scores one set at a time. The global RNG and the model's mode are left as they were."""
    encoded = encoded or {}

    def one(name: str) -> np.ndarray:
        return cached_scores(model, sets[name], iwae_k, encoded=encoded.get(name), cache_dir=cache_dir)

    if workers is None:
        workers = max(1, (os.cpu_count() or 1) // torch.get_num_threads())
    workers = 1 if iwae_k else min(workers, len(sets))
    if workers <= 1:
        return {name: one(name) for name in sets}
    was_training = model.training
    model.eval()  # before the threads: each scorer restores the mode it found
    try:
        with torch.random.fork_rng(devices=[]), ThreadPoolExecutor(workers) as pool:
            return dict(zip(sets, pool.map(one, sets), strict=True))
    finally:
        model.train(was_training)


def ood_items(spec: str, model, seed: int = 0) -> dict[str, np.ndarray]:
    """The outside sets for a model trained on spec: ood_sets' images, or text.anomaly.ood_sentences."""
    from ..modality import modality_of

    if modality_of(model.config) == "image":
        return ood_sets(spec, tuple(model.config.input_shape), seed=seed)
    from ..text.anomaly import ood_sentences

    return ood_sentences(spec, load_dataset(spec).lines_test, model.config.alphabet, seed=seed)


def is_slow(model, n_test: int, iwae_k: int) -> bool:
    """scoring_is_slow for an image model; a text model decodes a sentence per sample, never slow by this count."""
    n_pixels = getattr(model.config, "n_pixels", None)
    return n_pixels is not None and scoring_is_slow(n_pixels, n_test, iwae_k)
