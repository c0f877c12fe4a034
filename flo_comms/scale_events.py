"""Outreach events of a scale database: events, registrations and every email.

Events of all six kinds (three types, open or invite only), most in the past
and some to come, with registrants drawn from a heavy-tailed spread: most
events have tens or hundreds, a few have thousands. Each registration gets the
emails the rules in flo_comms.event_rules give it, at the moments the domain
would have sent them: its confirmation when it joined, Quick Review's approval
or denial, the updates and the final schedule sent to those registered at the
time, cancellations of virtual-chat slots, and the reminders and follow-ups
decided by the dispatcher's own rules (flo_comms.event_dispatch), sent or
skipped with the reason, each recorded in ``event_dispatches``.

Past events ended at least two days before ``now`` and events to come start
eight days after it or later, so that a dispatcher run within a day after
``now`` finds nothing due: the benchmark relies on that.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from flo_comms.event_dispatch import (
    DispatchKind,
    Outcome,
    Timing,
    decide_follow_up,
    decide_reminder,
)
from flo_comms.event_emails import (
    EventFacts,
    Recipient,
    format_event_time,
    render_event_email,
)
from flo_comms.event_rules import EventType, ReviewState
from flo_comms.events import FOLLOW_UP_CHOICES, REMINDER_CHOICES, EventState
from flo_comms.registrations import JoinedBy
from flo_comms.scale_emails import (
    EVENT,
    FIRST_NAME,
    KIND_CODE,
    SECOND,
    SENDER_NAME,
    EmailPlan,
    Templates,
)
from flo_comms.system_emails import EmailKind

HOUR = 3_600 * SECOND
DAY = 24 * HOUR
# Events and their kinds: three types, each open or invite only.
KINDS_OF_EVENT = [(t, invite) for t in EventType for invite in (False, True)]
EVENT_TITLES = (
    "Data careers evening",
    "Engineering open house",
    "Product design webinar",
    "Meet the sales team",
    "Graduate recruiting chat",
    "Analytics career talk",
    "Customer success info session",
    "Women in tech breakfast",
)
EVENT_ZONES = ("America/New_York", "America/Chicago", "Europe/London", "Europe/Berlin")
CONFIRMATION_KIND = {
    JoinedBy.LINK: EmailKind.REGISTRATION_CONFIRMATION,
    JoinedBy.ADMIN_PROFILE_REQUEST: EmailKind.PROFILE_REQUEST,
    JoinedBy.ADMIN: EmailKind.CONFIRMATION,
}
JOINED_BY = list(CONFIRMATION_KIND)
CHANGES = (("place",), ("agenda",), ("date and time",), ("agenda", "place"))
# What the generator assumes each registration brings, to size the events.
EMAILS_PER_REGISTRATION = 4.5
SLOT_LENGTH = 30 * 60 * SECOND
# Stand-ins for an event's facts in a rendered shape (see EventPlanner._shape):
# characters no text contains, and times no event has.
_TITLE, _PLACE, _LINK, _AGENDA = "\x03", "\x04", "\x05", "\x06"
_WHEN, _SLOT, _CANCELLED = "\x07", "\x0e", "\x0f"
_STAND_IN_TIMES = {
    marker: (
        datetime(1999, 1, day, 1, 2, tzinfo=UTC),
        datetime(1999, 1, day, 3, 4, tzinfo=UTC),
    )
    for marker, day in ((_WHEN, 11), (_SLOT, 12), (_CANCELLED, 13))
}
SLOT_PEOPLE = 40


def _moment(microseconds: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(microseconds))


@dataclass(frozen=True)
class EventRows:
    events: pd.DataFrame
    slots: pd.DataFrame
    registrations: pd.DataFrame
    # communication_id holds the email's position in the plan (-1: none).
    dispatches: pd.DataFrame


@dataclass
class _Event:
    """One event as planned, with its registrations as arrays."""

    id: int
    facts: EventFacts
    creator: int
    created: int
    start: int
    end: int
    past: bool
    cancelled_at: int | None
    reminder_minutes: int
    follow_up_minutes: int
    candidates: np.ndarray
    joined_by: np.ndarray
    joined: np.ndarray
    state: np.ndarray  # ReviewState values
    reviewed: np.ndarray  # microseconds, 0 when not reviewed
    slot: np.ndarray  # slot id, 0 when none
    slot_assigned: np.ndarray
    slot_times: dict[int, tuple[int, int]]

    @property
    def cut_off(self) -> int:
        """Emails stop here: at the cancellation, or now for an event to come."""
        return self.cancelled_at if self.cancelled_at is not None else self.end


class EventPlanner:
    """Plans events one by one, adding their emails to the plan."""

    def __init__(
        self,
        plan: EmailPlan,
        templates: Templates,
        rng: np.random.Generator,
        *,
        now: int,
        history_start: int,
        organisers: np.ndarray,
        candidate_pool: np.ndarray,
        pool_created: np.ndarray,
    ) -> None:
        self.plan = plan
        self.templates = templates
        self.rng = rng
        self.now = now
        self.history_start = history_start
        self.organisers = organisers
        # Candidates who could join, in the order they came in, and when.
        self.pool = candidate_pool
        self.pool_created = pool_created
        self._rendered: dict[tuple, int] = {}
        self._shapes: dict[tuple, tuple[str, str]] = {}
        self.events: list[dict] = []
        self.slots: list[dict] = []
        self.registrations: list[pd.DataFrame] = []
        self.dispatches: list[pd.DataFrame] = []
        self._next_registration = 1

    def plan_events(self, registrations_wanted: int) -> EventRows:
        """Events with about this many registrations in all, every kind present."""
        count = max(len(KINDS_OF_EVENT), round(registrations_wanted / 400))
        sizes = self._sizes(count, registrations_wanted)
        for index, size in enumerate(sizes):
            if index < len(KINDS_OF_EVENT):
                event_type, invite_only = KINDS_OF_EVENT[index]
                past = True
            else:
                event_type, invite_only = KINDS_OF_EVENT[self.rng.integers(6)]
                past = self.rng.random() < 0.85
            event = self._event(index + 1, event_type, invite_only, past, int(size))
            self._emails(event)
        return EventRows(
            events=pd.DataFrame(self.events),
            slots=pd.DataFrame(self.slots),
            registrations=pd.concat(self.registrations, ignore_index=True),
            dispatches=pd.concat(self.dispatches, ignore_index=True)
            if self.dispatches
            else pd.DataFrame(),
        )

    def _sizes(self, count: int, wanted: int) -> np.ndarray:
        # Log-normal: the biggest of several hundred events has thousands.
        raw = self.rng.lognormal(mean=0.0, sigma=1.2, size=count)
        sizes = np.round(raw / raw.sum() * wanted).astype(np.int64)
        return np.clip(sizes, 3, min(len(self.pool), 12_000))

    def pool_created_of(self, candidates: np.ndarray) -> np.ndarray:
        return self.pool_created[np.searchsorted(self.pool, candidates)]

    # --- the event and who joined it -----------------------------------------

    def _event(
        self,
        event_id: int,
        event_type: EventType,
        invite_only: bool,
        past: bool,
        size: int,
    ) -> _Event:
        rng = self.rng
        half_hour = 30 * 60 * SECOND
        if past:
            earliest = self.history_start + 60 * DAY
            start = rng.integers(earliest, max(earliest + 1, self.now - 3 * DAY))
        else:
            start = rng.integers(self.now + 8 * DAY, self.now + 60 * DAY)
        start = int(start // half_hour * half_hour)
        end = start + (3 if event_type.has_slots else 2) * HOUR
        created = start - int(rng.integers(14, 60)) * DAY
        created = min(max(self.history_start, created), self.now - DAY)
        creator = int(rng.choice(self.organisers))
        cancelled_at = None
        if rng.random() < 0.03:
            cancelled_at = int(rng.integers(created + HOUR, min(start, self.now)))
        title = f"{EVENT_TITLES[event_id % len(EVENT_TITLES)]} #{event_id}"
        zone = EVENT_ZONES[event_id % len(EVENT_ZONES)]
        in_person = event_type is EventType.IN_PERSON
        facts = EventFacts(
            id=event_id,
            event_type=event_type,
            invite_only=invite_only,
            title=title,
            starts_at=_moment(start),
            ends_at=_moment(end),
            time_zone=zone,
            place="Flo office, 1 Example Street" if in_person else None,
            link=None if in_person else f"https://meet.example.com/flo-{event_id}",
            agenda="Welcome, talks from the team, then questions.",
            created_by=creator,
        )
        slot_times = self._slots(event_id, event_type, start, size)
        event = self._registrants(
            event_id,
            facts,
            creator,
            created,
            start,
            end,
            past,
            cancelled_at,
            size,
            slot_times,
        )
        self.events.append(
            {
                "id": event_id,
                "event_type": event_type.value,
                "invite_only": invite_only,
                "title": title,
                "starts_at": facts.starts_at,
                "ends_at": facts.ends_at,
                "time_zone": zone,
                "place": facts.place,
                "link": facts.link,
                "agenda": facts.agenda,
                "internal_notes": "Book the room; order food for the registrants.",
                "reminder_minutes_before": event.reminder_minutes,
                "follow_up_minutes_after": event.follow_up_minutes,
                "registration_token": secrets.token_urlsafe(24),
                "state": (
                    EventState.CANCELLED
                    if cancelled_at is not None
                    else EventState.SCHEDULED
                ).value,
                "created_by": creator,
                "created_at": _moment(created),
                "updated_at": None,
                "state_changed_at": None
                if cancelled_at is None
                else _moment(cancelled_at),
                "state_changed_by": None if cancelled_at is None else creator,
            }
        )
        return event

    def _slots(
        self, event_id: int, event_type: EventType, start: int, size: int
    ) -> dict[int, tuple[int, int]]:
        if not event_type.has_slots:
            return {}
        count = max(1, math.ceil(size / SLOT_PEOPLE))
        capacity = math.ceil(size / count) + 5
        times = {}
        for i in range(count):
            slot_id = len(self.slots) + 1
            slot_start = start + (i % 6) * SLOT_LENGTH
            times[slot_id] = (slot_start, slot_start + SLOT_LENGTH)
            self.slots.append(
                {
                    "id": slot_id,
                    "event_id": event_id,
                    "starts_at": _moment(slot_start),
                    "ends_at": _moment(slot_start + SLOT_LENGTH),
                    "capacity": capacity,
                    "deleted_at": None,
                }
            )
        return times

    def _registrants(
        self,
        event_id: int,
        facts: EventFacts,
        creator: int,
        created: int,
        start: int,
        end: int,
        past: bool,
        cancelled_at: int | None,
        size: int,
        slot_times: dict[int, tuple[int, int]],
    ) -> _Event:
        rng = self.rng
        closes = min(start, self.now, cancelled_at or start) - HOUR
        # Only candidates already in the system by the time registration closes.
        known = self.pool[: max(1, np.searchsorted(self.pool_created, closes))]
        picked = np.unique(rng.choice(known, size=min(size, len(known)), replace=True))
        rng.shuffle(picked)
        n = len(picked)
        joined_floor = np.maximum(created, self.pool_created_of(picked))
        joined = joined_floor + (
            rng.random(n) * np.maximum(closes - joined_floor, 1)
        ).astype(np.int64)
        joined_by = rng.choice(len(JOINED_BY), size=n, p=[0.7, 0.15, 0.15])
        if facts.invite_only:
            weights = [0.05, 0.7, 0.25] if past else [0.35, 0.5, 0.15]
            states = np.array([s.value for s in ReviewState])[
                rng.choice(3, size=n, p=weights)
            ]
        else:
            states = np.full(n, ReviewState.APPROVED.value)
        decided = facts.invite_only & (states != ReviewState.PENDING.value)
        reviewed = np.where(
            decided,
            np.minimum(
                joined + rng.integers(HOUR, 3 * DAY, n), np.maximum(joined, closes)
            ),
            0,
        )
        slot = np.zeros(n, dtype=np.int64)
        slot_assigned = np.zeros(n, dtype=np.int64)
        if slot_times:
            approved = states == ReviewState.APPROVED.value
            gets = approved & (rng.random(n) < (0.95 if past else 0.7))
            ids = np.array(list(slot_times))
            slot = np.where(gets, ids[np.arange(n) % len(ids)], 0)
            ready = np.maximum(joined, reviewed)
            slot_assigned = np.where(
                gets,
                np.minimum(
                    ready + rng.integers(HOUR, 2 * DAY, n), np.maximum(ready, closes)
                ),
                0,
            )
        event = _Event(
            id=event_id,
            facts=facts,
            creator=creator,
            created=created,
            start=start,
            end=end,
            past=past,
            cancelled_at=cancelled_at,
            reminder_minutes=int(rng.choice(REMINDER_CHOICES[:4])),
            follow_up_minutes=int(rng.choice(FOLLOW_UP_CHOICES)),
            candidates=picked,
            joined_by=joined_by,
            joined=joined,
            state=states,
            reviewed=reviewed,
            slot=slot,
            slot_assigned=slot_assigned,
            slot_times=slot_times,
        )
        self.registrations.append(self._registration_rows(event))
        return event

    def _registration_rows(self, event: _Event) -> pd.DataFrame:
        n = len(event.candidates)
        reviewed = event.reviewed > 0
        has_slot = event.slot > 0
        frame = pd.DataFrame(
            {
                "id": np.arange(n) + self._next_registration,
                "event_id": event.id,
                "candidate_id": event.candidates,
                "joined_by": np.array([j.value for j in JOINED_BY])[event.joined_by],
                "review_state": event.state,
                "slot_id": pd.Series(event.slot, dtype="Int64").where(has_slot),
                "joined_at": _series(event.joined),
                "reviewed_at": _series(event.reviewed).where(reviewed),
                "reviewed_by": pd.Series(
                    np.full(n, event.creator), dtype="Int64"
                ).where(reviewed),
                "slot_assigned_at": _series(event.slot_assigned).where(has_slot),
            }
        )
        self._next_registration += n
        return frame

    # --- the emails -------------------------------------------------------------

    def _template(self, event: _Event, kind: EmailKind, slot: int, **extra) -> int:
        key = (event.id, kind, slot, tuple(sorted(extra.items())))
        if key not in self._rendered:
            subject, body = self._shape(event, kind, bool(slot), **extra)
            facts = event.facts
            filled = {
                _TITLE: facts.title,
                _PLACE: facts.place or "",
                _LINK: facts.link or "",
                _AGENDA: facts.agenda or "",
                _WHEN: format_event_time(
                    facts.starts_at, facts.ends_at, facts.time_zone
                ),
            }
            if slot:
                starts, ends = (_moment(t) for t in event.slot_times[slot])
                filled[_SLOT] = format_event_time(starts, ends, facts.time_zone)
            if extra.get("cancelled_slot"):
                filled[_CANCELLED] = format_event_time(
                    *extra["cancelled_slot"], facts.time_zone
                )
            for marker, value in filled.items():
                subject, body = (
                    subject.replace(marker, value),
                    body.replace(marker, value),
                )
            self._rendered[key] = self.templates.add(subject, body)
        return self._rendered[key]

    def _shape(
        self, event: _Event, kind: EmailKind, with_slot: bool, **extra
    ) -> tuple[str, str]:
        """The email as the domain renders it, with stand-ins for the event's facts.

        Jinja compiles a template on every render, which takes milliseconds:
        each shape (kind of email, type of event, slot or not) is rendered once
        and filled in per event by replacing the stand-ins.
        """
        facts = event.facts
        changes = extra.get("changes", ())
        cancelled = bool(extra.get("cancelled_slot"))
        key = (kind, facts.event_type, facts.invite_only, with_slot, changes, cancelled)
        if key not in self._shapes:
            stand_in = EventFacts(
                id=0,
                event_type=facts.event_type,
                invite_only=facts.invite_only,
                title=_TITLE,
                starts_at=_STAND_IN_TIMES[_WHEN][0],
                ends_at=_STAND_IN_TIMES[_WHEN][1],
                time_zone="UTC",
                place=_PLACE if facts.place else None,
                link=_LINK if facts.link else None,
                agenda=_AGENDA if facts.agenda else None,
                created_by=None,
            )
            slot_times = _STAND_IN_TIMES[_SLOT] if with_slot else (None, None)
            recipient = Recipient(
                0, f"{FIRST_NAME} Candidate", "x@example.org", *slot_times
            )
            subject, body = render_event_email(
                kind,
                stand_in,
                recipient,
                sender_name=SENDER_NAME,
                changes=changes,
                cancelled_slot=_STAND_IN_TIMES[_CANCELLED] if cancelled else None,
            )
            for marker, (starts, ends) in _STAND_IN_TIMES.items():
                when = format_event_time(starts, ends, "UTC")
                subject, body = (
                    subject.replace(when, marker),
                    body.replace(when, marker),
                )
            self._shapes[key] = (subject, body)
        return self._shapes[key]

    def _send(
        self,
        event: _Event,
        kind: EmailKind,
        rows: np.ndarray,
        when: np.ndarray,
        *,
        by_member: bool,
        with_slot: bool = True,
        **extra,
    ) -> np.ndarray:
        """Add one email of ``kind`` for each chosen registration; their positions."""
        if not len(rows):
            return np.empty(0, dtype=np.int64)
        slots = event.slot[rows] if with_slot else np.zeros(len(rows), dtype=np.int64)
        templates = np.array(
            [self._template(event, kind, int(s), **extra) for s in slots]
        )
        when = np.broadcast_to(np.asarray(when, dtype=np.int64), (len(rows),))
        return self.plan.add(
            len(rows),
            occurred=when,
            category=EVENT,
            kind=KIND_CODE[kind.value],
            candidate=event.candidates[rows],
            member=event.creator if by_member else 0,
            signer=event.creator,
            reply=event.creator,
            template=templates,
            event=event.id,
        )

    def _audience(self, event: _Event, moment: int) -> np.ndarray:
        """Registrations a group email at ``moment`` reaches (update, schedule)."""
        joined = event.joined < moment
        if not event.facts.invite_only:
            return np.flatnonzero(joined)
        approved = event.state == ReviewState.APPROVED.value
        return np.flatnonzero(joined & approved & (event.reviewed < moment))

    def _emails(self, event: _Event) -> None:
        rng = self.rng
        everyone = np.arange(len(event.candidates))
        for code, joined_by in enumerate(JOINED_BY):
            rows = everyone[event.joined_by == code]
            self._send(
                event,
                CONFIRMATION_KIND[joined_by],
                rows,
                event.joined[rows],
                by_member=joined_by is not JoinedBy.LINK,
                with_slot=False,
            )
        if event.facts.invite_only:
            for state, kind in (
                (ReviewState.APPROVED, EmailKind.APPROVAL),
                (ReviewState.DENIED, EmailKind.DENIAL),
            ):
                rows = everyone[event.state == state.value]
                self._send(
                    event,
                    kind,
                    rows,
                    event.reviewed[rows],
                    by_member=True,
                    with_slot=False,
                )
        limit = min(event.cut_off, self.now)
        updates = int(rng.choice(4, p=[0.4, 0.3, 0.2, 0.1]))
        last_update = None
        for _ in range(updates):
            moment = int(rng.integers(event.created, max(event.created + 1, limit)))
            changes = CHANGES[int(rng.integers(len(CHANGES)))]
            rows = self._audience(event, moment)
            rows = (
                rows[(event.slot_assigned[rows] < moment)] if event.slot_times else rows
            )
            self._send(
                event, EmailKind.UPDATE, rows, moment, by_member=True, changes=changes
            )
            last_update = max(last_update or 0, moment)
        if last_update:
            self.events[-1]["updated_at"] = _moment(last_update)
        schedule_at = event.start - 2 * DAY
        if event.past and schedule_at < limit and rng.random() < 0.8:
            rows = self._audience(event, schedule_at)
            self._send(
                event, EmailKind.FINAL_SCHEDULE, rows, schedule_at, by_member=True
            )
        self._cancellations(event)
        if event.past and event.cancelled_at is None:
            self._dispatch(event, DispatchKind.REMINDER)
            self._dispatch(event, DispatchKind.FOLLOW_UP)

    def _cancellations(self, event: _Event) -> None:
        # A few candidates of virtual chats moved to another slot: each got a
        # cancellation for the old one (they are shown in their new slot).
        if not event.slot_times:
            return
        rows = np.flatnonzero(
            (event.slot > 0) & (self.rng.random(len(event.slot)) < 0.03)
        )
        for row in rows:
            slot = int(event.slot[row])
            moment = min(int(event.slot_assigned[row]) + HOUR, event.cut_off - HOUR)
            starts, ends = (_moment(t) for t in event.slot_times[slot])
            self._send(
                event,
                EmailKind.CANCELLATION,
                np.array([row]),
                moment,
                by_member=True,
                with_slot=False,
                cancelled_slot=(starts, ends),
            )

    def _dispatch(self, event: _Event, kind: DispatchKind) -> None:
        """The dispatcher's decisions on a past event, by the domain's own rules."""
        decide = decide_reminder if kind is DispatchKind.REMINDER else decide_follow_up
        eligible = np.flatnonzero(event.state == ReviewState.APPROVED.value)
        records = []
        sent_rows: list[int] = []
        sent_at: list[int] = []
        for row in eligible:
            timing = self._timing(event, int(row))
            due = (
                timing.reminder_at
                if kind is DispatchKind.REMINDER
                else timing.follow_up_at
            )
            if timing.lacks_slot:
                due = max(due, timing.event_ends_at)
            run_at = due + timedelta(seconds=int(self.rng.integers(1, 30)))
            decision = decide(timing, run_at)
            if decision.outcome is None:
                continue
            records.append((int(row), decision, _micro(run_at)))
            if decision.outcome is Outcome.SENT:
                sent_rows.append(int(row))
                sent_at.append(_micro(run_at))
        email_kind = (
            EmailKind.REMINDER if kind is DispatchKind.REMINDER else EmailKind.FOLLOW_UP
        )
        positions = self._send(
            event,
            email_kind,
            np.array(sent_rows, dtype=np.int64),
            np.array(sent_at),
            by_member=False,
        )
        position_of = dict(zip(sent_rows, positions.tolist(), strict=True))
        self.dispatches.append(
            pd.DataFrame(
                {
                    "event_id": event.id,
                    "candidate_id": [int(event.candidates[r]) for r, _, _ in records],
                    "kind": kind.value,
                    "outcome": [d.outcome.value for _, d, _ in records],
                    "reason": [d.reason for _, d, _ in records],
                    "due_at": [d.due_at for _, d, _ in records],
                    "decided_at": [_moment(t) for _, _, t in records],
                    "communication_id": [position_of.get(r, -1) for r, _, _ in records],
                }
            )
        )

    def _timing(self, event: _Event, row: int) -> Timing:
        slot = int(event.slot[row])
        slot_start = slot_end = None
        if slot:
            slot_start, slot_end = (_moment(t) for t in event.slot_times[slot])
        reviewed = int(event.reviewed[row])
        assigned = int(event.slot_assigned[row])
        return Timing(
            event_id=event.id,
            candidate_id=int(event.candidates[row]),
            event_type=event.facts.event_type,
            invite_only=event.facts.invite_only,
            event_starts_at=event.facts.starts_at,
            event_ends_at=event.facts.ends_at,
            slot_starts_at=slot_start,
            slot_ends_at=slot_end,
            reminder_minutes_before=event.reminder_minutes,
            follow_up_minutes_after=event.follow_up_minutes,
            joined_at=_moment(int(event.joined[row])),
            reviewed_at=_moment(reviewed) if reviewed else None,
            slot_assigned_at=_moment(assigned) if assigned else None,
        )


def _micro(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _series(microseconds: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(microseconds).astype("datetime64[us]")).dt.tz_localize(
        "UTC"
    )
