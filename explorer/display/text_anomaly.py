"""Anomaly detection's "Score your own sentences" for text (the text renderer, text.py, hands it on): typed lines
and an uploaded .txt (one sentence a line) scored by the model, each with its verdict and its reconstruction."""

from __future__ import annotations

import numpy as np
import streamlit as st

MAX_SCORED = 200  # sentences scored and listed at once: a table a reader can still scan


def anomaly_upload(ctx, s_in, quantile: float, iwae_k: int, key: str) -> None:
    """Typed sentences (one a line) and an uploaded .txt, scored; a bad file gets one st.error naming the fault."""
    import pandas as pd

    from vae_core.analysis import anomaly
    from vae_core.data import DataError
    from vae_core.text.data import parse_lines
    from vae_core.text.items import unknown_characters

    st.subheader("Score your own sentences")
    limit = anomaly.threshold(s_in, quantile / 100)
    st.caption(f"Type sentences (one a line) or upload a .txt file with one sentence a line: each is scored and "
               f"compared with the threshold, {limit:.1f} nats ({quantile:g}th percentile of test sentences). "
               "Characters the model never saw count as unknown and make a sentence unusual.")
    typed = st.text_area("Sentences", key=f"{key}_typed", height=100, placeholder="one sentence a line")
    upload = st.file_uploader("or a .txt file", type=["txt"], key=f"{key}_upload")
    lines = [s.strip() for s in typed.splitlines() if s.strip()]
    if upload is not None:
        try:
            lines += parse_lines(upload.getvalue(), upload.name)
        except DataError as exc:
            st.error(str(exc))
    if not lines:
        return
    if len(lines) > MAX_SCORED:
        st.caption(f"{len(lines):,} sentences: the first {MAX_SCORED} are scored.")
        lines = lines[:MAX_SCORED]
    scores = anomaly.score_items(ctx.model, np.array(lines, dtype=str), iwae_k)
    verdicts = [anomaly.verdict(float(s), s_in, quantile / 100) for s in scores]
    vocab = ctx.model.config.vocab
    recon = ctx.decode(_mus(ctx, lines))
    table = pd.DataFrame({
        "sentence": lines, "score (nats)": np.round(scores, 1),
        "verdict": ["unusual" if v.anomalous else "normal" for v in verdicts],
        "higher than": [f"{v.percentile:.0f}% of test" for v in verdicts],
        "unknown characters": [" ".join(unknown_characters(vocab, s)) for s in lines],
        "reconstruction": [str(r) for r in recon]})
    with st.container(key=f"{key}_verdict"):
        flagged = sum(v.anomalous for v in verdicts)
        (st.warning if flagged else st.success)(f"{flagged} of {len(lines)} sentences score above the threshold.")
        st.dataframe(table, hide_index=True, width="stretch", row_height=32)


def _mus(ctx, lines: list[str]) -> np.ndarray:
    from vae_core.text.items import encode_lines

    return encode_lines(ctx.model, lines)[0]
