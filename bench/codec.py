"""The bits-back codec on a test set, side by side in one run (issue 17's targets):

file bits per dimension (seed included) vs the model's mean -ELBO in bits per dimension vs PNG, gzip, bz2,
lzma and WebP-lossless on the same images; encode and decode images per second; whether decoding is exact.
Targets on binarised MNIST's 10,000 test images: file <= 0.17 bits/dim and within 1% of -ELBO; encode and
decode >= 200 images/s each on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench import header


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench codec", description=__doc__)
    p.add_argument("--checkpoint", default="mnist-bin", help="checkpoint (default mnist-bin)")
    p.add_argument("--data", help="dataset spec (default: the checkpoint's own)")
    p.add_argument("--limit", type=int, help="first N test images (default all)")
    p.add_argument("--quick", action="store_true", help="100 images")
    args = p.parse_args(argv)

    from vae_core import checkpoint as ckpt
    from vae_core.analysis.codec import neg_elbo_bits
    from vae_core.analysis.codec_baselines import baseline_sizes
    from vae_core.analysis.codec_file import compress, decompress
    from vae_core.data import load_dataset

    header("codec: bits-back ANS vs PNG, gzip, bz2, lzma, WebP")
    path = ckpt.command_line_path(args.checkpoint)
    model, info = ckpt.load_checkpoint(path.name, root=path.parent)
    x = load_dataset(args.data or info.train_config.data).x_test[:100 if args.quick else args.limit]
    dims = x.size
    t0 = time.perf_counter()
    data = compress(model, x, info.name, info.weights_sha256)
    t1 = time.perf_counter()
    back = decompress(model, data, info.name, info.weights_sha256)
    t2 = time.perf_counter()
    elbo = neg_elbo_bits(model, x).sum() / dims
    rows = [("bits-back ANS (this file)", len(data), 8 * len(data) / dims)]
    for name, row in baseline_sizes(x).items():
        rows.append((f"{name} ({row['input']})", row["bytes"], row["bits_per_dim"]) if row else (name, None, None))
    print(f"{len(x):,} images of {x.shape[1:]}, checkpoint {info.name} ({info.weights_sha256[:12]})\n")
    print("| format | bytes | bits/dim |\n|---|---:|---:|")
    for name, size, bpd in rows:
        print(f"| {name} | {size:,} | {bpd:.4f} |" if size is not None else f"| {name} | - | - |")
    print(f"| model mean -ELBO (one sample per image) | | {elbo:.4f} |\n")
    file_bpd = rows[0][2]
    print(f"file / -ELBO: {file_bpd / elbo:.4f}  encode {len(x) / (t1 - t0):.0f} images/s  decode "
          f"{len(x) / (t2 - t1):.0f} images/s  exact: {np.array_equal(back, x)}")
    return 0 if np.array_equal(back, x) else 1
