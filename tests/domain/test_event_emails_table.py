"""The spec's "Outreach event emails" table, checked action by action.

Every kind of event (in-person event, webinar, virtual chat; open or invite
only) gets the same cast of candidates, then one action; the test compares the
emails that action logged, as (candidate, email kind) pairs read from the
timelines, with the table below. The table is written here from the product
specification, not imported from flo_comms.event_rules, so that the code is
checked against the spec rather than against itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.errors import ValidationError
from flo_comms.event_dispatch import dispatch_event_emails
from flo_comms.event_slots import (
    add_slot,
    assign_to_slot,
    delete_slot,
    remove_from_slot,
)
from flo_comms.events import cancel_event, delete_event, get_event, update_event
from flo_comms.members import Member
from flo_comms.registrations import (
    add_candidates,
    register_by_link,
    review_candidates,
    send_final_schedule,
)
from flo_comms.schema import candidates, event_dispatches

FROM = "Flo Events <events@flo-comms.test>"

# The scenario's clock, in UTC. The event runs 10 June 2030, 12:00-14:00 UTC
# (14:00-16:00 in Berlin); reminders go 24 hours before the event (or the
# candidate's slot), follow-ups 24 hours after it.
JOINED = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
REVIEWED = datetime(2030, 6, 2, 9, 0, tzinfo=UTC)
SLOTTED = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)
ACTED = datetime(2030, 6, 5, 9, 0, tzinfo=UTC)
# Past every reminder's time (the latest, for the 15:00 Berlin slot, is
# 9 June 13:00 UTC) and before anything starts.
REMINDERS_DUE = datetime(2030, 6, 9, 13, 30, tzinfo=UTC)
# Past every follow-up's time (the latest, for the event's end, is 11 June
# 14:00 UTC), well within a week.
FOLLOW_UPS_DUE = datetime(2030, 6, 11, 15, 0, tzinfo=UTC)

# The cast. Open events: three candidates who joined the three ways.
LENA, RAFAEL, CARLA = "Lena Link", "Rafael Profile", "Carla Added"
# Invite-only events: two approved, one pending, one denied.
AMIR, ALBA, PIA, DAN = "Amir Approved", "Alba Approved", "Pia Pending", "Dan Denied"
# Someone who joins during the action itself.
NORA = "Nora Newcomer"

EVERYONE_OPEN = frozenset({LENA, RAFAEL, CARLA})
APPROVED = frozenset({AMIR, ALBA})
NEWCOMER = frozenset({NORA})
NOBODY: frozenset[str] = frozenset()
# Whom the slot actions touch: slot 1 holds Lena and Rafael on an open chat,
# Amir and Alba on an invite-only one; the removal takes out Lena or Amir.
SLOT_ONE_OPEN = frozenset({LENA, RAFAEL})
SLOT_ONE_INVITED = APPROVED
REMOVED_OPEN = frozenset({LENA})
REMOVED_INVITED = frozenset({AMIR})


class Refused:
    """The action does not exist on this kind of event: refused, nothing sent."""

    def __init__(self, message: str):
        self.message = message


NO_REVIEW = Refused("Open events have no Quick Review")
NO_SLOTS = Refused("Only virtual chats have time slots")

# The spec's table, one row per action. Columns in the spec's order:
# in-person/webinar open, in-person/webinar invite only, virtual chat open,
# virtual chat invite only. Each cell names the candidates of that column's
# cast who get the email, or says that the action is refused there.
SPEC_TABLE: dict[str, tuple[str | None, tuple]] = {
    "register by link": (
        "registration confirmation",
        (NEWCOMER, NEWCOMER, NEWCOMER, NEWCOMER),
    ),
    "add with profile request": (
        "profile request",
        (NEWCOMER, NEWCOMER, NEWCOMER, NEWCOMER),
    ),
    "add without profile request": (
        "confirmation",
        (NEWCOMER, NEWCOMER, NEWCOMER, NEWCOMER),
    ),
    "approve": ("approval", (NO_REVIEW, {PIA}, NO_REVIEW, {PIA})),
    "deny": ("denial", (NO_REVIEW, {PIA}, NO_REVIEW, {PIA})),
    "change a visible detail": (
        "update",
        (EVERYONE_OPEN, APPROVED, EVERYONE_OPEN, APPROVED),
    ),
    "change the internal notes": (None, (NOBODY, NOBODY, NOBODY, NOBODY)),
    "send the final schedule": (
        "final schedule",
        (EVERYONE_OPEN, APPROVED, EVERYONE_OPEN, APPROVED),
    ),
    "reminders fall due": (
        "reminder",
        (EVERYONE_OPEN, APPROVED, EVERYONE_OPEN, APPROVED),
    ),
    "follow-ups fall due": (
        "follow-up",
        (EVERYONE_OPEN, APPROVED, EVERYONE_OPEN, APPROVED),
    ),
    "remove from a time slot": (
        "cancellation",
        (NO_SLOTS, NO_SLOTS, REMOVED_OPEN, REMOVED_INVITED),
    ),
    "delete a time slot": (
        "cancellation",
        (NO_SLOTS, NO_SLOTS, SLOT_ONE_OPEN, SLOT_ONE_INVITED),
    ),
    "cancel the event": (None, (NOBODY, NOBODY, NOBODY, NOBODY)),
    "delete the event": (None, (NOBODY, NOBODY, NOBODY, NOBODY)),
}

SIX_KINDS = [
    pytest.param(event_type, invite_only, id=f"{event_type}-{mode}")
    for event_type in ("in-person event", "webinar", "virtual chat")
    for invite_only, mode in ((False, "open"), (True, "invite only"))
]


def column(event_type: str, invite_only: bool) -> int:
    return (2 if event_type == "virtual chat" else 0) + (1 if invite_only else 0)


@dataclass(frozen=True)
class Scenario:
    engine: Engine
    admin: Member
    event_id: int
    event_type: str
    invite_only: bool
    details: object
    ids: dict[str, int]
    slots: tuple[int, ...]


def _candidate(engine: Engine, name: str) -> int:
    local = name.split()[0].lower()
    return create_candidate(
        engine,
        name=name,
        email=f"{local}@example.org",
        source=CandidateSource.JOB_BOARD,
    )


def _add(
    engine: Engine, admin: Member, event_id: int, name: str, *, request_profile: bool
) -> int:
    candidate_id = _candidate(engine, name)
    add_candidates(
        engine,
        admin,
        event_id,
        candidate_ids=[candidate_id],
        request_profile=request_profile,
        from_address=FROM,
        at=JOINED,
    )
    return candidate_id


def _register(engine: Engine, event_id: int, name: str) -> int:
    token = get_event(engine, event_id).registration_token
    local = name.split()[0].lower()
    outcome = register_by_link(
        engine,
        token,
        name=name,
        email=f"{local}@example.org",
        from_address=FROM,
        at=JOINED,
    )
    return outcome.candidate_id


def build_scenario(
    engine: Engine,
    admin: Member,
    make_event,
    make_event_details,
    event_type: str,
    invite_only: bool,
) -> Scenario:
    """The event and its cast, as the module docstring describes."""
    event_id = make_event(event_type, invite_only)
    if invite_only:
        ids = {
            AMIR: _add(engine, admin, event_id, AMIR, request_profile=False),
            ALBA: _register(engine, event_id, ALBA),
            PIA: _add(engine, admin, event_id, PIA, request_profile=True),
            DAN: _register(engine, event_id, DAN),
        }
        for names, approve in (((AMIR, ALBA), True), ((DAN,), False)):
            review_candidates(
                engine,
                admin,
                event_id,
                [ids[n] for n in names],
                approve=approve,
                from_address=FROM,
                at=REVIEWED,
            )
        slot_one_cast, slot_two_cast = (AMIR, ALBA), ()
    else:
        ids = {
            LENA: _register(engine, event_id, LENA),
            RAFAEL: _add(engine, admin, event_id, RAFAEL, request_profile=True),
            CARLA: _add(engine, admin, event_id, CARLA, request_profile=False),
        }
        slot_one_cast, slot_two_cast = (LENA, RAFAEL), (CARLA,)
    slots: tuple[int, ...] = ()
    if event_type == "virtual chat":
        slots = tuple(
            add_slot(
                engine,
                admin,
                event_id,
                day=date(2030, 6, 10),
                start_time=start,
                end_time=end,
                capacity=5,
            )
            for start, end in ((time(14, 0), time(14, 30)), (time(15), time(15, 30)))
        )
        for slot_id, cast in zip(slots, (slot_one_cast, slot_two_cast), strict=True):
            if cast:
                assign_to_slot(
                    engine,
                    admin,
                    event_id,
                    [ids[n] for n in cast],
                    slot_id,
                    from_address=FROM,
                    at=SLOTTED,
                )
    return Scenario(
        engine,
        admin,
        event_id,
        event_type,
        invite_only,
        make_event_details(event_type, invite_only),
        ids,
        slots,
    )


# --- the actions ----------------------------------------------------------------


def _newcomer(scenario: Scenario, *, request_profile: bool) -> None:
    candidate_id = _candidate(scenario.engine, NORA)
    add_candidates(
        scenario.engine,
        scenario.admin,
        scenario.event_id,
        candidate_ids=[candidate_id],
        request_profile=request_profile,
        from_address=FROM,
        at=ACTED,
    )


def _register_newcomer(scenario: Scenario) -> None:
    token = get_event(scenario.engine, scenario.event_id).registration_token
    register_by_link(
        scenario.engine,
        token,
        name=NORA,
        email="Nora@Example.org",
        from_address=FROM,
        at=ACTED,
    )


def _review(scenario: Scenario, *, approve: bool) -> None:
    # On an open event nobody is pending: the review is asked of Lena.
    name = PIA if scenario.invite_only else LENA
    review_candidates(
        scenario.engine,
        scenario.admin,
        scenario.event_id,
        [scenario.ids[name]],
        approve=approve,
        from_address=FROM,
        at=ACTED,
    )


def _edit(scenario: Scenario, **changes) -> None:
    update_event(
        scenario.engine,
        scenario.admin,
        scenario.event_id,
        replace(scenario.details, **changes),
        from_address=FROM,
        at=ACTED,
    )


def _final_schedule(scenario: Scenario) -> None:
    send_final_schedule(
        scenario.engine, scenario.admin, scenario.event_id, from_address=FROM, at=ACTED
    )


def _dispatch(scenario: Scenario, now: datetime) -> None:
    dispatch_event_emails(scenario.engine, from_address=FROM, now=now)


def _remove_from_slot(scenario: Scenario) -> None:
    name = AMIR if scenario.invite_only else LENA
    remove_from_slot(
        scenario.engine,
        scenario.admin,
        scenario.event_id,
        scenario.ids[name],
        from_address=FROM,
        at=ACTED,
    )


def _delete_slot(scenario: Scenario) -> None:
    if not scenario.slots:
        # In-person events and webinars refuse the slot itself.
        add_slot(
            scenario.engine,
            scenario.admin,
            scenario.event_id,
            day=date(2030, 6, 10),
            start_time=time(14),
            end_time=time(14, 30),
            capacity=5,
        )
    delete_slot(
        scenario.engine, scenario.admin, scenario.slots[0], from_address=FROM, at=ACTED
    )


def _close_then_dispatch(scenario: Scenario, close: Callable) -> None:
    close(scenario.engine, scenario.admin, scenario.event_id, at=ACTED)
    _dispatch(scenario, REMINDERS_DUE)
    _dispatch(scenario, FOLLOW_UPS_DUE)


ACTIONS: dict[str, Callable[[Scenario], None]] = {
    "register by link": _register_newcomer,
    "add with profile request": lambda s: _newcomer(s, request_profile=True),
    "add without profile request": lambda s: _newcomer(s, request_profile=False),
    "approve": lambda s: _review(s, approve=True),
    "deny": lambda s: _review(s, approve=False),
    "change a visible detail": lambda s: _edit(s, title="Data careers evening 2030"),
    "change the internal notes": lambda s: _edit(s, internal_notes="Order sushi."),
    "send the final schedule": _final_schedule,
    "reminders fall due": lambda s: _dispatch(s, REMINDERS_DUE),
    "follow-ups fall due": lambda s: _dispatch(s, FOLLOW_UPS_DUE),
    "remove from a time slot": _remove_from_slot,
    "delete a time slot": _delete_slot,
    "cancel the event": lambda s: _close_then_dispatch(s, cancel_event),
    "delete the event": lambda s: _close_then_dispatch(s, delete_event),
}


def _names(engine: Engine) -> dict[int, str]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(candidates.c.id, candidates.c.name))
        return {row.id: row.name for row in rows}


def _dispatched_to(engine: Engine, event_id: int) -> set[str]:
    names = _names(engine)
    with engine.connect() as connection:
        ids = connection.execute(
            sa.select(event_dispatches.c.candidate_id).where(
                event_dispatches.c.event_id == event_id
            )
        ).scalars()
        return {names[i] for i in ids}


def test_the_table_here_covers_every_action_the_code_knows():
    from flo_comms.event_rules import EventAction

    assert len(SPEC_TABLE) == len(ACTIONS) == len(EventAction)


@pytest.mark.parametrize("action", list(SPEC_TABLE))
@pytest.mark.parametrize(("event_type", "invite_only"), SIX_KINDS)
def test_each_action_emails_exactly_whom_the_spec_table_names(
    engine,
    admin,
    make_event,
    make_event_details,
    event_emails,
    event_type,
    invite_only,
    action,
):
    scenario = build_scenario(
        engine, admin, make_event, make_event_details, event_type, invite_only
    )
    kind, columns = SPEC_TABLE[action]
    expected = columns[column(event_type, invite_only)]
    before = event_emails(scenario.event_id)

    if isinstance(expected, Refused):
        with pytest.raises(ValidationError, match=expected.message):
            ACTIONS[action](scenario)
        expected = NOBODY
    else:
        ACTIONS[action](scenario)

    names = _names(engine)
    sent = Counter(
        {
            (names[candidate_id], email_kind): n
            for (candidate_id, email_kind), n in (
                event_emails(scenario.event_id) - before
            ).items()
        }
    )
    assert sent == Counter({(name, kind): 1 for name in expected})


@pytest.mark.parametrize(("event_type", "invite_only"), SIX_KINDS)
def test_the_dispatcher_considers_only_those_the_table_names(
    engine, admin, make_event, make_event_details, event_type, invite_only
):
    scenario = build_scenario(
        engine, admin, make_event, make_event_details, event_type, invite_only
    )

    for now in (REMINDERS_DUE, FOLLOW_UPS_DUE):
        dispatch_event_emails(engine, from_address=FROM, now=now)

    # Pending and denied candidates are not even recorded as skipped: the
    # dispatcher never looks at them.
    audience = APPROVED if invite_only else EVERYONE_OPEN
    assert _dispatched_to(engine, scenario.event_id) == set(audience)
