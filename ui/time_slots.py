"""A virtual chat's Time slots section: slots with their places, who is in each,
adding a slot, putting candidates into one, taking one out, deleting a slot.

Putting a candidate into a slot sends nothing; taking them out, moving them
elsewhere or deleting their slot sends them a cancellation email
(flo_comms.event_rules), and the modals say so before anything happens.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import streamlit as st

from flo_comms.errors import FloCommsError, ValidationError
from flo_comms.event_rules import ReviewState
from flo_comms.event_slots import (
    MAX_CAPACITY,
    Slot,
    add_slot,
    assign_to_slot,
    delete_slot,
    list_slots,
    remove_from_slot,
)
from flo_comms.events import Event
from flo_comms.mail_settings import mail_settings
from flo_comms.members import Member
from flo_comms.registrations import RegistrationRow, list_registrations
from flo_comms.timezones import to_local
from ui.communication_form import FLASH_KEY
from ui.event_actions import (
    attempt,
    close_event_dialog,
    field_error,
    open_dialog_request,
    open_event_dialog,
    rerun_if_closed,
)
from ui.event_text import candidates_count, names, set_notice, span, when_lines
from ui.session import engine, wake_dispatcher
from ui.text import plain

DELETE_SLOT, REMOVE_FROM_SLOT = "delete_slot", "remove_from_slot"
ADD_ERRORS_KEY = "slot_add_errors"
ASSIGN_ERRORS_KEY = "slot_assign_errors"
# Limitation: the section reads at most this many approved registrations (who is
# in which slot, whom to assign), because flo_comms lists registrations a page
# at a time; a chat with more says so and shows the first ones by name.
SLOT_SECTION_LIMIT = 1000


def _keys(event_id: int) -> dict[str, str]:
    return {
        name: f"slot_{name}_{event_id}"
        for name in ("day", "start", "end", "capacity", "people", "target")
    }


def _errors_for(errors_key: str, event_id: int) -> None:
    """Forget messages left on another event's page."""
    errors = st.session_state.get(errors_key)
    if errors and errors.get("event_id") != event_id:
        st.session_state[errors_key] = {}


def _refused(errors_key: str, event_id: int, error: Exception) -> None:
    if isinstance(error, ValidationError):
        st.session_state[errors_key] = {"event_id": event_id, **error.errors}
    else:
        st.session_state[errors_key] = {"event_id": event_id, "form": str(error)}


def _slot_label(slot: Slot, event: Event) -> str:
    return span(slot.starts_at, slot.ends_at, event.time_zone)


def time_slots_section(member: Member, event: Event, can_run: bool) -> None:
    """The Time slots tab."""
    for key in (ADD_ERRORS_KEY, ASSIGN_ERRORS_KEY):
        _errors_for(key, event.id)
    slots = list_slots(engine(), event.id)
    approved = list_registrations(
        engine(),
        event.id,
        review_states=frozenset({ReviewState.APPROVED.value}),
        page_size=SLOT_SECTION_LIMIT,
    )
    if approved.total > SLOT_SECTION_LIMIT:
        st.warning(
            f"Only the first {SLOT_SECTION_LIMIT:,} of {approved.total:,} approved "
            "candidates (by name) are shown and can be put into slots here."
        )
    people_in: dict[int, list[RegistrationRow]] = defaultdict(list)
    for row in approved.rows:
        if row.slot_id is not None:
            people_in[row.slot_id].append(row)
    if not slots:
        st.info("No time slots yet." + (" Add the first below." if can_run else ""))
    for slot in slots:
        _slot_box(member, event, slot, people_in[slot.id], can_run)
    if can_run:
        if slots:
            _assign_form(member, event, slots, approved.rows)
        _add_form(member, event)


def _slot_box(
    member: Member,
    event: Event,
    slot: Slot,
    people: list[RegistrationRow],
    can_run: bool,
) -> None:
    with st.container(border=True, key=f"slot_{slot.id}"):
        when, action = st.columns([5, 1])
        when.text(
            "\n".join(
                when_lines(
                    slot.starts_at, slot.ends_at, event.time_zone, member.time_zone
                )
            )
        )
        when.caption(f"{slot.taken} of {slot.capacity} places taken, {slot.free} free")
        if slot.outside(event):
            when.warning(
                "Outside the chat's own date and hours: change the slot or the "
                "chat if that is not meant. Reminders follow the slot.",
                icon=":material/schedule:",
            )
        if can_run:
            action.button(
                "Delete slot",
                key=f"delete_slot_{slot.id}",
                icon=":material/delete:",
                on_click=open_event_dialog,
                args=(DELETE_SLOT, event.id),
                kwargs={
                    "slot_id": slot.id,
                    "label": _slot_label(slot, event),
                    "taken": slot.taken,
                },
            )
        for person in people:
            name, remove = st.columns([5, 1])
            name.text(f"{person.name} · {person.email or 'no email address'}")
            if can_run:
                remove.button(
                    "Remove",
                    key=f"unslot_{person.candidate_id}",
                    help="Takes them out of this slot; they get a cancellation email.",
                    on_click=open_event_dialog,
                    args=(REMOVE_FROM_SLOT, event.id),
                    kwargs={
                        "candidate_id": person.candidate_id,
                        "name": person.name,
                        "label": _slot_label(slot, event),
                    },
                )


