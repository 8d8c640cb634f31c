"""The session keys that outlive a page: one table, read by the app frame and by lessons.

Streamlit drops the value of a widget that a run did not draw, so a page's settings would reset whenever
another page runs. The app frame re-sets every key this table keeps at the start of each run
(`explorer.shared.state.keep_page_state`), and lessons may preset exactly the keys marked `lesson` here
(`explorer.lessons.STATE_KEYS`). Adding a page's key is one row in PAGE_KEYS; nothing else changes.
Why this and not Streamlit's `persist_state=` (docs/ARCHITECTURE.md, "Page state").

Standard library only: lessons import it, and they must load without Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One session key: what a lesson may preset it to, and whether the frame keeps it across pages."""

    lesson: type | tuple[type, ...] | None = None  # the type a lesson step may set; None: lessons may not
    keep: bool = True  # re-set every run; False for plain (non-widget) state, which Streamlit never drops
    family: bool = False  # the name is a prefix: NAME_<suffix> keys, one per checkpoint


# Page stem ("" for the app frame) -> its keys. A key is listed once, under the page that draws its widget (or
# hands it to the display seam with key="...": interp_strip_typed_a is explorer/display/text.py's typed end A).
PAGE_KEYS: dict[str, dict[str, Key]] = {
    "": {"checkpoint": Key(str),  # the sidebar's picker, hidden in lesson mode
         "selected": Key(int, keep=False), "z": Key(list, keep=False), "decoder_dims": Key(list, keep=False)},
    "explore": {"explore_method": Key(str), "explore_color": Key(str)},
    "interpolate": {"interp_a": Key(int), "interp_b": Key(int), "interp_method": Key(str),
                    "interp_steps": Key(int), "interp_click_sets": Key(str),
                    "interp_strip_typed_a": Key(), "interp_strip_typed_b": Key()},
    "generate": {"gen_temperature": Key((int, float)), "gen_seed": Key(int), "gen_grid": Key(),
                 "gen_span": Key(), "gen_steps": Key(), "gen_base": Key(), "gen_decoding": Key()},
    "anomaly": {"anomaly_score": Key(), "anomaly_quantile": Key(), "anomaly_typed": Key()},
    "train": {key: Key() for key in ("train_source", "train_idx", "train_arch", "train_latent", "train_beta",
                                     "train_warmup", "train_epochs", "train_lr", "train_batch", "train_seed",
                                     "train_overwrite", "train_name", "train_textpath", "train_hidden",
                                     "train_word_dropout", "train_free_bits")},
    "inside": {"inside_samples": Key(family=True), "inside_dx": Key(family=True), "inside_dy": Key(family=True),
               "inside_dims": Key(family=True)},
    "beta_lab": {"beta_data": Key(), "beta_betas": Key(), "beta_epochs": Key(), "beta_latent": Key()},
    "draw": {"draw_source": Key()},
    "compare": {"cmp_a": Key(), "cmp_b": Key(), "cmp_data": Key()},
    "neighbours": {"nb_k": Key(), "nb_by": Key(), "nb_b": Key(), "nb_c": Key()},
    "collapse": {"collapse_a": Key(str), "collapse_b": Key(str), "collapse_view": Key(str),
                 "collapse_seed": Key(int)},
}
KEYS: dict[str, Key] = {name: key for keys in PAGE_KEYS.values() for name, key in keys.items()}
_FAMILIES = tuple(f"{name}_" for name, key in KEYS.items() if key.family)


def kept(name: str) -> bool:
    """Whether the app frame re-sets this session key every run (a listed key, or one of a family's)."""
    key = KEYS.get(name)
    return key.keep and not key.family if key else name.startswith(_FAMILIES)


def lesson_keys() -> dict[str, type | tuple[type, ...]]:
    """What a lesson step may preset: key -> the type its value must have."""
    return {name: key.lesson for name, key in KEYS.items() if key.lesson is not None}
