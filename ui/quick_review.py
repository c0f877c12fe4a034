"""Quick Review of an invite-only event: tick pending candidates, approve or deny.

Approving sends each an approval email, denying a denial email; a decision is
final. The decision happens in the button's callback; the result names who
was decided and who had been decided already (by another member, say).
"""

from __future__ import annotations

import streamlit as st

from flo_comms.errors import FloCommsError
from flo_comms.event_rules import ReviewState
from flo_comms.events import Event
from flo_comms.mail_settings import mail_settings
from flo_comms.members import Member
from flo_comms.registrations import (
    REGISTRATION_PAGE_SIZE,
    list_registrations,
    review_candidates,
)
from flo_comms.timezones import format_local
from ui.event_text import names, set_notice
from ui.session import engine, wake_dispatcher
from ui.text import plain

ERRORS_KEY = "qr_errors"


def _box(event_id: int, candidate_id: int) -> str:
    return f"qr_{event_id}_{candidate_id}"


def _all_box(event_id: int) -> str:
    return f"qr_all_{event_id}"


def _select_all(event_id: int, candidate_ids: list[int]) -> None:
    ticked = bool(st.session_state.get(_all_box(event_id)))
    for candidate_id in candidate_ids:
        st.session_state[_box(event_id, candidate_id)] = ticked


def _chosen(event_id: int, candidate_ids: list[int]) -> list[int]:
    return [i for i in candidate_ids if st.session_state.get(_box(event_id, i))]


def _confirm_key(event_id: int) -> str:
    return f"qr_deny_asked_{event_id}"


def _ask_to_deny(event_id: int) -> None:
    st.session_state[_confirm_key(event_id)] = True


def _keep_pending(event_id: int) -> None:
    st.session_state.pop(_confirm_key(event_id), None)


def _decide(
    member: Member, event_id: int, candidate_ids: list[int], approve: bool
) -> None:
    st.session_state.pop(_confirm_key(event_id), None)
    chosen = _chosen(event_id, candidate_ids)
    try:
        result = review_candidates(
            engine(),
            member,
            event_id,
            chosen,
            approve=approve,
            from_address=mail_settings().from_address,
        )
    except (FloCommsError, ValueError) as error:
        st.session_state[ERRORS_KEY] = {"event_id": event_id, "message": str(error)}
        return
    for candidate_id in candidate_ids:
        st.session_state.pop(_box(event_id, candidate_id), None)
    st.session_state[_all_box(event_id)] = False
    verb, kind = ("Approved", "an approval") if approve else ("Denied", "a denial")
    parts = []
    if result.decided:
        parts.append(
            f"{verb} {names(result.decided)}: {result.emailed} emailed {kind}."
        )
    if result.not_pending:
        parts.append(
            f"Decided already, left as they were: {names(result.not_pending)}."
        )
    set_notice(event_id, " ".join(parts))
    wake_dispatcher()


def quick_review_section(member: Member, event: Event, can_review: bool) -> None:
    """The Quick Review tab: the pending candidates, a page at a time."""
    error = st.session_state.pop(ERRORS_KEY, None)
    if error and error["event_id"] == event.id:
        st.error(plain(error["message"]), icon=":material/error:")
    page_key = f"qr_page_{event.id}"
    page_number = st.session_state.get(page_key, 1)
    pending = frozenset({ReviewState.PENDING.value})
    page = list_registrations(
        engine(), event.id, review_states=pending, page=page_number
    )
    if page.total and not page.rows:
        page_number = 1
        st.session_state[page_key] = page_number
        page = list_registrations(engine(), event.id, review_states=pending)
    if page.total == 0:
        st.info("Nobody is waiting for review.")
        return
    st.caption(
        f"{page.total} pending. Approving sends an approval email, denying a "
        "denial email; a decision is final."
    )
    page_count = -(-page.total // REGISTRATION_PAGE_SIZE)
    ids = [row.candidate_id for row in page.rows]
    if can_review:
        st.checkbox(
            "Select all on this page" if page_count > 1 else "Select all",
            key=_all_box(event.id),
            on_change=_select_all,
            args=(event.id, ids),
        )
    for row in page.rows:
        line = (
            f"{row.name} · {row.email or 'no email address'} · "
            f"{row.joined_by.label} {format_local(row.joined_at, member.time_zone)}"
        )
        if can_review:
            st.checkbox(plain(line), key=_box(event.id, row.candidate_id))
        else:
            st.text(line)
    if can_review:
        chosen = len(_chosen(event.id, ids))
        approve, deny = st.columns(2)
        approve.button(
            f"Approve selected ({chosen})",
            type="primary",
            key=f"qr_approve_{event.id}",
            on_click=_decide,
            args=(member, event.id, ids, True),
            disabled=chosen == 0,
            width="stretch",
        )
        # A denial is final and emails at once: it asks first.
        deny.button(
            f"Deny selected ({chosen})",
            key=f"qr_deny_{event.id}",
            on_click=_ask_to_deny,
            args=(event.id,),
            disabled=chosen == 0,
            width="stretch",
        )
        if chosen and st.session_state.get(_confirm_key(event.id)):
            people = "this candidate" if chosen == 1 else f"these {chosen} candidates"
            st.warning(
                f"Deny {people}? They get a denial email now, and a denial "
                "cannot be undone.",
                icon=":material/warning:",
            )
            confirm, keep = st.columns(2)
            confirm.button(
                f"Deny and email ({chosen})",
                type="primary",
                key=f"qr_deny_confirm_{event.id}",
                on_click=_decide,
                args=(member, event.id, ids, False),
                width="stretch",
            )
            keep.button(
                "Keep them pending",
                key=f"qr_deny_keep_{event.id}",
                on_click=_keep_pending,
                args=(event.id,),
                width="stretch",
            )
    if page_count > 1:
        st.pagination(page_count, key=page_key)
