"""The New event and Edit event modal, on the events list and an event's page.

Same pattern as ui/communication_form.py: whether the modal is open, and for
which event, lives in session state; saving happens in the Save button's
callback, which calls flo_comms and either closes the modal with a message or
leaves each field's message in session state to show beside the field. A
second click on Save finds the modal closed and saves nothing.
"""

from __future__ import annotations

from datetime import time, timedelta

import streamlit as st

from flo_comms.errors import FloCommsError, ValidationError
from flo_comms.event_rules import EventType
from flo_comms.events import (
    DEFAULT_FOLLOW_UP_MINUTES,
    DEFAULT_REMINDER_MINUTES,
    FOLLOW_UP_CHOICES,
    REMINDER_CHOICES,
    EventDetails,
    EventUpdate,
    create_event,
    get_event,
    update_event,
)
from flo_comms.mail_settings import mail_settings
from flo_comms.members import Member
from flo_comms.timezones import all_time_zones, now_utc
from ui.communication_form import FLASH_KEY
from ui.event_text import candidates_count, hours
from ui.session import engine, wake_dispatcher
from ui.text import plain

EVENT_FORM_KEY = "event_form"
# The event just created: the events list opens its page on the next run.
CREATED_KEY = "event_created"
ERRORS_KEY = "ev_errors"
FIELD_KEYS = (
    "ev_type",
    "ev_invite_only",
    "ev_title",
    "ev_day",
    "ev_start",
    "ev_end",
    "ev_zone",
    "ev_place",
    "ev_link",
    "ev_agenda",
    "ev_notes",
    "ev_reminder",
    "ev_follow_up",
    ERRORS_KEY,
)


def _fill_fields(details: EventDetails) -> None:
    state = st.session_state
    state["ev_type"] = (
        EventType(details.event_type).value if details.event_type else None
    )
    state["ev_invite_only"] = details.invite_only
    state["ev_title"] = details.title
    state["ev_day"] = details.day
    state["ev_start"] = details.start_time
    state["ev_end"] = details.end_time
    state["ev_zone"] = details.time_zone
    state["ev_place"] = details.place
    state["ev_link"] = details.link
    state["ev_agenda"] = details.agenda
    state["ev_notes"] = details.internal_notes
    state["ev_reminder"] = details.reminder_minutes_before
    state["ev_follow_up"] = details.follow_up_minutes_after
    state[ERRORS_KEY] = {}


def open_new_event(member: Member) -> None:
    """Open the empty modal; times start in the member's own time zone."""
    close_event_form()
    _fill_fields(
        EventDetails(
            event_type="",
            invite_only=False,
            title="",
            day=None,
            start_time=time(10, 0),
            end_time=time(11, 0),
            time_zone=member.time_zone,
            reminder_minutes_before=DEFAULT_REMINDER_MINUTES,
            follow_up_minutes_after=DEFAULT_FOLLOW_UP_MINUTES,
        )
    )
    st.session_state[EVENT_FORM_KEY] = {"mode": "new", "event_id": None}


def open_edit_event(event_id: int) -> None:
    """Open the modal prefilled with the event as it is now."""
    close_event_form()
    try:
        event = get_event(engine(), event_id)
    except FloCommsError as error:
        st.session_state[FLASH_KEY] = f"Cannot edit: {error}"
        return
    _fill_fields(event.details())
    st.session_state[EVENT_FORM_KEY] = {"mode": "edit", "event_id": event_id}


def close_event_form() -> None:
    st.session_state.pop(EVENT_FORM_KEY, None)
    for key in FIELD_KEYS:
        st.session_state.pop(key, None)


def _details_from_fields() -> EventDetails:
    state = st.session_state
    return EventDetails(
        event_type=state.get("ev_type") or "",
        invite_only=bool(state.get("ev_invite_only")),
        title=state.get("ev_title") or "",
        day=state.get("ev_day"),
        start_time=state.get("ev_start"),
        end_time=state.get("ev_end"),
        time_zone=state.get("ev_zone") or "",
        place=state.get("ev_place") or "",
        link=state.get("ev_link") or "",
        agenda=state.get("ev_agenda") or "",
        internal_notes=state.get("ev_notes") or "",
        reminder_minutes_before=state.get("ev_reminder") or 0,
        follow_up_minutes_after=state.get("ev_follow_up") or 0,
    )


def saved_message(update: EventUpdate) -> str:
    """What saving did, for the member: who was emailed, or why nobody was."""
    if not update.changed:
        return "Nothing changed: nobody was emailed."
    if not update.visible_changes:
        return (
            "Saved. Candidates do not see what changed (internal notes, reminder "
            "or follow-up timing): nobody was emailed."
        )
    what = ", ".join(update.visible_changes)
    if update.emailed == 0:
        return (
            f"Saved ({what} changed). Nobody was emailed: no candidate who "
            "receives updates is registered."
        )
    return (
        f"Saved ({what} changed). {candidates_count(update.emailed)} "
        f"{'was' if update.emailed == 1 else 'were'} emailed an update."
    )


