"""The three boxes that choose an attribute vector (Neighbours & arithmetic, for images and for text): which
grouping, towards which of its values and away from which."""

from __future__ import annotations

import numpy as np
import streamlit as st


def attribute_picker(groups: dict[str, tuple[np.ndarray, list[str]]], help: str,
                     keys: tuple[str, str, str]) -> tuple[str, np.ndarray, list[str], int, int]:
    """(grouping name, its group of each test item, its value names, towards, away from) as the user picked them;
    groups maps a grouping's name to (group per item, value names). keys: the grouping box's session key and the
    prefixes of the towards and away boxes' keys (each grouping keeps its own pick under prefix_grouping). Towards
    starts at the last value, away from at the first."""
    by_key, plus_key, minus_key = keys
    a1, a2, a3 = st.columns(3)
    by = a1.selectbox("Attribute from", list(groups), key=by_key, help=help)
    g, names = groups[by]
    plus = a2.selectbox("Towards", range(len(names)), index=len(names) - 1, format_func=names.__getitem__,
                        key=f"{plus_key}_{by}")
    minus = a3.selectbox("Away from", range(len(names)), index=0, format_func=names.__getitem__,
                         key=f"{minus_key}_{by}")
    return by, g, names, plus, minus
