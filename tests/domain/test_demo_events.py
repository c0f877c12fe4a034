"""The demo's outreach events: every kind, every email, and the rules kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.demo import DEMO_FROM_ADDRESS, DemoSize, create_demo_data
from flo_comms.event_dispatch import dispatch_event_emails
from flo_comms.event_rules import (
    EventAction,
    EventType,
    audience_for,
    review_states_emailed,
)
from flo_comms.schema import (
    candidates,
    communication_candidates,
    communications,
    event_dispatches,
    event_registrations,
    outreach_events,
)
from flo_comms.timezones import now_utc

# Seven past events (each kind once, and a cancelled one) and two upcoming.
SMALL_WITH_EVENTS = DemoSize(
    members=4, candidates=40, communications=0, job_emails=0, events=9
)
# The emails that go only to candidates the rules let receive updates.
FOLLOWING_EMAILS = {
    "update": EventAction.CHANGE_DETAILS,
    "final schedule": EventAction.SEND_FINAL_SCHEDULE,
    "reminder": EventAction.REMINDER_DUE,
    "follow-up": EventAction.FOLLOW_UP_DUE,
}
CONFIRMATION_FOR = {
    "link": "registration confirmation",
    "admin_profile_request": "profile request",
    "admin": "confirmation",
}


def utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@pytest.fixture
def demo(engine) -> Engine:
    create_demo_data(engine, SMALL_WITH_EVENTS)
    return engine


def event_emails(engine: Engine) -> list[sa.Row]:
    """Each event email with its candidate's registration and its event."""
    query = (
        sa.select(
            communications.c.id,
            communications.c.email_kind,
            communications.c.occurred_at,
            communication_candidates.c.candidate_id,
            outreach_events.c.id.label("event_id"),
            outreach_events.c.event_type,
            outreach_events.c.invite_only,
            outreach_events.c.state,
            outreach_events.c.state_changed_at,
            event_registrations.c.joined_by,
            event_registrations.c.joined_at,
            event_registrations.c.review_state,
            event_registrations.c.reviewed_at,
        )
        .join(
            communication_candidates,
            communication_candidates.c.communication_id == communications.c.id,
        )
        .join(outreach_events, outreach_events.c.id == communications.c.event_id)
        .outerjoin(
            event_registrations,
            sa.and_(
                event_registrations.c.event_id == communications.c.event_id,
                event_registrations.c.candidate_id
                == communication_candidates.c.candidate_id,
            ),
        )
        .order_by(communications.c.id)
    )
    with engine.connect() as connection:
        return connection.execute(query).all()


def all_rows(engine: Engine, table: sa.Table) -> list[sa.Row]:
    with engine.connect() as connection:
        return connection.execute(sa.select(table)).all()


def assert_each_email_keeps_the_rules(email: sa.Row) -> None:
    occurred = utc(email.occurred_at)
    # Every email goes to someone registered, after they joined.
    assert email.review_state is not None, email
    assert utc(email.joined_at) <= occurred, email
    if email.state == "cancelled":
        assert occurred <= utc(email.state_changed_at), email
    action = FOLLOWING_EMAILS.get(email.email_kind)
    if action is not None:
        # Denied and pending candidates get none of these; on an invite-only
        # event, approved ones only once approved.
        audience = audience_for(action, EventType(email.event_type), email.invite_only)
        assert email.review_state in review_states_emailed(audience), email
        if email.invite_only:
            assert utc(email.reviewed_at) <= occurred, email
    if email.email_kind in ("approval", "denial"):
        assert email.invite_only, email
        decided = "approved" if email.email_kind == "approval" else "denied"
        assert (email.review_state, utc(email.reviewed_at)) == (decided, occurred)
    if email.email_kind == "cancellation":
        # Only virtual chats cancel, and only the time slots of approved people.
        assert email.event_type == EventType.VIRTUAL_CHAT.value, email
        assert email.review_state == "approved", email
    if email.email_kind in CONFIRMATION_FOR.values():
        assert CONFIRMATION_FOR[email.joined_by] == email.email_kind, email
        assert utc(email.joined_at) == occurred, email


