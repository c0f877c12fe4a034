"""The + New Communication modal, also used to edit an entry, and the delete check.

Which modal is open lives in session state, not in the click that opened it,
so the modal survives reruns; saving happens in the button's callback, which
calls flo_comms and either closes the modal or leaves each field's message in
session state to show beside it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import streamlit as st

from flo_comms.candidates import candidate_names, search_candidates
from flo_comms.communications import (
    MAX_DESCRIPTION_LENGTH,
    MAX_SUBJECT_LENGTH,
    CommunicationDraft,
    CommunicationType,
    delete_communication,
    draft_of,
    edit_communication,
    log_communication,
)
from flo_comms.errors import FloCommsError, NotFound, ValidationError
from flo_comms.members import Member, list_members
from flo_comms.timeline import get_communication
from flo_comms.timezones import format_local, now_utc, to_local
from ui.session import engine
from ui.text import plain

FORM_KEY = "communication_form"
DELETE_KEY = "communication_to_delete"
FLASH_KEY = "flash"
ERRORS_KEY = "cf_errors"
FIELD_KEYS = (
    "cf_type",
    "cf_date",
    "cf_time",
    "cf_sent_by",
    "cf_to_candidates",
    "cf_to_members",
    "cf_candidate_search",
    "cf_subject",
    "cf_description",
    ERRORS_KEY,
)


def _fill_fields(draft: CommunicationDraft) -> None:
    state = st.session_state
    state["cf_type"] = draft.comm_type
    state["cf_date"] = draft.occurred_local.date()
    state["cf_time"] = draft.occurred_local.time()
    state["cf_sent_by"] = list(draft.sender_member_ids)
    state["cf_to_candidates"] = list(draft.recipient_candidate_ids)
    state["cf_to_members"] = list(draft.recipient_member_ids)
    state["cf_candidate_search"] = ""
    state["cf_subject"] = draft.subject
    state["cf_description"] = draft.description
    state[ERRORS_KEY] = {}


def open_new_form(member: Member, candidate_id: int) -> None:
    """Open the modal for a new entry on ``candidate_id``'s profile."""
    now = to_local(now_utc(), member.time_zone).replace(tzinfo=None)
    now -= timedelta(
        minutes=now.minute % 5, seconds=now.second, microseconds=now.microsecond
    )
    _fill_fields(
        CommunicationDraft(
            comm_type=None,
            occurred_local=now,
            time_zone=member.time_zone,
            sender_member_ids=(member.id,),
            recipient_candidate_ids=(candidate_id,),
            recipient_member_ids=(),
            subject="",
            description="",
        )
    )
    # One token per opened form: a second click on Save finds the first entry.
    st.session_state[FORM_KEY] = {
        "mode": "new",
        "candidate_id": candidate_id,
        "token": uuid.uuid4().hex,
    }


def open_edit_form(member: Member, communication_id: int, candidate_id: int) -> None:
    """Open the modal on ``candidate_id``'s profile, prefilled with an entry."""
    entry = get_communication(engine(), communication_id)
    _fill_fields(draft_of(entry, member.time_zone))
    st.session_state[FORM_KEY] = {
        "mode": "edit",
        "id": communication_id,
        "candidate_id": candidate_id,
        "version": entry.version,
    }


def close_form() -> None:
    st.session_state.pop(FORM_KEY, None)
    for key in FIELD_KEYS:
        st.session_state.pop(key, None)


def _draft_from_fields(member: Member) -> CommunicationDraft:
    state = st.session_state
    day, clock = state.get("cf_date"), state.get("cf_time")
    return CommunicationDraft(
        comm_type=state.get("cf_type"),
        occurred_local=datetime.combine(day, clock) if day and clock else None,
        time_zone=member.time_zone,
        sender_member_ids=tuple(state.get("cf_sent_by") or ()),
        recipient_candidate_ids=tuple(state.get("cf_to_candidates") or ()),
        recipient_member_ids=tuple(state.get("cf_to_members") or ()),
        subject=state.get("cf_subject") or "",
        description=state.get("cf_description") or "",
    )


