"""Outreach events: upcoming, past or all, by type and title; + New event."""

import streamlit as st

from flo_comms.communications import event_kind_label
from flo_comms.event_rules import EventType
from flo_comms.events import EVENT_PAGE_SIZE, EventState, EventWhen, list_events
from ui.communication_form import FLASH_KEY, forget_open_dialogs
from ui.email_forms import forget_email_forms
from ui.event_actions import forget_event_dialogs
from ui.event_form import CREATED_KEY, draw_event_form, open_new_event
from ui.event_text import has_ended, when_lines
from ui.session import engine, require_member
from ui.status_change import forget_status_change
from ui.text import plain, shown_of

member = require_member()
forget_open_dialogs()
forget_email_forms()
forget_status_change()
forget_event_dialogs(None)

if (created := st.session_state.pop(CREATED_KEY, None)) is not None:
    # The new event's page is where candidates, slots and the link are.
    st.switch_page("views/event.py", query_params={"event": created})

draw_event_form(member, None)
if flash := st.session_state.pop(FLASH_KEY, None):
    st.toast(flash)
st.title("Events")

if member.role.can_log_communications:
    st.button(
        "+ New event",
        type="primary",
        key="new_event",
        on_click=open_new_event,
        args=(member,),
    )
else:
    st.caption("Managers read events; admins and recruiters run them.")

when_filter, type_filter, text_filter = st.columns([2, 3, 3])
when = when_filter.segmented_control(
    "Show",
    [w.value for w in EventWhen],
    key="events_when",
    default=EventWhen.UPCOMING.value,
    format_func=str.capitalize,
    required=True,
    persist_state="session",
)
types = type_filter.multiselect(
    "Type",
    [t.value for t in EventType],
    key="events_types",
    format_func=str.capitalize,
    placeholder="All",
    persist_state="session",
)
text = text_filter.text_input(
    "Search titles", key="events_text", persist_state="session"
)

# The filters and the page stay for the session: coming back from an event
# finds the list as it was. Other filters get a new pager, which starts on 1.
page_key = f"events_page_{when}_{sorted(types)}_{text.strip().lower()}"
page_number = st.session_state.get(page_key, 1)
result = list_events(
    engine(), when=when, event_types=frozenset(types), text=text, page=page_number
)

if result.total == 0:
    filtered = bool(types or text.strip())
    if filtered:
        st.info("No event matches these filters; clear one to see more.")
    elif when == EventWhen.UPCOMING:
        st.info("No upcoming events.")
    elif when == EventWhen.PAST:
        st.info("No past events.")
    else:
        st.info("There are no events yet.")
    st.stop()

first = (page_number - 1) * EVENT_PAGE_SIZE + 1
st.caption(
    f"{shown_of(first, len(result.rows), result.total, 'event', 'events')} · "
    "Registered: approved or waiting for review, not those denied"
)

widths = [3, 2, 3.4, 1.2, 1.1, 1]
header = st.columns(widths)
for column, label in zip(
    header,
    ["Title", "Type", "Date and time", "State", "Registered", "Pending"],
    strict=True,
):
    column.markdown(f"**{label}**")
for event in result.rows:
    with st.container(key=f"event_row_{event.id}"):
        title, kind, when_column, state, registered, pending = st.columns(widths)
        title.page_link(
            "views/event.py", label=plain(event.title), query_params={"event": event.id}
        )
        kind.text(event_kind_label(event.event_type.value, event.invite_only))
        when_column.text(
            "\n".join(
                when_lines(
                    event.starts_at, event.ends_at, event.time_zone, member.time_zone
                )
            )
        )
        if event.state is EventState.CANCELLED:
            state.text("cancelled")
        else:
            state.text("ended" if has_ended(event.ends_at) else "scheduled")
        registered.text(str(event.registered))
        pending.text(str(event.pending) if event.invite_only else "—")

page_count = -(-result.total // EVENT_PAGE_SIZE)
if page_count > 1:
    st.pagination(page_count, key=page_key, persist_state="session")
