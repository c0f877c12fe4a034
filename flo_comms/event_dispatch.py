"""Reminders and follow-ups: the dispatcher that sends what is due, once.

A reminder goes out a set time before the event (before the candidate's time
slot for a virtual chat), a follow-up a set time after it. Who gets them is
the rules' business (flo_comms.event_rules: everyone registered on an open
event, approved candidates on an invite-only one); cancelled and deleted
events get neither, which is how cancelling drops what was pending.

Each decision is a row in ``event_dispatches`` with a unique key per event,
candidate and kind, inserted in the same transaction as the email it sends.
However often and from however many threads or processes the dispatcher runs,
the second insert finds the key taken and sends nothing: each reminder and
follow-up reaches a candidate at most once.

Not everything due is sent. A reminder is skipped when the event (or the
slot) has started, or when its time had passed before the candidate could
receive it (joined, was approved or got their slot after it); a follow-up is
skipped when it is more than a week late. A skip is recorded with its reason
and is as final as a send.

The dispatcher takes its clock as an argument and never sleeps; running it on
a timer is the caller's business (flo_comms.delivery.DeliveryDispatcher in the
dashboard, ``flo-comms dispatch`` apart from it).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.engine import Connection, Engine

from flo_comms.bulk_rows import rows_insert
from flo_comms.db import write_with_retry
from flo_comms.event_emails import Recipient, compose_event_emails, read_creators
from flo_comms.event_rules import (
    EventAction,
    EventType,
    audience_for,
    email_kind_for,
    review_states_emailed,
)
from flo_comms.events import EventState, read_events
from flo_comms.locks import if_free
from flo_comms.schema import (
    candidates,
    event_dispatches,
    event_registrations,
    event_time_slots,
    outreach_events,
)
from flo_comms.system_emails import draw_communication_ids, log_system_emails
from flo_comms.timezones import now_utc

logger = logging.getLogger(__name__)

# A follow-up later than this after its time is not sent: it would read oddly.
FOLLOW_UP_TOO_LATE_AFTER = timedelta(days=7)
# Registrations decided, and emails logged, per transaction. Each batch costs a
# due query and a commit (about 0.15 s on DuckDB with a large file) whatever
# its size, and its statements hardly grow with it: 500 a batch made 10,000
# reminders take 11 s on a 400,000-entry file, 5,000 a batch under 3 s.
DISPATCH_BATCH_SIZE = 5_000
NO_ADDRESS = "no email address"


class DispatchKind(StrEnum):
    REMINDER = "reminder"
    FOLLOW_UP = "follow-up"

    @property
    def action(self) -> EventAction:
        return (
            EventAction.REMINDER_DUE
            if self is DispatchKind.REMINDER
            else EventAction.FOLLOW_UP_DUE
        )


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Timing:
    """One registration, with every time a reminder or follow-up depends on."""

    event_id: int
    candidate_id: int
    event_type: EventType
    invite_only: bool
    event_starts_at: datetime
    event_ends_at: datetime
    slot_starts_at: datetime | None
    slot_ends_at: datetime | None
    reminder_minutes_before: int
    follow_up_minutes_after: int
    joined_at: datetime
    reviewed_at: datetime | None
    slot_assigned_at: datetime | None

    @property
    def starts_at(self) -> datetime:
        return self.slot_starts_at or self.event_starts_at

    @property
    def ends_at(self) -> datetime:
        return self.slot_ends_at or self.event_ends_at

    @property
    def reminder_at(self) -> datetime:
        return self.starts_at - timedelta(minutes=self.reminder_minutes_before)

    @property
    def follow_up_at(self) -> datetime:
        return self.ends_at + timedelta(minutes=self.follow_up_minutes_after)

    @property
    def receivable_since(self) -> datetime:
        """When the candidate could first receive a reminder: joined, approved, slot."""
        moments = [self.joined_at]
        if self.invite_only and self.reviewed_at is not None:
            moments.append(self.reviewed_at)
        if self.event_type.has_slots and self.slot_assigned_at is not None:
            moments.append(self.slot_assigned_at)
        return max(moments)

    @property
    def lacks_slot(self) -> bool:
        return self.event_type.has_slots and self.slot_starts_at is None


_TIMING_FIELDS = len(fields(Timing))


@dataclass(frozen=True)
class Decision:
    """Send, skip (with why), or nothing yet (``outcome`` None)."""

    outcome: Outcome | None
    due_at: datetime
    reason: str | None = None


def _where(timing: Timing) -> str:
    return "time slot" if timing.event_type.has_slots else "event"


def decide_reminder(timing: Timing, now: datetime) -> Decision:
    due = timing.reminder_at
    if timing.lacks_slot:
        # Wait: a slot may still be given. Past the chat's end, none will be.
        if now < timing.event_ends_at:
            return Decision(None, due)
        return Decision(Outcome.SKIPPED, due, "had no time slot when the chat ended")
    if now < due:
        return Decision(None, due)
    if now >= timing.starts_at:
        return Decision(
            Outcome.SKIPPED, due, f"the {_where(timing)} had already started"
        )
    if timing.receivable_since > due:
        return Decision(
            Outcome.SKIPPED,
            due,
            f"its time had passed when the candidate {_became_receivable(timing)}",
        )
    return Decision(Outcome.SENT, due)


def _became_receivable(timing: Timing) -> str:
    since = timing.receivable_since
    if timing.event_type.has_slots and since == timing.slot_assigned_at:
        return "got their time slot"
    if timing.invite_only and since == timing.reviewed_at:
        return "was approved"
    return "joined"


def decide_follow_up(timing: Timing, now: datetime) -> Decision:
    if timing.lacks_slot:
        due = timing.event_ends_at + timedelta(minutes=timing.follow_up_minutes_after)
        if now < due:
            return Decision(None, due)
        return Decision(Outcome.SKIPPED, due, "had no time slot when the chat ended")
    due = timing.follow_up_at
    if now < due:
        return Decision(None, due)
    if timing.receivable_since > timing.ends_at:
        return Decision(
            Outcome.SKIPPED,
            due,
            f"the candidate {_became_receivable(timing)} after the {_where(timing)}",
        )
    if now - due > FOLLOW_UP_TOO_LATE_AFTER:
        return Decision(Outcome.SKIPPED, due, "more than a week late")
    return Decision(Outcome.SENT, due)


_DECIDE = {
    DispatchKind.REMINDER: decide_reminder,
    DispatchKind.FOLLOW_UP: decide_follow_up,
}


@dataclass
class DispatchReport:
    sent: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    @property
    def handled(self) -> int:
        return sum(self.sent.values()) + sum(self.skipped.values())

    def __str__(self) -> str:
        sent = ", ".join(f"{n} {kind}" for kind, n in sorted(self.sent.items()))
        skipped = sum(self.skipped.values())
        return f"sent {sent or 'nothing'}; skipped {skipped}"


def _epoch(column: sa.ColumnElement) -> sa.ColumnElement:
    # Seconds since 1970 on both databases: comparing "start minus this row's
    # lead time" with now needs arithmetic on times, which the two spell
    # differently for intervals but alike for EXTRACT(epoch ...).
    return sa.extract("epoch", column)


def _eligible(kind: DispatchKind) -> sa.ColumnElement[bool]:
    """Registrations the rules send ``kind`` to, for every sort of event."""
    options = []
    for event_type in EventType:
        for invite_only in (False, True):
            audience = audience_for(kind.action, event_type, invite_only)
            states = sorted(s.value for s in review_states_emailed(audience))
            if states:
                options.append(
                    sa.and_(
                        outreach_events.c.event_type == event_type.value,
                        outreach_events.c.invite_only.is_(invite_only),
                        event_registrations.c.review_state.in_(states),
                    )
                )
    return sa.or_(*options)


def _due_query(kind: DispatchKind, now: datetime) -> sa.Select:
    now_epoch = now.timestamp()
    if kind is DispatchKind.REMINDER:
        moment = sa.func.coalesce(
            event_time_slots.c.starts_at, outreach_events.c.starts_at
        )
        due = _epoch(moment) - outreach_events.c.reminder_minutes_before * 60
    else:
        moment = sa.func.coalesce(event_time_slots.c.ends_at, outreach_events.c.ends_at)
        due = _epoch(moment) + outreach_events.c.follow_up_minutes_after * 60
    already = (
        sa.select(event_dispatches.c.id)
        .where(
            event_dispatches.c.event_id == event_registrations.c.event_id,
            event_dispatches.c.candidate_id == event_registrations.c.candidate_id,
            event_dispatches.c.kind == kind.value,
        )
        .exists()
    )
    return (
        sa.select(
            event_registrations.c.event_id,
            event_registrations.c.candidate_id,
            outreach_events.c.event_type,
            outreach_events.c.invite_only,
            outreach_events.c.starts_at,
            outreach_events.c.ends_at,
            event_time_slots.c.starts_at,
            event_time_slots.c.ends_at,
            outreach_events.c.reminder_minutes_before,
            outreach_events.c.follow_up_minutes_after,
            event_registrations.c.joined_at,
            event_registrations.c.reviewed_at,
            event_registrations.c.slot_assigned_at,
            # Whom to write to: read here rather than once per reminder.
            candidates.c.name.label("candidate_name"),
            candidates.c.email.label("candidate_email"),
        )
        .select_from(event_registrations)
        .join(outreach_events, outreach_events.c.id == event_registrations.c.event_id)
        .join(candidates, candidates.c.id == event_registrations.c.candidate_id)
        .outerjoin(
            event_time_slots,
            sa.and_(
                event_time_slots.c.id == event_registrations.c.slot_id,
                event_time_slots.c.deleted_at.is_(None),
            ),
        )
        .where(
            outreach_events.c.state == EventState.SCHEDULED.value,
            _eligible(kind),
            due <= now_epoch,
            ~already,
        )
        .order_by(event_registrations.c.event_id, event_registrations.c.candidate_id)
    )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _timing(row: sa.Row) -> Timing:
    # The due query's columns up to the candidate's name are the timing's.
    values = [_utc(v) if isinstance(v, datetime) else v for v in row[:_TIMING_FIELDS]]
    values[2] = EventType(values[2])
    return Timing(*values)


def dispatch_event_emails(
    engine: Engine,
    *,
    from_address: str,
    now: datetime | None = None,
    batch_size: int = DISPATCH_BATCH_SIZE,
) -> DispatchReport:
    """Send (or skip, with the reason) every reminder and follow-up due at ``now``.

    Safe to run at any time, as often as wanted, from several threads or
    processes at once: one runs at a time (a run that finds another at work
    returns at once), and each decision's unique key would stop a second send
    anyway. Each batch is one transaction: its emails and its decisions are
    written together or not at all.
    """
    now = _utc(now) or now_utc()
    with if_free(engine, "event dispatch") as ours:
        if not ours:
            # Another dispatcher is at work (a thread, or another process on
            # PostgreSQL): it sends what is due. Running beside it would only
            # collide with its claims, batch after batch.
            logger.debug("another dispatcher is sending reminders; skipped")
            return DispatchReport()
        return _dispatch_all(engine, now, batch_size, from_address)


def _dispatch_all(
    engine: Engine, now: datetime, batch_size: int, from_address: str
) -> DispatchReport:
    report = DispatchReport()
    for kind in DispatchKind:
        after: tuple[int, int] = (0, 0)
        while True:
            sent, skipped, last = write_with_retry(
                engine,
                lambda connection, kind=kind, after=after: _dispatch_batch(
                    connection, kind, now, after, batch_size, from_address
                ),
            )
            # Counted once the batch committed: a retried batch counts afresh.
            report.sent.update(sent)
            report.skipped.update(skipped)
            if last is None:
                break
            after = last
    if report.handled:
        logger.info("event dispatch at %s: %s", now.isoformat(), report)
    return report


@dataclass(frozen=True)
class _Due:
    """A registration whose reminder or follow-up was decided in this batch."""

    timing: Timing
    decision: Decision
    recipient: Recipient

    @property
    def key(self) -> tuple[int, int]:
        return (self.timing.event_id, self.timing.candidate_id)


def _dispatch_batch(
    connection: Connection,
    kind: DispatchKind,
    now: datetime,
    after: tuple[int, int],
    batch_size: int,
    from_address: str,
) -> tuple[Counter, Counter, tuple[int, int] | None]:
    """Decide one batch of due registrations after the key ``after``.

    Returns what was sent and skipped, and the batch's last key (None when
    there was nothing left). The statements are the same few whatever the
    batch's size: the decisions are claimed in one insert that already holds
    the ids of the emails, and the emails this run won are logged together.
    """
    event_id, candidate_id = after
    rows = connection.execute(
        _due_query(kind, now)
        .where(
            sa.or_(
                event_registrations.c.event_id > event_id,
                sa.and_(
                    event_registrations.c.event_id == event_id,
                    event_registrations.c.candidate_id > candidate_id,
                ),
            )
        )
        .limit(batch_size)
    ).all()
    if not rows:
        return Counter(), Counter(), None
    decided = [due for row in rows if (due := _decide(kind, row, now)) is not None]
    sending = [due for due in decided if due.decision.outcome is Outcome.SENT]
    ids = dict(
        zip(
            [due.key for due in sending],
            draw_communication_ids(connection, len(sending)),
            strict=True,
        )
    )
    claimed = _claim(connection, kind, decided, ids, now)
    won = [due for due in sending if due.key in claimed]
    _send(connection, kind, won, [ids[due.key] for due in won], from_address, now)
    skipped = Counter(
        due.decision.reason
        for due in decided
        if due.key in claimed and due.decision.outcome is Outcome.SKIPPED
    )
    sent = Counter({kind.value: len(won)}) if won else Counter()
    last = rows[-1]
    return sent, skipped, (last[0], last[1])


def _decide(kind: DispatchKind, row: sa.Row, now: datetime) -> _Due | None:
    timing = _timing(row)
    decision = _DECIDE[kind](timing, now)
    if decision.outcome is None:
        return None
    if decision.outcome is Outcome.SENT and not row.candidate_email:
        # The candidate's address was removed since they joined.
        decision = Decision(Outcome.SKIPPED, decision.due_at, NO_ADDRESS)
    recipient = Recipient(
        timing.candidate_id,
        row.candidate_name,
        row.candidate_email,
        timing.slot_starts_at,
        timing.slot_ends_at,
    )
    return _Due(timing, decision, recipient)


def _claim(
    connection: Connection,
    kind: DispatchKind,
    decided: list[_Due],
    communication_ids: dict[tuple[int, int], int],
    now: datetime,
) -> set[tuple[int, int]]:
    """Insert the decisions, each send with its email's id; return the keys won.

    A key another dispatcher decided first is not inserted, and its email,
    whose id was drawn for nothing, is not logged.
    """
    if not decided:
        return set()
    claim = rows_insert(
        connection,
        upsert(event_dispatches),
        [
            {
                "event_id": due.timing.event_id,
                "candidate_id": due.timing.candidate_id,
                "kind": kind.value,
                "outcome": due.decision.outcome.value,
                "reason": due.decision.reason,
                "due_at": due.decision.due_at,
                "decided_at": now,
                "communication_id": communication_ids.get(due.key),
            }
            for due in decided
        ],
    )
    rows = connection.execute(
        claim.on_conflict_do_nothing(
            index_elements=["event_id", "candidate_id", "kind"]
        ).returning(event_dispatches.c.event_id, event_dispatches.c.candidate_id)
    ).all()
    return {(row[0], row[1]) for row in rows}


def _send(
    connection: Connection,
    kind: DispatchKind,
    won: list[_Due],
    communication_ids: list[int],
    from_address: str,
    now: datetime,
) -> None:
    """Log the emails of the decisions won, with the ids their claims hold."""
    if not won:
        return
    events = {
        event_id: event.facts()
        for event_id, event in read_events(
            connection, [due.timing.event_id for due in won]
        ).items()
    }
    creators = read_creators(connection, list(events.values()))
    emails = []
    # Rows come ordered by event, so each group is one event's recipients.
    for event_id, group in groupby(won, key=lambda due: due.timing.event_id):
        emails += compose_event_emails(
            email_kind_for(kind.action),
            events[event_id],
            [due.recipient for due in group],
            member=None,
            creator=creators.get(event_id),
            from_address=from_address,
        )
    log_system_emails(
        connection,
        emails,
        from_address=from_address,
        sent_at=now,
        ids=communication_ids,
    )


@dataclass(frozen=True)
class DispatchRecord:
    """One reminder or follow-up decision, for the event page."""

    candidate_id: int
    candidate_name: str
    kind: DispatchKind
    outcome: Outcome
    reason: str | None
    due_at: datetime
    decided_at: datetime
    communication_id: int | None


def dispatch_records(
    engine: Engine, event_id: int, *, page: int = 1, page_size: int = 50
) -> tuple[list[DispatchRecord], int]:
    """An event's reminder and follow-up decisions, latest first: a page, the total."""
    with engine.connect() as connection:
        total = connection.execute(
            sa.select(sa.func.count()).where(event_dispatches.c.event_id == event_id)
        ).scalar_one()
        rows = connection.execute(
            sa.select(
                event_dispatches.c.candidate_id,
                candidates.c.name,
                event_dispatches.c.kind,
                event_dispatches.c.outcome,
                event_dispatches.c.reason,
                event_dispatches.c.due_at,
                event_dispatches.c.decided_at,
                event_dispatches.c.communication_id,
            )
            .join(candidates, candidates.c.id == event_dispatches.c.candidate_id)
            .where(event_dispatches.c.event_id == event_id)
            .order_by(
                event_dispatches.c.decided_at.desc(), event_dispatches.c.id.desc()
            )
            .limit(page_size)
            .offset((max(page, 1) - 1) * page_size)
        ).all()
    return (
        [
            DispatchRecord(
                r[0], r[1], DispatchKind(r[2]), Outcome(r[3]), r[4], r[5], r[6], r[7]
            )
            for r in rows
        ],
        total,
    )
