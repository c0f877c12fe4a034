"""An event's Details section: what candidates see, the internal notes, and the
event-wide actions (edit, send the final schedule, cancel, delete), each
confirmed in a modal that says plainly who is emailed.
"""

from __future__ import annotations

import streamlit as st

from flo_comms.events import Event, cancel_event, delete_event
from flo_comms.mail_settings import mail_settings
from flo_comms.members import Member
from flo_comms.registrations import (
    final_schedule_recipients,
    registration_counts,
    send_final_schedule,
)
from ui.communication_form import FLASH_KEY
from ui.event_actions import (
    attempt,
    close_event_dialog,
    field_error,
    open_dialog_request,
    open_event_dialog,
    rerun_if_closed,
)
from ui.event_form import open_edit_event
from ui.event_text import candidates_count, hours
from ui.session import engine, wake_dispatcher
from ui.text import plain

CANCEL, DELETE, FINAL_SCHEDULE = "cancel", "delete", "final_schedule"
# The event deleted a moment ago: its page sends the member back to the list.
DELETED_KEY = "event_deleted"
NOBODY_EMAILED = (
    "Nobody is emailed: tell the registered candidates yourself if they should "
    "know. Reminders and follow-ups not sent yet are dropped."
)


def details_section(member: Member, event: Event, can_run: bool) -> None:
    """The Details tab."""
    if can_run:
        _actions(event)
    st.markdown("**Agenda**")
    st.text(event.agenda or "No agenda yet.")
    st.markdown("**Internal notes** (members only)")
    st.text(event.internal_notes or "No internal notes.")
    st.markdown("**Emails before and after**")
    where = "each candidate's time slot" if event.event_type.has_slots else "the event"
    st.text(
        f"Reminder {hours(event.reminder_minutes_before)} before {where}; "
        f"follow-up {hours(event.follow_up_minutes_after)} after it."
    )


def _actions(event: Event) -> None:
    edit, final, cancel, delete = st.columns(4)
    edit.button(
        "Edit",
        key="event_edit",
        icon=":material/edit:",
        on_click=open_edit_event,
        args=(event.id,),
    )
    final.button(
        "Send final schedule",
        key="event_final_schedule",
        icon=":material/schedule_send:",
        on_click=open_event_dialog,
        args=(FINAL_SCHEDULE, event.id),
    )
    cancel.button(
        "Cancel event",
        key="event_cancel",
        icon=":material/event_busy:",
        on_click=open_event_dialog,
        args=(CANCEL, event.id),
    )
    delete.button(
        "Delete event",
        key="event_delete",
        icon=":material/delete:",
        on_click=open_event_dialog,
        args=(DELETE, event.id),
    )


# --- cancel and delete ----------------------------------------------------------------


def _close(member: Member, kind: str) -> None:
    request = open_dialog_request(kind)
    if request is None:
        return
    event_id = request["event_id"]
    close = cancel_event if kind == CANCEL else delete_event
    done, closure = attempt(lambda: close(engine(), member, event_id))
    if not done:
        return
    close_event_dialog()
    verb = "cancelled" if kind == CANCEL else "deleted"
    st.session_state[FLASH_KEY] = (
        f"Event {verb}. Nobody was emailed ({candidates_count(closure.registrations)} "
        "registered); reminders and follow-ups not sent yet are dropped."
    )
    if kind == DELETE:
        st.session_state[DELETED_KEY] = event_id


def _registered(event: Event) -> int:
    return sum(registration_counts(engine(), event.id).values())


@st.dialog("Cancel this event?", on_dismiss=close_event_dialog)
def cancel_dialog(member: Member, event: Event) -> None:
    rerun_if_closed()
    field_error("form")
    st.write(
        plain(
            f"“{event.title}” stays listed as cancelled and takes no more changes; "
            f"its {candidates_count(_registered(event))} registered stay on it."
        )
    )
    st.warning(NOBODY_EMAILED, icon=":material/unsubscribe:")
    confirm, keep = st.columns(2)
    confirm.button(
        "Cancel event",
        type="primary",
        key="evd_cancel_confirm",
        on_click=_close,
        args=(member, CANCEL),
        width="stretch",
    )
    keep.button(
        "Keep it", key="evd_cancel_keep", on_click=close_event_dialog, width="stretch"
    )


@st.dialog("Delete this event?", on_dismiss=close_event_dialog)
def delete_dialog(member: Member, event: Event) -> None:
    rerun_if_closed()
    field_error("form")
    st.write(
        plain(
            f"“{event.title}” leaves the events list, with its "
            f"{candidates_count(_registered(event))} registered. The emails it "
            "sent stay on the candidates' timelines."
        )
    )
    st.warning(NOBODY_EMAILED, icon=":material/unsubscribe:")
    confirm, keep = st.columns(2)
    confirm.button(
        "Delete event",
        type="primary",
        key="evd_delete_confirm",
        on_click=_close,
        args=(member, DELETE),
        width="stretch",
    )
    keep.button(
        "Keep it", key="evd_delete_keep", on_click=close_event_dialog, width="stretch"
    )


# --- the final schedule ---------------------------------------------------------------


def _send_final_schedule(member: Member) -> None:
    request = open_dialog_request(FINAL_SCHEDULE)
    if request is None:
        return
    everyone = bool(st.session_state.get("evd_final_everyone"))
    done, sent = attempt(
        lambda: send_final_schedule(
            engine(),
            member,
            request["event_id"],
            from_address=mail_settings().from_address,
            everyone=everyone,
        )
    )
    if not done:
        return
    close_event_dialog()
    st.session_state[FLASH_KEY] = (
        f"Final schedule sent to {candidates_count(sent)}."
        if sent
        else "Nobody was due the final schedule: nothing was sent."
    )
    wake_dispatcher()


@st.dialog("Send the final schedule", on_dismiss=close_event_dialog)
def final_schedule_dialog(member: Member, event: Event) -> None:
    rerun_if_closed()
    field_error("form")
    allowed, not_yet = final_schedule_recipients(engine(), event.id)
    who = "approved candidates" if event.invite_only else "registered candidates"
    if allowed == 0:
        st.info(f"No {who} yet: there is nobody to send the final schedule to.")
    st.checkbox(
        f"Send it again to everyone who may receive it ({allowed})",
        key="evd_final_everyone",
        disabled=allowed == 0,
    )
    everyone = bool(st.session_state.get("evd_final_everyone"))
    count = allowed if everyone else not_yet
    if everyone:
        st.write(f"{candidates_count(count)} ({who}) will receive it.")
    else:
        st.write(
            f"{candidates_count(count)} will receive it: the {who} who have not "
            "had it yet."
        )
    send, cancel = st.columns(2)
    send.button(
        f"Send to {candidates_count(count)}",
        type="primary",
        key="evd_final_send",
        on_click=_send_final_schedule,
        args=(member,),
        disabled=count == 0,
        width="stretch",
    )
    cancel.button(
        "Cancel", key="evd_final_close", on_click=close_event_dialog, width="stretch"
    )


DIALOGS = {
    CANCEL: cancel_dialog,
    DELETE: delete_dialog,
    FINAL_SCHEDULE: final_schedule_dialog,
}
