"""The bits-back codec on a test set, side by side in one run (issue 17's targets):

file bits per dimension (seed included) vs the model's mean -ELBO in bits per dimension vs PNG, gzip, bz2,
lzma and WebP-lossless on the same images; encode and decode images per second; whether decoding is exact.
Targets on binarised MNIST's 10,000 test images: file <= 0.17 bits/dim and within 1% of -ELBO; encode and
decode >= 200 images/s each on 2 cores.

Speed is also measured side by side against the per-image order of the codec before blocks (`--baseline-block
1`: one image per model call, the very words the version-1 code wrote) on the same images in the same run, and
reported as a ratio; `--baseline-block 0` skips it.
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
    p.add_argument("--max-block", type=int, help="images per model call (default: the codec's MAX_BLOCK)")
    p.add_argument("--baseline-block", type=int, default=1, help="block size of the side-by-side baseline "
                   "(default 1: the per-image order; 0: no baseline)")
    args = p.parse_args(argv)

    from vae_core import checkpoint as ckpt
    from vae_core.analysis.codec import MAX_BLOCK, neg_elbo_bits, to_unit
    from vae_core.analysis.codec_baselines import baseline_sizes
    from vae_core.analysis.codec_file import compress, decompress
    from vae_core.data import load_dataset

    header("codec: bits-back ANS vs PNG, gzip, bz2, lzma, WebP")
    path = ckpt.command_line_path(args.checkpoint)
    model, info = ckpt.load_checkpoint(path.name, root=path.parent)
    x = load_dataset(args.data or info.train_config.data).x_test[:100 if args.quick else args.limit]
    dims = x.size

    def timed(block):
        t0 = time.perf_counter()
        data = compress(model, x, info.name, info.weights_sha256, max_block=block)
        t1 = time.perf_counter()
        back = to_unit(model, decompress(model, data, info.name, info.weights_sha256))
        t2 = time.perf_counter()
        return data, back, len(x) / (t1 - t0), len(x) / (t2 - t1)

    block = args.max_block or MAX_BLOCK
    base = timed(args.baseline_block) if args.baseline_block else None
    data, back, enc, dec = timed(block)
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
    exact = np.array_equal(back, x) and (base is None or np.array_equal(base[1], x))
    print(f"file / -ELBO: {file_bpd / elbo:.4f}  blocks of up to {block}: encode {enc:.0f} images/s  decode "
          f"{dec:.0f} images/s  exact: {exact}")
    if base is not None:
        print(f"baseline, blocks of up to {args.baseline_block}: {8 * len(base[0]) / dims:.4f} bits/dim, encode "
              f"{base[2]:.0f} images/s  decode {base[3]:.0f} images/s  -> ratio encode {enc / base[2]:.2f}x  "
              f"decode {dec / base[3]:.2f}x")
    return 0 if exact else 1
