"""The layers of docs/ARCHITECTURE.md ("Layers and their imports"), read from every import statement (those
inside functions too): core imports only core, analysis only core, jobs core, jobs and one analysis module;
nothing in vae_core imports the app or its UI packages; lessons need only the standard library and the
page-key table, itself standard library only."""

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UI = ("streamlit", "plotly", "explorer")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = REPO.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path) -> set[str]:
    """Absolute names of the modules `path` imports; `from pkg import name` counts as pkg.name if that is a module."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base)
    return found


def ours(path: Path) -> set[str]:
    return {name for name in imports(path) if name.split(".")[0] == "vae_core"}


def files(folder: str) -> list[Path]:
    return sorted((REPO / folder).glob("*.py"))


# vae_core/text/ is part of the core layer (docs/ARCHITECTURE.md): the core reaches it through modality.py,
# data.py and cli.py, and it imports only the core.
CORE = {module_name(p) for p in files("vae_core") + files("vae_core/text")} - {"vae_core"}


@pytest.mark.parametrize("path", sorted((REPO / "vae_core").rglob("*.py")), ids=lambda p: module_name(p))
def test_nothing_in_vae_core_imports_the_app_or_its_ui(path):
    assert [n for n in imports(path) if n.split(".")[0] in UI] == []


@pytest.mark.parametrize("path", files("vae_core") + files("vae_core/text"), ids=lambda p: module_name(p))
def test_core_imports_only_core(path):
    # the command line (cli.py and its parser, cli_args.py) is the entry point to the jobs layer (cmd_sweep) and
    # to the codec's commands (compress, decompress)
    allowed = CORE | {"vae_core"} | ({"vae_core.jobs.sweep", "vae_core.analysis.codec_cli"}
                                     if module_name(path) in ("vae_core.cli", "vae_core.cli_args") else set())
    assert ours(path) - allowed == set()


@pytest.mark.parametrize("path", files("vae_core/analysis"), ids=lambda p: module_name(p))
def test_analysis_imports_only_core(path):
    # the codec is split into codec.py and its file format, baselines and commands (codec_*.py), which use it
    family = {module_name(p) for p in files("vae_core/analysis") if p.stem.startswith("codec")}
    assert ours(path) - CORE - {"vae_core"} - (family if path.stem.startswith("codec_") else set()) == set()


@pytest.mark.parametrize("path", files("vae_core/jobs"), ids=lambda p: module_name(p))
def test_jobs_import_core_each_other_and_the_sweep_results(path):
    jobs = {module_name(p) for p in files("vae_core/jobs")}
    assert ours(path) - CORE - jobs - {"vae_core", "vae_core.analysis.sweep_results"} == set()


def test_lessons_need_only_the_standard_library_and_the_page_key_table():
    found = imports(REPO / "explorer" / "lessons" / "__init__.py") - {"explorer.page_keys"}
    assert {n.split(".")[0] for n in found} - set(sys.stdlib_module_names) - {"__future__"} == set()
    found = imports(REPO / "explorer" / "page_keys.py")
    assert {n.split(".")[0] for n in found} - set(sys.stdlib_module_names) - {"__future__"} == set()


def test_the_reader_resolves_relative_imports():
    """The checks above would pass on a reader that sees nothing: it must see what jobs/sweep.py imports."""
    found = ours(REPO / "vae_core" / "jobs" / "sweep.py")
    assert {"vae_core.checkpoint", "vae_core.analysis.sweep_results", "vae_core.jobs.process",
            "vae_core.jobs.training", "vae_core.jobs.registry", "vae_core.config"} <= found
    assert "vae_core.jobs.sweep" in ours(REPO / "vae_core" / "cli.py")
    assert {"vae_core.data", "vae_core.text.corpora", "vae_core.text.vocab"} <= ours(REPO / "vae_core/text/data.py")


@pytest.mark.parametrize("path", sorted((REPO / "vae_core").rglob("*.py")), ids=lambda p: module_name(p))
def test_every_vae_core_file_stays_small(path):
    """A module over 300 lines does more than one job: split it by job (data.py -> imagefiles.py, ...)."""
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 300


def test_no_two_test_files_share_a_name():
    """pytest imports test files by their base name (the folders have no __init__.py), so a second
    tests/e2e/test_x.py beside tests/test_x.py stops the whole run at collection ("import file mismatch")."""
    names = [p.name for p in (REPO / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
