"""An event's Registrations section and its Add candidates modal.

Each registration shows how the candidate joined, their review state and time
slot, and the event's emails on their timeline. Members add existing
candidates (found by name or address) and people from a CSV file, with or
without a request for a full profile; the result names who was added, who was
registered already and who has no address.
"""

from __future__ import annotations

import uuid

import streamlit as st

from flo_comms.candidates import candidate_names, search_candidates
from flo_comms.errors import ValidationError
from flo_comms.event_rules import ReviewState
from flo_comms.events import Event
from flo_comms.mail_settings import mail_settings
from flo_comms.members import Member
from flo_comms.registrations import (
    REGISTRATION_PAGE_SIZE,
    AddResult,
    RegistrationRow,
    add_candidates,
    list_registrations,
    parse_people_csv,
)
from flo_comms.timezones import format_local
from ui.event_actions import (
    attempt,
    close_event_dialog,
    field_error,
    open_dialog_request,
    open_event_dialog,
    refuse,
    rerun_if_closed,
)
from ui.event_text import names, set_notice, span
from ui.session import engine, wake_dispatcher
from ui.text import plain, shown_of

ADD = "add_candidates"


def open_add_candidates(event_id: int) -> None:
    # A new file widget each time: an upload from the last opening is gone.
    open_event_dialog(ADD, event_id, upload=f"add_csv_{uuid.uuid4().hex}", labels={})


