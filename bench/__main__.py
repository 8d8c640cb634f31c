"""`python -m bench <name> [options]`: run one benchmark and print its table (see bench/README.md)."""

from __future__ import annotations

import importlib
import sys

NAMES = {
    "train": "images/s: vae_core's Trainer vs a bare PyTorch loop; the app's path vs the CLI's",
    "quality": "-ELBO, recon, KL, IWAE NLL, active units after 10 epochs (via the CLI)",
    "drag": "images per second while dragging: in-browser decoder vs a native st.slider",
    "latency": "committed change (slider release, map click) -> updated page, in the real app",
    "startup": "server start -> interactive Explore page, cold and warm",
    "map": "encoding and projection time for 10k / 70k points; Scattergl pan frame time",
    "pages": "every page: sidebar click -> page drawn, first visit and again",
    "text": "text VAE vs a GRU language model of the same decoder: IWAE NLL, KL, active units (issue 13)",
    "text_speed": "text training s/epoch: vae_core's Trainer vs a bare loop of the same model; shuffled batches",
    "imports": "start-up of `info` vs `import torch`; a whole CLI training process vs a bare PyTorch script",
    "compression": "the Compression page's code-length table: one PNG per image vs two, and read back from disk",
    "codec": "bits-back ANS file size vs -ELBO, PNG, gzip, bz2, lzma, WebP; encode/decode images/s",
    "dist": "torchrun data-parallel training (2 CPU processes, gloo) vs one process: test -ELBO, images/s",
    "pointmap": "request -> map drawn: plotly vs the canvas point_map, same points; redraw ms while panning",
    "replicas": "N browser sessions through nginx on 2 replicas: sticky, MB per session, sessions per core",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in NAMES:
        print("usage: python -m bench <name> [options]   (python -m bench <name> --help for options)\n")
        for name, what in NAMES.items():
            print(f"  {name:<8} {what}")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(f"bench.{argv[0]}")
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
