"""Bits-back coding with asymmetric numeral systems (BB-ANS; Townsend, Bird & Barber 2019, arXiv:1901.04866):
a trained VAE as a lossless compressor, on constriction's ANS coder: binary images with a Bernoulli model,
8-bit images (pixels k / 255) with a beta-binomial one.

Per block of images, encoding (the ANS coder is a stack; decoding runs the same steps backwards, last block
first):

1. pop z from q(z|x) for every image of the block: z is discretised into K = 2**latent_bits buckets per
   dimension whose edges are the prior's quantiles, so the prior is uniform over buckets and each bucket's
   posterior mass is a difference of two Gaussian CDFs. Popping reads bits already on the stack: these are the
   bits that come back.
2. push the block's pixels under the decoder's likelihood p(x|z) (Bernoulli, or beta-binomial over 256
   levels) at the buckets' centres (the prior's median in each);
3. push the block's z under the prior: uniform over the K buckets, latent_bits bits per dimension.

Net cost per image is about -log p(x|z) + log q(z|x) - log p(z) bits, the -ELBO. The first block has nothing
to pop from, so the stack starts with `seed_words(...)` pseudo-random 32-bit words (a fixed seed, so a file
is reproducible); they are part of the output and counted in its size, and decoding must end on exactly them,
which checks the whole run.

Why blocks: one image at a time, each image cost two batch-1 model calls whose float64 matrix-vector products
read every weight (3 MB for a 784-512-256 MLP), 128 images/s. A block runs the model once for all its images.
The first block is one image (the seed only has to cover one pop of z); blocks then grow with what the stack
holds, up to max_block images (`block_sizes`). A block of 1 is the per-image order of the file format's
version 1.

Float determinism: the decoder must hand constriction the very floats the encoder did. Both sides run a
float64 copy of the model on the same blocks (same images, same batch size: a batch of other size may sum in
another order) with one torch thread (another thread count may split a sum differently). A file therefore
decodes with the same weights on the same torch build and CPU kind; decoding that ends off the seed reports it.
"""

from __future__ import annotations

import contextlib
import copy
import math
from dataclasses import dataclass

import numpy as np
import torch

LATENT_BITS = 8  # 256 buckets per dimension: ~0.01 wide near 0, far finer than a posterior's std
SEED = 0x5EED
MAX_BLOCK = 64  # images per model call once the stack is full enough; a file records its own


class CodecError(ValueError):
    """A file or an input the codec cannot handle; the message says what and why."""


@dataclass
class CodedBatch:
    """The ANS stack after coding a batch: uint32 words, the seed words it started from (counted in it), and the
    largest block the images were coded in (`block_sizes`)."""

    words: np.ndarray
    seed_words: int
    max_block: int = MAX_BLOCK


def _constriction():
    import constriction  # imported when coding: the rest of vae_core does not need it

    return constriction.stream


CODED = {"bernoulli": 2, "beta-binomial": 256}  # the likelihoods the codec codes, and their pixel levels


def levels(model) -> int:
    """Pixel levels the model codes (2 or 256), or CodecError for a likelihood without discrete pixels."""
    if model.config.likelihood not in CODED:
        raise CodecError(f"the codec needs a Bernoulli (binary pixels) or beta-binomial (8-bit pixels) model; this "
                         f"one has a {model.config.likelihood} likelihood")
    return CODED[model.config.likelihood]


def check_pixels(model, x: np.ndarray) -> np.ndarray:
    """x (N, C, H, W) in [0, 1] -> int32 pixel levels (0/1, or k for k / 255), or CodecError if the model or the
    pixels cannot be coded: a Bernoulli model codes exactly 0 or 1 (a grey level has no probability under it),
    a beta-binomial one the 8-bit levels k / 255."""
    n_levels = levels(model)
    x = np.asarray(x)
    if x.ndim != 4 or tuple(x.shape[1:]) != tuple(model.config.input_shape):
        raise CodecError(f"images are {tuple(x.shape[1:]) if x.ndim == 4 else x.shape}, the model codes "
                         f"{tuple(model.config.input_shape)}")
    k = np.rint(np.asarray(x, np.float64) * (n_levels - 1))
    ok = (np.abs(x * (n_levels - 1.0) - k) < 1e-3) & (k >= 0) & (k <= n_levels - 1)
    if not ok.all():
        bad = int((~ok.reshape(len(x), -1)).any(1).sum())
        if n_levels == 2:
            raise CodecError(f"{bad} of {len(x)} images have grey levels, but this model codes binary pixels (0 or "
                             "1) only; binarise them first (e.g. --data mnist-bin)")
        raise CodecError(f"{bad} of {len(x)} images have pixels between the 256 levels k / 255 (or outside [0, 1]) "
                         "that this 8-bit model codes")
    return k.astype(np.int32)


