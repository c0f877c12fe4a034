"""The scale generator at a small size, on DuckDB and PostgreSQL: what it writes
has the shape of real data, and the app's own functions work on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms import analytics
from flo_comms.candidates import CandidateSource, create_candidate, search_candidates
from flo_comms.communications import CommunicationDraft, log_communication
from flo_comms.event_dispatch import dispatch_event_emails
from flo_comms.members import Member, Role
from flo_comms.scale import ScaleRefused, ScaleSize, fill_scale_database
from flo_comms.schema import (
    candidates,
    communication_candidates,
    communication_participants,
    communications,
    email_deliveries,
    event_dispatches,
    event_registrations,
    members,
    outreach_events,
)
from flo_comms.timeline import TimelineFilter, candidate_timeline
from flo_comms.timezones import to_local

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SIZE = ScaleSize(candidates=300, communications=5_000)


@pytest.fixture
def scaled(engine: Engine):
    return fill_scale_database(engine, SIZE, seed=7, now=NOW)


def _rows(engine: Engine, query) -> list:
    with engine.connect() as connection:
        return connection.execute(query).all()


def _count(engine: Engine, table: sa.Table, *conditions) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(*conditions)
    return _rows(engine, query)[0][0]


def test_it_writes_the_size_asked_for(engine, scaled):
    assert _count(engine, communications) == 5_000
    assert _count(engine, candidates) == 300
    assert scaled.rows["communications"] == 5_000
    assert scaled.rows["members"] == _count(engine, members) == 12


def test_sources_types_and_kinds_are_spread_like_a_real_history(engine, scaled):
    by_source = dict(
        _rows(
            engine,
            sa.select(communications.c.source, sa.func.count()).group_by(
                communications.c.source
            ),
        )
    )
    manual_types = {
        row[0]
        for row in _rows(
            engine,
            sa.select(communications.c.comm_type)
            .where(communications.c.source == "manual")
            .distinct(),
        )
    }
    kinds = {
        row[0]
        for row in _rows(engine, sa.select(communications.c.email_kind).distinct())
    }

    assert 0.3 < by_source["manual"] / 5_000 < 0.7
    assert len(manual_types) == 8
    assert {
        "job status",
        "update application request",
        "email from a member",
        "registration confirmation",
        "profile request",
        "confirmation",
        "approval",
        "denial",
        "final schedule",
        "reminder",
        "follow-up",
    } <= kinds


def test_events_of_all_six_kinds_have_registrants(engine, scaled):
    kinds = _rows(
        engine,
        sa.select(
            outreach_events.c.event_type,
            outreach_events.c.invite_only,
            sa.func.count(event_registrations.c.id),
        )
        .join(
            event_registrations, event_registrations.c.event_id == outreach_events.c.id
        )
        .group_by(outreach_events.c.event_type, outreach_events.c.invite_only),
    )

    assert len(kinds) == 6
    assert all(registrants >= 3 for *_, registrants in kinds)


def test_rows_hang_together_as_the_domain_writes_them(engine, scaled):
    system = communications.c.source == "system"
    delivered = sa.select(email_deliveries.c.communication_id)
    on_a_timeline = sa.select(communication_candidates.c.communication_id)
    with_sender = sa.select(communication_participants.c.communication_id).where(
        communication_participants.c.role == "sender"
    )
    with_recipient = sa.select(communication_participants.c.communication_id).where(
        communication_participants.c.role == "to"
    )
    sent_reminders = _rows(
        engine,
        sa.select(
            event_dispatches.c.event_id,
            event_dispatches.c.candidate_id,
            communications.c.event_id,
            communication_candidates.c.candidate_id,
            communications.c.email_kind,
        )
        .join(
            communications, communications.c.id == event_dispatches.c.communication_id
        )
        .join(
            communication_candidates,
            communication_candidates.c.communication_id == communications.c.id,
        )
        .where(event_dispatches.c.outcome == "sent"),
    )

    assert _count(engine, email_deliveries) == _count(engine, communications, system)
    assert (
        _count(engine, communications, system, communications.c.id.not_in(delivered))
        == 0
    )
    assert (
        _count(engine, communications, communications.c.id.not_in(on_a_timeline)) == 0
    )
    assert _count(engine, communications, communications.c.id.not_in(with_sender)) == 0
    assert (
        _count(engine, communications, communications.c.id.not_in(with_recipient)) == 0
    )
    assert sent_reminders
    assert all(
        event == email_event
        and candidate == attached
        and kind in ("reminder", "follow-up")
        for event, candidate, email_event, attached, kind in sent_reminders
    )
    assert _count(engine, event_dispatches, event_dispatches.c.outcome == "skipped") > 0


def test_the_longest_timelines_are_much_longer_than_the_rest(engine, scaled):
    longest = scaled.long_timeline_candidates[0]
    everyone = analytics_free_counts(engine)

    page = candidate_timeline(engine, longest)

    assert len(page.entries) == 20
    assert page.total == everyone[longest]
    assert page.total >= 20
    assert page.entries[0].occurred_at >= page.entries[-1].occurred_at


def analytics_free_counts(engine: Engine) -> dict[int, int]:
    """Live entries on each candidate's tab, counted straight from the tables."""
    return dict(
        _rows(
            engine,
            sa.select(communication_candidates.c.candidate_id, sa.func.count())
            .join(
                communications,
                communications.c.id == communication_candidates.c.communication_id,
            )
            .where(communications.c.deleted_at.is_(None))
            .group_by(communication_candidates.c.candidate_id),
        )
    )


