"""An outreach event's public registration page: /register?event=<its token>.

The one page a visitor reaches without signing in (app.py). It shows what a
candidate may know of the event, never its conferencing link (that goes only
in the emails to those who may attend) nor its internal notes, and registers
them by name and address (flo_comms.registrations).

Registering happens in the form button's callback, which keeps the outcome in
session state for the script to draw. Buttons stay clickable while a run is in
progress, and Streamlit answers a second click by starting a new run on another
thread, while the first one's callback may still be writing; the first run is
then stopped at its next touch of session state, so the outcome it got never
reaches the session. Hence the outcome is also kept for a few minutes in this
process, by session, event and address, and the callbacks for one address take
turns: the second click finds the first one's outcome, and the visitor reads
"You are registered", not "registered already". One registration, one
confirmation.

Nothing here names a member or links to a member page; an unexpected failure
is logged and told in plain words, never as a traceback.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import UTC

import streamlit as st

from flo_comms.errors import NotFound, ValidationError
from flo_comms.event_emails import format_event_time
from flo_comms.event_rules import ReviewState
from flo_comms.events import Event, EventState, get_event_by_token
from flo_comms.mail_settings import mail_settings
from flo_comms.members import normalise_email
from flo_comms.registrations import (
    RegistrationClosed,
    RegistrationOutcome,
    register_by_link,
)
from flo_comms.timezones import now_utc
from ui.session import engine, wake_dispatcher
from ui.text import plain

logger = logging.getLogger(__name__)

# The last submit on this page: {"token", "email", "outcome", "errors"}.
ATTEMPT_KEY = "registration_attempt"
# A random name for this browser session, for the outcomes kept in the process.
SESSION_KEY = "registration_session"
# Registrations of different addresses need not wait for each other.
LOCK_STRIPES = 64
# How long an outcome is kept for a late second click of the same session.
RECENT_SECONDS = 10 * 60
# Registration tokens are 32 characters; anything far longer is not one.
MAX_TOKEN_LENGTH = 128
UNAVAILABLE = (
    "Registration is not available just now. Please try again in a few minutes."
)


def _attempt(token: str) -> dict:
    """The last submit, if it was for this event's link."""
    attempt = st.session_state.get(ATTEMPT_KEY)
    return attempt if attempt and attempt["token"] == token else {}


# (this browser session's SESSION_KEY, the event's token, the address)
_Key = tuple[str, str, str]


class _Recent:
    """Outcomes of this process's registrations, by (session, token, address).

    Shared by every session of the process (st.cache_resource), with a lock per
    address so that two callbacks for one address never register at once.
    """

    def __init__(self) -> None:
        self._locks = tuple(threading.Lock() for _ in range(LOCK_STRIPES))
        self._guard = threading.Lock()
        self._outcomes: dict[_Key, tuple[float, RegistrationOutcome]] = {}

    def lock_for(self, key: _Key) -> threading.Lock:
        # By event and address only: two sessions registering one address wait too.
        return self._locks[hash(key[1:]) % LOCK_STRIPES]

    def recall(self, key: _Key) -> RegistrationOutcome | None:
        with self._guard:
            kept = self._outcomes.get(key)
        if kept is None or time.monotonic() - kept[0] > RECENT_SECONDS:
            return None
        return kept[1]

    def remember(self, key: _Key, outcome: RegistrationOutcome) -> None:
        now = time.monotonic()
        with self._guard:
            self._outcomes = {
                k: kept
                for k, kept in self._outcomes.items()
                if now - kept[0] <= RECENT_SECONDS
            }
            self._outcomes[key] = (now, outcome)


@st.cache_resource(show_spinner=False)
def _recent() -> _Recent:
    return _Recent()


def _register(token: str) -> None:
    email = normalise_email(st.session_state.get("reg_email") or "")
    name = st.session_state.get("reg_name") or ""
    key = (st.session_state.get(SESSION_KEY, ""), token, email)
    recent = _recent()
    with recent.lock_for(key):
        # A second click of this session finds the first one's outcome here.
        outcome = recent.recall(key)
        attempt = {"token": token, "email": email, "errors": {}, "outcome": outcome}
        if outcome is None:
            try:
                attempt["outcome"] = register_by_link(
                    engine(),
                    token,
                    name=name,
                    email=email,
                    from_address=mail_settings().from_address,
                )
            except ValidationError as error:
                attempt["errors"] = error.errors
            except (RegistrationClosed, NotFound) as error:
                attempt["errors"] = {"form": f"{error} Registration is closed."}
            except Exception:
                logger.exception("registration through an event's link failed")
                attempt["errors"] = {"form": UNAVAILABLE}
            if attempt["outcome"] is not None:
                recent.remember(key, attempt["outcome"])
    if attempt["outcome"] is not None:
        wake_dispatcher()
    # Raises StopException instead if a newer click stopped this run; that
    # run's callback then finds the outcome in ``recent``.
    st.session_state[ATTEMPT_KEY] = attempt


