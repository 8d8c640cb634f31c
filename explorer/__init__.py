"""Latent Lab's Streamlit explorer: `python -m explorer` or `streamlit run explorer/app.py`."""
