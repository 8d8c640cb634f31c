"""The components' JavaScript bundles (explorer.components.bundle): files joined into one module must not
declare the same top-level name twice, or the browser refuses the whole module."""

import re
from pathlib import Path

import pytest

from explorer.components import (
    interpolation_strip,
    latent_decoder,
    point_map,
    selection_view,
    text_panel,
    text_selection,
)

HERE = Path(__file__).resolve().parents[1] / "explorer" / "components"
TOP_LEVEL = re.compile(r"^(?:export\s+)?(?:async\s+)?(?:const|let|var|function\*?|class)\s+([A-Za-z_$][\w$]*)", re.M)


@pytest.mark.parametrize("module", [latent_decoder, selection_view, interpolation_strip, point_map, text_panel,
                                    text_selection],
                         ids=lambda m: m.__name__)
def test_a_bundle_declares_each_top_level_name_once(module):
    names = [name for f in module.JS_FILES for name in TOP_LEVEL.findall((HERE / f).read_text())]
    assert len(names) > 10  # the pattern finds the declarations
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_the_check_finds_a_repeated_name():
    names = TOP_LEVEL.findall("const size = 1;\nfunction size() {}\nexport function other() {}\n")
    assert names == ["size", "size", "other"]
