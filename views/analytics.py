"""Analytics: how many emails and other communications, of which kind, over time."""

import streamlit as st

from ui import analytics_sections as sections
from ui.analytics_data import filter_options, load_figures
from ui.analytics_filters import analytics_filters, what_to_change
from ui.session import require_member

member = require_member()
st.title("Analytics")
st.caption(
    f"Dates, weeks and months are in your time zone, {member.time_zone}; weeks "
    "start on Monday. Click a bar or a legend entry to pick out its series "
    "(shift-click for more, double-click to clear)."
)

events, jobs = filter_options()
choice = analytics_filters(member.time_zone, events, jobs)
if choice is None:
    st.stop()
figures = load_figures(choice)

if figures.headline.entries == 0:
    st.info(
        f"Nothing matches these filters. {what_to_change(choice.criteria)}",
        icon=":material/search_off:",
    )
    st.stop()

sections.headline(figures)
outreach, sources, job_emails, delivery = st.tabs(
    ["Outreach emails", "System and manual", "Job emails", "Delivery"]
)
with outreach:
    sections.outreach(figures, choice, events)
with sources:
    sections.system_and_manual(figures, choice)
with job_emails:
    sections.job_emails(figures, choice)
with delivery:
    sections.delivery(figures, choice)
