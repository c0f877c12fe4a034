"""Time slots of virtual chats: capacity, who may have one, and cancellations."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from flo_comms import event_slots
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.errors import NotFound, PermissionDenied, ValidationError
from flo_comms.event_slots import (
    add_slot,
    assign_to_slot,
    delete_slot,
    list_slots,
    remove_from_slot,
)
from flo_comms.events import EventClosed, cancel_event, get_event
from flo_comms.registrations import (
    add_candidates,
    list_registrations,
    review_candidates,
)
from flo_comms.schema import communications

from .races import MeetIfPossible

FROM = "Flo Events <events@flo-comms.test>"
JOINED = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
SLOTTED = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)
CHANGED = datetime(2030, 6, 5, 9, 0, tzinfo=UTC)
CHAT_DAY = date(2030, 6, 10)


def _slot(engine, admin, event_id, start=time(14), end=time(14, 30), capacity=2):
    return add_slot(
        engine,
        admin,
        event_id,
        day=CHAT_DAY,
        start_time=start,
        end_time=end,
        capacity=capacity,
    )


def _people(engine, *names: str) -> list[int]:
    return [
        create_candidate(
            engine,
            name=name,
            email=f"{name.split()[0].lower()}@example.org",
            source=CandidateSource.LINKEDIN,
        )
        for name in names
    ]


def _join(engine, admin, event_id, ids):
    add_candidates(
        engine,
        admin,
        event_id,
        candidate_ids=ids,
        request_profile=False,
        from_address=FROM,
        at=JOINED,
    )


def _assign(engine, admin, event_id, ids, slot_id, at=SLOTTED):
    return assign_to_slot(
        engine, admin, event_id, ids, slot_id, from_address=FROM, at=at
    )


def _slots_of(engine, event_id) -> dict[int, int | None]:
    page = list_registrations(engine, event_id)
    return {row.candidate_id: row.slot_id for row in page.rows}


def _cancellations(emails: Counter) -> Counter:
    return Counter({k: n for k, n in emails.items() if k[1] == "cancellation"})


@pytest.fixture
def chat(make_event) -> int:
    """An open virtual chat on 10 June 2030 in Berlin."""
    return make_event("virtual chat", False)


# --- adding slots -----------------------------------------------------------------


def test_slots_are_stored_in_utc_and_listed_earliest_first(engine, admin, chat):
    later = _slot(engine, admin, chat, time(15), time(15, 30), capacity=3)
    earlier = _slot(engine, admin, chat, time(14), time(14, 30), capacity=2)

    slots = list_slots(engine, chat)

    assert [(s.id, s.starts_at, s.ends_at, s.capacity, s.taken) for s in slots] == [
        (
            earlier,
            datetime(2030, 6, 10, 12, 0, tzinfo=UTC),
            datetime(2030, 6, 10, 12, 30, tzinfo=UTC),
            2,
            0,
        ),
        (
            later,
            datetime(2030, 6, 10, 13, 0, tzinfo=UTC),
            datetime(2030, 6, 10, 13, 30, tzinfo=UTC),
            3,
            0,
        ),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": 1001}, "capacity"),
        ({"capacity": None}, "capacity"),
        ({"day": None}, "day"),
        ({"start_time": None}, "start_time"),
        ({"end_time": time(13, 0)}, "end_time"),
        ({"end_time": time(14, 0)}, "end_time"),
        # Berlin's clocks skip 02:00-03:00 on 31 March 2030.
        ({"day": date(2030, 3, 31), "start_time": time(2, 15)}, "start_time"),
    ],
)
def test_a_bad_slot_is_refused_by_field(engine, admin, chat, changes, field):
    fields = {
        "day": CHAT_DAY,
        "start_time": time(14),
        "end_time": time(14, 30),
        "capacity": 5,
        **changes,
    }

    with pytest.raises(ValidationError) as refusal:
        add_slot(engine, admin, chat, **fields)

    assert field in refusal.value.errors
    assert list_slots(engine, chat) == []


def test_a_slot_outside_the_chats_own_hours_is_kept_but_flagged(engine, admin, chat):
    """The chat runs 14:00-16:00 Berlin on 10 June 2030."""
    within = _slot(engine, admin, chat, start=time(15, 30), end=time(16, 0))
    late = _slot(engine, admin, chat, start=time(15, 45), end=time(16, 15))
    event = get_event(engine, chat)

    flagged = {slot.id: slot.outside(event) for slot in list_slots(engine, chat)}

    assert flagged == {within: False, late: True}


@pytest.mark.parametrize("event_type", ["in-person event", "webinar"])
def test_only_virtual_chats_have_slots(engine, admin, make_event, event_type):
    event_id = make_event(event_type, False)

    with pytest.raises(ValidationError, match="Only virtual chats have time slots"):
        _slot(engine, admin, event_id)

    assert list_slots(engine, event_id) == []


def test_managers_add_no_slots_and_cancelled_chats_take_none(
    engine, admin, manager, chat
):
    with pytest.raises(PermissionDenied):
        _slot(engine, manager, chat)
    cancel_event(engine, admin, chat, at=CHANGED)
    with pytest.raises(EventClosed):
        _slot(engine, admin, chat)

    assert list_slots(engine, chat) == []


# --- capacity ---------------------------------------------------------------------


def test_a_slot_takes_all_or_none_within_its_capacity(
    engine, admin, chat, event_emails
):
    ids = _people(engine, "Ann One", "Ben Two", "Cem Three")
    _join(engine, admin, chat, ids)
    slot_id = _slot(engine, admin, chat, capacity=2)
    emails = event_emails(chat)

    with pytest.raises(ValidationError) as refusal:
        _assign(engine, admin, chat, ids, slot_id)

    assert refusal.value.errors["slot"].startswith(
        "This slot has 2 of 2 places left; you chose 3 candidates."
    )
    assert set(_slots_of(engine, chat).values()) == {None}
    assert list_slots(engine, chat)[0].taken == 0
    assert event_emails(chat) == emails


def test_the_last_places_go_to_those_who_fit_and_no_further(
    engine, admin, chat, event_emails
):
    ann, ben, cem = _people(engine, "Ann One", "Ben Two", "Cem Three")
    _join(engine, admin, chat, [ann, ben, cem])
    slot_id = _slot(engine, admin, chat, capacity=2)
    _assign(engine, admin, chat, [ann], slot_id)

    # Ann is there already: only Ben needs a place, and one is left.
    change = _assign(engine, admin, chat, [ann, ben], slot_id)
    with pytest.raises(ValidationError, match="0 of 2 places left"):
        _assign(engine, admin, chat, [cem], slot_id)

    assert (change.assigned, change.already_there) == (("Ben Two",), ("Ann One",))
    assert _slots_of(engine, chat) == {ann: slot_id, ben: slot_id, cem: None}
    assert list_slots(engine, chat)[0].taken == 2
    assert _cancellations(event_emails(chat)) == Counter()


@pytest.mark.parametrize(
    "database_url",
    [
        "duckdb",
        "postgres",
    ],
    indirect=True,
)
def test_two_members_filling_the_last_place_at_once_fill_it_once(
    engine, admin, recruiter, chat, monkeypatch
):
    ann, ben = _people(engine, "Ann One", "Ben Two")
    _join(engine, admin, chat, [ann, ben])
    slot_id = _slot(engine, admin, chat, capacity=1)
    # Both transactions read the slot (one place free) before either writes:
    # each waits for the other once, on its first attempt only.
    both_have_read = MeetIfPossible(2)
    waited = threading.local()
    real_registrations = event_slots._registrations

    def registrations_then_wait(*args, **kwargs):
        rows = real_registrations(*args, **kwargs)
        if not getattr(waited, "once", False):
            waited.once = True
            both_have_read.wait()
        return rows

    monkeypatch.setattr(event_slots, "_registrations", registrations_then_wait)
    outcomes: dict[str, object] = {}

    def fill(member, candidate_id, label):
        try:
            outcomes[label] = _assign(engine, member, chat, [candidate_id], slot_id)
        except Exception as error:
            outcomes[label] = error

    threads = [
        threading.Thread(target=fill, args=(admin, ann, "admin")),
        threading.Thread(target=fill, args=(recruiter, ben, "recruiter")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    kinds = sorted(type(o).__name__ for o in outcomes.values())
    assert kinds == ["SlotChange", "ValidationError"], outcomes
    assert list_slots(engine, chat)[0].taken == 1
    assert sorted(_slots_of(engine, chat).values(), key=str) == [slot_id, None]


# --- who may have a slot ---------------------------------------------------------


def test_on_an_invite_only_chat_only_approved_candidates_get_slots(
    engine, admin, make_event, event_emails
):
    chat = make_event("virtual chat", True)
    amir, pia, dan = _people(engine, "Amir Approved", "Pia Pending", "Dan Denied")
    _join(engine, admin, chat, [amir, pia, dan])
    for ids, approve in (([amir], True), ([dan], False)):
        review_candidates(
            engine, admin, chat, ids, approve=approve, from_address=FROM, at=JOINED
        )
    slot_id = _slot(engine, admin, chat, capacity=5)

    with pytest.raises(ValidationError) as refusal:
        _assign(engine, admin, chat, [amir, pia, dan], slot_id)
    change = _assign(engine, admin, chat, [amir], slot_id)

    message = refusal.value.errors["candidates"]
    assert "Only approved candidates" in message
    assert "Pia Pending" in message and "Dan Denied" in message
    assert "Amir" not in message
    assert change.assigned == ("Amir Approved",)
    assert _slots_of(engine, chat) == {amir: slot_id, pia: None, dan: None}


def test_only_registered_candidates_get_slots(engine, admin, chat, candidate_id):
    slot_id = _slot(engine, admin, chat)

    with pytest.raises(NotFound, match="not registered"):
        _assign(engine, admin, chat, [candidate_id], slot_id)

    assert list_slots(engine, chat)[0].taken == 0


def test_a_slot_of_another_chat_is_not_found(engine, admin, make_event, candidate_id):
    chat = make_event("virtual chat", False)
    other_chat = make_event("virtual chat", False, title="Another chat")
    _join(engine, admin, chat, [candidate_id])
    other_slot = _slot(engine, admin, other_chat)

    with pytest.raises(NotFound):
        _assign(engine, admin, chat, [candidate_id], other_slot)

    assert _slots_of(engine, chat) == {candidate_id: None}


# --- cancellations ---------------------------------------------------------------


def _cancellation_bodies(engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(communications.c.body)
                .where(communications.c.email_kind == "cancellation")
                .order_by(communications.c.id)
            ).scalars()
        )


def test_putting_a_candidate_in_a_slot_sends_nothing(
    engine, admin, chat, event_emails, candidate_id
):
    _join(engine, admin, chat, [candidate_id])
    slot_id = _slot(engine, admin, chat)
    emails = event_emails(chat)

    change = _assign(engine, admin, chat, [candidate_id], slot_id)

    assert change.emailed == 0
    assert event_emails(chat) == emails


def test_moving_to_another_slot_cancels_the_old_one(
    engine, admin, chat, event_emails, candidate_id
):
    _join(engine, admin, chat, [candidate_id])
    first = _slot(engine, admin, chat, time(14), time(14, 30))
    second = _slot(engine, admin, chat, time(15), time(15, 30))
    _assign(engine, admin, chat, [candidate_id], first)

    change = _assign(engine, admin, chat, [candidate_id], second, at=CHANGED)

    assert (change.moved, change.emailed) == (("Casey Candidate",), 1)
    assert _slots_of(engine, chat) == {candidate_id: second}
    assert [s.taken for s in list_slots(engine, chat)] == [0, 1]
    assert _cancellations(event_emails(chat)) == Counter(
        {(candidate_id, "cancellation"): 1}
    )
    (body,) = _cancellation_bodies(engine)
    assert "Monday 10 June 2030, 14:00–14:30 (Europe/Berlin)" in body


def test_assigning_the_same_slot_again_changes_nothing(
    engine, admin, chat, event_emails, candidate_id
):
    _join(engine, admin, chat, [candidate_id])
    slot_id = _slot(engine, admin, chat)
    _assign(engine, admin, chat, [candidate_id], slot_id)
    emails = event_emails(chat)

    change = _assign(engine, admin, chat, [candidate_id], slot_id, at=CHANGED)

    assert (change.assigned, change.already_there) == ((), ("Casey Candidate",))
    assert event_emails(chat) == emails


def test_removing_from_a_slot_sends_one_cancellation_and_keeps_the_registration(
    engine, admin, chat, event_emails, candidate_id
):
    _join(engine, admin, chat, [candidate_id])
    slot_id = _slot(engine, admin, chat)
    _assign(engine, admin, chat, [candidate_id], slot_id)

    sent = remove_from_slot(
        engine, admin, chat, candidate_id, from_address=FROM, at=CHANGED
    )
    again = remove_from_slot(
        engine, admin, chat, candidate_id, from_address=FROM, at=CHANGED
    )

    assert (sent, again) == (1, 0)
    assert _slots_of(engine, chat) == {candidate_id: None}
    assert list_slots(engine, chat)[0].taken == 0
    assert _cancellations(event_emails(chat)) == Counter(
        {(candidate_id, "cancellation"): 1}
    )


def test_deleting_a_slot_cancels_for_each_in_it_and_frees_them(
    engine, admin, chat, event_emails
):
    ann, ben, cem = _people(engine, "Ann One", "Ben Two", "Cem Three")
    _join(engine, admin, chat, [ann, ben, cem])
    doomed = _slot(engine, admin, chat, time(14), time(14, 30))
    kept = _slot(engine, admin, chat, time(15), time(15, 30))
    _assign(engine, admin, chat, [ann, ben], doomed)
    _assign(engine, admin, chat, [cem], kept)

    sent = delete_slot(engine, admin, doomed, from_address=FROM, at=CHANGED)

    assert sent == 2
    assert [s.id for s in list_slots(engine, chat)] == [kept]
    assert _slots_of(engine, chat) == {ann: None, ben: None, cem: kept}
    assert _cancellations(event_emails(chat)) == Counter(
        {(ann, "cancellation"): 1, (ben, "cancellation"): 1}
    )
    with pytest.raises(NotFound):
        delete_slot(engine, admin, doomed, from_address=FROM, at=CHANGED)
    with pytest.raises(NotFound):
        _assign(engine, admin, chat, [ann], doomed)


def test_deleting_an_empty_slot_sends_nothing(engine, admin, chat, event_emails):
    slot_id = _slot(engine, admin, chat)

    assert delete_slot(engine, admin, slot_id, from_address=FROM, at=CHANGED) == 0
    assert event_emails(chat) == Counter()


def test_a_cancelled_chat_keeps_its_slots_and_sends_no_cancellation(
    engine, admin, chat, event_emails, candidate_id
):
    _join(engine, admin, chat, [candidate_id])
    slot_id = _slot(engine, admin, chat)
    _assign(engine, admin, chat, [candidate_id], slot_id)
    cancel_event(engine, admin, chat, at=CHANGED)
    emails = event_emails(chat)

    with pytest.raises(EventClosed):
        remove_from_slot(
            engine, admin, chat, candidate_id, from_address=FROM, at=CHANGED
        )
    with pytest.raises(EventClosed):
        delete_slot(engine, admin, slot_id, from_address=FROM, at=CHANGED)

    assert event_emails(chat) == emails
    assert _slots_of(engine, chat) == {candidate_id: slot_id}