def _register_someone_else() -> None:
    for key in (ATTEMPT_KEY, "reg_name", "reg_email"):
        st.session_state.pop(key, None)
    # The next submit is nobody's second click, even with the same address.
    st.session_state[SESSION_KEY] = secrets.token_hex(16)


def _field_error(errors: dict[str, str], field: str) -> None:
    if errors.get(field):
        st.error(plain(errors[field]), icon=":material/error:")


def _event_for(token: str) -> Event | None:
    """The event the link names, or None after saying why there is none."""
    if not token:
        st.error(
            "This page needs an event's registration link. Open the link the "
            "event's organisers shared with you."
        )
        return None
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise NotFound("This registration link does not lead to an event.")
        return get_event_by_token(engine(), token)
    except NotFound as error:
        st.error(
            f"{error} Check that you copied the whole link, or ask the event's "
            "organisers for it again."
        )
    except Exception:
        logger.exception("reading the event of a registration link failed")
        st.error(UNAVAILABLE)
    return None


def _closed_reason(event: Event) -> str | None:
    """Why nobody can register any more, or None while they can.

    Only to spare the visitor a form that cannot work: register_by_link checks
    the same again when they submit.
    """
    if event.state is EventState.CANCELLED:
        return f"“{event.title}” was cancelled. Registration is closed."
    ends_at = event.ends_at
    if ends_at.tzinfo is None:
        ends_at = ends_at.replace(tzinfo=UTC)
    if ends_at <= now_utc():
        return f"“{event.title}” has ended. Registration is closed."
    return None


def _draw_event(event: Event) -> None:
    st.caption(plain(event.kind_label))
    lines = [
        "**When:** "
        + plain(format_event_time(event.starts_at, event.ends_at, event.time_zone))
    ]
    if event.event_type.meets_in_person:
        lines.append(f"**Where:** {plain(event.place or '')}")
    else:
        lines.append("**Where:** online; the link to join comes by email.")
    if event.event_type.has_slots:
        lines.append("**Time slots:** the organisers give each participant one.")
    st.markdown("  \n".join(lines))
    if event.agenda:
        st.subheader("Agenda")
        st.text(event.agenda)


def _draw_outcome(outcome: RegistrationOutcome, email: str) -> None:
    title = plain(f"“{outcome.event_title}”")
    if outcome.already_registered:
        st.info(f"You were registered for {title} already; nothing changed.")
    else:
        review = (
            " Places are limited: we will review your registration and write to you."
            if outcome.review_state is ReviewState.PENDING
            else ""
        )
        st.success(
            f"You are registered for {title}.{review} A confirmation is on its "
            f"way to {plain(email)}.",
            icon=":material/check_circle:",
        )
    st.button(
        "Register someone else",
        key="register_someone_else",
        on_click=_register_someone_else,
    )


def _draw_form(event: Event, token: str, errors: dict[str, str]) -> None:
    st.subheader("Register")
    if event.invite_only:
        st.caption(
            "This event is invite only: after you register, we review your "
            "registration and write to you."
        )
    _field_error(errors, "form")
    with st.form("registration"):
        st.text_input("Your name", key="reg_name", max_chars=120, autocomplete="name")
        _field_error(errors, "name")
        st.text_input(
            "Email address", key="reg_email", max_chars=254, autocomplete="email"
        )
        _field_error(errors, "email")
        st.form_submit_button(
            "Register", type="primary", on_click=_register, args=(token,)
        )


if SESSION_KEY not in st.session_state:
    st.session_state[SESSION_KEY] = secrets.token_hex(16)
token = (st.query_params.get("event") or "").strip()
event = _event_for(token)
if event is None:
    st.stop()

st.title(plain(event.title))
closed = _closed_reason(event)
if closed:
    st.warning(plain(closed), icon=":material/event_busy:")
    st.stop()

_draw_event(event)
attempt = _attempt(token)
if attempt.get("outcome"):
    _draw_outcome(attempt["outcome"], attempt["email"])
else:
    _draw_form(event, token, attempt.get("errors", {}))
