"""The Change status modal, shared by the Jobs page and the candidate's profile.

Same pattern as ui/communication_form.py: which application's modal is open
lives in session state, together with the page it was opened on; the change
happens in the Confirm button's callback, which calls flo_comms and either
closes the modal with a toast or leaves its message in session state.
"""

from __future__ import annotations

import streamlit as st

from flo_comms.communications import Participant
from flo_comms.errors import FloCommsError, ValidationError
from flo_comms.job_emails import (
    StatusChangePreview,
    change_status,
    preview_status_change,
)
from flo_comms.jobs import ApplicationStatus, get_application
from flo_comms.mail_settings import mail_settings
from flo_comms.members import Member
from flo_comms.timeline import get_communication
from ui.communication_form import FLASH_KEY
from ui.session import engine, wake_dispatcher
from ui.text import plain

STATUS_KEY = "status_change"
NEW_STATUS_KEY = "sc_new_status"
ERRORS_KEY = "sc_errors"


def open_status_change(application_id: int, where: str) -> None:
    """Open the modal for an application; ``where`` names the page it belongs to."""
    st.session_state[STATUS_KEY] = {"application_id": application_id, "where": where}
    st.session_state.pop(NEW_STATUS_KEY, None)
    st.session_state[ERRORS_KEY] = {}


def close_status_change() -> None:
    for key in (STATUS_KEY, NEW_STATUS_KEY, ERRORS_KEY):
        st.session_state.pop(key, None)


def forget_status_change(where: str | None = None) -> None:
    """Close a modal opened on another page (or another job, another profile)."""
    request = st.session_state.get(STATUS_KEY)
    if request is not None and request["where"] != where:
        close_status_change()


def _people(people: tuple[Participant, ...]) -> str:
    return ", ".join(
        f"{p.name} <{p.address}>" if p.name else (p.address or "") for p in people
    )


def confirm_status_change(member: Member) -> None:
    """Change the status as previewed; on refusal keep the modal open with why."""
    request = st.session_state.get(STATUS_KEY)
    if request is None:
        return
    new_status = st.session_state.get(NEW_STATUS_KEY)
    if not new_status:
        st.session_state[ERRORS_KEY] = {"status": "Choose the new status."}
        return
    seen = request.get("seen_old_status")
    try:
        result = change_status(
            engine(),
            member,
            request["application_id"],
            new_status,
            from_address=mail_settings().from_address,
            expected_old_status=seen,
        )
    except ValidationError as error:
        st.session_state[ERRORS_KEY] = error.errors
        return
    except (FloCommsError, ValueError) as error:
        # StatusChangedMeanwhile, PermissionDenied, NotFound; ValueError is a
        # mail setting the operator got wrong, named by mail_settings().
        st.session_state[ERRORS_KEY] = {"form": str(error)}
        return
    if result.communication_id is not None:
        sent = get_communication(engine(), result.communication_id)
        message = (
            f"Status changed from {result.old_status} to {result.new_status}; "
            f"the email to {_people(tuple(sent.to))} is queued."
        )
    else:
        message = (
            f"Status changed from {result.old_status} to {result.new_status}; "
            f"no email sent: {result.not_sent_reason}"
        )
    close_status_change()
    st.session_state[FLASH_KEY] = message
    wake_dispatcher()


def _field_error(field: str) -> None:
    message = st.session_state.get(ERRORS_KEY, {}).get(field)
    if message:
        st.error(plain(message), icon=":material/error:")


def _show_preview(preview: StatusChangePreview) -> None:
    if not preview.will_send:
        st.warning(
            plain(f"No email will be sent: {preview.not_sent_reason}"),
            icon=":material/unsubscribe:",
        )
        return
    st.info("This change sends an email.", icon=":material/mail:")
    st.text(f"To: {_people(preview.to)}")
    if preview.cc:
        st.text(f"Cc: {_people(preview.cc)}")
    if preview.bcc:
        st.text(f"Bcc: {_people(preview.bcc)}")
    st.text(f"Subject: {preview.subject}")
    with st.container(border=True):
        st.text(preview.body)


def status_change_body(member: Member) -> None:
    """The modal's content; drawn inside the dialog."""
    request = st.session_state[STATUS_KEY]
    _field_error("form")
    try:
        application = get_application(engine(), request["application_id"])
    except FloCommsError as error:
        st.warning(plain(str(error)))
        st.button("Close", key="sc_cancel", on_click=close_status_change)
        return
    st.text(
        f"{application.candidate_name} · {application.job_title} · "
        f"now {application.status}"
    )
    st.selectbox(
        "New status",
        [s.value for s in ApplicationStatus if s != application.status],
        key=NEW_STATUS_KEY,
        index=None,
        placeholder="Choose the new status",
    )
    _field_error("status")
    new_status = st.session_state.get(NEW_STATUS_KEY)
    preview = None
    if new_status:
        try:
            preview = preview_status_change(
                engine(), member, application.id, new_status
            )
        except ValidationError as error:
            for message in error.errors.values():
                st.error(plain(message), icon=":material/error:")
        except FloCommsError as error:
            st.error(plain(str(error)), icon=":material/error:")
    _field_error("template")
    if preview is not None:
        # The status the member saw is what the change expects to find.
        request["seen_old_status"] = preview.old_status.value
        _show_preview(preview)
    confirm, cancel = st.columns(2)
    confirm.button(
        "Change status",
        type="primary",
        key="sc_confirm",
        on_click=confirm_status_change,
        args=(member,),
        disabled=preview is None,
        width="stretch",
    )
    cancel.button(
        "Cancel", key="sc_cancel", on_click=close_status_change, width="stretch"
    )


@st.dialog("Change status", width="large", on_dismiss=close_status_change)
def status_change_dialog(member: Member) -> None:
    if STATUS_KEY not in st.session_state:
        # Changed or cancelled by a callback: a full rerun closes the modal.
        st.rerun()
    status_change_body(member)


def draw_status_change(member: Member, where: str) -> None:
    """Draw the modal if session state says it is open on this page."""
    forget_status_change(where)
    if STATUS_KEY in st.session_state:
        status_change_dialog(member)


def change_status_button(member: Member, application_id: int, where: str, container):
    """The per-row action; members who may not change statuses see none."""
    if member.role.can_log_communications:
        container.button(
            "Change status",
            key=f"change_status_{application_id}",
            on_click=open_status_change,
            args=(application_id, where),
        )