# --- putting candidates into a slot ---------------------------------------------------


def _assign(member: Member, event_id: int) -> None:
    keys = _keys(event_id)
    state = st.session_state
    chosen = state.get(keys["people"]) or []
    target = state.get(keys["target"])
    if target is None:
        state[ASSIGN_ERRORS_KEY] = {"event_id": event_id, "slot": "Choose a slot."}
        return
    try:
        change = assign_to_slot(
            engine(),
            member,
            event_id,
            chosen,
            target,
            from_address=mail_settings().from_address,
        )
    except (FloCommsError, ValueError) as error:
        _refused(ASSIGN_ERRORS_KEY, event_id, error)
        return
    state[ASSIGN_ERRORS_KEY] = {}
    state[keys["people"]] = []
    parts = []
    if change.assigned:
        parts.append(
            f"Put {names(change.assigned)} into the slot (no email now: "
            "their reminder names the slot)."
        )
    if change.moved:
        parts.append(
            f"Moved {names(change.moved)} here from another slot and sent "
            f"a cancellation of the old slot ({change.emailed} emailed)."
        )
    if change.already_there:
        parts.append(f"In this slot already: {names(change.already_there)}.")
    set_notice(event_id, " ".join(parts))
    if change.emailed:
        wake_dispatcher()


def _assign_form(
    member: Member, event: Event, slots: list[Slot], rows: list[RegistrationRow]
) -> None:
    keys = _keys(event.id)
    st.markdown("**Put candidates into a slot**")
    if not rows:
        st.caption(
            "No approved candidate yet: approve them in Quick Review first."
            if event.invite_only
            else "Nobody is registered yet."
        )
        return
    slot_of = {slot.id: slot for slot in slots}
    labels = {
        row.candidate_id: row.name
        + (
            f" (in {_slot_label(slot_of[row.slot_id], event)})"
            if row.slot_id in slot_of
            else " (no slot)"
        )
        for row in rows
    }
    st.multiselect(
        "Candidates",
        list(labels),
        key=keys["people"],
        format_func=lambda i: labels.get(i, f"candidate {i}"),
        placeholder="Choose approved candidates",
    )
    field_error("candidates", errors_key=ASSIGN_ERRORS_KEY)
    st.selectbox(
        "Time slot",
        list(slot_of),
        key=keys["target"],
        index=None,
        placeholder="Choose a slot",
        format_func=lambda i: (
            f"{_slot_label(slot_of[i], event)} · {slot_of[i].free} free"
            if i in slot_of
            else f"slot {i}"
        ),
    )
    field_error("slot", "form", errors_key=ASSIGN_ERRORS_KEY)
    st.caption(
        "Putting candidates into a slot sends nothing: the final schedule and "
        "the reminder name it. Someone moved from another slot gets a "
        "cancellation for that one."
    )
    st.button(
        "Put into slot",
        key=f"slot_assign_{event.id}",
        on_click=_assign,
        args=(member, event.id),
    )


# --- adding a slot --------------------------------------------------------------------


def _add(member: Member, event_id: int) -> None:
    keys = _keys(event_id)
    state = st.session_state
    day, start, end = (
        state.get(keys["day"]),
        state.get(keys["start"]),
        state.get(keys["end"]),
    )
    try:
        add_slot(
            engine(),
            member,
            event_id,
            day=day,
            start_time=start,
            end_time=end,
            capacity=state.get(keys["capacity"]),
        )
    except FloCommsError as error:
        _refused(ADD_ERRORS_KEY, event_id, error)
        return
    state[ADD_ERRORS_KEY] = {}
    # The next slot most likely follows this one, just as long.
    length = datetime.combine(day, end) - datetime.combine(day, start)
    following = datetime.combine(day, end) + length
    if following.date() == day:
        state[keys["start"]] = end
        state[keys["end"]] = following.time()
    state[FLASH_KEY] = "Time slot added."


