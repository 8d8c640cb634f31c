"""The text side of `python -m vae_core train|evaluate|sample` (cli.py dispatches here for text checkpoints and
text data specs): the text model's defaults, its evaluation numbers and printed samples."""

from __future__ import annotations

import sys

from ..config import ConfigError
from .model import TextModelConfig

# Training defaults for text where the flag is not given (the image defaults have no remedies): free bits 0.125
# nats on each of 32 dimensions keep ~4 nats of KL in play and the KL weight warms up over 2 epochs. Word dropout
# is off: on pydoc (10 epochs, bench/README.md "text") a quarter of the decoder's input blanked cost 20 nats of
# test NLL (214.4 against 194.6) for the same KL.
TRAIN_DEFAULTS = {"batch_size": 64, "warmup_epochs": 2.0, "word_dropout": 0.0, "free_bits": 0.125}
MODEL_DEFAULTS = {"latent_dim": 32, "embed_dim": 64, "hidden": 128}


def train_overrides(given: dict) -> dict:
    """The text training defaults, overridden by the flags the user gave."""
    return {**TRAIN_DEFAULTS, **given}


def model_config(args, dataset) -> TextModelConfig:
    """The text model for a dataset from the train flags (--arch gru or none, --latent-dim, --embed-dim, --hidden
    with one width, --pooled-encoder); image-only flags are refused rather than ignored."""
    if args.arch not in (None, "gru"):
        raise ConfigError(f"--arch {args.arch} is for images; text data takes --arch gru")
    image_only = [f"--{n.replace('_', '-')}" for n in ("channels", "fc_width", "res_blocks", "activation",
                                                         "likelihood", "gaussian_std") if getattr(args, n) is not None]
    if image_only:
        raise ConfigError(f"{', '.join(image_only)}: for image models only")
    if args.hidden is not None and len(args.hidden) != 1:
        raise ConfigError(f"--hidden for a text model is one GRU width, e.g. 256; got {args.hidden}")
    given = {"latent_dim": args.latent_dim, "embed_dim": args.embed_dim,
             "hidden": args.hidden[0] if args.hidden else None, "pooled_encoder": args.pooled_encoder}
    sizes = {**MODEL_DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
    return TextModelConfig(alphabet=dataset.vocab.alphabet, **sizes)


def evaluate(args, model, dataset, device: str, bar) -> dict:
    """`evaluate` for a text model: the numbers of text.metrics.evaluate_text, the exact-reconstruction rate
    included; printed as JSON or as a table."""
    from .metrics import evaluate_text

    # the test lines in the model's own vocabulary: another corpus may hold characters it never saw (unk)
    x_test = model.config.vocab.encode_batch(dataset.lines_test)
    result = evaluate_text(model, x_test, iwae_k=args.iwae_k, device=device, exact=True,
                           progress=lambda done, total: bar.update(done - bar.n))
    return result.to_dict()


def sample(args, model) -> int:
    """`sample` for a text model: print --n sentences decoded from z ~ N(0, I), one a line on stdout."""
    import torch

    if args.out is not None:
        raise ConfigError("--out writes a PNG of image samples; a text model prints its sentences")
    n = args.n if args.n is not None else 10
    if not 1 <= n <= 4096 or not args.temperature > 0:
        raise ConfigError("--n must be 1..4096 and --temperature positive")
    lines = model.sample(n, temperature=args.temperature, greedy=args.greedy,
                         generator=torch.Generator().manual_seed(args.seed))
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0
