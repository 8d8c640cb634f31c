"""The text renderer: an item is one sentence (a str; a batch is a str array (N,)), shown as monospaced text,
never as markdown, so the corpus' own `*`, `_` or backticks show as typed. Decoding live happens in the browser
(explorer/components/text_panel.py)."""

from __future__ import annotations

import numpy as np
import streamlit as st

MAX_HOVER = 120  # characters of a sentence in a map dot's hover label; longer ones end in an ellipsis


def _shown(sentence) -> str:
    return str(sentence) if str(sentence) else "(empty sentence)"


def item(x, size: int, caption: str | None, where) -> None:
    """One sentence (size, a width in px for images, is not used: a sentence takes its column's width)."""
    where.code(_shown(x), language=None, wrap_lines=True)
    if caption:
        where.caption(caption)


def batch(xs, ncols: int, tile: int, caption: str | None, width: str, where) -> None:
    """Sentences one a line, numbered from 1 (ncols, tile and width are for image grids)."""
    xs = list(np.asarray(xs).reshape(-1))
    digits = len(str(len(xs)))
    where.code("\n".join(f"{i + 1:>{digits}}  {_shown(s)}" for i, s in enumerate(xs)), language=None,
               wrap_lines=True)
    if caption:
        where.caption(caption)


def hover_texts(xs) -> list[str]:
    """Each sentence as a map dot's hover label shows it (plotly hover labels read <br> and tags: escaped)."""
    import html

    out = []
    for s in np.asarray(xs).reshape(-1):
        s = str(s)
        out.append(html.escape(s if len(s) <= MAX_HOVER else s[: MAX_HOVER - 1] + "…"))
    return out


def map_hover(ctx) -> dict:
    """The tooltip shows each point's sentence (as text, so not escaped; shortened like the hover labels) from the
    test set's point set (components/points.py), the copy the text selection view reads: sent once, not twice."""
    from explorer.components.points import points_source

    return {"points_source": points_source(ctx), "tip_chars": MAX_HOVER}


def live_decoder(model, z: list[float], dims: list[int], key: str, **kw) -> list[float]:
    """The text panel component: the sentence greedy-decoded in the browser on every slider input."""
    from explorer.components.text_panel import text_panel

    return text_panel(model, z, dims, key=key, **kw)


def selection(ctx, selected: int | None, **kw) -> None:
    """The text selection component (explorer/components/text_selection.py): a picked test sentence and the
    greedy decode of its μ, drawn by the browser the frame after a map click, as the image view is."""
    from explorer.components.text_selection import text_selection

    text_selection(ctx, selected, **kw)


def interpolation(ctx, a: int, b: int, method: str, steps: int, *, key: str, on_steps) -> None:
    """Bowman et al.'s homotopy table: sentence A, the greedy sentence at every step of the path from mu_A to
    mu_B, sentence B; either end may be typed instead of picked (path_ends); a steps slider whose change calls
    on_steps(new steps) (decoded by Python on that rerun)."""
    import pandas as pd

    from vae_core.text.items import homotopy

    def changed() -> None:
        on_steps(int(st.session_state[f"{key}_steps"]))

    c1, c2 = st.columns(2)
    # The boxes' keys are spelled out: page_keys lists them (the typed ends outlive a visit to another page).
    for col, end, i, box in ((c1, "a", a, f"{key}_typed_a"), (c2, "b", b, f"{key}_typed_b")):
        col.text_input(f"…or type sentence {end.upper()}", key=box, max_chars=256,
                       placeholder=f"test sentence #{i}", help="Typed ends are encoded to their μ; leave empty "
                       "to use the test sentence picked above.")
    ends = [_typed_end(ctx, key, end, i, show_error=True) for end, i in (("a", a), ("b", b))]
    st.session_state[f"{key}_steps"] = int(steps)
    st.slider("Steps", 3, 24, key=f"{key}_steps", on_change=changed,
              help="Points on the path, both ends included; each is decoded greedily.")
    rows = homotopy(ctx.model, ends[0][0], ends[1][0], steps, method)
    table = pd.DataFrame({"t": ["A"] + [f"{t:.2f}" for t, _ in rows] + ["B"],
                          "sentence": [ends[0][1]] + [s for _, s in rows] + [ends[1][1]]})
    with st.container(key=key):
        st.dataframe(table, hide_index=True, width="stretch", row_height=32,
                     column_config={"t": st.column_config.TextColumn("t", width="small")})
    what = " and ".join(f"{e.upper()}: {'typed' if typed else f'test sentence #{i}'}"
                        for e, i, (_, _, typed) in zip("ab", (a, b), ends, strict=True))
    st.caption(f"{what}; between them the greedy decode of {steps} points of the {method} path from μ_A to μ_B "
               "(t = 0 and 1 are their reconstructions).")


