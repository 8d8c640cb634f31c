"""Custom Streamlit components of the explorer (no build step: plain html/css/js files)."""

from pathlib import Path

_HERE = Path(__file__).parent


def bundle(files: tuple[str, ...]) -> str:
    """One component's JavaScript (or CSS): these files of this folder joined into one (Streamlit loads a
    component's JS as a single module, so shared code such as decoder_runtime.js comes in front)."""
    return "".join((_HERE / name).read_text() for name in files)
