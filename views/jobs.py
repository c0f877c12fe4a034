"""Jobs: pick a job, see its pipeline, change an application's status."""

import streamlit as st

from flo_comms.jobs import (
    PIPELINE_PAGE_SIZE,
    ApplicationStatus,
    job_pipeline,
    list_jobs,
)
from flo_comms.timezones import format_local
from ui.communication_form import FLASH_KEY, forget_open_dialogs
from ui.email_forms import forget_email_forms
from ui.job_settings import job_copies_editor, status_templates_editor
from ui.session import engine, require_member
from ui.status_change import change_status_button, draw_status_change
from ui.text import plain, shown_of

member = require_member()
forget_open_dialogs()
forget_email_forms()
st.title("Jobs")

if flash := st.session_state.pop(FLASH_KEY, None):
    st.toast(flash)

jobs = {job.id: job for job in list_jobs(engine())}
if not jobs:
    st.info("There are no jobs yet.")
    st.stop()


def _job_label(job_id: int) -> str:
    job = jobs[job_id]
    where = f" ({job.location})" if job.location else ""
    closed = "" if job.is_open else ", closed"
    return f"{job.title}{where} · {job.application_count} applications{closed}"


if st.session_state.get("jobs_job") not in jobs:
    st.session_state["jobs_job"] = next(iter(jobs))
job_column, status_column = st.columns([3, 1])
job_id = job_column.selectbox("Job", list(jobs), key="jobs_job", format_func=_job_label)
status_filter = status_column.selectbox(
    "Status",
    [s.value for s in ApplicationStatus],
    key="jobs_status",
    index=None,
    placeholder="All",
)

if member.role.can_log_communications:
    settings, templates = st.columns(2)
    with settings:
        job_copies_editor(member, job_id)
    with templates:
        status_templates_editor(member)

draw_status_change(member, f"job:{job_id}")

# Another job or status filter gets a new pager, which starts on page 1.
page_key = f"pipeline_page_{job_id}_{status_filter}"
page_number = st.session_state.get(page_key, 1)
pipeline = job_pipeline(engine(), job_id, status=status_filter, page=page_number)
page_count = max(1, -(-pipeline.total // PIPELINE_PAGE_SIZE))
if pipeline.total and not pipeline.entries:
    # The status changes emptied the last page: show the page before it instead.
    page_number = page_count
    st.session_state[page_key] = page_number
    pipeline = job_pipeline(engine(), job_id, status=status_filter, page=page_number)

if pipeline.total == 0:
    st.info(
        f"No application to this job is at {status_filter}."
        if status_filter
        else "No one has applied to this job yet."
    )
    st.stop()

first = (pipeline.page - 1) * PIPELINE_PAGE_SIZE + 1
st.caption(
    shown_of(
        first, len(pipeline.entries), pipeline.total, "application", "applications"
    )
)
if not member.role.can_log_communications:
    st.caption("Managers read the pipeline; admins and recruiters change statuses.")

widths = [2.6, 1.6, 1.2, 2.1, 2, 2]
header = st.columns(widths)
for column, label in zip(
    header,
    ["Candidate", "Status", "Source", "Agency contact", "Status changed", ""],
    strict=True,
):
    if label:
        column.markdown(f"**{label}**")
for entry in pipeline.entries:
    name, status, source, agency, changed, action = st.columns(widths)
    name.page_link(
        "views/profile.py",
        label=plain(entry.candidate_name),
        query_params={"candidate": entry.candidate_id},
    )
    status.text(entry.status.value)
    source.text(entry.source)
    agency.text(
        f"{entry.agency_contact_name} ({entry.agency_name})"
        if entry.agency_contact_name
        else "—"
    )
    changed.text(format_local(entry.status_changed_at, member.time_zone))
    change_status_button(member, entry.application_id, f"job:{job_id}", action)

if page_count > 1:
    st.pagination(page_count, key=page_key)