def test_the_demo_runs_every_kind_of_event_and_sends_every_email_by_the_rules(demo):
    finished = now_utc()
    events = all_rows(demo, outreach_events)
    registrations = all_rows(demo, event_registrations)
    emails = event_emails(demo)

    assert {(e.event_type, e.invite_only) for e in events} == {
        (event_type.value, invite_only)
        for event_type in EventType
        for invite_only in (False, True)
    }
    assert {e.email_kind for e in emails} == {
        "registration confirmation",
        "profile request",
        "confirmation",
        "approval",
        "denial",
        "update",
        "final schedule",
        "reminder",
        "follow-up",
        "cancellation",
    }
    # Over the past year and the coming month; one event cancelled.
    assert min(utc(e.starts_at) for e in events) < finished - timedelta(days=300)
    assert max(utc(e.starts_at) for e in events) > finished
    assert [e.state for e in events].count("cancelled") == 1
    # Nothing dated after the demo ran, event emails or any other.
    latest = max(utc(c.occurred_at) for c in all_rows(demo, communications))
    assert latest <= finished
    for email in emails:
        assert_each_email_keeps_the_rules(email)
    # One confirmation per registration; each reminder and follow-up at most once.
    confirmed = [
        (e.event_id, e.candidate_id)
        for e in emails
        if e.email_kind in CONFIRMATION_FOR.values()
    ]
    assert sorted(confirmed) == sorted(
        (r.event_id, r.candidate_id) for r in registrations
    )
    for kind in ("reminder", "follow-up"):
        sent = [(e.event_id, e.candidate_id) for e in emails if e.email_kind == kind]
        assert len(sent) == len(set(sent)), kind
    # Replayed in order: nobody joined an event before it existed or after it
    # was cancelled, and Quick Review came after joining.
    created = {e.id: e for e in events}
    for r in registrations:
        event = created[r.event_id]
        assert utc(event.created_at) <= utc(r.joined_at) <= finished, r
        if event.state == "cancelled":
            assert utc(r.joined_at) <= utc(event.state_changed_at), r
        if r.reviewed_at is not None:
            assert utc(r.joined_at) <= utc(r.reviewed_at) <= finished, r
    # Some who registered were new to the pipeline; an upcoming invite-only
    # event still has candidates waiting for Quick Review.
    assert any(c.source == "outreach event" for c in all_rows(demo, candidates))
    upcoming = {e.id for e in events if e.invite_only and utc(e.starts_at) > finished}
    assert any(
        r.event_id in upcoming and r.review_state == "pending" for r in registrations
    )


def test_reminders_went_out_when_due_and_nothing_is_left_for_past_events(demo):
    now = now_utc()
    events = {e.id: e for e in all_rows(demo, outreach_events)}
    decisions = all_rows(demo, event_dispatches)
    decided = {(d.event_id, d.candidate_id, d.kind) for d in decisions}

    report = dispatch_event_emails(demo, from_address=DEMO_FROM_ADDRESS, now=now)

    assert report.handled == 0
    # Each sent within a minute of falling due, as the dashboard's dispatcher
    # would; skipped when the candidate joined after the reminder time.
    sent = [d for d in decisions if d.outcome == "sent"]
    assert sent and all(
        timedelta(0) <= utc(d.decided_at) - utc(d.due_at) < timedelta(minutes=1)
        for d in sent
    )
    skipped = {d.reason for d in decisions if d.outcome == "skipped"}
    assert "its time had passed when the candidate joined" in skipped
    # Every candidate the rules send them to, on every past event, was decided.
    for registration in all_rows(demo, event_registrations):
        event = events[registration.event_id]
        over = utc(event.ends_at) + timedelta(minutes=event.follow_up_minutes_after)
        if event.state != "scheduled" or over > now:
            continue
        for kind, action in (
            ("reminder", EventAction.REMINDER_DUE),
            ("follow-up", EventAction.FOLLOW_UP_DUE),
        ):
            audience = audience_for(
                action, EventType(event.event_type), event.invite_only
            )
            if registration.review_state in review_states_emailed(audience):
                key = (registration.event_id, registration.candidate_id, kind)
                assert key in decided, key
    # The cancelled event's reminders and follow-ups were dropped.
    cancelled = {e.id for e in events.values() if e.state == "cancelled"}
    assert not any(event_id in cancelled for event_id, _, _ in decided)
