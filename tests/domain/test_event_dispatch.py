"""Reminders and follow-ups: what falls due, what is skipped and why, and once only.

The dispatcher takes its clock as an argument; every test passes one. The
event of make_event runs 10 June 2030, 12:00-14:00 UTC (14:00-16:00 Berlin);
by default reminders fall due 24 hours before the start (9 June 12:00 UTC) and
follow-ups 24 hours after the end (11 June 14:00 UTC).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time as clock
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from flo_comms import event_dispatch
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.event_dispatch import dispatch_event_emails, dispatch_records
from flo_comms.event_slots import add_slot, assign_to_slot, delete_slot
from flo_comms.events import cancel_event, delete_event, get_event, update_event
from flo_comms.registrations import (
    add_candidates,
    register_by_link,
    review_candidates,
)
from flo_comms.schema import (
    communication_candidates,
    communications,
    email_deliveries,
    event_dispatches,
)

from .races import MeetIfPossible

FROM = "Flo Events <events@flo-comms.test>"
JOINED = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
STARTS = datetime(2030, 6, 10, 12, 0, tzinfo=UTC)
ENDS = datetime(2030, 6, 10, 14, 0, tzinfo=UTC)
REMINDER_TIME = STARTS - timedelta(hours=24)
FOLLOW_UP_TIME = ENDS + timedelta(hours=24)
MINUTE = timedelta(minutes=1)


def _people(engine, count: int, prefix: str = "Guest") -> list[int]:
    return [
        create_candidate(
            engine,
            name=f"{prefix} {n:02d}",
            email=f"{prefix.lower()}.{n:02d}@example.org",
            source=CandidateSource.CAREER_SITE,
        )
        for n in range(count)
    ]


def _join(engine, admin, event_id, ids, at=JOINED):
    add_candidates(
        engine,
        admin,
        event_id,
        candidate_ids=ids,
        request_profile=False,
        from_address=FROM,
        at=at,
    )


def _dispatch(engine, now, **options):
    return dispatch_event_emails(engine, from_address=FROM, now=now, **options)


def _sent(event_emails, event_id, kind: str) -> Counter:
    """How many emails of ``kind`` the event sent to each candidate."""
    return Counter({c: n for (c, k), n in event_emails(event_id).items() if k == kind})


def _records(engine, event_id) -> dict[tuple[int, str], tuple[str, str | None]]:
    rows, total = dispatch_records(engine, event_id, page_size=500)
    assert total == len(rows)
    return {(r.candidate_id, r.kind.value): (r.outcome.value, r.reason) for r in rows}


def _dispatch_rows(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(event_dispatches)
        ).scalar_one()


def _slot(engine, admin, event_id, start: time, end: time, capacity=10) -> int:
    return add_slot(
        engine,
        admin,
        event_id,
        day=date(2030, 6, 10),
        start_time=start,
        end_time=end,
        capacity=capacity,
    )


def _assign(engine, admin, event_id, ids, slot_id, at=JOINED):
    return assign_to_slot(
        engine, admin, event_id, ids, slot_id, from_address=FROM, at=at
    )


# --- what falls due, once -------------------------------------------------------


def test_nothing_is_due_before_the_reminder_time(engine, admin, make_event):
    event_id = make_event("webinar", False)
    _join(engine, admin, event_id, _people(engine, 2))

    report = _dispatch(engine, REMINDER_TIME - MINUTE)

    assert report.handled == 0
    assert _dispatch_rows(engine) == 0


def test_running_twice_sends_each_reminder_and_follow_up_once(
    engine, admin, make_event, event_emails
):
    event_id = make_event("in-person event", False)
    guests = _people(engine, 3)
    _join(engine, admin, event_id, guests)

    at_reminders = [_dispatch(engine, REMINDER_TIME) for _ in range(2)]
    at_follow_ups = [_dispatch(engine, FOLLOW_UP_TIME + MINUTE) for _ in range(2)]

    assert [dict(r.sent) for r in at_reminders] == [{"reminder": 3}, {}]
    assert [dict(r.sent) for r in at_follow_ups] == [{"follow-up": 3}, {}]
    everyone_once = Counter(dict.fromkeys(guests, 1))
    assert _sent(event_emails, event_id, "reminder") == everyone_once
    assert _sent(event_emails, event_id, "follow-up") == everyone_once
    assert _dispatch_rows(engine) == 6


def test_batches_reach_everyone_due(engine, admin, make_event, event_emails):
    event_id = make_event("webinar", False)
    other_id = make_event("webinar", False, title="Second webinar")
    guests = _people(engine, 5)
    _join(engine, admin, event_id, guests)
    _join(engine, admin, other_id, guests[:2])

    report = _dispatch(engine, REMINDER_TIME, batch_size=2)

    assert report.sent == Counter({"reminder": 7})
    assert _sent(event_emails, event_id, "reminder") == Counter(
        dict.fromkeys(guests, 1)
    )
    assert _sent(event_emails, other_id, "reminder") == Counter(
        dict.fromkeys(guests[:2], 1)
    )


def test_a_reminder_is_logged_at_the_dispatchers_clock_with_the_event(
    engine, admin, make_event, candidate_id
):
    event_id = make_event("webinar", False)
    _join(engine, admin, event_id, [candidate_id])
    now = REMINDER_TIME + timedelta(minutes=7)

    _dispatch(engine, now)

    with engine.connect() as connection:
        row = connection.execute(
            sa.select(
                communications.c.occurred_at,
                communications.c.logged_at,
                communications.c.subject,
                communications.c.body,
                communications.c.source,
                communication_candidates.c.candidate_id,
                email_deliveries.c.state,
                email_deliveries.c.from_address,
            )
            .join(
                communication_candidates,
                communication_candidates.c.communication_id == communications.c.id,
            )
            .join(
                email_deliveries,
                email_deliveries.c.communication_id == communications.c.id,
            )
            .where(communications.c.email_kind == "reminder")
        ).one()
    assert (row.occurred_at, row.logged_at) == (now, now)
    assert (row.source, row.candidate_id) == ("system", candidate_id)
    assert (row.state, row.from_address) == ("queued", FROM)
    assert row.subject == "Reminder: Data careers evening"
    assert "Monday 10 June 2030, 14:00–16:00 (Europe/Berlin)" in row.body


def test_records_show_each_decision_with_its_email(
    engine, admin, make_event, candidate_id
):
    event_id = make_event("webinar", False)
    _join(engine, admin, event_id, [candidate_id])
    now = REMINDER_TIME + MINUTE

    _dispatch(engine, now)

    (record,), total = dispatch_records(engine, event_id)
    assert total == 1
    assert (record.candidate_id, record.kind, record.outcome, record.reason) == (
        candidate_id,
        "reminder",
        "sent",
        None,
    )
    assert (record.due_at, record.decided_at) == (REMINDER_TIME, now)
    with engine.connect() as connection:
        kind = connection.execute(
            sa.select(communications.c.email_kind).where(
                communications.c.id == record.communication_id
            )
        ).scalar_one()
    assert kind == "reminder"


def _claim_after_both_decided(monkeypatch, parties: int) -> None:
    """Make each dispatcher wait, once, until all have decided, before claiming."""
    all_decided = MeetIfPossible(parties)
    waited = threading.local()
    real_claim = event_dispatch._claim

    def claim(connection, kind, decided, *rest):
        if decided and not getattr(waited, "once", False):
            waited.once = True
            all_decided.wait()
        return real_claim(connection, kind, decided, *rest)

    monkeypatch.setattr(event_dispatch, "_claim", claim)


def test_two_threads_dispatching_at_once_send_each_reminder_once(
    engine, admin, make_event, event_emails, monkeypatch
):
    event_id = make_event("webinar", False)
    guests = _people(engine, 12)
    _join(engine, admin, event_id, guests)
    _claim_after_both_decided(monkeypatch, parties=2)
    reports: list[object] = []

    def run():
        try:
            reports.append(_dispatch(engine, REMINDER_TIME))
        except Exception as error:  # reported by the assertions below
            reports.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    errors = [r for r in reports if isinstance(r, Exception)]
    assert errors == []
    assert sum(r.sent["reminder"] for r in reports) == 12
    assert _sent(event_emails, event_id, "reminder") == Counter(
        dict.fromkeys(guests, 1)
    )
    assert _dispatch_rows(engine) == 12


# --- reminders that come too late ----------------------------------------------------


def test_a_reminder_exactly_at_its_time_is_sent(engine, admin, make_event):
    event_id = make_event("webinar", False)
    (guest,) = _people(engine, 1)
    _join(engine, admin, event_id, [guest], at=REMINDER_TIME)

    _dispatch(engine, REMINDER_TIME)

    assert _records(engine, event_id) == {(guest, "reminder"): ("sent", None)}


def test_someone_who_joins_after_the_reminder_time_gets_no_reminder(
    engine, admin, make_event, event_emails
):
    event_id = make_event("webinar", False)
    token = get_event(engine, event_id).registration_token
    outcome = register_by_link(
        engine,
        token,
        name="Late Lou",
        email="lou@example.org",
        from_address=FROM,
        at=REMINDER_TIME + timedelta(hours=6),
    )

    report = _dispatch(engine, REMINDER_TIME + timedelta(hours=7))

    assert report.sent == Counter()
    outcome_and_reason = _records(engine, event_id)[outcome.candidate_id, "reminder"]
    assert outcome_and_reason[0] == "skipped"
    assert "joined" in outcome_and_reason[1]
    assert _sent(event_emails, event_id, "reminder") == Counter()


def test_a_reminder_found_after_the_start_is_skipped(
    engine, admin, make_event, event_emails
):
    event_id = make_event("in-person event", False)
    guests = _people(engine, 2)
    _join(engine, admin, event_id, guests)

    # The dispatcher was down from before the reminder time until the start.
    report = _dispatch(engine, STARTS)

    assert report.sent == Counter()
    records = _records(engine, event_id)
    assert {records[g, "reminder"][0] for g in guests} == {"skipped"}
    assert all("started" in records[g, "reminder"][1] for g in guests)
    assert _sent(event_emails, event_id, "reminder") == Counter()


def test_approval_after_the_reminder_time_brings_no_reminder(
    engine, admin, make_event, event_emails
):
    event_id = make_event("webinar", True)
    early, late = _people(engine, 2)
    _join(engine, admin, event_id, [early, late])
    review_candidates(
        engine, admin, event_id, [early], approve=True, from_address=FROM, at=JOINED
    )
    review_candidates(
        engine,
        admin,
        event_id,
        [late],
        approve=True,
        from_address=FROM,
        at=REMINDER_TIME + timedelta(hours=1),
    )

    _dispatch(engine, REMINDER_TIME + timedelta(hours=2))

    records = _records(engine, event_id)
    assert records[early, "reminder"] == ("sent", None)
    assert records[late, "reminder"][0] == "skipped"
    assert "approved" in records[late, "reminder"][1]
    assert _sent(event_emails, event_id, "reminder") == Counter({early: 1})


def test_a_pending_candidate_is_not_reminded_until_approved(
    engine, admin, make_event, event_emails
):
    event_id = make_event("webinar", True)
    (guest,) = _people(engine, 1)
    _join(engine, admin, event_id, [guest])

    _dispatch(engine, REMINDER_TIME - timedelta(hours=2))
    review_candidates(
        engine,
        admin,
        event_id,
        [guest],
        approve=True,
        from_address=FROM,
        at=REMINDER_TIME - timedelta(hours=1),
    )
    _dispatch(engine, REMINDER_TIME)

    assert _records(engine, event_id) == {(guest, "reminder"): ("sent", None)}
    assert _sent(event_emails, event_id, "reminder") == Counter({guest: 1})


# --- follow-ups ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("late_by", "outcome"),
    [
        (timedelta(days=7) - MINUTE, "sent"),
        (timedelta(days=7), "sent"),
        (timedelta(days=7, seconds=1), "skipped"),
        (timedelta(days=30), "skipped"),
    ],
    ids=["a minute under a week", "exactly a week", "a week and a second", "a month"],
)
def test_a_follow_up_more_than_a_week_late_is_skipped(
    engine, admin, make_event, event_emails, late_by, outcome
):
    event_id = make_event("webinar", False)
    (guest,) = _people(engine, 1)
    _join(engine, admin, event_id, [guest])
    _dispatch(engine, REMINDER_TIME)

    _dispatch(engine, FOLLOW_UP_TIME + late_by)

    decided, reason = _records(engine, event_id)[guest, "follow-up"]
    assert decided == outcome
    sent = _sent(event_emails, event_id, "follow-up")
    if outcome == "sent":
        assert (reason, sent) == (None, Counter({guest: 1}))
    else:
        assert (reason, sent) == ("more than a week late", Counter())


def test_follow_ups_follow_the_events_own_delay(
    engine, admin, make_event, event_emails
):
    event_id = make_event("webinar", False, follow_up_minutes_after=60)
    (guest,) = _people(engine, 1)
    _join(engine, admin, event_id, [guest])

    before = _dispatch(engine, ENDS + timedelta(minutes=59))
    after = _dispatch(engine, ENDS + timedelta(minutes=60))

    assert before.sent["follow-up"] == 0
    assert after.sent["follow-up"] == 1
    assert _sent(event_emails, event_id, "follow-up") == Counter({guest: 1})


def test_moving_the_event_moves_its_reminder_and_never_repeats_one(
    engine, admin, make_event, make_event_details, event_emails
):
    event_id = make_event("webinar", False)
    (guest,) = _people(engine, 1)
    _join(engine, admin, event_id, [guest])
    a_day_later = make_event_details("webinar", False, day=date(2030, 6, 11))
    two_days_later = make_event_details("webinar", False, day=date(2030, 6, 12))

    update_event(engine, admin, event_id, a_day_later, from_address=FROM, at=JOINED)
    at_the_old_time = _dispatch(engine, REMINDER_TIME)
    at_the_new_time = _dispatch(engine, REMINDER_TIME + timedelta(days=1))
    update_event(
        engine,
        admin,
        event_id,
        two_days_later,
        from_address=FROM,
        at=REMINDER_TIME + timedelta(days=1, hours=1),
    )
    after_the_second_move = _dispatch(engine, REMINDER_TIME + timedelta(days=2))

    assert at_the_old_time.handled == 0
    assert at_the_new_time.sent == Counter({"reminder": 1})
    # Each reminder goes to a candidate at most once, even for a moved event.
    assert after_the_second_move.handled == 0
    assert _sent(event_emails, event_id, "reminder") == Counter({guest: 1})
    assert _sent(event_emails, event_id, "update") == Counter({guest: 2})


# --- cancelled and deleted events -----------------------------------------------------


@pytest.mark.parametrize("close", [cancel_event, delete_event])
def test_a_closed_event_drops_what_was_pending(
    engine, admin, make_event, event_emails, close
):
    event_id = make_event("in-person event", False)
    guests = _people(engine, 2)
    _join(engine, admin, event_id, guests)
    close(engine, admin, event_id, at=JOINED + timedelta(days=1))

    reports = [_dispatch(engine, REMINDER_TIME), _dispatch(engine, FOLLOW_UP_TIME)]

    assert [r.handled for r in reports] == [0, 0]
    assert _dispatch_rows(engine) == 0
    assert _sent(event_emails, event_id, "reminder") == Counter()
    assert _sent(event_emails, event_id, "follow-up") == Counter()


def test_cancelling_after_the_reminder_drops_the_follow_up(
    engine, admin, make_event, event_emails
):
    event_id = make_event("virtual chat", True)
    (guest,) = _people(engine, 1)
    _join(engine, admin, event_id, [guest])
    review_candidates(
        engine, admin, event_id, [guest], approve=True, from_address=FROM, at=JOINED
    )
    _assign(
        engine,
        admin,
        event_id,
        [guest],
        _slot(engine, admin, event_id, time(14), time(15)),
    )
    _dispatch(engine, REMINDER_TIME)

    cancel_event(engine, admin, event_id, at=REMINDER_TIME + MINUTE)
    report = _dispatch(engine, FOLLOW_UP_TIME)

    assert report.handled == 0
    assert _sent(event_emails, event_id, "reminder") == Counter({guest: 1})
    assert _sent(event_emails, event_id, "follow-up") == Counter()


# --- virtual chats: the candidate's slot sets the times ----------------------------


def test_virtual_chat_reminders_and_follow_ups_are_timed_by_each_slot(
    engine, admin, make_event, event_emails
):
    event_id = make_event(
        "virtual chat", False, reminder_minutes_before=60, follow_up_minutes_after=60
    )
    early_guest, late_guest = _people(engine, 2)
    _join(engine, admin, event_id, [early_guest, late_guest])
    # 14:00-14:30 and 15:30-16:00 Berlin: 12:00-12:30 and 13:30-14:00 UTC.
    early = _slot(engine, admin, event_id, time(14), time(14, 30))
    late = _slot(engine, admin, event_id, time(15, 30), time(16))
    _assign(engine, admin, event_id, [early_guest], early)
    _assign(engine, admin, event_id, [late_guest], late)

    # The chat starts at 12:00 UTC; the late slot's reminder is due at 12:30.
    _dispatch(engine, datetime(2030, 6, 10, 11, 0, tzinfo=UTC))
    reminded_first = _sent(event_emails, event_id, "reminder")
    _dispatch(engine, datetime(2030, 6, 10, 12, 30, tzinfo=UTC))
    reminded_then = _sent(event_emails, event_id, "reminder")
    # The early slot's follow-up is due at 13:30, the late one's at 15:00.
    _dispatch(engine, datetime(2030, 6, 10, 13, 30, tzinfo=UTC))
    followed_first = _sent(event_emails, event_id, "follow-up")
    _dispatch(engine, datetime(2030, 6, 10, 15, 0, tzinfo=UTC))

    assert reminded_first == Counter({early_guest: 1})
    assert reminded_then == Counter({early_guest: 1, late_guest: 1})
    assert followed_first == Counter({early_guest: 1})
    assert _sent(event_emails, event_id, "follow-up") == Counter(
        {early_guest: 1, late_guest: 1}
    )
    assert {outcome for outcome, _ in _records(engine, event_id).values()} == {"sent"}


def test_a_virtual_chat_reminder_names_the_candidates_slot(
    engine, admin, make_event, candidate_id
):
    event_id = make_event("virtual chat", False)
    _join(engine, admin, event_id, [candidate_id])
    slot_id = _slot(engine, admin, event_id, time(15), time(15, 20))
    _assign(engine, admin, event_id, [candidate_id], slot_id)

    _dispatch(engine, datetime(2030, 6, 9, 13, 0, tzinfo=UTC))

    with engine.connect() as connection:
        body = connection.execute(
            sa.select(communications.c.body).where(
                communications.c.email_kind == "reminder"
            )
        ).scalar_one()
    assert "Your time slot: Monday 10 June 2030, 15:00–15:20 (Europe/Berlin)" in body


def test_a_candidate_without_a_slot_waits_until_the_chat_ends(
    engine, admin, make_event, event_emails
):
    event_id = make_event("virtual chat", False, reminder_minutes_before=60)
    waiting, never = _people(engine, 2)
    _join(engine, admin, event_id, [waiting, never])

    # The chat's own reminder time has passed: nobody has a slot yet.
    first = _dispatch(engine, datetime(2030, 6, 10, 11, 30, tzinfo=UTC))
    # 15:00-15:30 Berlin is 13:00-13:30 UTC: its reminder is due at 12:00.
    slot_id = _slot(engine, admin, event_id, time(15), time(15, 30))
    _assign(
        engine,
        admin,
        event_id,
        [waiting],
        slot_id,
        at=datetime(2030, 6, 10, 11, 40, tzinfo=UTC),
    )
    during = _dispatch(engine, datetime(2030, 6, 10, 12, 0, tzinfo=UTC))
    before_the_end = _records(engine, event_id)
    _dispatch(engine, ENDS)

    assert first.handled == 0
    assert during.sent == Counter({"reminder": 1})
    assert before_the_end == {(waiting, "reminder"): ("sent", None)}
    assert _records(engine, event_id)[never, "reminder"] == (
        "skipped",
        "had no time slot when the chat ended",
    )
    assert _sent(event_emails, event_id, "reminder") == Counter({waiting: 1})


def test_a_slot_given_after_its_reminder_time_brings_no_reminder(
    engine, admin, make_event, event_emails
):
    event_id = make_event("virtual chat", False, reminder_minutes_before=60)
    (guest,) = _people(engine, 1)
    _join(engine, admin, event_id, [guest])
    slot_id = _slot(engine, admin, event_id, time(15), time(15, 30))
    _assign(
        engine,
        admin,
        event_id,
        [guest],
        slot_id,
        at=datetime(2030, 6, 10, 12, 15, tzinfo=UTC),
    )

    _dispatch(engine, datetime(2030, 6, 10, 12, 20, tzinfo=UTC))

    decided, reason = _records(engine, event_id)[guest, "reminder"]
    assert decided == "skipped"
    assert "time slot" in reason
    assert _sent(event_emails, event_id, "reminder") == Counter()


def test_a_reminder_found_after_the_slot_started_is_skipped(
    engine, admin, make_event, event_emails
):
    event_id = make_event("virtual chat", False, reminder_minutes_before=60)
    (guest,) = _people(engine, 1)
    _join(engine, admin, event_id, [guest])
    slot_id = _slot(engine, admin, event_id, time(15), time(15, 30))
    _assign(engine, admin, event_id, [guest], slot_id)

    _dispatch(engine, datetime(2030, 6, 10, 13, 5, tzinfo=UTC))

    decided, reason = _records(engine, event_id)[guest, "reminder"]
    assert decided == "skipped"
    assert "time slot had already started" in reason
    assert _sent(event_emails, event_id, "reminder") == Counter()


def test_a_deleted_slot_no_longer_times_anything(
    engine, admin, make_event, event_emails
):
    event_id = make_event("virtual chat", False, reminder_minutes_before=60)
    (guest,) = _people(engine, 1)
    _join(engine, admin, event_id, [guest])
    slot_id = _slot(engine, admin, event_id, time(14), time(14, 30))
    _assign(engine, admin, event_id, [guest], slot_id)
    delete_slot(engine, admin, slot_id, from_address=FROM, at=JOINED)

    report = _dispatch(engine, datetime(2030, 6, 10, 11, 30, tzinfo=UTC))

    assert report.handled == 0
    assert _sent(event_emails, event_id, "reminder") == Counter()


# --- two processes ------------------------------------------------------------------

# Each process runs the dispatcher once at the same clock, starting together,
# and prints how many reminders it sent.
DISPATCH = """
import sys, time
from datetime import datetime
from flo_comms.db import create_engine
from flo_comms.event_dispatch import dispatch_event_emails
url, now, batch_size, start = sys.argv[1:]
engine = create_engine(url)
time.sleep(max(0.0, float(start) - time.time()))
report = dispatch_event_emails(
    engine, from_address="Flo Events <events@flo-comms.test>",
    now=datetime.fromisoformat(now), batch_size=int(batch_size),
)
print(report.sent["reminder"])
"""


def _two_dispatcher_processes(engine, batch_size: int) -> list[tuple[int, str, str]]:
    url = engine.url.render_as_string(hide_password=False)
    start = str(clock.time() + 2.0)
    arguments = [url, REMINDER_TIME.isoformat(), str(batch_size), start]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", DISPATCH, *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        for _ in range(2)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    return [
        (process.returncode, out, err)
        for process, (out, err) in zip(processes, results, strict=True)
    ]


# DuckDB lets one process open its file: several processes are PostgreSQL's job.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_processes_dispatching_at_once_send_each_reminder_once(
    engine, admin, make_event, event_emails
):
    event_id = make_event("webinar", False)
    guests = _people(engine, 30)
    _join(engine, admin, event_id, guests)

    results = _two_dispatcher_processes(engine, batch_size=500)

    assert [code for code, _, _ in results] == [0, 0], results
    assert sum(int(out) for _, out, _ in results) == 30
    assert _sent(event_emails, event_id, "reminder") == Counter(
        dict.fromkeys(guests, 1)
    )
    assert _dispatch_rows(engine) == 30


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_processes_working_through_many_batches_both_finish(
    engine, admin, make_event, event_emails
):
    event_id = make_event("webinar", False)
    guests = _people(engine, 60)
    _join(engine, admin, event_id, guests)

    results = _two_dispatcher_processes(engine, batch_size=5)

    assert _sent(event_emails, event_id, "reminder") == Counter(
        dict.fromkeys(guests, 1)
    )
    assert [code for code, _, _ in results] == [0, 0], results
