"""An event's Reminders and follow-ups section: what the dispatcher decided.

Each reminder and follow-up reaches a candidate at most once; the dispatcher
records a send or a skip with its reason (flo_comms.event_dispatch), newest
first.
"""

from __future__ import annotations

import streamlit as st

from flo_comms.event_dispatch import Outcome, dispatch_records
from flo_comms.events import Event
from flo_comms.members import Member
from flo_comms.timezones import format_local
from ui.event_text import hours
from ui.session import engine
from ui.text import shown_of

RECORDS_PAGE_SIZE = 50


def reminders_section(member: Member, event: Event) -> None:
    """The Reminders and follow-ups tab, paged."""
    where = "each candidate's time slot" if event.event_type.has_slots else "the event"
    st.caption(
        f"Reminders go out {hours(event.reminder_minutes_before)} before {where}, "
        f"follow-ups {hours(event.follow_up_minutes_after)} after it."
    )
    page_key = f"dispatch_page_{event.id}"
    page_number = st.session_state.get(page_key, 1)
    records, total = dispatch_records(
        engine(), event.id, page=page_number, page_size=RECORDS_PAGE_SIZE
    )
    if total == 0:
        st.info("No reminder or follow-up has been due yet.")
        return
    first = (page_number - 1) * RECORDS_PAGE_SIZE + 1
    st.caption(f"{shown_of(first, len(records), total)}, newest first")
    widths = [2.4, 1.2, 3, 2, 2]
    header = st.columns(widths)
    for column, label in zip(
        header, ["Candidate", "Kind", "Outcome", "Due", "Decided"], strict=True
    ):
        column.markdown(f"**{label}**")
    for record in records:
        who, kind, outcome, due, decided = st.columns(widths)
        who.text(record.candidate_name)
        kind.text(record.kind.value)
        outcome.text(
            "sent"
            if record.outcome is Outcome.SENT
            else f"skipped: {record.reason or 'no reason recorded'}"
        )
        due.text(format_local(record.due_at, member.time_zone))
        decided.text(format_local(record.decided_at, member.time_zone))
    page_count = -(-total // RECORDS_PAGE_SIZE)
    if page_count > 1:
        st.pagination(page_count, key=page_key)
