"""Which confirmation or action modal is open on an event's page, and its messages.

One modal at a time (Streamlit draws one dialog per run): its kind, the event
it belongs to and what it acts on live in session state, so it survives
reruns; its button's callback calls flo_comms and either closes it with a
message or leaves the refusal in session state, shown beside the field at
fault. Leaving the event (a link, the browser's Back button) closes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from flo_comms.errors import FloCommsError, ValidationError
from ui.event_form import close_event_form
from ui.text import plain

DIALOG_KEY = "event_dialog"
ERRORS_KEY = "evd_errors"
# Widgets inside these modals have keys starting with this: closing forgets them.
FIELD_PREFIX = "evd_"


def open_event_dialog(kind: str, event_id: int, **details: Any) -> None:
    close_event_form()
    close_event_dialog()
    st.session_state[DIALOG_KEY] = {"kind": kind, "event_id": event_id, **details}
    st.session_state[ERRORS_KEY] = {}


def close_event_dialog() -> None:
    st.session_state.pop(DIALOG_KEY, None)
    for key in [k for k in st.session_state if str(k).startswith(FIELD_PREFIX)]:
        del st.session_state[key]


def open_dialog_request(kind: str | None = None) -> dict[str, Any] | None:
    """The open modal's request (of this kind, if given), or None."""
    request = st.session_state.get(DIALOG_KEY)
    if request is None or (kind is not None and request["kind"] != kind):
        return None
    return request


def forget_event_dialogs(event_id: int | None) -> None:
    """Close a modal opened on another event's page than ``event_id``'s."""
    request = st.session_state.get(DIALOG_KEY)
    if request is not None and request["event_id"] != event_id:
        close_event_dialog()


def rerun_if_closed() -> None:
    """Inside a dialog: closed by a callback, so a full rerun takes it away."""
    if DIALOG_KEY not in st.session_state:
        st.rerun()


def refuse(error: Exception) -> None:
    """Keep the modal open with why the domain refused."""
    if isinstance(error, ValidationError):
        st.session_state[ERRORS_KEY] = error.errors
    else:
        st.session_state[ERRORS_KEY] = {"form": str(error)}


def attempt(action: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a domain call; on a refusal keep the modal open with its message.

    ValueError is a mail setting the operator got wrong, named by mail_settings().
    """
    try:
        return True, action()
    except (FloCommsError, ValueError) as error:
        refuse(error)
        return False, None


def field_error(*fields: str, errors_key: str = ERRORS_KEY) -> None:
    errors = st.session_state.get(errors_key, {})
    for field in fields:
        if message := errors.get(field):
            st.error(plain(message), icon=":material/error:")