def save_form(member: Member) -> None:
    """Save the open form through flo_comms; on refusal keep it open with messages."""
    form = st.session_state.get(FORM_KEY)
    if form is None:
        return
    draft = _draft_from_fields(member)
    try:
        if form["mode"] == "new":
            log_communication(
                engine(),
                member,
                draft,
                logged_from_candidate_id=form["candidate_id"],
                form_token=form["token"],
            )
            message = "Communication logged."
        else:
            edit_communication(
                engine(), member, form["id"], draft, seen_version=form["version"]
            )
            message = "Communication updated."
    except ValidationError as error:
        st.session_state[ERRORS_KEY] = error.errors
        return
    except FloCommsError as error:
        st.session_state[ERRORS_KEY] = {"form": str(error)}
        return
    close_form()
    st.session_state[FLASH_KEY] = message


def _field_error(field: str) -> None:
    message = st.session_state.get(ERRORS_KEY, {}).get(field)
    if message:
        st.error(message, icon=":material/error:")


# How many of a search's matches the candidate box offers at once.
CANDIDATE_MATCHES = 20


def _candidate_picker(candidate_id: int | None) -> None:
    selected = list(st.session_state.get("cf_to_candidates") or [])
    search = st.text_input(
        "Find candidates to add",
        key="cf_candidate_search",
        placeholder="Type part of a name or email",
    )
    found = []
    if search.strip():
        result = search_candidates(engine(), search, page_size=CANDIDATE_MATCHES)
        found = result.rows
        # The matches become choices of the box below: say so, or say none.
        if not found:
            st.caption(
                f"No candidate's name or email contains “{plain(search.strip())}”."
            )
        elif {r.id for r in found} <= set(selected):
            st.caption("Every match is chosen already in “Sent to: candidates”.")
        else:
            shown = (
                f"the first {len(found)} of {result.total:,} matches"
                if result.total > len(found)
                else (
                    "the match" if result.total == 1 else f"the {result.total} matches"
                )
            )
            st.caption(f"Choose from {shown} in “Sent to: candidates” below.")
    options = list(
        dict.fromkeys(
            [
                *selected,
                *([candidate_id] if candidate_id else []),
                *(r.id for r in found),
            ]
        )
    )
    names = candidate_names(engine(), options)
    st.multiselect(
        "Sent to: candidates",
        options,
        key="cf_to_candidates",
        format_func=lambda i: names.get(i, f"candidate {i}"),
    )


def form_body(member: Member) -> None:
    """The fields of the modal; drawn inside the dialog, testable on its own."""
    form = st.session_state[FORM_KEY]
    _field_error("form")
    types = [t.value for t in CommunicationType]
    st.selectbox(
        "Communication type",
        types,
        key="cf_type",
        format_func=lambda v: CommunicationType(v).label,
        index=None,
        placeholder="Choose a type",
    )
    _field_error("comm_type")
    day, clock = st.columns(2)
    day.date_input("Date", key="cf_date", format="YYYY-MM-DD")
    clock.time_input("Time", key="cf_time", step=timedelta(minutes=5))
    st.caption(f"In your time zone, {member.time_zone}.")
    _field_error("occurred_at")

    team = list_members(engine())
    member_names = {m.id: m.name for m in team}
    st.multiselect(
        "Sent by",
        list(member_names),
        key="cf_sent_by",
        format_func=lambda i: member_names.get(i, f"member {i}"),
    )
    _field_error("sent_by")
    _candidate_picker(form.get("candidate_id"))
    st.multiselect(
        "Sent to: members",
        list(member_names),
        key="cf_to_members",
        format_func=lambda i: member_names.get(i, f"member {i}"),
    )
    _field_error("sent_to")
    # No max_chars on these two: the widget would silently drop a long paste,
    # where the domain's message says what to shorten and by how much.
    st.text_input(
        "Subject",
        key="cf_subject",
        help=f"One line, up to {MAX_SUBJECT_LENGTH} characters.",
    )
    _field_error("subject")
    st.text_area(
        "Description",
        key="cf_description",
        height=180,
        help=f"Up to {MAX_DESCRIPTION_LENGTH:,} characters.",
    )
    _field_error("description")

    save, cancel = st.columns(2)
    save.button(
        "Save",
        type="primary",
        key="cf_save",
        on_click=save_form,
        args=(member,),
        width="stretch",
    )
    cancel.button("Cancel", key="cf_cancel", on_click=close_form, width="stretch")