def to_unit(model, pixel_levels: np.ndarray) -> np.ndarray:
    """Decoded pixel levels -> float32 images in [0, 1], as the dataset holds them."""
    return (np.asarray(pixel_levels, np.float32) / (levels(model) - 1)).astype(np.float32)


def beta_binomial_probs(logits: torch.Tensor, log_conc: torch.Tensor) -> torch.Tensor:
    """P(k), k = 0..255, of each pixel under losses.beta_binomial_nll's model: (...) -> (..., 256), float64.

    From the ratio P(k+1) / P(k) = (n-k)(k+a) / ((k+1)(n-k-1+b)): 255 logs per pixel instead of six lgammas per
    level. a and b are floored at 1e-300, where a sigmoid underflowed to 0 in float64.
    """
    n = 255
    conc = torch.exp(log_conc).expand_as(logits)[..., None]
    a = (conc * torch.sigmoid(logits)[..., None]).clamp_min(1e-300)
    b = (conc * torch.sigmoid(-logits)[..., None]).clamp_min(1e-300)
    k = torch.arange(n, dtype=torch.float64)
    log_ratio = torch.log((n - k) * (k + a)) - torch.log((k + 1) * (n - k - 1 + b))
    log_p = torch.cat([torch.zeros_like(log_ratio[..., :1]), torch.cumsum(log_ratio, -1)], -1)
    return torch.softmax(log_p, -1)


class BucketPrior:
    """K prior-quantile buckets per latent dimension of a N(0, I) prior."""

    def __init__(self, latent_bits: int = LATENT_BITS):
        if not 1 <= latent_bits <= 16:
            raise CodecError(f"latent_bits must be 1..16, got {latent_bits}")
        self.k = 1 << latent_bits
        q = torch.arange(self.k + 1, dtype=torch.float64) / self.k
        self.edges = torch.special.ndtri(q)  # -inf ... +inf
        self.centres = torch.special.ndtri((torch.arange(self.k, dtype=torch.float64) + 0.5) / self.k)

    def posterior_masses(self, mu: torch.Tensor, logvar: torch.Tensor) -> np.ndarray:
        """q(bucket | x) for each dimension: (..., D) -> (..., D, K) float64, each row summing to ~1."""
        t = (self.edges - mu[..., None]) / torch.exp(0.5 * logvar)[..., None]  # standardised edges (..., D, K+1)
        # Each CDF once per edge (a bucket shares its edges with its neighbours), both tails: above the mean,
        # differences of upper tails keep their precision (1 - 0.9999... would not).
        lower, upper = torch.special.ndtr(t), torch.special.ndtr(-t)
        masses = torch.where(t[..., :-1] > 0, upper[..., :-1] - upper[..., 1:], lower[..., 1:] - lower[..., :-1])
        return masses.clamp_min(0.0).numpy()


@contextlib.contextmanager
def _one_thread():
    """One torch thread while coding (see the module docstring), the caller's count restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _Nets:
    """The model in float64, one block of images per call: the same floats on the encoding and decoding side."""

    def __init__(self, model, prior: BucketPrior):
        self.model = copy.deepcopy(model).to("cpu", torch.float64).eval()
        self.prior = prior

    @torch.no_grad()
    def posterior(self, x: np.ndarray) -> np.ndarray:
        """Images (B, C, H, W) -> bucket masses (B * D, K), image by image."""
        mu, logvar = self.model.encode(torch.as_tensor(x, dtype=torch.float64))
        return self.prior.posterior_masses(mu, logvar).reshape(-1, self.prior.k)

    @torch.no_grad()
    def pixel_probs(self, z_idx: np.ndarray, block: int) -> np.ndarray:
        """Bucket indices (B * D,) -> p(pixel = 1 | z) (B * C * H * W,) for a Bernoulli model, P(level | z)
        (B * C * H * W, 256) for a beta-binomial one, image by image."""
        z = self.prior.centres[torch.as_tensor(z_idx, dtype=torch.long)].reshape(block, -1)
        logits = self.model.decode(z)
        if self.model.config.likelihood == "beta-binomial":
            return beta_binomial_probs(logits, self.model.log_conc).reshape(-1, 256).numpy()
        return torch.sigmoid(logits).flatten().numpy()


def block_sizes(n: int, max_block: int = MAX_BLOCK) -> list[int]:
    """How n images are cut into blocks, first block first: 1, 1, ..., then a quarter of the images coded so
    far, up to max_block. A block pops its z (up to latent_bits per dimension each) from what the blocks before
    it pushed (an image's -ELBO, over 100 bits for MNIST), so it stays well below what the stack holds; popping
    past the end would still decode exactly, but would cost bits."""
    if max_block < 1:
        raise CodecError(f"max_block must be at least 1, got {max_block}")
    sizes, done = [], 0
    while done < n:
        sizes.append(min(max_block, max(1, done // 4), n - done))
        done += sizes[-1]
    return sizes


def seed_words(latent_dim: int, latent_bits: int) -> np.ndarray:
    """Pseudo-random words to start the stack: enough for the first image's pop of z (at most
    latent_dim * latent_bits bits) and one spare word; the last word's top bit is set (a valid ANS head)."""
    n = math.ceil(latent_dim * latent_bits / 32) + 1
    words = np.random.default_rng(SEED).integers(0, 2**32, n, dtype=np.uint32)
    words[-1] |= np.uint32(1 << 31)
    return words


