"""The dashboard on PostgreSQL, with the demo data moved there by copy."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from flo_comms.config import DATABASE_URL_VARIABLE
from flo_comms.copy import copy_database
from flo_comms.db import create_engine
from flo_comms.demo import DemoSize, create_demo_data
from flo_comms.migrate import upgrade
from flo_comms.timeline import candidate_timeline
from ui.text import plain

from .helpers import APP_FILE, open_profile, sign_in_with_form, subjects


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_members_sign_in_read_and_log_on_postgresql_after_a_copy(
    engine, tmp_path, monkeypatch
):
    source = create_engine(f"duckdb:///{tmp_path / 'demo.duckdb'}")
    upgrade(source)
    create_demo_data(source, DemoSize(members=4, candidates=10, communications=30))
    copy_database(source, engine)
    source.dispose()
    monkeypatch.setenv(
        DATABASE_URL_VARIABLE, engine.url.render_as_string(hide_password=False)
    )
    st.cache_resource.clear()
    busiest = max(range(1, 11), key=lambda i: candidate_timeline(engine, i).total)
    before = candidate_timeline(engine, busiest)

    at = sign_in_with_form(
        AppTest.from_file(str(APP_FILE), default_timeout=30).run(),
        "recruiter@flo-demo.test",
        "flo-demo-2026",
    )
    at = open_profile(at, busiest)
    shown = subjects(at)
    at.button(key="new_communication").click().run()
    at.selectbox(key="cf_type").select("email")
    at.text_input(key="cf_subject").input("Logged on PostgreSQL")
    at.button(key="cf_save").click().run()

    assert not at.exception
    assert shown == [f"**{plain(entry.subject)}**" for entry in before.entries]
    after = candidate_timeline(engine, busiest)
    assert after.total == before.total + 1
    assert after.entries[0].subject == "Logged on PostgreSQL"
    st.cache_resource.clear()