def _close_if_saved() -> None:
    if FORM_KEY not in st.session_state:
        # Saved or cancelled by a callback: a full rerun closes the modal.
        st.rerun()


@st.dialog("New communication", width="large", on_dismiss=close_form)
def new_communication_dialog(member: Member) -> None:
    _close_if_saved()
    form_body(member)


@st.dialog("Edit communication", width="large", on_dismiss=close_form)
def edit_communication_dialog(member: Member) -> None:
    _close_if_saved()
    form_body(member)


def ask_to_delete(communication_id: int, candidate_id: int) -> None:
    st.session_state[DELETE_KEY] = {
        "id": communication_id,
        "candidate_id": candidate_id,
    }


def cancel_delete() -> None:
    st.session_state.pop(DELETE_KEY, None)


def confirm_delete(member: Member) -> None:
    request = st.session_state.pop(DELETE_KEY, None)
    if request is None:
        return
    try:
        delete_communication(engine(), member, request["id"])
    except FloCommsError as error:
        st.session_state[FLASH_KEY] = f"Not deleted: {error}"
        return
    st.session_state[FLASH_KEY] = (
        "Communication deleted. It has left every timeline; its history is kept."
    )


@st.dialog("Delete this communication?", on_dismiss=cancel_delete)
def delete_dialog(member: Member) -> None:
    if DELETE_KEY not in st.session_state:
        st.rerun()
    try:
        entry = get_communication(engine(), st.session_state[DELETE_KEY]["id"])
    except NotFound:
        cancel_delete()
        st.warning("This communication no longer exists.")
        return
    st.markdown(f"**{plain(entry.subject)}**")
    st.caption(
        f"{CommunicationType(entry.comm_type).label}, "
        f"{format_local(entry.occurred_at, member.time_zone)}"
    )
    st.write(
        "It leaves the Communications tab of every candidate it is attached to. "
        "The entry and its history stay in the database."
    )
    delete, keep = st.columns(2)
    delete.button(
        "Delete",
        type="primary",
        key="delete_confirm",
        on_click=confirm_delete,
        args=(member,),
        width="stretch",
    )
    keep.button("Keep it", key="delete_cancel", on_click=cancel_delete, width="stretch")


def forget_open_dialogs(candidate_id: int | None = None) -> None:
    """Close a modal opened on another profile than ``candidate_id``'s.

    A modal belongs to the profile it was opened on: leaving that profile (the
    browser's Back button, a link) closes it rather than carrying it along.
    """
    form = st.session_state.get(FORM_KEY)
    if form is not None and form["candidate_id"] != candidate_id:
        close_form()
    request = st.session_state.get(DELETE_KEY)
    if request is not None and request["candidate_id"] != candidate_id:
        cancel_delete()


def draw_open_dialogs(member: Member, candidate_id: int) -> None:
    """Draw whichever modal session state says is open on this profile."""
    forget_open_dialogs(candidate_id)
    form = st.session_state.get(FORM_KEY)
    if form is not None:
        if form["mode"] == "new":
            new_communication_dialog(member)
        else:
            edit_communication_dialog(member)
    elif DELETE_KEY in st.session_state:
        delete_dialog(member)
