"""The page header every page starts with: its title and a one-paragraph introduction, and for the pages that
show a checkpoint, that checkpoint opened, for the pages that run a background job, that job and the settings
box. (The lesson bar above it is drawn by app.py, which runs first.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from explorer.shared.loaders import Context, current
from explorer.shared.state import session_job
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


@dataclass
class JobFrame:
    """A job page's frame: this session's id and job (None before the first start), the bordered settings box
    on the left and the results column on the right."""

    session: str
    job: Any
    settings: Any  # a Streamlit container
    results: Any


def header_with_job(title: str, intro: str, registry, id_key: str, widths: list[float]) -> JobFrame:
    """The header of a page that runs a background job (Train, Beta lab): this session's job in `registry` (the
    session's id kept under `id_key`), then the settings box beside the results, in columns of these widths."""
    job = session_job(registry, id_key)
    header(title, intro)
    left, right = st.columns(widths, gap="large")
    return JobFrame(st.session_state[id_key], job, left.container(border=True), right)


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
