"""The framework's floor for bench pointmap: a Streamlit page with one line of text and nothing else."""

import streamlit as st

st.container(key="empty").text("an empty page")
