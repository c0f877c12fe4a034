"""The database engine for this process and the signed-in member of this session."""

from __future__ import annotations

import logging
import os

import streamlit as st
from sqlalchemy.engine import Engine

from flo_comms.config import DatabaseSettings, database_settings
from flo_comms.delivery import DeliveryDispatcher, make_transport
from flo_comms.mail_settings import MailSettings, mail_settings
from flo_comms.members import Member
from flo_comms.startup import freeze_start_up_heap, open_database

MEMBER_KEY = "member"

# The domain logs what an operator wants to see (schema upgrades, edits,
# deletions); send it to the dashboard's console beside Streamlit's own lines.
_domain_logger = logging.getLogger("flo_comms")
if not _domain_logger.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    _domain_logger.addHandler(_handler)
    _domain_logger.setLevel(logging.INFO)


@st.cache_resource(
    show_spinner="Opening the database (the very first start also creates demo data)…"
)
def _engine_for(settings: DatabaseSettings) -> Engine:
    return open_database(settings)


def engine() -> Engine:
    """The one engine of this process, for the configured database URL."""
    return _engine_for(database_settings())


def settle_heap() -> None:
    """After the database is open, freeze what start-up made (once a process).

    See flo_comms.startup.freeze_start_up_heap. The Analytics page's charting
    library is imported here first: its objects are the most numerous of all
    (a full collection pass over them alone took 134 ms), and a page would
    otherwise import it only after the freeze.
    """
    import altair  # noqa: F401

    engine()
    freeze_start_up_heap()


def _stop(dispatcher: DeliveryDispatcher) -> None:
    dispatcher.stop()


@st.cache_resource(on_release=_stop, show_spinner=False)
def _dispatcher_for(
    settings: DatabaseSettings, mail: MailSettings
) -> DeliveryDispatcher:
    dispatcher = DeliveryDispatcher(
        _engine_for(settings),
        make_transport(mail),
        event_emails_from=mail.from_address,
    )
    dispatcher.start()
    return dispatcher


def dispatcher() -> DeliveryDispatcher | None:
    """This process's dispatcher, started on first use.

    DuckDB lets one process open its file, so the dashboard sends its own event
    reminders and follow-ups and delivers its own queue. FLO_COMMS_DISPATCHER=off
    leaves both to `flo-comms dispatch` (a deployment on PostgreSQL may run it
    apart; the page tests turn it off).
    """
    if os.environ.get("FLO_COMMS_DISPATCHER", "on").strip().lower() == "off":
        return None
    # Root-level entries of .streamlit/secrets.toml become environment
    # variables once the secrets are loaded: SMTP credentials may live there.
    st.secrets.load_if_toml_exists()
    return _dispatcher_for(database_settings(), mail_settings())


def wake_dispatcher() -> None:
    """Deliver what an action just queued now rather than at the next round."""
    running = dispatcher()
    if running is not None:
        running.wake()


def current_member() -> Member | None:
    return st.session_state.get(MEMBER_KEY)


def require_member() -> Member:
    """The signed-in member; app.py never runs a page without one."""
    member = current_member()
    if member is None:
        st.stop()
    return member


def sign_in(member: Member) -> None:
    st.session_state[MEMBER_KEY] = member


def sign_out() -> None:
    st.session_state.clear()
