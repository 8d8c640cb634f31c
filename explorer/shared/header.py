"""The page header every page starts with: its title and a one-paragraph introduction, and for the pages that
show a checkpoint, that checkpoint opened. (The lesson bar above it is drawn by app.py, which runs first.)"""

from __future__ import annotations

import streamlit as st

from explorer.shared.loaders import Context, current


def header(title: str, intro: str) -> None:
    """The page's title and introduction."""
    st.title(title)
    st.caption(intro)


def header_with_context(title: str, intro: str) -> Context:
    """The header, then the sidebar's checkpoint with its test set encoded; if it does not open, the page says
    why (`current`) and stops there."""
    header(title, intro)
    ctx = current()
    if ctx is None:
        st.stop()
    return ctx