def save_event_form(member: Member) -> None:
    """Create or update the event; on refusal keep the modal open with messages."""
    form = st.session_state.get(EVENT_FORM_KEY)
    if form is None:
        return
    details = _details_from_fields()
    try:
        if form["mode"] == "new":
            event_id = create_event(engine(), member, details)
            message = f"Event “{details.title.strip()}” created."
            if get_event(engine(), event_id).ends_at < now_utc():
                # Allowed (recording one that happened), but rarely meant.
                message += " Its date has passed: it is listed with past events."
        else:
            event_id = form["event_id"]
            update = update_event(
                engine(),
                member,
                event_id,
                details,
                from_address=mail_settings().from_address,
            )
            message = saved_message(update)
    except ValidationError as error:
        st.session_state[ERRORS_KEY] = error.errors
        return
    except (FloCommsError, ValueError) as error:
        # PermissionDenied, NotFound, EventClosed; ValueError is a mail setting
        # the operator got wrong, named by mail_settings().
        st.session_state[ERRORS_KEY] = {"form": str(error)}
        return
    close_event_form()
    st.session_state[FLASH_KEY] = message
    if form["mode"] == "new":
        st.session_state[CREATED_KEY] = event_id
    else:
        wake_dispatcher()


def _field_error(*fields: str) -> None:
    errors = st.session_state.get(ERRORS_KEY, {})
    for field in fields:
        if message := errors.get(field):
            st.error(plain(message), icon=":material/error:")


def _kind_fields(editing: bool) -> None:
    kind, mode = st.columns(2)
    kind.selectbox(
        "Type",
        [t.value for t in EventType],
        key="ev_type",
        index=None,
        placeholder="Choose a type",
        format_func=lambda v: EventType(v).value.capitalize(),
        disabled=editing,
    )
    mode.radio(
        "Who may join",
        [False, True],
        key="ev_invite_only",
        format_func=lambda invite: (
            "Invite only (Quick Review)" if invite else "Open to anyone with the link"
        ),
        disabled=editing,
    )
    if editing:
        st.caption("The type and who may join cannot change once the event exists.")
    _field_error("event_type")


def _time_fields() -> None:
    day, start, end = st.columns(3)
    day.date_input("Date", key="ev_day", format="YYYY-MM-DD")
    start.time_input("Start", key="ev_start", step=timedelta(minutes=15))
    end.time_input("End", key="ev_end", step=timedelta(minutes=15))
    _field_error("day", "start_time", "end_time")
    st.selectbox("Time zone", all_time_zones(), key="ev_zone")
    st.caption("The date and times are in this time zone.")
    _field_error("time_zone")


def _where_field() -> None:
    chosen = st.session_state.get("ev_type")
    if chosen == EventType.IN_PERSON.value:
        st.text_input("Place", key="ev_place", placeholder="Address or venue")
        _field_error("place")
    elif chosen:
        st.text_input(
            "Conferencing link", key="ev_link", placeholder="https://meet.example.com/…"
        )
        _field_error("link")
    else:
        st.caption("Choose a type to enter the place or the conferencing link.")


def _email_timing_fields() -> None:
    reminder, follow_up = st.columns(2)
    reminder.selectbox(
        "Reminder",
        list(REMINDER_CHOICES),
        key="ev_reminder",
        format_func=lambda minutes: f"{hours(minutes)} before",
    )
    follow_up.selectbox(
        "Follow-up",
        list(FOLLOW_UP_CHOICES),
        key="ev_follow_up",
        format_func=lambda minutes: f"{hours(minutes)} after",
    )
    st.caption(
        "Virtual chats time reminders and follow-ups from each candidate's slot."
    )
    _field_error("reminder_minutes_before", "follow_up_minutes_after")


def event_form_body(member: Member) -> None:
    """The modal's fields; drawn inside the dialog."""
    form = st.session_state[EVENT_FORM_KEY]
    editing = form["mode"] == "edit"
    _field_error("form")
    _kind_fields(editing)
    st.text_input("Title", key="ev_title")
    _field_error("title")
    _time_fields()
    _where_field()
    st.text_area("Agenda", key="ev_agenda", height=120)
    _field_error("agenda")
    st.text_area(
        "Internal notes",
        key="ev_notes",
        height=100,
        help="Members only: candidates never see them, and changing them emails "
        "no one.",
    )
    _field_error("internal_notes")
    _email_timing_fields()
    if editing:
        st.caption(
            "Changing the title, date, times, time zone, place, link or agenda "
            "emails an update to the candidates who receive updates."
        )
    save, cancel = st.columns(2)
    save.button(
        "Create event" if not editing else "Save",
        type="primary",
        key="ev_save",
        on_click=save_event_form,
        args=(member,),
        width="stretch",
    )
    cancel.button("Cancel", key="ev_cancel", on_click=close_event_form, width="stretch")


@st.dialog("New event", width="large", on_dismiss=close_event_form)
def new_event_dialog(member: Member) -> None:
    if EVENT_FORM_KEY not in st.session_state:
        # Saved or cancelled by a callback: a full rerun closes the modal.
        st.rerun()
    event_form_body(member)


@st.dialog("Edit event", width="large", on_dismiss=close_event_form)
def edit_event_dialog(member: Member) -> None:
    if EVENT_FORM_KEY not in st.session_state:
        st.rerun()
    event_form_body(member)


def forget_event_form(event_id: int | None) -> None:
    """Close a modal opened for another event (None: the New event modal)."""
    form = st.session_state.get(EVENT_FORM_KEY)
    if form is not None and form["event_id"] != event_id:
        close_event_form()


def draw_event_form(member: Member, event_id: int | None) -> bool:
    """Draw the modal if it is open here; True when it was drawn."""
    forget_event_form(event_id)
    form = st.session_state.get(EVENT_FORM_KEY)
    if form is None:
        return False
    if form["mode"] == "new":
        new_event_dialog(member)
    else:
        edit_event_dialog(member)
    return True