def test_the_apps_reads_work_on_the_result(engine, scaled):
    longest = scaled.long_timeline_candidates[0]
    whole = analytics.AnalyticsFilter(time_zone="America/New_York")
    live = _count(engine, communications, communications.c.deleted_at.is_(None))

    filtered = candidate_timeline(engine, longest, TimelineFilter(text="salary"))
    found = search_candidates(engine)
    headline = analytics.headline_figures(engine, whole)
    by_source = analytics.volume_by_source(engine, whole, analytics.Grain.MONTH)

    assert all("salary" in entry.subject.lower() for entry in filtered.entries)
    assert len(found.rows) == 25
    assert found.total == 300
    assert headline.loc[0, "entries"] == live
    assert by_source["entries"].sum() == live
    for question in (
        analytics.outreach_volume,
        analytics.outreach_by_event,
        analytics.manual_by_type,
        analytics.system_by_origin,
        analytics.job_emails_by_job,
        analytics.job_emails_by_status,
        analytics.delivery_volume,
    ):
        assert not question(engine, whole).empty, question.__name__


def test_new_rows_continue_after_the_generated_ids(engine, scaled):
    row = _rows(engine, sa.select(members).where(members.c.email.like("recruiter@%")))[
        0
    ]
    recruiter = Member(row.id, row.name, row.email, Role(row.role), row.time_zone)
    candidate = scaled.long_timeline_candidates[0]
    highest_participant = _rows(
        engine, sa.select(sa.func.max(communication_participants.c.id))
    )[0][0]
    draft = CommunicationDraft(
        comm_type="phone call",
        occurred_local=to_local(
            NOW + timedelta(minutes=1), recruiter.time_zone
        ).replace(tzinfo=None),
        time_zone=recruiter.time_zone,
        sender_member_ids=(recruiter.id,),
        recipient_candidate_ids=(candidate,),
        recipient_member_ids=(),
        subject="Call after the scale run",
        description="Checks that ids continue.",
    )

    entry = log_communication(
        engine, recruiter, draft, logged_from_candidate_id=candidate, form_token="t-1"
    )
    newcomer = create_candidate(
        engine, name="New Person", email=None, source=CandidateSource.REFERRAL
    )

    assert entry == 5_001
    assert newcomer == 301
    assert (
        _rows(
            engine,
            sa.select(sa.func.min(communication_participants.c.id)).where(
                communication_participants.c.communication_id == entry
            ),
        )[0][0]
        == highest_participant + 1
    )
    assert candidate_timeline(engine, candidate).entries[0].id == entry


def test_nothing_falls_due_in_the_day_after_now(engine, scaled):
    report = dispatch_event_emails(
        engine, from_address="jobs@flo-scale.test", now=NOW + timedelta(hours=20)
    )

    assert report.handled == 0


def test_a_database_with_data_is_refused(engine, scaled):
    with pytest.raises(ScaleRefused, match="already holds data"):
        fill_scale_database(engine, SIZE, now=NOW)


def test_the_command_fills_an_empty_database_and_refuses_a_full_one(
    database_url, capsys
):
    from flo_comms.cli import main

    first = main(
        [
            "--database-url",
            database_url,
            "scale",
            "--candidates",
            "60",
            "--communications",
            "1500",
        ]
    )
    printed = capsys.readouterr()
    second = main(
        [
            "--database-url",
            database_url,
            "scale",
            "--candidates",
            "60",
            "--communications",
            "1500",
        ]
    )

    assert first == 0
    assert "communications: 1,500" in printed.out
    assert "admin@flo-scale.test" in printed.out
    assert second == 1
    assert "already holds data" in capsys.readouterr().err


def test_the_tabs_reading_copy_is_filled_and_sorted(engine, scaled):
    from flo_comms.timeline_store import unsorted_rows
    from tests.domain.test_timeline_store import copy_rows, reference_rows

    assert copy_rows(engine) == reference_rows(engine)
    assert scaled.rows["timeline_entries"] == len(reference_rows(engine))
    with engine.connect() as connection:
        assert unsorted_rows(connection) == 0


def test_integer_columns_with_gaps_load_as_integers(engine):
    """pandas keeps a column of numbers with gaps as floats ("6.0" in CSV),
    which PostgreSQL's COPY refuses for an integer column: larger scale
    databases cancel some events and leave the others' canceller empty."""
    import pandas as pd

    from flo_comms.scale_load import load_frame

    probe = sa.Table(
        "scale_load_probe",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("changed_by", sa.Integer),
    )
    frame = pd.DataFrame({"id": [1, 2], "changed_by": [6, None]})
    assert frame["changed_by"].dtype == "float64"

    with engine.begin() as connection:
        probe.create(connection)
        load_frame(connection, probe, frame)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(probe).order_by(probe.c.id)).all()

    assert [tuple(row) for row in rows] == [(1, 6), (2, None)]


@pytest.mark.parametrize(
    ("candidates", "communications", "message"),
    [
        (9, 1000, "at least 10 candidates"),
        (100, 99, "at least 100 communications"),
        (1000, 100, "at least as many communications as candidates"),
    ],
)
def test_a_size_that_cannot_be_planned_is_refused_before_anything_is_written(
    candidates, communications, message
):
    with pytest.raises(ValueError, match=message):
        ScaleSize(candidates, communications)
