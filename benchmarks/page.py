"""The profile page run whole under Streamlit's AppTest, as the page tests run it."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from flo_comms.config import DATABASE_URL_VARIABLE
from flo_comms.members import Member

APP_FILE = Path(__file__).resolve().parents[1] / "app.py"


def opening_a_profile(
    database_url: str, member: Member, candidate_id: int
) -> Callable[[], object]:
    """One run of the profile page for the candidate, signed in as ``member``.

    The engine stays cached between runs, as it does in a dashboard process;
    the dispatcher is off, as in the page tests.
    """
    # Streamlit warns of each st call made outside a session's script run
    # (the cache cleared here, the engine it caches between runs): harmless
    # here, and twenty lines of it bury the benchmark's own progress.
    logging.getLogger(
        "streamlit.runtime.scriptrunner_utils.script_run_context"
    ).setLevel(logging.ERROR)
    os.environ[DATABASE_URL_VARIABLE] = database_url
    os.environ["FLO_COMMS_DISPATCHER"] = "off"
    st.cache_resource.clear()

    def open_profile() -> AppTest:
        at = AppTest.from_file(str(APP_FILE), default_timeout=300)
        at.session_state["member"] = member
        at.switch_page("views/profile.py")
        at.query_params["candidate"] = str(candidate_id)
        at.run()
        if at.exception:
            raise RuntimeError(f"the profile page failed: {at.exception[0].value}")
        if not at.title or not at.title[0].value:
            raise RuntimeError("the profile page showed no candidate")
        return at

    return open_profile
