"""Placeholder: built next."""

import streamlit as st

st.title("Analytics")
