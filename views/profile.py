"""A candidate's full profile, opened by ?candidate=<id>: the Communications tab."""

import re

import streamlit as st

from flo_comms.candidates import get_candidate
from flo_comms.communications import CommunicationType, Source
from flo_comms.delivery import delivery_state_of
from flo_comms.errors import NotFound
from flo_comms.jobs import candidate_applications, list_jobs
from flo_comms.system_emails import EmailKind
from flo_comms.timeline import TimelineFilter, candidate_events, candidate_timeline
from flo_comms.timezones import format_local
from ui.communication_form import FLASH_KEY, draw_open_dialogs, open_new_form
from ui.email_forms import draw_email_forms, open_send_email, open_update_request
from ui.session import engine, require_member
from ui.status_change import change_status_button, draw_status_change
from ui.text import plain, shown_of
from ui.timeline_view import draw_entry

member = require_member()

raw_id = st.query_params.get("candidate", "")
if not re.fullmatch(r"[0-9]{1,18}", raw_id):
    st.error(
        f"“{raw_id}” is not a candidate id: open a profile from the candidates list."
        if raw_id
        else "No candidate chosen: open a profile from the candidates list."
    )
    st.page_link(
        "views/candidates.py", label="Go to candidates", icon=":material/group:"
    )
    st.stop()
try:
    candidate = get_candidate(engine(), int(raw_id))
except NotFound:
    st.error(f"There is no candidate with id {raw_id}.")
    st.page_link(
        "views/candidates.py", label="Go to candidates", icon=":material/group:"
    )
    st.stop()

if flash := st.session_state.pop(FLASH_KEY, None):
    st.toast(flash)

draw_open_dialogs(member, candidate.id)
draw_status_change(member, f"profile:{candidate.id}")
draw_email_forms(member, candidate.id)

st.title(plain(candidate.name))
facts = [candidate.email or "no email address", candidate.source.value]
if candidate.agency_contact_name:
    facts.append(
        f"submitted by {candidate.agency_contact_name} ({candidate.agency_name})"
    )
st.caption(plain(" · ".join(facts)))

applications = candidate_applications(engine(), candidate.id)
if applications:
    with st.expander(f"Applications ({len(applications)})", expanded=True):
        widths = [3, 2, 2.5, 1.6, 1.6]
        for application in applications:
            job, status, changed, action, request = st.columns(widths)
            job.text(application.job_title)
            status.text(application.status.value)
            changed.text(
                "since " + format_local(application.status_changed_at, member.time_zone)
            )
            change_status_button(
                member, application.id, f"profile:{candidate.id}", action
            )
            if member.role.can_log_communications:
                request.button(
                    "Request update",
                    key=f"request_update_{application.id}",
                    on_click=open_update_request,
                    args=(member, application.id, candidate.id),
                )

communications_tab, profile_tab = st.tabs(["Communications", "Profile"])

with profile_tab:
    st.markdown(
        "  \n".join(
            [
                f"**Email:** {plain(candidate.email or '—')}",
                f"**Phone:** {plain(candidate.phone or '—')}",
                f"**Source:** {plain(candidate.source.value)}",
                f"**Agency contact:** {plain(candidate.agency_contact_name or '—')}",
                f"**In the system since:** "
                f"{format_local(candidate.created_at, member.time_zone)}",
            ]
        )
    )

# Filters belong to the profile they were set on: another candidate starts clean.
FILTER_KEYS = (
    "tl_sources",
    "tl_types",
    "tl_dates",
    "tl_text",
    "tl_jobs",
    "tl_events",
    "tl_kinds",
)
if st.session_state.get("tl_candidate") != candidate.id:
    for key in FILTER_KEYS:
        st.session_state.pop(key, None)
    st.session_state["tl_candidate"] = candidate.id

with communications_tab:
    if member.role.can_log_communications:
        st.button(
            "+ New Communication",
            type="primary",
            key="new_communication",
            on_click=open_new_form,
            args=(member, candidate.id),
        )
        st.button(
            "Send email",
            key="send_email",
            icon=":material/mail:",
            on_click=open_send_email,
            args=(member, candidate.id),
        )
    else:
        st.caption("Managers read communications; admins and recruiters log them.")

    source_filter, type_filter, date_filter, text_filter = st.columns([1, 2, 2, 2])
    sources = source_filter.multiselect(
        "Source",
        [s.value for s in Source],
        key="tl_sources",
        placeholder="All",
    )
    types = type_filter.multiselect(
        "Type",
        [t.value for t in CommunicationType],
        format_func=lambda v: CommunicationType(v).label,
        key="tl_types",
        placeholder="All",
    )
    dates = date_filter.date_input(
        f"Date range ({member.time_zone})",
        value=(),
        key="tl_dates",
        format="YYYY-MM-DD",
        help="Whole days in your time zone, both ends included. A start date "
        "alone shows that day on; a range needs its start date first.",
    )
    text = text_filter.text_input(
        "Search subject and description",
        key="tl_text",
    )
    job_filter, event_filter, kind_filter = st.columns(3)
    jobs = {job.id: job.title for job in list_jobs(engine())}
    job_ids = job_filter.multiselect(
        "Job",
        list(jobs),
        format_func=lambda i: jobs.get(i, f"job {i}"),
        key="tl_jobs",
        placeholder="All",
    )
    # Only the events this candidate has emails from: the list stays short.
    events = {
        event.id: event.label for event in candidate_events(engine(), candidate.id)
    }
    event_ids = event_filter.multiselect(
        "Event",
        list(events),
        format_func=lambda i: events.get(i, f"event {i}"),
        key="tl_events",
        placeholder="All",
    )
    kinds = kind_filter.multiselect(
        "Email kind",
        [kind.value for kind in EmailKind],
        key="tl_kinds",
        placeholder="All",
    )
    start = dates[0] if len(dates) >= 1 else None
    end = dates[1] if len(dates) == 2 else None
    if start is not None and end is None:
        # Only a start chosen: everything from that day on, said beside the box.
        date_filter.caption(f"From {start:%-d %b %Y} on; pick an end date to close it.")

    criteria = TimelineFilter(
        sources=frozenset(sources),
        comm_types=frozenset(types),
        start_date=start,
        end_date=end,
        text=text,
        time_zone=member.time_zone,
        job_ids=frozenset(job_ids),
        email_kinds=frozenset(kinds),
        event_ids=frozenset(event_ids),
    )
    # Other filters, or another candidate, get a new pager that starts on page 1.
    page_key = f"timeline_page_{candidate.id}_{hash(criteria)}"
    page_number = st.session_state.get(page_key, 1)
    timeline = candidate_timeline(engine(), candidate.id, criteria, page=page_number)
    if timeline.total and not timeline.entries:
        # A deletion emptied the last page: show the page before it instead.
        page_number = timeline.page_count
        st.session_state[page_key] = page_number
        timeline = candidate_timeline(
            engine(), candidate.id, criteria, page=page_number
        )

    filtered = bool(
        sources or types or start or text.strip() or job_ids or event_ids or kinds
    )
    if timeline.total == 0:
        st.info(
            "No communication matches these filters; clear one to see more."
            if filtered
            else "No communications with this candidate yet."
        )
    else:
        first = (timeline.page - 1) * timeline.page_size + 1
        st.caption(
            f"{shown_of(first, len(timeline.entries), timeline.total)}, newest first"
        )
        deliveries = delivery_state_of(engine(), [e.id for e in timeline.entries])
        for entry in timeline.entries:
            draw_entry(entry, member, candidate.id, deliveries.get(entry.id))
        if timeline.page_count > 1:
            st.pagination(timeline.page_count, key=page_key)
