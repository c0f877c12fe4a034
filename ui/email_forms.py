"""The profile's Request update and Send email modals.

Same pattern as ui/communication_form.py: which modal is open lives in session
state with the profile it belongs to; sending happens in the button's callback,
which calls flo_comms and either closes the modal with a toast or leaves each
field's message in session state. A second click finds the modal closed and
sends nothing.
"""

from __future__ import annotations

import streamlit as st

from flo_comms.candidates import candidate_names
from flo_comms.communications import Participant
from flo_comms.direct_emails import send_email
from flo_comms.email_templates import TEMPLATE_VARIABLES
from flo_comms.errors import FloCommsError, ValidationError
from flo_comms.job_emails import request_application_update, update_request_draft
from flo_comms.mail_settings import mail_settings
from flo_comms.members import Member, list_members
from ui.communication_form import FLASH_KEY
from ui.session import engine, wake_dispatcher
from ui.text import plain

UPDATE_KEY = "update_request"
SEND_KEY = "send_email_form"
ERRORS_KEY = "ef_errors"
FIELD_KEYS = (
    "ur_message",
    "se_cc",
    "se_bcc",
    "se_reply_to",
    "se_subject",
    "se_body",
    ERRORS_KEY,
)


def _people(people: tuple[Participant, ...]) -> str:
    return ", ".join(
        f"{p.name} <{p.address}>" if p.name else (p.address or "") for p in people
    )


def _field_error(field: str) -> None:
    message = st.session_state.get(ERRORS_KEY, {}).get(field)
    if message:
        st.error(plain(message), icon=":material/error:")


def close_email_forms() -> None:
    for key in (UPDATE_KEY, SEND_KEY, *FIELD_KEYS):
        st.session_state.pop(key, None)


def forget_email_forms(candidate_id: int | None = None) -> None:
    """Close a modal opened on another profile than ``candidate_id``'s."""
    for key in (UPDATE_KEY, SEND_KEY):
        request = st.session_state.get(key)
        if request is not None and request["candidate_id"] != candidate_id:
            close_email_forms()


# --- request an application update ---------------------------------------------


def open_update_request(member: Member, application_id: int, candidate_id: int):
    close_email_forms()
    try:
        draft = update_request_draft(engine(), member, application_id)
    except FloCommsError as error:
        st.session_state[FLASH_KEY] = f"Cannot request an update: {error}"
        return
    st.session_state[UPDATE_KEY] = {
        "application_id": application_id,
        "candidate_id": candidate_id,
        "draft": draft,
    }
    st.session_state["ur_message"] = draft.message
    st.session_state[ERRORS_KEY] = {}


def send_update_request(member: Member) -> None:
    request = st.session_state.get(UPDATE_KEY)
    if request is None:
        return
    try:
        request_application_update(
            engine(),
            member,
            request["application_id"],
            st.session_state.get("ur_message") or "",
            from_address=mail_settings().from_address,
        )
    except ValidationError as error:
        st.session_state[ERRORS_KEY] = error.errors
        return
    except (FloCommsError, ValueError) as error:
        st.session_state[ERRORS_KEY] = {"form": str(error)}
        return
    to = _people(request["draft"].to)
    close_email_forms()
    st.session_state[FLASH_KEY] = f"Update request to {to} queued."
    wake_dispatcher()


@st.dialog("Request an application update", width="large", on_dismiss=close_email_forms)
def update_request_dialog(member: Member) -> None:
    if UPDATE_KEY not in st.session_state:
        st.rerun()
    draft = st.session_state[UPDATE_KEY]["draft"]
    _field_error("form")
    st.text(f"{draft.candidate_name} · {draft.job_title}")
    if draft.not_sent_reason:
        st.warning(plain(draft.not_sent_reason), icon=":material/unsubscribe:")
    else:
        st.text(f"To: {_people(draft.to)}")
        if draft.cc:
            st.text(f"Cc: {_people(draft.cc)}")
        if draft.bcc:
            st.text(f"Bcc: {_people(draft.bcc)}")
    _field_error("to")
    st.text(f"Subject: {draft.subject}")
    st.text_area("Message", key="ur_message", height=220)
    _field_error("message")
    send, cancel = st.columns(2)
    send.button(
        "Send request",
        type="primary",
        key="ur_send",
        on_click=send_update_request,
        args=(member,),
        disabled=bool(draft.not_sent_reason),
        width="stretch",
    )
    cancel.button(
        "Cancel", key="ur_cancel", on_click=close_email_forms, width="stretch"
    )


# --- send an email to this candidate -------------------------------------------


