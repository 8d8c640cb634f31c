"""`python -m vae_core compress|decompress`: the bits-back codec on the command line (registered by cli.py).

compress codes the test split of a dataset spec (the first --limit images) into one file; decompress writes
them back as an .npz whose array `x` is uint8 (N, H, W) or (N, H, W, C), 0 and 255 for binary pixels, 0..255 for
8-bit ones: the
8-bit values of the images that went in, readable again as `--data npz:FILE`. Only argparse is imported at
module level: `python -m vae_core info` must not pay for torch or constriction.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def add_parsers(sub) -> None:
    """Add the compress and decompress subcommands to cli.py's subparsers (their handlers: COMMANDS)."""
    c = sub.add_parser("compress", help="compress a dataset's test images losslessly with bits-back ANS")
    c.add_argument("checkpoint", help="checkpoint folder of a Bernoulli or beta-binomial model: any path, or NAME")
    c.add_argument("--data", required=True, help="dataset spec whose test split is coded, e.g. mnist-bin")
    c.add_argument("--out", required=True, help="file to write")
    c.add_argument("--limit", type=int, help="code only the first N test images (default: all)")
    c.add_argument("--json", action="store_true",
                   help="print one JSON object: bits per dimension of the file, of PNG, gzip, bz2, lzma and "
                        "WebP-lossless on the same images, and the model's mean -ELBO")
    d = sub.add_parser("decompress", help="decompress a file written by compress back to images")
    d.add_argument("checkpoint", help="the checkpoint the file was compressed with")
    d.add_argument("file", help="the compressed file")
    d.add_argument("--out", required=True, help=".npz file to write (array x, uint8)")


def _load(ref: str):
    from .. import checkpoint as ckpt

    path = ckpt.command_line_path(ref)
    return ckpt.load_checkpoint(path.name, root=path.parent, device="cpu")


def cmd_compress(args: argparse.Namespace) -> int:
    """Code the test images of --data into --out; report sizes."""
    import numpy as np

    from ..atomic import write_atomic
    from ..data import load_dataset
    from .codec import neg_elbo_bits
    from .codec_baselines import baseline_sizes
    from .codec_file import compress, unpack

    if args.limit is not None and args.limit < 1:
        raise ValueError("--limit must be at least 1")
    model, info = _load(args.checkpoint)
    x = load_dataset(args.data).x_test[:args.limit]
    start = time.perf_counter()
    data = compress(model, x, info.name, info.weights_sha256)
    seconds = time.perf_counter() - start
    write_atomic(args.out, data)
    dims = int(np.prod(x.shape))
    header, _ = unpack(data)
    row = {"file": str(args.out), "images": len(x), "dims": dims, "bytes": len(data),
           "bits_per_dim": 8 * len(data) / dims, "seed_bits": 32 * header.seed_words,
           "encode_images_per_s": len(x) / seconds}
    if not args.json:
        print(f"wrote {args.out}: {len(x)} images in {len(data):,} bytes, {row['bits_per_dim']:.4f} bits per "
              f"dimension ({row['encode_images_per_s']:.0f} images/s)")
        return 0
    row["neg_elbo_bits_per_dim"] = float(neg_elbo_bits(model, x).sum() / dims)
    row["baselines"] = baseline_sizes(x)
    print(json.dumps(row))
    return 0


def cmd_decompress(args: argparse.Namespace) -> int:
    """Decode FILE with CHECKPOINT into an .npz of uint8 images."""
    import io

    import numpy as np

    from ..atomic import write_atomic
    from ..images import to_uint8
    from .codec import CodecError, to_unit
    from .codec_file import decompress

    try:
        with open(args.file, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CodecError(f"{args.file}: cannot read ({e.strerror or e})") from e
    model, info = _load(args.checkpoint)
    start = time.perf_counter()
    images = decompress(model, data, info.name, info.weights_sha256)
    seconds = time.perf_counter() - start
    buf = io.BytesIO()
    np.savez(buf, x=to_uint8(to_unit(model, images)))
    write_atomic(args.out, buf.getvalue())
    print(f"wrote {args.out}: {len(images)} images ({len(images) / seconds:.0f} images/s)", file=sys.stderr)
    return 0


COMMANDS = {"compress": cmd_compress, "decompress": cmd_decompress}