def registrations_section(member: Member, event: Event, can_add: bool) -> None:
    """The Registrations tab: filters, the Add candidates button, the list."""
    if can_add:
        st.button(
            "Add candidates",
            key="event_add_candidates",
            icon=":material/person_add:",
            on_click=open_add_candidates,
            args=(event.id,),
        )
    state_filter, text_filter = st.columns(2)
    states = []
    if event.invite_only:
        states = state_filter.multiselect(
            "Review state",
            [s.value for s in ReviewState],
            key=f"reg_states_{event.id}",
            placeholder="All",
        )
    text = text_filter.text_input(
        "Search names and addresses", key=f"reg_text_{event.id}"
    )
    page_key = f"reg_page_{event.id}_{sorted(states)}_{text.strip().lower()}"
    page_number = st.session_state.get(page_key, 1)
    page = list_registrations(
        engine(),
        event.id,
        review_states=frozenset(states),
        text=text,
        page=page_number,
    )
    if page.total == 0:
        st.info(
            "No registration matches these filters; clear one to see more."
            if states or text.strip()
            else "Nobody is registered yet."
        )
        return
    first = (page_number - 1) * REGISTRATION_PAGE_SIZE + 1
    st.caption(f"{shown_of(first, len(page.rows), page.total)} registered")
    _rows(member, event, page.rows)
    page_count = -(-page.total // REGISTRATION_PAGE_SIZE)
    if page_count > 1:
        st.pagination(page_count, key=page_key)


def _rows(member: Member, event: Event, rows: list[RegistrationRow]) -> None:
    slots = event.event_type.has_slots
    # An open event has no review: everyone who registers is in.
    reviewed = event.invite_only
    labels = ["Candidate", "Email", "Joined"]
    widths = [2.2, 2.4, 1.8]
    if reviewed:
        labels.append("Review")
        widths.append(1.1)
    if slots:
        labels.append("Time slot")
        widths.append(2)
    labels.append("Emails sent")
    widths.append(3)
    for column, label in zip(st.columns(widths), labels, strict=True):
        column.markdown(f"**{label}**")
    zone = member.time_zone
    for row in rows:
        with st.container(key=f"registration_{row.candidate_id}"):
            name, address, joined, *middle, sent = st.columns(widths)
            name.page_link(
                "views/profile.py",
                label=plain(row.name),
                query_params={"candidate": row.candidate_id},
            )
            address.text(row.email or "no email address")
            joined_at = format_local(row.joined_at, zone)
            joined.text(f"{row.joined_by.label}\n{joined_at}")
            if reviewed:
                middle.pop(0).text(row.review_state.value)
            if slots:
                middle.pop(0).text(
                    span(row.slot_starts_at, row.slot_ends_at, event.time_zone)
                    if row.slot_starts_at
                    else "no slot"
                )
            sent.text(
                "\n".join(
                    f"{mail.kind.value} · {format_local(mail.sent_at, zone)}"
                    for mail in row.emails
                )
                or "none"
            )


# --- the Add candidates modal ---------------------------------------------------------


def added_message(result: AddResult, request_profile: bool) -> str:
    """'Added Ana and Bo (2 emailed a confirmation). Registered already: Cy.'"""
    parts = []
    if result.added:
        kind = "profile request" if request_profile else "confirmation"
        parts.append(
            f"Added {names(result.added)} ({result.emailed} emailed a {kind})."
        )
    else:
        parts.append("Nobody was added.")
    if result.already_registered:
        parts.append(
            f"Registered already, not emailed again: "
            f"{names(result.already_registered)}."
        )
    if result.without_address:
        parts.append(f"Not added, no email address: {names(result.without_address)}.")
    return " ".join(parts)


def _add(member: Member) -> None:
    request = open_dialog_request(ADD)
    if request is None:
        return
    upload = st.session_state.get(request["upload"])
    people = []
    if upload is not None:
        try:
            people = parse_people_csv(upload.getvalue())
        except ValidationError as error:
            refuse(error)
            return
    request_profile = bool(st.session_state.get("evd_add_profile"))
    done, result = attempt(
        lambda: add_candidates(
            engine(),
            member,
            request["event_id"],
            candidate_ids=st.session_state.get("evd_add_ids") or [],
            new_people=people,
            request_profile=request_profile,
            from_address=mail_settings().from_address,
        )
    )
    if not done:
        return
    close_event_dialog()
    set_notice(request["event_id"], added_message(result, request_profile))
    wake_dispatcher()


def _candidate_picker(request: dict) -> None:
    labels: dict[int, str] = request["labels"]
    search = st.text_input(
        "Find candidates",
        key="evd_add_search",
        placeholder="Type part of a name or email",
    )
    found = search_candidates(engine(), search, page_size=20).rows if search else []
    for row in found:
        labels[row.id] = f"{row.name} <{row.email}>" if row.email else row.name
    chosen = list(st.session_state.get("evd_add_ids") or [])
    missing = [i for i in chosen if i not in labels]
    labels.update(candidate_names(engine(), missing))
    st.multiselect(
        "Candidates to add",
        list(dict.fromkeys([*chosen, *(row.id for row in found)])),
        key="evd_add_ids",
        format_func=lambda i: labels.get(i, f"candidate {i}"),
        placeholder="Search above, then choose",
    )
    field_error("candidates")


@st.dialog("Add candidates", width="large", on_dismiss=close_event_dialog)
def add_candidates_dialog(member: Member, event: Event) -> None:
    rerun_if_closed()
    request = open_dialog_request(ADD)
    field_error("form")
    _candidate_picker(request)
    st.file_uploader(
        "Or upload a CSV file (columns: name, email)",
        type=["csv"],
        key=request["upload"],
        help="The first line names the columns. People are found by address; "
        "anyone new becomes a candidate with the outreach event as source.",
    )
    field_error("csv")
    st.checkbox(
        "Request a full profile",
        key="evd_add_profile",
        help="They get a profile request instead of a plain confirmation.",
    )
    if event.invite_only:
        st.caption("Everyone added waits for Quick Review before more emails.")
    add, cancel = st.columns(2)
    add.button(
        "Add",
        type="primary",
        key="evd_add_confirm",
        on_click=_add,
        args=(member,),
        width="stretch",
    )
    cancel.button(
        "Cancel", key="evd_add_cancel", on_click=close_event_dialog, width="stretch"
    )


def registered_summary(counts: dict[ReviewState, int], invite_only: bool) -> str:
    """'5 registered: 3 approved, 1 pending, 1 denied'."""
    total = sum(counts.values())
    if not invite_only:
        return f"{total} registered"
    return (
        f"{total} registered: {counts[ReviewState.APPROVED]} approved, "
        f"{counts[ReviewState.PENDING]} pending, {counts[ReviewState.DENIED]} denied"
    )
