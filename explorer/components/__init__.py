"""Custom Streamlit components of the explorer (no build step: plain html/css/js files)."""