def open_send_email(member: Member, candidate_id: int) -> None:
    """Open the send-email modal on a profile, to that candidate."""
    _open_send(member, opened_on=candidate_id, candidate_ids=[candidate_id])


PICKED_KEY = "picked_candidates"


def clear_picked_candidates() -> None:
    """Forget the candidates ticked on the list, boxes included."""
    for key in [k for k in st.session_state if str(k).startswith("pick_")]:
        del st.session_state[key]
    st.session_state[PICKED_KEY] = []


def open_bulk_email(member: Member, candidate_ids: list[int]) -> None:
    """Open the send-email modal on the candidates list, to those selected."""
    _open_send(member, opened_on=None, candidate_ids=candidate_ids)


def _open_send(member: Member, opened_on: int | None, candidate_ids: list[int]):
    close_email_forms()
    st.session_state[SEND_KEY] = {
        "candidate_id": opened_on,
        "candidate_ids": list(candidate_ids),
    }
    st.session_state["se_cc"] = []
    st.session_state["se_bcc"] = []
    st.session_state["se_reply_to"] = member.email
    st.session_state["se_subject"] = ""
    st.session_state["se_body"] = ""
    st.session_state[ERRORS_KEY] = {}


def send_candidate_email(member: Member) -> None:
    request = st.session_state.get(SEND_KEY)
    if request is None:
        return
    state = st.session_state
    try:
        report = send_email(
            engine(),
            member,
            request["candidate_ids"],
            subject_template=state.get("se_subject") or "",
            body_template=state.get("se_body") or "",
            from_address=mail_settings().from_address,
            cc_member_ids=state.get("se_cc") or [],
            bcc_member_ids=state.get("se_bcc") or [],
            reply_to=state.get("se_reply_to") or None,
        )
    except ValidationError as error:
        state[ERRORS_KEY] = error.errors
        return
    except (FloCommsError, ValueError) as error:
        state[ERRORS_KEY] = {"form": str(error)}
        return
    close_email_forms()
    if request["candidate_id"] is None:
        # Sent from the candidates list: the selection has done its job.
        clear_picked_candidates()
    parts = []
    if report.sent:
        parts.append("Email queued.")
    if report.skipped:
        parts.append(
            "Not sent to " + "; ".join(f"{s.name}: {s.reason}" for s in report.skipped)
        )
    state[FLASH_KEY] = " ".join(parts)
    wake_dispatcher()


@st.dialog("Send an email", width="large", on_dismiss=close_email_forms)
def send_email_dialog(member: Member) -> None:
    if SEND_KEY not in st.session_state:
        st.rerun()
    _field_error("form")
    chosen = st.session_state[SEND_KEY]["candidate_ids"]
    names = candidate_names(engine(), chosen)
    st.text("To: " + ", ".join(names.get(i, f"candidate {i}") for i in chosen))
    if len(chosen) > 1:
        st.caption("Each candidate gets an email of their own, with their own name.")
    _field_error("to")
    team = {m.id: m.name for m in list_members(engine())}
    st.multiselect(
        "Cc: members", list(team), key="se_cc", format_func=lambda i: team[i]
    )
    _field_error("cc")
    st.multiselect(
        "Bcc: members", list(team), key="se_bcc", format_func=lambda i: team[i]
    )
    _field_error("bcc")
    st.text_input("Reply-to", key="se_reply_to")
    _field_error("reply_to")
    variables = "\n".join(
        f"- `{{{{ {name} }}}}`: {meaning}"
        for name, meaning in TEMPLATE_VARIABLES.items()
        if not name.startswith(("job.", "status"))
    )
    st.text_input("Subject", key="se_subject", help=f"Variables:\n\n{variables}")
    _field_error("subject")
    st.text_area(
        "Message", key="se_body", height=220, help=f"Variables:\n\n{variables}"
    )
    _field_error("body")
    send, cancel = st.columns(2)
    send.button(
        "Send",
        type="primary",
        key="se_send",
        on_click=send_candidate_email,
        args=(member,),
        width="stretch",
    )
    cancel.button(
        "Cancel", key="se_cancel", on_click=close_email_forms, width="stretch"
    )


def draw_email_forms(member: Member, candidate_id: int) -> None:
    """Draw whichever of these modals session state says is open on this profile."""
    forget_email_forms(candidate_id)
    if UPDATE_KEY in st.session_state:
        update_request_dialog(member)
    elif SEND_KEY in st.session_state:
        send_email_dialog(member)


def draw_bulk_email(member: Member) -> None:
    """Draw the send-email modal opened on the candidates list, if it is open."""
    forget_email_forms(None)
    if SEND_KEY in st.session_state:
        send_email_dialog(member)
