"""Outreach events in the demo: a year of them, replayed as members ran them.

Events of all six kinds (in-person event, webinar, virtual chat; open and
invite only) over the past year and the coming month. Candidates register
through the public link or are added by a member (with and without a profile
request, on some events from a CSV file); Quick Review approves and denies;
details and internal notes change; final schedules go out; virtual chats fill
their time slots, delete one and take a candidate out of another; one event
is cancelled.

Every action is planned first with its moment, then all are replayed in time
order through the domain functions, each dated by its demo-only ``at``. The
reminder and follow-up dispatcher runs with its clock set just after each
moment something fell due, and just after each late arrival, as the
dashboard's dispatcher (awake every 30 seconds) would have: past events have
their reminders and follow-ups when they went out, and the skips a real run
makes (someone who joined after the reminder time). Nothing is dated after
now: upcoming events have registrations and reviews, and a reminder only
where one was due already.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import partial

from faker import Faker
from sqlalchemy.engine import Engine

from flo_comms.event_dispatch import dispatch_event_emails
from flo_comms.event_rules import EventType, ReviewState
from flo_comms.event_slots import (
    add_slot,
    assign_to_slot,
    delete_slot,
    list_slots,
    remove_from_slot,
)
from flo_comms.events import (
    EventDetails,
    cancel_event,
    create_event,
    get_event,
    update_event,
)
from flo_comms.members import Member
from flo_comms.registrations import (
    RegistrationRow,
    add_candidates,
    list_registrations,
    parse_people_csv,
    register_by_link,
    review_candidates,
    send_final_schedule,
)
from flo_comms.timezones import local_to_utc

Kind = tuple[EventType, bool]
# Past events go round the six kinds in this order; the seventh (a second
# open in-person event) is cancelled four days before it would have started.
PAST_KINDS: tuple[Kind, ...] = (
    (EventType.IN_PERSON, False),
    (EventType.WEBINAR, True),
    (EventType.VIRTUAL_CHAT, False),
    (EventType.IN_PERSON, True),
    (EventType.WEBINAR, False),
    (EventType.VIRTUAL_CHAT, True),
)
CANCELLED_PAST_EVENT = 6
# Upcoming events start with the invite-only ones: they show pending reviews.
UPCOMING_KINDS: tuple[Kind, ...] = (
    (EventType.IN_PERSON, True),
    (EventType.VIRTUAL_CHAT, True),
    (EventType.WEBINAR, False),
    (EventType.VIRTUAL_CHAT, False),
    (EventType.WEBINAR, True),
    (EventType.IN_PERSON, False),
)
TEAMS = ("Engineering", "Product Design", "Data", "Customer Success", "Sales")
TITLES = {
    EventType.IN_PERSON: ("{team} open house in {city}", "Careers evening: {team}"),
    EventType.WEBINAR: ("How we hire: {team}", "Inside the {team} team: live Q&A"),
    EventType.VIRTUAL_CHAT: ("Coffee chats: {team}", "Ask a recruiter: {team} roles"),
}
# Local start and end; a virtual chat's end follows from its time slots.
HOURS = {
    EventType.IN_PERSON: (time(18), time(20, 30)),
    EventType.WEBINAR: (time(16), time(17)),
    EventType.VIRTUAL_CHAT: (time(10), None),
}
AGENDAS = {
    EventType.IN_PERSON: "18:00 Welcome and drinks\n18:30 Talks from the team\n"
    "19:30 Meet the hiring managers",
    EventType.WEBINAR: "16:00 How the team works\n16:30 Questions from the audience",
    EventType.VIRTUAL_CHAT: "Half an hour with a hiring manager: bring your "
    "questions about the roles and the team.",
}
INTERNAL_NOTES = (
    "Catering booked for 40; ask facilities for the side entrance.",
    "Two hiring managers volunteered; a third would help.",
    "Record the session for candidates who cannot attend.",
)
ZONES = ("America/New_York", "Europe/London", "America/Los_Angeles", "Europe/Berlin")
SLOT_MINUTES = 30
SLOT_CAPACITY = 3
# Lead times members pick, repeated by how often they pick them.
REMINDER_MINUTES = (24 * 60, 24 * 60, 24 * 60, 48 * 60, 120)
FOLLOW_UP_MINUTES = (24 * 60, 24 * 60, 8 * 60, 60)
WEEK_IN_MINUTES = 7 * 24 * 60
# Hours before the start of a past event at which a member acts.
REVIEWS_BEFORE = (5 * 24, 36, 3)
FINAL_SCHEDULES_BEFORE = (72, 20)
SLOT_FILLS_BEFORE = (4 * 24 - 3, 3 * 24 + 5, 34, 6)
# A run this long after its moment: the dashboard's dispatcher wakes every 30 s.
DISPATCHER_LAG = (5, 30)


@dataclass(frozen=True)
class DemoPerson:
    """Someone who may join an event: a demo candidate, or a newcomer (no id)."""

    candidate_id: int | None
    name: str
    email: str


@dataclass(frozen=True)
class _Plan:
    """One event as planned: its details, owner, people and moments (UTC)."""

    index: int
    past: bool
    owner: Member
    details: EventDetails
    created_at: datetime
    slots: tuple[tuple[time, time], ...]
    people: tuple[DemoPerson, ...]
    cancel_at: datetime | None = None

    @property
    def event_type(self) -> EventType:
        return EventType(self.details.event_type)

    @property
    def starts_at(self) -> datetime:
        return _utc(self.details.day, self.details.start_time, self.details.time_zone)

    @property
    def ends_at(self) -> datetime:
        return _utc(self.details.day, self.details.end_time, self.details.time_zone)

    def windows(self) -> list[tuple[datetime, datetime]]:
        """When candidates attend: each time slot kept, or the whole event.

        A past chat loses its first slot (see _delete_first_slot).
        """
        day, zone = self.details.day, self.details.time_zone
        kept = self.slots[1:] if self.past else self.slots
        slots = [(_utc(day, a, zone), _utc(day, b, zone)) for a, b in kept]
        return slots or [(self.starts_at, self.ends_at)]


@dataclass
class _Event:
    """One event while it is replayed: its plan and what replaying made."""

    plan: _Plan
    event_id: int = 0
    token: str = ""
    # Taken out of their slot on purpose: later passes leave them without one.
    removed: set[int] = field(default_factory=set)
    reviews: int = 0
    # Someone became able to get a reminder since the dispatcher last ran.
    arrived: bool = False


@dataclass(frozen=True)
class _Step:
    at: datetime
    order: int
    act: Callable[[datetime], object]
    # Makes someone newly able to get a reminder (joins, approval, time slot).
    arrival: bool = False


def _utc(day: date, wall: time, zone: str) -> datetime:
    return local_to_utc(datetime.combine(day, wall), zone)


def _later(start: time, minutes: int) -> time:
    return (datetime.combine(date.min, start) + timedelta(minutes=minutes)).time()


class _Replay:
    """Plans the demo's outreach events, then replays them in time order."""

    def __init__(
        self,
        engine: Engine,
        fake: Faker,
        rng: random.Random,
        now: datetime,
        from_address: str,
    ) -> None:
        self.engine, self.fake, self.rng = engine, fake, rng
        self.now, self.from_address = now, from_address
        self.steps: list[_Step] = []
        self._order = itertools.count()  # ties in time run in planned order

    # --- planning --------------------------------------------------------------

    def plan(
        self, count: int, owners: list[Member], pool: list[DemoPerson], people: int
    ) -> None:
        """Plan ``count`` events of about ``people`` each: three past to one coming."""
        upcoming = max(1, round(count / 4)) if count > 1 else 0
        past = count - upcoming
        for index in range(past):
            days_ago = 340 - index * 334 / max(past - 1, 1) + self.rng.randint(-2, 2)
            day = (self.now - timedelta(days=days_ago)).date()
            joining = max(4, people + self.rng.randint(-2, 2))
            kind = PAST_KINDS[index % len(PAST_KINDS)]
            event = self._event(index, kind, day, True, owners, pool, joining)
            self._schedule_past(event)
        days_ahead = [self.rng.randint(4, 6)]
        days_ahead += sorted(self.rng.randint(7, 30) for _ in range(upcoming - 1))
        for index, days in enumerate(days_ahead):
            day = (self.now + timedelta(days=days)).date()
            kind = UPCOMING_KINDS[index % len(UPCOMING_KINDS)]
            joining = max(3, people * 2 // 3)
            event = self._event(index, kind, day, False, owners, pool, joining)
            self._schedule_upcoming(event)

    def _event(
        self,
        index: int,
        kind: Kind,
        day: date,
        past: bool,
        owners: list[Member],
        pool: list[DemoPerson],
        people: int,
    ) -> _Event:
        fake, rng = self.fake, self.rng
        event_type, invite_only = kind
        start, end = HOURS[event_type]
        slots: tuple[tuple[time, time], ...] = ()
        if event_type.has_slots:
            slots = tuple(
                (_later(start, i * SLOT_MINUTES), _later(start, (i + 1) * SLOT_MINUTES))
                for i in range(math.ceil(people / SLOT_CAPACITY) + 1)
            )
            end = slots[-1][1]
        in_person = event_type is EventType.IN_PERSON
        details = EventDetails(
            event_type=event_type,
            invite_only=invite_only,
            title=rng.choice(TITLES[event_type]).format(
                team=rng.choice(TEAMS), city=fake.city()
            ),
            day=day,
            start_time=start,
            end_time=end,
            time_zone=rng.choice(ZONES),
            place=f"{fake.company()}, {fake.street_address()}" if in_person else "",
            link="" if in_person else self._meeting_link(),
            agenda=AGENDAS[event_type],
            # The soonest upcoming event reminds a week ahead: those went out.
            reminder_minutes_before=(
                rng.choice(REMINDER_MINUTES) if past or index else WEEK_IN_MINUTES
            ),
            follow_up_minutes_after=rng.choice(FOLLOW_UP_MINUTES),
        )
        # Past events were created weeks before they started, upcoming ones
        # a few weeks ago.
        if past:
            created = _utc(day, start, details.time_zone) - timedelta(
                days=rng.randint(20, 40), hours=rng.randint(0, 8)
            )
        else:
            created = self.now - timedelta(
                days=rng.randint(15, 25), hours=rng.randint(0, 8)
            )
        # About one in four who join are new to the pipeline.
        newcomers = [self._newcomer() for _ in range(max(1, people // 4))]
        known = rng.sample(pool, k=min(len(pool), people - len(newcomers)))
        plan = _Plan(
            index=index,
            past=past,
            owner=rng.choice(owners),
            details=details,
            created_at=created,
            slots=slots,
            people=(*known, *newcomers),
        )
        if past and index == CANCELLED_PAST_EVENT:
            plan = replace(plan, cancel_at=plan.starts_at - timedelta(days=4, hours=2))
        return _Event(plan)

    def _meeting_link(self) -> str:
        return f"https://meet.example.com/{self.fake.lexify('???-????-???')}"

    def _newcomer(self) -> DemoPerson:
        return DemoPerson(None, self.fake.name(), self.fake.unique.safe_email())

    def _step(
        self,
        when: datetime,
        act: Callable[..., object],
        *args: object,
        arrival: bool = False,
    ) -> _Step:
        """A step that calls ``act(*args, at)`` at ``when``."""
        return _Step(when, next(self._order), partial(act, *args), arrival)

    def _schedule_past(self, event: _Event) -> None:
        plan = event.plan
        starts = plan.starts_at

        def before(hours: float) -> datetime:
            return starts - timedelta(hours=hours)

        steps = self._joinings(event, last=before(26))
        if plan.index % 2 == 0:
            steps += self._late_arrival(event)
        if plan.details.invite_only:
            steps += [
                self._step(before(h), self._review, event, arrival=True)
                for h in REVIEWS_BEFORE
            ]
        if plan.index % 3 == 1:
            steps.append(self._step(before(5 * 24), self._change_visible, event))
        if plan.index % 3 == 2:
            steps.append(self._step(before(6 * 24), self._change_notes, event))
        if plan.event_type.has_slots:
            steps += self._slot_changes(event, before)
        if plan.index % 4 != 3:
            steps += [
                self._step(before(h), self._send_final_schedule, event)
                for h in FINAL_SCHEDULES_BEFORE
            ]
        if plan.cancel_at:
            steps.append(self._step(plan.cancel_at, self._cancel, event))
        self._keep(event, steps)

    def _schedule_upcoming(self, event: _Event) -> None:
        plan, now = event.plan, self.now
        steps = self._joinings(event, last=now - timedelta(hours=1))
        if plan.details.invite_only:
            for when in (plan.created_at + timedelta(days=3), now - timedelta(days=2)):
                steps.append(self._step(when, self._review, event, arrival=True))
            # Someone registered since the second review: still pending.
            when = now - timedelta(hours=self.rng.randint(2, 40))
            steps.append(self._step(when, self._register, event, self._newcomer()))
        if plan.index == 0:
            steps.append(
                self._step(now - timedelta(days=1), self._change_visible, event)
            )
        if plan.index == 1:
            steps.append(self._step(now - timedelta(days=3), self._change_notes, event))
        if plan.event_type.has_slots:
            when = now - timedelta(hours=20)
            steps.append(self._step(when, self._fill_slots, event, arrival=True))
        self._keep(event, steps)

    def _joinings(self, event: _Event, *, last: datetime) -> list[_Step]:
        """Create the event, then people join: members add some, links the rest.

        A member adds a third of the known candidates (asking for a full
        profile on every other event); some events import two newcomers from
        a CSV file; the others register through the link at random moments
        between a day after the event was created and ``last``.
        """
        plan = event.plan
        steps = [self._step(plan.created_at, self._create, event)]
        known = [p for p in plan.people if p.candidate_id is not None]
        newcomers = [p for p in plan.people if p.candidate_id is None]
        split = max(1, len(known) // 3)
        added, linked = known[:split], known[split:]
        first = plan.created_at + timedelta(days=1)
        when = first + timedelta(hours=self.rng.randint(1, 40))
        steps.append(
            self._step(when, self._add, event, added, plan.index % 2 == 0, arrival=True)
        )
        if plan.index % 4 == 1 and len(newcomers) > 1:
            from_csv, newcomers = newcomers[:2], newcomers[2:]
            when = first + timedelta(days=2, hours=self.rng.randint(0, 8))
            steps.append(self._step(when, self._add_from_csv, event, from_csv))
        for person in linked + newcomers:
            when = first + (last - first) * self.rng.random()
            steps.append(self._step(when, self._register, event, person, arrival=True))
        return steps

    def _late_arrival(self, event: _Event) -> list[_Step]:
        """Someone registers after the reminder time: their reminder is skipped."""
        plan = event.plan
        first = plan.starts_at - timedelta(
            minutes=plan.details.reminder_minutes_before - 15
        )
        # A chat's latecomer still comes before its last pass filling the slots.
        last = plan.starts_at - timedelta(
            hours=SLOT_FILLS_BEFORE[-1] + 1 if plan.slots else 0, minutes=10
        )
        if last <= first:
            return []
        when = first + (last - first) * self.rng.random()
        return [self._step(when, self._register, event, self._newcomer(), arrival=True)]

    def _slot_changes(
        self, event: _Event, before: Callable[[float], datetime]
    ) -> list[_Step]:
        """Fill the slots; delete one and refill; take one candidate out; fill again."""
        fills = [
            self._step(before(h), self._fill_slots, event, arrival=True)
            for h in SLOT_FILLS_BEFORE
        ]
        return [
            *fills,
            self._step(before(3 * 24 + 6), self._delete_first_slot, event),
            self._step(before(2 * 24), self._remove_one, event),
        ]

    def _keep(self, event: _Event, steps: list[_Step]) -> None:
        """Keep the steps before now (and the event's closing), with dispatcher runs."""
        plan = event.plan
        end = plan.cancel_at or self.now
        kept = [s for s in steps if s.at < end or s.at == plan.cancel_at]
        self.steps += kept
        if plan.cancel_at is None:
            self.steps += self._dispatcher_runs(event, kept)

    def _dispatcher_runs(self, event: _Event, steps: list[_Step]) -> list[_Step]:
        """Runs after each moment a reminder or follow-up fell due, and after each
        arrival between the first reminder time and the end, so that a late
        arrival's reminder is decided (and its skip explained) then."""
        plan = event.plan
        reminder = timedelta(minutes=plan.details.reminder_minutes_before)
        follow_up = timedelta(minutes=plan.details.follow_up_minutes_after)
        windows = plan.windows()
        moments = {plan.ends_at + follow_up}
        for start, end in windows:
            moments |= {start - reminder, end + follow_up}
        first_due = windows[0][0] - reminder
        arrivals = {
            s.at for s in steps if s.arrival and first_due <= s.at < plan.ends_at
        }
        runs = []
        for moment in sorted(moments | arrivals):
            at = moment + timedelta(seconds=self.rng.randint(*DISPATCHER_LAG))
            if at < self.now:
                runs.append(self._step(at, self._dispatch, event, moment in arrivals))
        return runs

    # --- the actions, each called with its moment last ---------------------------

    def _create(self, event: _Event, at: datetime) -> None:
        plan = event.plan
        event.event_id = create_event(self.engine, plan.owner, plan.details, at=at)
        event.token = get_event(self.engine, event.event_id).registration_token
        # Time slots carry no moment of their own: they come with the event.
        for start, end in plan.slots:
            add_slot(
                self.engine,
                plan.owner,
                event.event_id,
                day=plan.details.day,
                start_time=start,
                end_time=end,
                capacity=SLOT_CAPACITY,
            )

    def _register(self, event: _Event, person: DemoPerson, at: datetime) -> None:
        event.arrived = True
        register_by_link(
            self.engine,
            event.token,
            name=person.name,
            email=person.email,
            from_address=self.from_address,
            at=at,
        )

    def _add(
        self,
        event: _Event,
        people: list[DemoPerson],
        request_profile: bool,
        at: datetime,
    ) -> None:
        event.arrived = True
        add_candidates(
            self.engine,
            event.plan.owner,
            event.event_id,
            candidate_ids=[person.candidate_id for person in people],
            request_profile=request_profile,
            from_address=self.from_address,
            at=at,
        )

    def _add_from_csv(
        self, event: _Event, people: list[DemoPerson], at: datetime
    ) -> None:
        # As a member uploads it: a header, then one person a line.
        file = io.StringIO()
        writer = csv.writer(file)
        writer.writerow(("name", "email", "notes"))
        for person in people:
            writer.writerow((person.name, person.email, "met at the career fair"))
        add_candidates(
            self.engine,
            event.plan.owner,
            event.event_id,
            new_people=parse_people_csv(file.getvalue().encode()),
            request_profile=True,
            from_address=self.from_address,
            at=at,
        )

    def _registrations(
        self, event: _Event, state: ReviewState | None = None
    ) -> list[RegistrationRow]:
        states = frozenset({state.value}) if state else frozenset()
        page = list_registrations(
            self.engine, event.event_id, review_states=states, page_size=1000
        )
        return sorted(page.rows, key=lambda row: row.candidate_id)

    def _review(self, event: _Event, at: datetime) -> None:
        """Quick Review of everyone pending: most approved, about one in four denied."""
        pending = [
            row.candidate_id for row in self._registrations(event, ReviewState.PENDING)
        ]
        if not pending:
            return
        event.arrived = True
        denied = [c for c in pending if self.rng.random() < 0.25]
        if not denied and event.reviews == 0 and len(pending) >= 3:
            denied = pending[-1:]
        event.reviews += 1
        approved = [c for c in pending if c not in denied]
        for ids, approve in ((approved, True), (denied, False)):
            if ids:
                review_candidates(
                    self.engine,
                    event.plan.owner,
                    event.event_id,
                    ids,
                    approve=approve,
                    from_address=self.from_address,
                    at=at,
                )

    def _change_visible(self, event: _Event, at: datetime) -> None:
        """A change candidates see, and are emailed: a room, a link, an agenda."""
        current = get_event(self.engine, event.event_id).details()
        if current.event_type is EventType.IN_PERSON:
            changed = replace(current, place=f"{current.place}, third floor, room 3B")
        elif current.event_type is EventType.WEBINAR:
            changed = replace(current, link=self._meeting_link())
        else:
            changed = replace(current, agenda=current.agenda + " Cameras optional.")
        self._save(event, changed, at)

    def _change_notes(self, event: _Event, at: datetime) -> None:
        current = get_event(self.engine, event.event_id).details()
        notes = self.rng.choice(INTERNAL_NOTES)
        self._save(event, replace(current, internal_notes=notes), at)

    def _save(self, event: _Event, details: EventDetails, at: datetime) -> None:
        update_event(
            self.engine,
            event.plan.owner,
            event.event_id,
            details,
            from_address=self.from_address,
            at=at,
        )

    def _send_final_schedule(self, event: _Event, at: datetime) -> None:
        # The second send reaches only those who joined or were approved since.
        send_final_schedule(
            self.engine,
            event.plan.owner,
            event.event_id,
            from_address=self.from_address,
            at=at,
        )

    def _fill_slots(self, event: _Event, at: datetime) -> None:
        """Give each approved candidate without a slot the first one with room."""
        waiting = [
            row.candidate_id
            for row in self._registrations(event, ReviewState.APPROVED)
            if row.slot_id is None and row.candidate_id not in event.removed
        ]
        if not waiting:
            return
        for slot in list_slots(self.engine, event.event_id):
            group, waiting = waiting[: slot.free], waiting[slot.free :]
            if group:
                event.arrived = True
                assign_to_slot(
                    self.engine,
                    event.plan.owner,
                    event.event_id,
                    group,
                    slot.id,
                    from_address=self.from_address,
                    at=at,
                )

    def _delete_first_slot(self, event: _Event, at: datetime) -> None:
        """The first slot goes (filled first, so people are in it): each of them
        gets a cancellation, and a later pass gives them another slot."""
        first = list_slots(self.engine, event.event_id)[0]
        delete_slot(
            self.engine,
            event.plan.owner,
            first.id,
            from_address=self.from_address,
            at=at,
        )

    def _remove_one(self, event: _Event, at: datetime) -> None:
        """One candidate is taken out of their slot for good: a cancellation."""
        seated = [
            row.candidate_id
            for row in self._registrations(event)
            if row.slot_id is not None
        ]
        if seated:
            candidate_id = self.rng.choice(seated)
            event.removed.add(candidate_id)
            remove_from_slot(
                self.engine,
                event.plan.owner,
                event.event_id,
                candidate_id,
                from_address=self.from_address,
                at=at,
            )

    def _cancel(self, event: _Event, at: datetime) -> None:
        cancel_event(self.engine, event.plan.owner, event.event_id, at=at)

    def _dispatch(self, event: _Event, after_arrival: bool, at: datetime) -> None:
        # After an action that let no one in (a review with nobody pending),
        # a run would find nothing new: it is left out, to save time.
        if after_arrival and not event.arrived:
            return
        event.arrived = False
        dispatch_event_emails(self.engine, from_address=self.from_address, now=at)

    def replay(self) -> None:
        """Run every planned step in time order."""
        for step in sorted(self.steps, key=lambda step: (step.at, step.order)):
            step.act(step.at)


def create_outreach_events(
    engine: Engine,
    fake: Faker,
    rng: random.Random,
    *,
    count: int,
    people_per_event: int,
    owners: list[Member],
    pool: list[DemoPerson],
    now: datetime,
    from_address: str,
) -> None:
    """Plan ``count`` outreach events over the year around ``now``; replay them.

    ``pool`` holds the demo candidates who may join (those with an address);
    ``owners`` the members who create and run the events.
    """
    if count <= 0:
        return
    replay = _Replay(engine, fake, rng, now, from_address)
    replay.plan(count, owners, pool, people_per_event)
    replay.replay()
