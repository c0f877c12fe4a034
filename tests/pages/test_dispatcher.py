"""The dashboard delivers the emails it queues, from its own process."""

from __future__ import annotations

import time

import streamlit as st

from flo_comms.delivery import delivery_state_of
from flo_comms.job_emails import change_status
from flo_comms.jobs import create_application, create_job
from flo_comms.system_emails import DeliveryState

from .helpers import add_candidate

FROM = "Flo Communications <no-reply@flo-comms.localhost>"


def test_a_signed_in_dashboard_delivers_queued_emails_to_the_outbox(
    app, database, team, tmp_path, monkeypatch
):
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("FLO_COMMS_DISPATCHER", "on")
    monkeypatch.setenv("FLO_COMMS_OUTBOX_DIR", str(outbox))
    with database.engine() as engine:
        casey = add_candidate(engine, "Casey Queued", "casey.queued@example.org")
        job = create_job(engine, "Data Analyst")
        application = create_application(engine, job, casey)
        result = change_status(
            engine, team.ada, application, "Interview Scheduled", from_address=FROM
        )

    try:
        at = app(team.ada).run()
        deadline = time.monotonic() + 20
        while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        st.cache_resource.clear()  # stops the dispatcher thread

    assert not at.exception
    [eml] = outbox.glob("*.eml")
    assert "casey.queued@example.org" in eml.read_text()
    with database.engine() as engine:
        state = delivery_state_of(engine, [result.communication_id])
    assert state[result.communication_id].state == DeliveryState.SENT
    assert state[result.communication_id].delivered_to == str(eml)