def _add_form(member: Member, event: Event) -> None:
    keys = _keys(event.id)
    state = st.session_state
    starts = to_local(event.starts_at, event.time_zone)
    state.setdefault(keys["day"], starts.date())
    state.setdefault(keys["start"], starts.time().replace(tzinfo=None))
    state.setdefault(
        keys["end"],
        (starts + timedelta(minutes=30)).time().replace(tzinfo=None),
    )
    state.setdefault(keys["capacity"], 5)
    st.markdown("**Add a time slot**")
    field_error("form", errors_key=ADD_ERRORS_KEY)
    day, start, end, capacity = st.columns(4)
    day.date_input("Date", key=keys["day"], format="YYYY-MM-DD")
    start.time_input("Start", key=keys["start"], step=timedelta(minutes=5))
    end.time_input("End", key=keys["end"], step=timedelta(minutes=5))
    capacity.number_input(
        "Places", key=keys["capacity"], min_value=1, max_value=MAX_CAPACITY, step=1
    )
    field_error(
        "day", "start_time", "end_time", "capacity", "slot", errors_key=ADD_ERRORS_KEY
    )
    st.caption(f"In the event's time zone, {event.time_zone}.")
    st.button(
        "Add slot",
        key=f"slot_add_{event.id}",
        icon=":material/add:",
        on_click=_add,
        args=(member, event.id),
    )


# --- deleting a slot, taking a candidate out ------------------------------------------


def _delete_slot(member: Member) -> None:
    request = open_dialog_request(DELETE_SLOT)
    if request is None:
        return
    done, sent = attempt(
        lambda: delete_slot(
            engine(),
            member,
            request["slot_id"],
            from_address=mail_settings().from_address,
        )
    )
    if not done:
        return
    close_event_dialog()
    st.session_state[FLASH_KEY] = (
        f"Time slot deleted; {candidates_count(sent)} sent a cancellation."
        if sent
        else "Time slot deleted; nobody was in it, nobody was emailed."
    )
    wake_dispatcher()


@st.dialog("Delete this time slot?", on_dismiss=close_event_dialog)
def delete_slot_dialog(member: Member, event: Event) -> None:
    rerun_if_closed()
    request = open_dialog_request(DELETE_SLOT)
    field_error("form")
    st.write(plain(f"The slot {request['label']} ({event.time_zone})."))
    taken = request["taken"]
    if taken:
        st.warning(
            f"{candidates_count(taken)} {'is' if taken == 1 else 'are'} in it: "
            f"each gets a cancellation email, and stays registered without a slot.",
            icon=":material/mail:",
        )
    else:
        st.info("Nobody is in it: nobody is emailed.")
    confirm, keep = st.columns(2)
    confirm.button(
        "Delete slot",
        type="primary",
        key="evd_slot_delete_confirm",
        on_click=_delete_slot,
        args=(member,),
        width="stretch",
    )
    keep.button(
        "Keep it",
        key="evd_slot_delete_keep",
        on_click=close_event_dialog,
        width="stretch",
    )


def _remove(member: Member) -> None:
    request = open_dialog_request(REMOVE_FROM_SLOT)
    if request is None:
        return
    done, sent = attempt(
        lambda: remove_from_slot(
            engine(),
            member,
            request["event_id"],
            request["candidate_id"],
            from_address=mail_settings().from_address,
        )
    )
    if not done:
        return
    close_event_dialog()
    set_notice(
        request["event_id"],
        f"{request['name']} was taken out of their slot and sent a cancellation."
        if sent
        else f"{request['name']} had no slot any more: nothing changed.",
    )
    wake_dispatcher()


@st.dialog("Take this candidate out of their slot?", on_dismiss=close_event_dialog)
def remove_from_slot_dialog(member: Member, event: Event) -> None:
    rerun_if_closed()
    request = open_dialog_request(REMOVE_FROM_SLOT)
    field_error("form")
    st.write(
        plain(
            f"{request['name']} leaves the slot {request['label']} "
            f"({event.time_zone}) and stays registered for the chat, without a slot."
        )
    )
    st.warning("They get a cancellation email.", icon=":material/mail:")
    confirm, keep = st.columns(2)
    confirm.button(
        "Remove from slot",
        type="primary",
        key="evd_unslot_confirm",
        on_click=_remove,
        args=(member,),
        width="stretch",
    )
    keep.button(
        "Keep them",
        key="evd_unslot_keep",
        on_click=close_event_dialog,
        width="stretch",
    )


DIALOGS = {
    DELETE_SLOT: delete_slot_dialog,
    REMOVE_FROM_SLOT: remove_from_slot_dialog,
}