NOUN = "sentence"


def path_download(ctx, path, filename: str, key: str) -> None:
    """The decoded path as a text file, one sentence a line."""
    lines = "".join(f"{s}\n" for s in ctx.decode(path))
    st.download_button("Download the sentences", lines.encode(), file_name=f"{filename}.txt", mime="text/plain",
                       key=key, icon=":material/download:", on_click="ignore")


def _typed_end(ctx, key: str, end: str, index: int, show_error: bool = False) -> tuple[np.ndarray, str, bool]:
    """(z, sentence, typed?) of one end of an interpolation: the typed sentence's μ if one is typed and every
    character is known to the model, else test sentence `index` (a bad typed one is named in one st.error)."""
    from vae_core.text.items import encode_typed

    typed = str(st.session_state.get(f"{key}_typed_{end}") or "").strip()
    if typed:
        try:
            return encode_typed(ctx.model, typed), typed, True
        except ValueError as exc:
            if show_error:
                st.error(f"Sentence {end.upper()}: {exc}. Using test sentence #{index} instead.")
    return ctx.mu[index], str(ctx.x[index]), False


def path_ends(ctx, a: int, b: int, key: str) -> tuple[np.ndarray, np.ndarray]:
    """z_A, z_B of the interpolation drawn with `key`: a typed sentence's μ where one is typed, else the picked
    test sentence's."""
    return _typed_end(ctx, key, "a", a)[0], _typed_end(ctx, key, "b", b)[0]


# The Generate page's views live in text_generate.py (one job a file); these hand them on.
def temperature_help() -> str:
    """What the temperature slider means for sentences."""
    from explorer.display.text_generate import TEMPERATURE_HELP

    return TEMPERATURE_HELP


def prior_samples(ctx, seed: int, temperature: float, key: str) -> None:
    """Sentences from the prior (text_generate.prior_samples)."""
    from explorer.display.text_generate import prior_samples as draw

    draw(ctx, seed, temperature, key)


def manifold(ctx, zs, grid: int, dims: tuple[int, int], caption: str, key: str) -> None:
    """The manifold grid as a table of sentences (text_generate.manifold)."""
    from explorer.display.text_generate import manifold as draw

    draw(ctx, zs, grid, dims, caption, key)


def traversals(ctx, base, dims: list[int], values, kl, key: str) -> None:
    """Traversals as columns of sentences (text_generate.traversals)."""
    from explorer.display.text_generate import traversals as draw

    draw(ctx, base, dims, values, kl, key)


def anomaly_upload(ctx, s_in, quantile: float, iwae_k: int, key: str) -> None:
    """Typed or uploaded sentences scored (text_anomaly.anomaly_upload)."""
    from explorer.display.text_anomaly import anomaly_upload as draw

    draw(ctx, s_in, quantile, iwae_k, key)


def neighbours_view(ctx) -> None:
    """The Neighbours page for sentences (text_neighbours.neighbours_view)."""
    from explorer.display.text_neighbours import neighbours_view as draw

    draw(ctx)
