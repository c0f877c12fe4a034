"""The sign-in form, drawn by app.py in place of any page until a member signs in."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from flo_comms.members import authenticate, count_members
from ui.session import sign_in


def sign_in_form(engine: Engine) -> None:
    st.title("Flo Communications")
    st.caption("Sign in to read and log what was said to candidates.")
    if count_members(engine) == 0:
        st.warning(
            "This database has no members yet. Create one with "
            "`flo-comms create-member --name NAME --email EMAIL --role admin` "
            "(it asks for the password), or fill an empty database with demo "
            "data with `flo-comms demo`."
        )
    with st.form("sign_in"):
        email = st.text_input("Email", key="sign_in_email", autocomplete="username")
        password = st.text_input(
            "Password",
            type="password",
            key="sign_in_password",
            autocomplete="current-password",
        )
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        member = authenticate(engine, email, password)
        if member is None:
            st.error("That email and password do not match an active member.")
            return
        sign_in(member)
        st.rerun()