def _coders(model, latent_bits: int):
    """constriction's stream module, the bucket prior, and the coder models of z's posterior, the pixels and z's
    prior."""
    stream, prior = _constriction(), BucketPrior(latent_bits)
    categorical = stream.model.Categorical(perfect=False)
    pixels = stream.model.Bernoulli(perfect=False) if levels(model) == 2 else categorical
    return stream, prior, (categorical, pixels, stream.model.Uniform(prior.k))


def encode(model, x: np.ndarray, latent_bits: int = LATENT_BITS, max_block: int = MAX_BLOCK) -> CodedBatch:
    """BB-ANS-encode binary images x (N, C, H, W) with `model`; see the module docstring for the order."""
    pixels = check_pixels(model, x)
    stream, prior, (categorical, pixel_model, uniform) = _coders(model, latent_bits)
    nets = _Nets(model, prior)
    seed = seed_words(model.config.latent_dim, latent_bits)
    coder = stream.stack.AnsCoder(seed.copy(), seal=False)
    start = 0
    with _one_thread():
        for size in block_sizes(len(x), max_block):
            # The levels' images, not x itself: the decoder rebuilds exactly these floats (x may differ in a last bit)
            images = to_unit(model, pixels[start:start + size]).astype(np.float64)
            z_idx = coder.decode(categorical, nets.posterior(images))
            coder.encode_reverse(pixels[start:start + size].reshape(-1), pixel_model, nets.pixel_probs(z_idx, size))
            coder.encode_reverse(z_idx, uniform)
            start += size
    return CodedBatch(coder.get_compressed().copy(), len(seed), max_block)


def decode(model, words: np.ndarray, n: int, latent_bits: int = LATENT_BITS, max_block: int = MAX_BLOCK) -> np.ndarray:
    """Decode n images from BB-ANS words -> uint8 pixel levels (n, C, H, W): 0/1, or 0..255 for an 8-bit model
    (`to_unit` makes images of them); CodecError if the words do not decode to n images ending on the seed
    (corrupt data, another model, or other floats on this machine)."""
    stream, prior, (categorical, pixel_model, uniform) = _coders(model, latent_bits)
    nets = _Nets(model, prior)
    shape, d = tuple(model.config.input_shape), model.config.latent_dim
    seed = seed_words(d, latent_bits)
    words = np.asarray(words, np.uint32)
    if len(words) == 0 or words[-1] == 0:
        raise CodecError("the coded data is empty or does not end on a valid ANS head")
    coder = stream.stack.AnsCoder(words.copy(), seal=False)
    out = np.empty((n, *shape), np.uint8)
    end = n
    try:
        with _one_thread():
            for size in reversed(block_sizes(n, max_block)):
                z_idx = coder.decode(uniform, size * d)
                bits = coder.decode(pixel_model, nets.pixel_probs(z_idx, size))
                out[end - size:end] = bits.reshape(size, *shape)
                images = to_unit(model, out[end - size:end]).astype(np.float64)
                coder.encode_reverse(z_idx, categorical, nets.posterior(images))
                end -= size
    except (ValueError, RuntimeError, AssertionError) as e:  # constriction's words for an exhausted stack
        raise CodecError(f"the coded data does not decode with this model ({e})") from e
    left = coder.get_compressed()
    if not np.array_equal(left, seed):
        raise CodecError("decoding did not end on the codec's seed: the data was coded by another model, is "
                         "corrupt, or this machine computes the model's probabilities differently")
    return out


@torch.no_grad()
def neg_elbo_bits(model, x: np.ndarray, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """A one-sample estimate of each image's -ELBO, in bits (N,) float64: the continuous-latent code length
    that the file's size approaches (recon at z ~ q(z|x), plus the analytic KL)."""
    from ..losses import kl_divergence, reconstruction_nll

    m = copy.deepcopy(model).to("cpu", torch.float64).eval()
    gen = torch.Generator().manual_seed(seed)
    out = []
    for start in range(0, len(x), batch_size):
        xb = torch.as_tensor(np.asarray(x[start:start + batch_size]), dtype=torch.float64)
        mu, logvar = m.encode(xb)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen, dtype=torch.float64)
        out.append((reconstruction_nll(m, m.decode(z), xb) + kl_divergence(mu, logvar)).numpy() / math.log(2))
    return np.concatenate(out) if out else np.zeros(0)
