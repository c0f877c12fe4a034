"""Drawing one entry of a Communications tab: the preview, ⋮ menu and details."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from flo_comms.communications import (
    Communication,
    CommunicationType,
    Participant,
    Source,
)
from flo_comms.delivery import DeliveryStatus
from flo_comms.members import Member
from flo_comms.system_emails import DeliveryState
from flo_comms.timeline import communication_history_of
from flo_comms.timezones import format_local
from ui.communication_form import ask_to_delete, open_edit_form
from ui.session import engine
from ui.text import plain, preview

TYPE_ICONS = {
    CommunicationType.EMAIL: ":material/mail:",
    CommunicationType.PHONE_CALL: ":material/call:",
    CommunicationType.TEXT_MESSAGE: ":material/sms:",
    CommunicationType.VIDEO_CALL: ":material/videocam:",
    CommunicationType.IN_PERSON_MEETING: ":material/groups:",
    CommunicationType.LINKEDIN_MESSAGE: ":material/work:",
    CommunicationType.LETTER: ":material/markunread_mailbox:",
    CommunicationType.OTHER: ":material/forum:",
}


def _known_type(value: str) -> CommunicationType | None:
    """The stored type, or None for a type no longer offered."""
    try:
        return CommunicationType(value)
    except ValueError:
        return None


def _type_label(entry: Communication) -> str:
    kind = _known_type(entry.comm_type)
    if kind is None:
        return plain(entry.comm_type)
    return f"{TYPE_ICONS[kind]} {kind.label}"


def _people(people: list[Participant]) -> str:
    return ", ".join(p.label for p in people) if people else "—"


def _menu(entry: Communication, member: Member, candidate_id: int) -> None:
    # The menu keeps its open state ("rerun"), so that choosing Edit or Delete
    # can close it: left open, it would sit on top of the dialog it opened.
    key = f"menu_{entry.id}"
    with st.popover(
        "⋮", help="Edit or delete this communication", key=key, on_change="rerun"
    ):
        st.button(
            "Edit",
            key=f"edit_{entry.id}",
            icon=":material/edit:",
            on_click=_from_menu,
            args=(key, open_edit_form, member, entry.id, candidate_id),
        )
        st.button(
            "Delete",
            key=f"delete_{entry.id}",
            icon=":material/delete:",
            on_click=_from_menu,
            args=(key, ask_to_delete, entry.id, candidate_id),
        )


def _from_menu(menu_key: str, action, *args) -> None:
    st.session_state[menu_key] = False
    action(*args)


def open_profile(candidate_id: int) -> None:
    """Show another profile on this page, and say so in the address bar.

    A page link to the page already shown does not change the address, which
    would leave ?candidate= naming the previous candidate.
    """
    st.query_params["candidate"] = str(candidate_id)


def _event_name(entry: Communication) -> str:
    """'Data careers webinar (Webinar, invite only)'; empty for other entries."""
    if not entry.event_title or not entry.event_kind:
        return entry.event_title or ""
    return f"{entry.event_title} ({entry.event_kind})"


def _facts(entry: Communication, zone: str) -> list[tuple[str, str]]:
    """The metadata lines of the details, as (label, Markdown-safe value)."""
    facts = [
        ("Type", _type_label(entry)),
        ("Date", format_local(entry.occurred_at, zone)),
        ("Sent by", plain(_people(entry.senders))),
        ("To", plain(_people(entry.to))),
    ]
    optional = [
        ("Cc", plain(_people(entry.cc)) if entry.cc else None),
        ("Bcc", plain(_people(entry.bcc)) if entry.bcc else None),
        ("Job", plain(entry.job_title or "") or None),
        ("Event", plain(_event_name(entry)) or None),
        ("Email", plain(entry.email_kind or "") or None),
    ]
    facts += [(label, value) for label, value in optional if value]
    source = "System generated" if entry.source == Source.SYSTEM else "Logged by hand"
    facts += [("Source", source), ("Logged", format_local(entry.logged_at, zone))]
    if entry.updated_at:
        facts.append(("Last edited", format_local(entry.updated_at, zone)))
    return facts


def _delivery_fact(delivery: DeliveryStatus) -> str:
    """How far the email got, e.g. 'sent, to /srv/flo/outbox/12-….eml'."""
    if delivery.state == DeliveryState.SENT:
        return plain(f"sent, to {delivery.delivered_to}")
    if delivery.last_error:
        return plain(f"{delivery.state.value}: {delivery.last_error}")
    return delivery.state.value


def _details(
    entry: Communication,
    member: Member,
    candidate_id: int,
    delivery: DeliveryStatus | None,
) -> None:
    with st.expander("details"):
        st.text(entry.body or "(no description)")
        st.divider()
        facts = _facts(entry, member.time_zone)
        if delivery is not None:
            facts.append(("Delivery", _delivery_fact(delivery)))
        st.markdown("  \n".join(f"**{label}:** {value}" for label, value in facts))
        others = [p for p in entry.to if p.candidate_id not in (None, candidate_id)]
        for person in others:
            st.button(
                f"Open {plain(person.name or 'candidate')}'s profile",
                key=f"open_{entry.id}_{person.candidate_id}",
                icon=":material/person:",
                type="tertiary",
                on_click=open_profile,
                args=(person.candidate_id,),
            )
        if entry.updated_at:
            _history(entry, member)


def _earlier_version(before: dict, zone: str) -> str:
    """One stored version as plain text: every field the author could change."""
    people: dict[str, list[str]] = {}
    for person in before.get("participants", []):
        label = person.get("name") or person.get("address") or "(unknown)"
        people.setdefault(person.get("role", ""), []).append(label)
    occurred = datetime.fromisoformat(before["occurred_at"])
    kind = _known_type(before.get("comm_type", ""))
    return "\n".join(
        [
            f"Type: {kind.label if kind else before.get('comm_type', '')}",
            f"Date: {format_local(occurred, zone)}",
            f"Subject: {before.get('subject', '')}",
            f"Sent by: {', '.join(people.get('sender', [])) or '—'}",
            f"To: {', '.join(people.get('to', [])) or '—'}",
            "",
            before.get("body", ""),
        ]
    )


def _history(entry: Communication, member: Member) -> None:
    st.markdown("**Earlier versions**")
    for change in communication_history_of(engine(), entry.id):
        st.caption(
            plain(
                f"{change.action.capitalize()} by {change.changed_by_name}, "
                f"{format_local(change.changed_at, member.time_zone)}. Before:"
            )
        )
        st.text(_earlier_version(change.previous, member.time_zone))


def draw_entry(
    entry: Communication,
    member: Member,
    candidate_id: int,
    delivery: DeliveryStatus | None = None,
) -> None:
    """One timeline entry, with the ⋮ menu only for the member who logged it."""
    with st.container(border=True, key=f"communication_{entry.id}"):
        head, menu = st.columns([12, 1])
        with head:
            when = format_local(entry.occurred_at, member.time_zone)
            mark = (
                " · :blue-badge[System generated]"
                if entry.source == Source.SYSTEM
                else ""
            )
            st.markdown(f"{_type_label(entry)} · {when}{mark}")
            st.markdown(f"**{plain(entry.subject)}**")
            st.text(f"From {_people(entry.senders)} · To {_people(entry.to)}")
            if entry.body:
                st.text(preview(entry.body))
            if entry.source == Source.MANUAL and entry.logged_by_name:
                st.caption(
                    f"This communication was logged by {plain(entry.logged_by_name)}."
                )
        if entry.can_be_changed_by(member):
            with menu:
                _menu(entry, member, candidate_id)
        _details(entry, member, candidate_id, delivery)
