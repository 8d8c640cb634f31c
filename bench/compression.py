"""The Compression page's table of code lengths (rate, PNG sizes, distortion of every test image), side by side
in one run, interleaved after a warm-up round, one torch thread (as the app's server):

- baseline: the order of the page before 2026-11-29's change: the encoder's pass, then every image encoded to PNG
  twice, once for the file's size and once for its IDAT data's (`png_bits(image)`, `png_bits(image, headers=False)`);
  the decoder's pass for the distortion, which both orders make, is left out of it, so the ratio errs against the change
- table: `compression_table(..., encoded=)`: one PNG per image gives both sizes; the rates from given encodings
  (the map's, cached by the app)
- read back: `cached_table` from the checkpoint's cache folder, what a later server pays
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from bench import header, median, table


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench compression", description=__doc__)
    p.add_argument("--checkpoint", default="mnist-2d", help="checkpoint (default mnist-2d, the app's default)")
    p.add_argument("--reps", type=int, default=3, help="rounds after the warm-up (default 3)")
    p.add_argument("--quick", action="store_true", help="500 images, 1 counted round")
    args = p.parse_args(argv)

    import torch

    from vae_core import checkpoint as ckpt
    from vae_core.analysis import compression as cp
    from vae_core.data import load_dataset
    from vae_core.modality import encode_items

    torch.set_num_threads(1)
    header("compression: the Compression page's table of code lengths")
    path = ckpt.command_line_path(args.checkpoint)
    model, info = ckpt.load_checkpoint(path.name, root=path.parent)
    x = load_dataset(info.train_config.data, shared=True).x_test[:500 if args.quick else None]
    encoded = encode_items(model, x)

    def baseline():
        with torch.no_grad():
            model.encode(torch.as_tensor(x))
        return [cp.png_bits(im) for im in x], [cp.png_bits(im, headers=False) for im in x]

    cache = tempfile.TemporaryDirectory()
    runs = {"baseline: encoder pass, two PNGs per image": baseline,
            "table: one PNG per image, given encodings": lambda: cp.compression_table(model, x, encoded=encoded),
            "read back from the cache folder": lambda: cp.cached_table(model, x, encoded, cache_dir=cache.name)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for rep in range((1 if args.quick else args.reps) + 1):  # round 0 warms up (and fills the cache) uncounted
        for name, run in runs.items():
            t0 = time.perf_counter()
            out = run()
            if rep:
                times[name].append(time.perf_counter() - t0)
            if name.startswith("baseline"):
                expected = out
            elif not np.array_equal(out.png_bits, expected[0]) or not np.array_equal(out.png_data_bits, expected[1]):
                raise SystemExit(f"{name}: PNG sizes differ from the baseline's")
    cache.cleanup()
    base = median(times[next(iter(runs))])
    print(f"{args.checkpoint}: {len(x):,} test images of `{info.train_config.data}`, {len(times[next(iter(runs))])} "
          "counted rounds\n")
    print(table(["run", "median s", "x baseline", "per round s"],
                [[name, median(t), median(t) / base, " ".join(f"{v:.2f}" for v in t)] for name, t in times.items()]))
    return 0
