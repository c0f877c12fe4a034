"""The analytics page's sections: headline figures, then one chart after another.

Every chart comes with a button that downloads its numbers as CSV (the
DataFrame it draws, as flo_comms.analytics returned it), and every section says
what to change when nothing matches.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ui.analytics_charts import (
    COMMUNICATION_TYPES,
    DELIVERY_STATES,
    EVENT_EMAIL_KINDS,
    EVENT_KIND,
    EVENT_KINDS,
    JOB_EMAIL_KINDS,
    ORIGINS,
    RECIPIENTS,
    SOURCES,
    WITH_EVENT_KIND,
    by_category,
    by_recipient,
    over_time,
)
from ui.analytics_data import AnalyticsFigures
from ui.analytics_filters import AnalyticsChoice, what_to_change

# The per-event chart shows this many events, the most emailed; its CSV has all.
EVENTS_SHOWN = 20


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def headline(figures: AnalyticsFigures) -> None:
    """One row of numbers above the charts."""
    numbers = figures.headline
    columns = st.columns(7)
    for column, (label, value, help_text) in zip(
        columns,
        (
            ("Entries", numbers.entries, "Every communication on the timelines."),
            ("System", numbers.system, "Emails the system generated and sent."),
            ("By hand", numbers.manual, "Contact logged by hand by members."),
            ("Event emails", numbers.event_emails, "Emails of outreach events."),
            ("Job emails", numbers.job_emails, "Status emails and update requests."),
            (
                "To agencies",
                numbers.to_agency,
                "Job emails addressed to the agency contact who submitted the "
                f"candidate: {_share(numbers.to_agency, numbers.job_emails)} of "
                "job emails.",
            ),
            ("Failed", numbers.failed, "System emails whose delivery failed."),
        ),
        strict=True,
    ):
        column.metric(label, f"{int(value):,}", help=help_text)


def _chart(chart: alt.Chart, name: str) -> None:
    st.altair_chart(chart, width="stretch", key=f"analytics_chart_{name}")


def _download(frame: pd.DataFrame, name: str, choice: AnalyticsChoice) -> None:
    criteria = choice.criteria
    st.download_button(
        "Download CSV",
        frame.to_csv(index=False),
        file_name=f"{name}_{criteria.start_date}_{criteria.end_date}.csv",
        mime="text/csv",
        key=f"analytics_csv_{name}",
        on_click="ignore",
        icon=":material/download:",
    )


def _nothing(what: str, choice: AnalyticsChoice) -> None:
    st.info(f"{what} {what_to_change(choice.criteria)}", icon=":material/search_off:")


def outreach(
    figures: AnalyticsFigures, choice: AnalyticsChoice, events: dict[int, str]
) -> None:
    """Outreach event emails over time, by event type and by kind; per event."""
    volume = figures.outreach_volume
    if volume.empty:
        _nothing("No outreach event email matches these filters.", choice)
        return
    dates = (choice.criteria.start_date, choice.criteria.end_date)
    by_type, by_kind = st.columns(2)
    with by_type:
        st.subheader("By event type, open or invite only")
        _chart(
            over_time(
                volume,
                calculate=WITH_EVENT_KIND,
                value="emails",
                value_title="Emails",
                series=EVENT_KINDS,
                grain=choice.grain,
                dates=dates,
            ),
            "outreach_by_type",
        )
    with by_kind:
        st.subheader("By email kind")
        _chart(
            over_time(
                volume,
                value="emails",
                value_title="Emails",
                series=EVENT_EMAIL_KINDS,
                grain=choice.grain,
                dates=dates,
            ),
            "outreach_by_kind",
        )
    st.caption("Both charts, one row per period, event type, invite mode and kind:")
    _download(volume, "outreach_volume", choice)

    per_event = figures.outreach_by_event
    st.subheader("Per event")
    shown_ids = per_event["event_id"].drop_duplicates().head(EVENTS_SHOWN)
    if len(shown_ids) < per_event["event_id"].nunique():
        st.caption(
            f"The {EVENTS_SHOWN} events with the most emails; the CSV has them all."
        )
    shown = per_event[per_event["event_id"].isin(shown_ids)]
    # Named as the event filter names them, dated; a deleted event by its title.
    shown = shown.assign(event=shown["event_id"].map(events).fillna(shown["event"]))
    _chart(
        by_category(
            alt.Chart(shown).transform_calculate(**WITH_EVENT_KIND),
            category="event",
            category_title="Event",
            value="emails",
            value_title="Emails",
            series=EVENT_EMAIL_KINDS,
            tooltip=(alt.Tooltip(f"{EVENT_KIND}:N", title="Event type"),),
        ),
        "outreach_per_event",
    )
    _download(per_event, "outreach_by_event", choice)


def system_and_manual(figures: AnalyticsFigures, choice: AnalyticsChoice) -> None:
    """Entries by source over time, manual ones by type, system ones by cause."""
    dates = (choice.criteria.start_date, choice.criteria.end_date)
    st.subheader("System generated and logged by hand")
    _chart(
        over_time(
            figures.volume_by_source,
            value="entries",
            value_title="Entries",
            series=SOURCES,
            grain=choice.grain,
            dates=dates,
        ),
        "volume_by_source",
    )
    _download(figures.volume_by_source, "volume_by_source", choice)

    by_type, by_origin = st.columns(2)
    with by_type:
        st.subheader("Logged by hand, by type")
        manual = figures.manual_by_type
        if manual.empty:
            _nothing("Nothing logged by hand matches these filters.", choice)
        else:
            _chart(
                by_category(
                    alt.Chart(manual),
                    category="comm_type",
                    category_title="Type",
                    value="entries",
                    value_title="Entries",
                    series=COMMUNICATION_TYPES,
                ),
                "manual_by_type",
            )
            _download(manual, "manual_by_type", choice)
    with by_origin:
        st.subheader("System emails, by what caused them")
        origins = figures.system_by_origin
        if origins.empty:
            _nothing("No system email matches these filters.", choice)
        else:
            _chart(
                over_time(
                    origins,
                    value="emails",
                    value_title="Emails",
                    series=ORIGINS,
                    grain=choice.grain,
                    dates=dates,
                ),
                "system_by_origin",
            )
            _download(origins, "system_by_origin", choice)


def job_emails(figures: AnalyticsFigures, choice: AnalyticsChoice) -> None:
    """Job emails per job and per status, and how many went to agency contacts."""
    by_job, by_status = figures.job_emails_by_job, figures.job_emails_by_status
    if by_job.empty:
        _nothing("No job email matches these filters.", choice)
        return
    sent, to_agency = int(figures.headline.job_emails), int(figures.headline.to_agency)
    st.caption(
        f"{to_agency:,} of {sent:,} job emails ({_share(to_agency, sent)}) went to "
        "the agency contact who submitted the candidate rather than to the "
        "candidate."
    )
    per_job, per_status = st.columns(2)
    with per_job:
        st.subheader("By job")
        _chart(
            by_category(
                alt.Chart(by_job),
                category="job",
                category_title="Job",
                value="emails",
                value_title="Emails",
                series=JOB_EMAIL_KINDS,
                tooltip=(alt.Tooltip("sum(to_agency):Q", title="To agency contacts"),),
            ),
            "job_emails_by_job",
        )
        _download(by_job, "job_emails_by_job", choice)
    with per_status:
        st.subheader("Status emails, by status")
        if by_status.empty:
            _nothing("No status email matches these filters.", choice)
            return
        _chart(
            by_category(
                by_recipient(by_status),
                category="job_status",
                category_title="Status",
                value="count",
                value_title="Emails",
                series=RECIPIENTS,
            ),
            "job_emails_by_status",
        )
        _download(by_status, "job_emails_by_status", choice)


def delivery(figures: AnalyticsFigures, choice: AnalyticsChoice) -> None:
    """System emails by delivery state, dated when they were logged."""
    states = figures.delivery_volume
    if states.empty:
        _nothing("No system email matches these filters.", choice)
        return
    st.subheader("Delivered, queued and failed")
    st.caption(
        "Each email counts in the week or month it was logged; queued includes "
        "those being sent right now. Admins retry failed ones on the Deliveries "
        "page."
    )
    _chart(
        over_time(
            states,
            value="emails",
            value_title="Emails",
            series=DELIVERY_STATES,
            grain=choice.grain,
            dates=(choice.criteria.start_date, choice.criteria.end_date),
        ),
        "delivery_volume",
    )
    _download(states, "delivery_volume", choice)
