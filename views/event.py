"""One outreach event, opened by ?event=<id>: its facts and registration link,
then Details, Registrations, Quick Review (invite only), Time slots (virtual
chats) and the reminders and follow-ups sent or skipped.
"""

import re

import streamlit as st

from flo_comms.errors import NotFound
from flo_comms.events import Event, EventState, get_event
from flo_comms.registrations import registration_counts
from ui.communication_form import FLASH_KEY, forget_open_dialogs
from ui.email_forms import forget_email_forms
from ui.event_actions import (
    close_event_dialog,
    forget_event_dialogs,
    open_dialog_request,
)
from ui.event_details import DELETED_KEY, details_section
from ui.event_details import DIALOGS as DETAILS_DIALOGS
from ui.event_form import close_event_form, draw_event_form
from ui.event_registrations import (
    ADD,
    add_candidates_dialog,
    registered_summary,
    registrations_section,
)
from ui.event_reminders import reminders_section
from ui.event_text import has_ended, pop_notice, when_lines
from ui.quick_review import quick_review_section
from ui.session import engine, require_member
from ui.status_change import forget_status_change
from ui.text import plain
from ui.time_slots import DIALOGS as SLOT_DIALOGS
from ui.time_slots import time_slots_section

DIALOGS = {**DETAILS_DIALOGS, ADD: add_candidates_dialog, **SLOT_DIALOGS}

member = require_member()
forget_open_dialogs()
forget_email_forms()
forget_status_change()


def _not_found(message: str) -> None:
    forget_event_dialogs(None)
    st.error(message)
    st.page_link("views/events.py", label="Go to events", icon=":material/event:")
    st.stop()


def _registration_link(event: Event) -> str:
    """The public link; the app's own address in front when the browser gave it."""
    path = f"register?event={event.registration_token}"
    # st.context.url is this page's address: 'https://host/base/event'.
    here = st.context.url
    if not here:
        return "/" + path
    return f"{here.removesuffix('/').removesuffix('/event')}/{path}"


raw_id = st.query_params.get("event", "")
if not re.fullmatch(r"[0-9]{1,18}", raw_id):
    _not_found(
        f"“{raw_id}” is not an event id: open an event from the events list."
        if raw_id
        else "No event chosen: open an event from the events list."
    )
try:
    event = get_event(engine(), int(raw_id))
except NotFound:
    if st.session_state.pop(DELETED_KEY, None) == int(raw_id):
        st.switch_page("views/events.py")
    _not_found(f"There is no event with id {raw_id}: it may have been deleted.")

forget_event_dialogs(event.id)
ended = has_ended(event.ends_at)
can_manage = member.role.can_log_communications
can_run = can_manage and event.is_open_for_changes
if not can_run:
    # Cancelled meanwhile (by another member, say): no modal stays open on it.
    close_event_dialog()
    close_event_form()

if flash := st.session_state.pop(FLASH_KEY, None):
    st.toast(flash)
if not draw_event_form(member, event.id) and (request := open_dialog_request()):
    DIALOGS[request["kind"]](member, event)

st.title(plain(event.title))
if event.state is EventState.CANCELLED:
    state = "cancelled"
else:
    state = "ended" if ended else "scheduled"
st.caption(f"{event.kind_label} · {state}")
if event.state is EventState.CANCELLED:
    st.warning(
        "This event was cancelled: it takes no more changes and sends no more email.",
        icon=":material/event_busy:",
    )
st.text(
    "\n".join(
        when_lines(event.starts_at, event.ends_at, event.time_zone, member.time_zone)
    )
)
if event.event_type.meets_in_person:
    st.text(f"Place: {event.place or '—'}")
else:
    st.text(f"Link: {event.link or '—'}")
st.text(registered_summary(registration_counts(engine(), event.id), event.invite_only))

if event.is_open_for_changes and not ended:
    link = _registration_link(event)
    st.caption(
        "Registration link: candidates register here (copy it to share)."
        if not link.startswith("/")
        else "Registration link: put this dashboard's address in front of it."
    )
    st.code(link, language=None)
else:
    why = "was cancelled" if not event.is_open_for_changes else "has ended"
    st.caption(f"Registration is closed: the event {why}.")
if not can_manage:
    st.caption("Managers read events; admins and recruiters run them.")
if notice := pop_notice(event.id):
    st.success(plain(notice), icon=":material/check_circle:")

sections = ["Details", "Registrations"]
if event.invite_only:
    sections.append("Quick Review")
if event.event_type.has_slots:
    sections.append("Time slots")
sections.append("Reminders and follow-ups")
# The open tab is kept in session state: after an action the member is still
# where they acted, even when a message above the tabs comes or goes.
tabs = dict(
    zip(
        sections,
        st.tabs(sections, key=f"event_tab_{event.id}", on_change="rerun"),
        strict=True,
    )
)

with tabs["Details"]:
    details_section(member, event, can_run)
with tabs["Registrations"]:
    registrations_section(member, event, can_add=can_run and not ended)
if "Quick Review" in tabs:
    with tabs["Quick Review"]:
        quick_review_section(member, event, can_review=can_run)
if "Time slots" in tabs:
    with tabs["Time slots"]:
        time_slots_section(member, event, can_run)
with tabs["Reminders and follow-ups"]:
    reminders_section(member, event)
