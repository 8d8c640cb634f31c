"""`python -m explorer [--port N]`: import the heavy modules, then serve explorer/app.py headless.

Streamlit runs in this process, so torch, plotly and umap are already imported when the first
visitor arrives (DESIGN.md, "Start-up": ~7 s of imports otherwise land on the first page view).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def warm_imports() -> float:
    """Import what the pages import, heaviest first; returns the seconds it took."""
    t0 = time.perf_counter()
    import plotly.graph_objects  # noqa: F401
    import sklearn.datasets  # noqa: F401  (digits)
    import torch  # noqa: F401
    import torch._dynamo  # noqa: F401  (the first optimiser step imports it: seconds on the Train page)
    import umap  # noqa: F401  (pulls in numba)

    import vae_core.checkpoint  # noqa: F401
    import vae_core.latent  # noqa: F401
    import vae_core.metrics  # noqa: F401

    return time.perf_counter() - t0


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

    print(f"Latent Lab: importing torch, plotly, umap... ({warm_imports():.1f} s)", file=sys.stderr)
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
