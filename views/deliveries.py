"""Deliveries (admins): the email queue by state, with a retry for failed ones."""

import streamlit as st

from flo_comms.delivery import list_deliveries, retry_delivery
from flo_comms.delivery_records import DELIVERIES_PAGE_SIZE
from flo_comms.errors import FloCommsError
from flo_comms.members import Member, Role
from flo_comms.system_emails import DeliveryState
from flo_comms.timezones import format_local
from ui.communication_form import FLASH_KEY, forget_open_dialogs
from ui.session import engine, require_member, wake_dispatcher
from ui.status_change import forget_status_change
from ui.text import plain, shown_of

member = require_member()
forget_open_dialogs()
forget_status_change()
st.title("Email deliveries")

if member.role is not Role.ADMIN:
    st.error("Only admins see the email deliveries.")
    st.stop()

if flash := st.session_state.pop(FLASH_KEY, None):
    st.toast(flash)


def _retry(member: Member, delivery_id: int) -> None:
    try:
        retry_delivery(engine(), member, delivery_id)
    except FloCommsError as error:
        st.session_state[FLASH_KEY] = f"Not retried: {error}"
        return
    st.session_state[FLASH_KEY] = "Queued again."
    wake_dispatcher()


ALL = "all"
NONE_IN_STATE = {
    DeliveryState.QUEUED: "No email is waiting in the queue.",
    DeliveryState.SENDING: "No email is being sent right now.",
    DeliveryState.SENT: "No email has been sent yet.",
    DeliveryState.FAILED: "No email has failed.",
}
states = [DeliveryState.FAILED.value] + [
    s.value for s in DeliveryState if s is not DeliveryState.FAILED
]
state = st.selectbox("State", [*states, ALL], key="deliveries_state")
chosen = None if state == ALL else DeliveryState(state)
page_key = f"deliveries_page_{state}"
page_number = st.session_state.get(page_key, 1)
deliveries = list_deliveries(engine(), chosen, page=page_number)
if deliveries.total and not deliveries.entries:
    page_number = deliveries.page_count
    st.session_state[page_key] = page_number
    deliveries = list_deliveries(engine(), chosen, page=page_number)

if deliveries.total == 0:
    st.info(NONE_IN_STATE[chosen] if chosen else "No email has been sent yet.")
    st.stop()

first = (deliveries.page - 1) * DELIVERIES_PAGE_SIZE + 1
st.caption(
    f"{shown_of(first, len(deliveries.entries), deliveries.total)}, newest first"
)
for delivery in deliveries.entries:
    with st.container(border=True, key=f"delivery_{delivery.id}"):
        text, action = st.columns([5, 1])
        text.markdown(f"**{plain(delivery.subject)}**")
        text.text(
            "To: "
            + ", ".join(
                f"{p.name} <{p.address}>" if p.name else (p.address or "")
                for p in delivery.recipients
            )
        )
        facts = [
            f"{delivery.state}",
            f"queued {format_local(delivery.created_at, member.time_zone)}",
            f"{delivery.attempts} attempts",
        ]
        if delivery.sent_at:
            facts.append(f"sent {format_local(delivery.sent_at, member.time_zone)}")
        if delivery.delivered_to:
            facts.append(f"to {delivery.delivered_to}")
        if delivery.next_attempt_at and delivery.state is DeliveryState.QUEUED:
            facts.append(
                f"next try {format_local(delivery.next_attempt_at, member.time_zone)}"
            )
        text.text(" · ".join(facts))
        if delivery.last_error:
            text.text(f"Last error: {delivery.last_error}")
        if delivery.state is DeliveryState.FAILED:
            action.button(
                "Retry",
                key=f"retry_{delivery.id}",
                on_click=_retry,
                args=(member, delivery.id),
            )

if deliveries.page_count > 1:
    st.pagination(deliveries.page_count, key=page_key)
