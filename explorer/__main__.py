"""`python -m explorer [--port N]`: serve explorer/app.py headless, importing the heavy modules meanwhile.

Streamlit runs in this process. The server starts at once and a background thread imports what the
Explore page needs (torch, plotly, vae_core), so those seconds overlap with the browser loading the
frontend instead of landing on the first page view (DESIGN.md, "Start-up"). Python's import lock makes
a page that needs a module still being imported wait for it. umap (numba) and torch._dynamo are left
to the pages that use them: importing them up front made the whole start 1.8 s slower.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


# What the Explore page imports, in the order it needs them (plotly first: app.py sends a chart before
# importing torch; sklearn: the digits test set).
WARM_MODULES = ("plotly.graph_objects", "torch", "vae_core.checkpoint", "vae_core.latent", "vae_core.metrics",
                "sklearn.datasets")


def warm_imports() -> float:
    """Import WARM_MODULES; returns the seconds it took."""
    t0 = time.perf_counter()
    for name in WARM_MODULES:
        importlib.import_module(name)
    seconds = time.perf_counter() - t0
    print(f"Latent Lab: imported torch, plotly and vae_core in the background ({seconds:.1f} s)", file=sys.stderr)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    parser.add_argument("--address", default=None, help="address to bind (default: all interfaces)")
    args = parser.parse_args(argv)

    # Streamlit reads .streamlit/config.toml from the working directory; a relative
    # $LATENT_LAB_CHECKPOINTS must keep meaning what it meant where the user typed it.
    here = os.environ.get("LATENT_LAB_CHECKPOINTS") or ("checkpoints" if Path("checkpoints").is_dir() else "")
    os.environ["LATENT_LAB_CHECKPOINTS"] = str(Path(here).resolve() if here else REPO / "checkpoints")
    os.chdir(REPO)
    sys.path.insert(0, str(REPO))

    threading.Thread(target=warm_imports, name="warm-imports", daemon=True).start()
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    # app.py routes with st.navigation; never treat explorer/pages/ as a legacy pages folder, not even
    # for the first request (see explorer.shared.run_through_app).
    PagesManager.uses_pages_directory = False

    flags = ["--server.headless", "true", "--server.port", str(args.port)]
    if args.address:
        flags += ["--server.address", args.address]
    return cli.main(["run", str(REPO / "explorer" / "app.py"), *flags], prog_name="streamlit",
                    standalone_mode=True) or 0


if __name__ == "__main__":
    sys.exit(main())
