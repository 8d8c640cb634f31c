"""Latent Lab: the only router. Pages, session state (once), the shared sidebar with the checkpoint picker.

Run with `python -m explorer` (imports the heavy modules before the first visitor) or
`streamlit run explorer/app.py`.
"""

import logging
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `streamlit run` puts only explorer/ on the path
    sys.path.insert(0, str(HERE.parent))

import streamlit as st  # noqa: E402

from explorer import lesson_bar, server_tuning, shared  # noqa: E402
from vae_core import checkpoint as ck  # noqa: E402

FAVICON = HERE / "assets" / "favicon.png"
# The page scripts. Not "pages/": Streamlit treats a pages/ folder beside the main script as legacy multipage
# navigation and, until a run calls st.navigation, serves a subpage's URL by running that file alone.
VIEWS = HERE / "views"
CSS = """<style>
[data-testid="stImage"] img { image-rendering: pixelated; }   /* pixels stay sharp squares */
.block-container { padding-top: 2.2rem; }
</style>"""


# (file stem, title, icon). A page joins the menu once its file exists, so pages can land one at a time.
PAGES = [
    ("explore", "Explore", "scatter_plot"),
    ("interpolate", "Interpolate", "swap_horiz"),
    ("generate", "Generate", "auto_awesome"),
    ("train", "Train", "model_training"),
    ("inside", "Inside the VAE", "schema"),
    ("beta_lab", "Beta lab", "tune"),
    ("anomaly", "Anomaly detection", "troubleshoot"),
    ("compression", "Compression", "compress"),
    ("draw", "Draw", "draw"),
    ("compare", "Compare", "compare"),
    ("neighbours", "Neighbours & arithmetic", "hub"),
    ("collapse", "Posterior collapse", "hide_source"),
]
HOME = "explore"  # the page at /


def menu_pages() -> dict[str, st.Page]:
    """The menu's pages by file stem, each at /<stem> except the home page, which Streamlit serves at /."""
    return {stem: st.Page(VIEWS / f"{stem}.py", title=title, icon=f":material/{icon}:",
                          default=stem == HOME, url_path="" if stem == HOME else None)
            for stem, title, icon in PAGES if (VIEWS / f"{stem}.py").exists()}


def home_alias(pages: dict[str, st.Page]) -> list[st.Page]:
    """A hidden twin of the home page at /explore, so a link to the page by its own name opens it.

    Streamlit 1.67 serves the default page only at / (its url_path is "" to the router), so /explore said
    "Page not found". The home page takes the url_path "" rather than its inferred "explore", leaving that
    path free for the twin; the twin comes after it, so st.switch_page("views/explore.py") still opens /.
    """
    if HOME not in pages:
        return []
    home = pages[HOME]
    return [st.Page(VIEWS / f"{HOME}.py", title=home.title, icon=home.icon, url_path=HOME,
                    visibility="hidden")]


def checkpoint_sidebar(names: list[str]) -> None:
    """The checkpoint picker and what the picked checkpoint says about itself."""
    st.sidebar.markdown("## Latent Lab")
    st.sidebar.caption("A VAE encodes each image as a Gaussian q(z|x) in a small latent space "
                       "and decodes any z back into an image.")
    if not names:
        st.sidebar.warning(f"No checkpoints in {str(shared.checkpoints_root())!r}.")
        return
    if st.session_state.get("checkpoint") not in names:  # deleted meanwhile, or a first visit
        st.session_state["checkpoint"] = shared.resolve_checkpoint(None, names)[0]
    name = st.sidebar.selectbox("Checkpoint", names, key="checkpoint", on_change=shared.reset_selection)
    shared.set_query(ckpt=name)
    try:
        info = ck.read_info(name, shared.checkpoints_root())
    except ck.CheckpointError as exc:
        st.sidebar.error(str(exc))
        return
    cfg, last = info.model_config, (info.history[-1] if info.history else {})
    elbo = f"{last['test_neg_elbo']:.1f} nats" if "test_neg_elbo" in last else "n/a"
    # text models have a vocabulary where image models have an input shape
    shape = (f"{'×'.join(map(str, cfg.input_shape[1:]))} px" if hasattr(cfg, "input_shape")
             else f"text, {len(cfg.alphabet)} characters")
    st.sidebar.markdown(
        f"**Data** `{info.train_config.data}` · {shape}  \n"
        f"**Latent dim** {cfg.latent_dim} · {cfg.arch} · β = {info.train_config.beta:g}  \n"
        f"**Test −ELBO** {elbo} after {info.epochs_done} epochs")


def main() -> None:
    # A local icon: a :material/...: page icon makes the browser fetch its SVG from fonts.gstatic.com.
    st.set_page_config(page_title="Latent Lab", page_icon=str(FAVICON), layout="wide")
    st.html(CSS)
    names = ck.list_checkpoints(shared.checkpoints_root())
    shared.init_state(names)
    shared.keep_page_state()  # page widgets keep their values while other pages run

    lesson_bar.start_from_url()
    pages = menu_pages()
    lesson = lesson_bar.active_lesson(set(pages))
    page = st.navigation([*pages.values(), *home_alias(pages)], position="hidden" if lesson else "sidebar")
    if lesson:
        lesson_bar.apply_pending_step(lesson, pages, page, names)
        lesson_bar.render(lesson)
    else:
        checkpoint_sidebar(names)
    if error := st.session_state.pop("_url_error", None):
        st.error(f"Link problem: {error}")
    try:
        page.run()
    except Exception as exc:  # noqa: BLE001 - never a traceback in the UI; the log keeps it
        logging.getLogger("explorer").exception("page %s failed", page.title)
        st.error(f"Something went wrong on this page: {type(exc).__name__}: {exc}")
    server_tuning.tune_once()  # after the first run: its imports and caches are the long-lived part


main()
