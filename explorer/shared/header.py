"""The page header every page starts with: its title and a one-paragraph introduction, and for the pages that
show a checkpoint, that checkpoint opened. (The lesson bar above it is drawn by app.py, which runs first.)"""

from __future__ import annotations

import streamlit as st

from explorer.shared.loaders import Context, current
from vae_core.modality import modality_of


def header(title: str, intro: str) -> None:
    """The page's title and introduction."""
    st.title(title)
    st.caption(intro)


def header_with_context(title: str, intro: str, modalities: tuple[str, ...] = ("image",)) -> Context:
    """The header, then the sidebar's checkpoint with its test set encoded; if it does not open, the page says
    why (`current`) and stops there. A page that cannot show the checkpoint's kind of data (`modalities`: the
    pages built for images leave it as it is) says so, points to the nearest page that can, and stops."""
    header(title, intro)
    ctx = current()
    if ctx is None:
        st.stop()
    kind = modality_of(ctx.model.config)
    if kind not in modalities:
        not_for(title, ctx.name, kind)
        st.stop()
    return ctx


# Where a page that works on images only sends a text checkpoint's user instead: the page that does the nearest
# thing for sentences.
TEXT_ALTERNATIVE = ("views/explore.py", "Explore",
                    "the map of test sentences (hover shows each one), a picked sentence with its reconstruction "
                    "from μ, **Sample from prior**, and a decoder that rewrites the sentence while you drag a "
                    "latent slider")


def not_for(title: str, name: str, kind: str) -> None:
    """The plain notice of a page that does not apply to this kind of checkpoint, with a link to the nearest one."""
    page, label, offers = TEXT_ALTERNATIVE
    st.info(f"**{title}** works on image checkpoints; **{name}** is a {kind} model, so this page has nothing to "
            f"show for it. The nearest page for {kind} is **{label}**: {offers}.")
    st.page_link(page, label=f"Open {label}", icon=":material/arrow_forward:")
