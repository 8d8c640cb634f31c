"""`python -m explorer [--port N] [--served]`: import the heavy modules, then serve explorer/app.py headless.

Streamlit runs in this process, so what the Explore page imports is already imported when the server
is up and the first visitor arrives (docs/ARCHITECTURE.md, "Start-up": seconds of imports otherwise land on the
first page view). umap (numba) and torch._dynamo are left to the pages that use them: importing them
here made the start 1.8 s slower, and training runs in its own process (vae_core.jobs.worker).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


# What the Explore page imports (sklearn: the digits test set; PIL: Streamlit reads the favicon with it).
WARM_MODULES = ("torch", "PIL.Image", "plotly.graph_objects", "sklearn.datasets", "vae_core.checkpoint",
                "vae_core.latent", "vae_core.metrics")


def warm_imports() -> float:
    """Import WARM_MODULES; returns the seconds it took."""
    t0 = time.perf_counter()
    for name in WARM_MODULES:
        importlib.import_module(name)
    return time.perf_counter() - t0


def warm_default_checkpoint(root: Path) -> float:
    """Do before serving what the first visitor would otherwise wait for (bench/README.md, "startup"): read the
    default checkpoint's dataset into vae_core.data's memory cache (MNIST: 70,000 images unzipped and checked,
    about a second), load the model (torch's first calls of a few ops are slow), and encode the test set into
    the checkpoint's disk cache, where the app's loader finds it (2-3 s for MNIST on 2 cores). Returns the
    seconds it took. Does nothing if the default is missing or unreadable: the app then says why."""
    from explorer.shared import DEFAULT_CHECKPOINT
    from vae_core import checkpoint as ck
    from vae_core import modality
    from vae_core.data import DataError, load_dataset
    from vae_core.served import PathRefused, server_spec

    t0 = time.perf_counter()
    try:  # served, the default's data too stays inside the data folder (the pages then say why it does not open)
        model, info = ck.load_checkpoint(DEFAULT_CHECKPOINT, root)
        items = modality.items_of(load_dataset(server_spec(info.train_config.data), shared=True))[0]
        modality.encode_items(model, items, cache_dir=ck.cache_dir(info))
    except (ck.CheckpointError, DataError, PathRefused):
        pass
    return time.perf_counter() - t0


def settle_interpreter() -> None:
    """Take two one-off costs off the first page view. Streamlit's first element asks inspect.stack() whether
    it runs in a REPL, and inspect's first walk resolves the file of every loaded module (0.7 s measured);
    walking once here leaves only the modules imported later. And a full garbage collection now, then
    freezing what survived, keeps the imported modules out of every later collection (server_tuning)."""
    inspect.stack()
    gc.collect()
    gc.freeze()


def checkpoints_folder(given: str | None) -> Path:
    """The absolute checkpoints folder to serve: --checkpoints, else $LATENT_LAB_CHECKPOINTS, else ./checkpoints
    if there is one, else the repository's. Relative paths keep meaning what they meant where the user typed them."""
    here = given or os.environ.get("LATENT_LAB_CHECKPOINTS") or ("checkpoints" if Path("checkpoints").is_dir() else "")
    return Path(here).expanduser().resolve() if here else REPO / "checkpoints"


def served_environment(served: bool, data_dir: str | None) -> dict[str, str]:
    """The environment that puts the app in served mode (vae_core.served): with --served, typed folders are
    confined to DATA_DIR (absolute), or read not at all without one. Empty for a local app."""
    if not served:
        return {}
    return {"LATENT_LAB_SERVED": "1", "LATENT_LAB_DATA_DIR": str(Path(data_dir).expanduser().resolve()) if data_dir
            else ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    parser.add_argument("--address", default=None, help="address to bind (default: all interfaces)")
    parser.add_argument("--checkpoints", metavar="DIR", default=None,
                        help="folder of checkpoints to open (default: $LATENT_LAB_CHECKPOINTS, else ./checkpoints, "
                             "else the repository's bundled ones)")
    parser.add_argument("--served", action="store_true",
                        help="serve to others: the Train page reads no folder from this disk outside --data-dir")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="with --served: the folder whose subfolders visitors may train on (default: none, "
                             "uploads only)")
    args = parser.parse_args(argv)
    if args.data_dir is not None and not args.served:
        parser.error("--data-dir applies to a served app: add --served")
    if args.data_dir is not None and not Path(args.data_dir).expanduser().is_dir():
        parser.error(f"--data-dir {args.data_dir}: no such folder")
    if args.checkpoints is not None and not Path(args.checkpoints).expanduser().is_dir():
        parser.error(f"--checkpoints {args.checkpoints}: no such folder")

    # Streamlit reads .streamlit/config.toml from the working directory, so resolve the folder first.
    root = checkpoints_folder(args.checkpoints)
    os.environ["LATENT_LAB_CHECKPOINTS"] = str(root)
    os.environ.update(served_environment(args.served, args.data_dir))
    os.chdir(REPO)
    sys.path.insert(0, str(REPO))

    print(f"Latent Lab: importing torch, plotly, vae_core... ({warm_imports():.1f} s)", file=sys.stderr)
    print(f"Latent Lab: loading the default checkpoint and its data... ({warm_default_checkpoint(root):.1f} s)",
          file=sys.stderr)
    settle_interpreter()
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    # app.py routes with st.navigation. A checkout from before the pages moved to explorer/views/ may still hold
    # an explorer/pages/ folder (git keeps its ignored, generated static/ files), and Streamlit would then treat
    # it as a legacy pages folder for a fresh server's first request: "Page not found" over /interpolate.
    PagesManager.uses_pages_directory = False

    flags = ["--server.headless", "true", "--server.port", str(args.port)]
    if args.address:
        flags += ["--server.address", args.address]
    return cli.main(["run", str(REPO / "explorer" / "app.py"), *flags], prog_name="streamlit",
                    standalone_mode=True) or 0


if __name__ == "__main__":
    sys.exit(main())
