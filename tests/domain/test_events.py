"""Outreach events: creating, editing (and the update emails), cancelling, deleting."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from flo_comms.errors import NotFound, PermissionDenied, ValidationError
from flo_comms.events import (
    EventClosed,
    cancel_event,
    create_event,
    delete_event,
    event_names,
    get_event,
    list_events,
    update_event,
)
from flo_comms.registrations import add_candidates, review_candidates
from flo_comms.schema import communications, outreach_events

FROM = "Flo Events <events@flo-comms.test>"
JOINED = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
EDITED = datetime(2030, 6, 5, 9, 0, tzinfo=UTC)


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


def _update(engine, member, event_id, details):
    return update_event(engine, member, event_id, details, from_address=FROM, at=EDITED)


def _updates(emails: Counter) -> Counter:
    return Counter({key: n for key, n in emails.items() if key[1] == "update"})


def test_an_event_is_stored_in_utc_from_its_own_time_zone(engine, make_event):
    event_id = make_event(
        "webinar",
        False,
        day=date(2030, 1, 15),
        start_time=time(9, 0),
        end_time=time(10, 30),
        time_zone="America/New_York",
    )

    event = get_event(engine, event_id)

    assert event.starts_at == datetime(2030, 1, 15, 14, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2030, 1, 15, 15, 30, tzinfo=UTC)
    assert event.details().start_time == time(9, 0)
    assert event.place is None
    assert event.state == "scheduled"


def test_an_hour_that_happens_twice_means_the_first_one(engine, make_event):
    # Berlin's clocks go back at 03:00 CEST on 27 October 2030.
    event_id = make_event(
        "webinar",
        False,
        day=date(2030, 10, 27),
        start_time=time(2, 30),
        end_time=time(4, 0),
    )

    assert get_event(engine, event_id).starts_at == datetime(
        2030, 10, 27, 0, 30, tzinfo=UTC
    )


# --- validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "changes", "field", "message"),
    [
        ("webinar", {"end_time": time(13, 0)}, "end_time", "must come after"),
        ("webinar", {"end_time": time(14, 0)}, "end_time", "must come after"),
        ("in-person event", {"place": "  "}, "place", "where the event takes place"),
        ("webinar", {"link": ""}, "link", "conferencing link"),
        ("virtual chat", {"link": ""}, "link", "conferencing link"),
        ("webinar", {"link": "meet.example.com/x"}, "link", "https://"),
        ("webinar", {"link": "ftp://files.example.com"}, "link", "https://"),
        ("webinar", {"link": "https://x.example.com/a b"}, "link", "without spaces"),
        ("webinar", {"time_zone": "Mars/Olympus"}, "time_zone", "time zone"),
        ("webinar", {"time_zone": ""}, "time_zone", "time zone"),
        # Berlin's clocks skip 02:00-03:00 on 31 March 2030.
        (
            "webinar",
            {"day": date(2030, 3, 31), "start_time": time(2, 30)},
            "start_time",
            "does not exist in Europe/Berlin",
        ),
        ("webinar", {"title": "   "}, "title", "title"),
        ("webinar", {"title": "T" * 201}, "title", "200 characters"),
        ("webinar", {"day": None}, "day", "date"),
        ("webinar", {"start_time": None}, "start_time", "start time"),
        ("party", {}, "event_type", "virtual chat"),
        ("webinar", {"reminder_minutes_before": 5}, "reminder_minutes_before", ""),
        ("webinar", {"follow_up_minutes_after": 0}, "follow_up_minutes_after", ""),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_saved(
    engine, admin, make_event_details, rows_in, event_type, changes, field, message
):
    details = make_event_details(event_type, False, **changes)

    with pytest.raises(ValidationError) as refusal:
        create_event(engine, admin, details)

    assert field in refusal.value.errors
    assert message in refusal.value.errors[field]
    assert rows_in(outreach_events) == 0


def test_several_bad_fields_are_named_at_once(engine, admin, make_event_details):
    details = make_event_details(
        "in-person event", False, title="", place="", time_zone="Nowhere/Zone"
    )

    with pytest.raises(ValidationError) as refusal:
        create_event(engine, admin, details)

    assert set(refusal.value.errors) == {"title", "place", "time_zone"}


def test_managers_read_events_but_do_not_create_them(
    engine, manager, make_event_details, rows_in
):
    with pytest.raises(PermissionDenied):
        create_event(engine, manager, make_event_details("webinar", False))

    assert rows_in(outreach_events) == 0


# --- editing ------------------------------------------------------------------------


@pytest.mark.parametrize("invite_only", [False, True])
def test_several_visible_changes_in_one_save_send_one_update_each(
    engine,
    admin,
    make_event,
    make_event_details,
    event_emails,
    invite_only,
    candidate_id,
    other_candidate_id,
):
    event_id = make_event("in-person event", invite_only)
    _join(engine, admin, event_id, [candidate_id, other_candidate_id])
    if invite_only:
        review_candidates(
            engine,
            admin,
            event_id,
            [candidate_id, other_candidate_id],
            approve=True,
            from_address=FROM,
            at=JOINED,
        )
    details = make_event_details("in-person event", invite_only)

    result = _update(
        engine,
        admin,
        event_id,
        replace(
            details,
            title="Data careers night",
            day=date(2030, 6, 11),
            place="Flo office, Hall B",
            agenda="Talks only.",
            internal_notes="Order sushi.",
        ),
    )

    assert set(result.visible_changes) == {
        "title",
        "date and time",
        "place",
        "agenda",
    }
    assert result.emailed == 2
    assert _updates(event_emails(event_id)) == Counter(
        {(candidate_id, "update"): 1, (other_candidate_id, "update"): 1}
    )
    event = get_event(engine, event_id)
    assert (event.title, event.starts_at, event.internal_notes) == (
        "Data careers night",
        datetime(2030, 6, 11, 12, 0, tzinfo=UTC),
        "Order sushi.",
    )


def test_the_update_email_names_what_changed_and_shows_the_new_details(
    engine, admin, make_event, make_event_details, candidate_id
):
    event_id = make_event("webinar", False)
    _join(engine, admin, event_id, [candidate_id])
    details = make_event_details("webinar", False)

    _update(
        engine,
        admin,
        event_id,
        replace(details, start_time=time(15), link="https://meet.example.com/new"),
    )

    with engine.connect() as connection:
        subject, body, sent_at = connection.execute(
            sa.select(
                communications.c.subject,
                communications.c.body,
                communications.c.occurred_at,
            ).where(communications.c.email_kind == "update")
        ).one()
    assert subject == "Update: Data careers evening"
    assert "date and time, link" in body
    assert "15:00–16:00 (Europe/Berlin)" in body
    assert "https://meet.example.com/new" in body
    assert sent_at == EDITED


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"title": "  Data   careers evening "},
        {"internal_notes": "Order sushi."},
        {"reminder_minutes_before": 60, "follow_up_minutes_after": 60},
    ],
    ids=["nothing", "same title, other spaces", "internal notes", "timings"],
)
def test_a_save_without_a_visible_change_emails_no_one(
    engine, admin, make_event, make_event_details, event_emails, candidate_id, changes
):
    event_id = make_event("virtual chat", False)
    _join(engine, admin, event_id, [candidate_id])
    emails = event_emails(event_id)
    details = make_event_details("virtual chat", False, **changes)

    result = _update(engine, admin, event_id, details)

    assert result.visible_changes == ()
    assert result.emailed == 0
    assert event_emails(event_id) == emails


def test_an_unchanged_save_changes_nothing_at_all(
    engine, admin, make_event, make_event_details
):
    event_id = make_event("webinar", True)

    result = _update(engine, admin, event_id, make_event_details("webinar", True))

    assert result.changed == ()
    assert get_event(engine, event_id).updated_at is None


def test_moving_the_time_zone_moves_the_event_and_emails_an_update(
    engine, admin, make_event, make_event_details, event_emails, candidate_id
):
    event_id = make_event("webinar", False)
    _join(engine, admin, event_id, [candidate_id])

    result = _update(
        engine,
        admin,
        event_id,
        make_event_details("webinar", False, time_zone="Europe/London"),
    )

    assert set(result.visible_changes) == {"date and time", "time zone"}
    assert get_event(engine, event_id).starts_at == datetime(
        2030, 6, 10, 13, 0, tzinfo=UTC
    )
    assert _updates(event_emails(event_id)) == Counter({(candidate_id, "update"): 1})


@pytest.mark.parametrize(
    ("event_type", "invite_only"),
    [("virtual chat", False), ("webinar", True)],
    ids=["type", "invite mode"],
)
def test_the_type_and_the_invite_mode_cannot_change(
    engine,
    admin,
    make_event,
    make_event_details,
    event_emails,
    candidate_id,
    event_type,
    invite_only,
):
    event_id = make_event("webinar", False)
    _join(engine, admin, event_id, [candidate_id])
    emails = event_emails(event_id)

    with pytest.raises(ValidationError) as refusal:
        _update(
            engine,
            admin,
            event_id,
            make_event_details(event_type, invite_only, title="Changed"),
        )

    assert "cannot change" in refusal.value.errors["event_type"]
    event = get_event(engine, event_id)
    assert (event.event_type, event.invite_only, event.title) == (
        "webinar",
        False,
        "Data careers evening",
    )
    assert event_emails(event_id) == emails


def test_a_cancelled_event_takes_no_edits(
    engine, admin, make_event, make_event_details, event_emails, candidate_id
):
    event_id = make_event("webinar", False)
    _join(engine, admin, event_id, [candidate_id])
    cancel_event(engine, admin, event_id, at=EDITED)
    emails = event_emails(event_id)

    with pytest.raises(EventClosed, match="was cancelled"):
        _update(
            engine, admin, event_id, make_event_details("webinar", False, title="New")
        )

    assert get_event(engine, event_id).title == "Data careers evening"
    assert event_emails(event_id) == emails


def test_a_deleted_event_is_not_found_for_editing(
    engine, admin, make_event, make_event_details
):
    event_id = make_event("webinar", False)
    delete_event(engine, admin, event_id, at=EDITED)

    with pytest.raises(NotFound):
        _update(engine, admin, event_id, make_event_details("webinar", False))


def test_a_manager_cannot_edit(engine, admin, manager, make_event, make_event_details):
    event_id = make_event("webinar", False)

    with pytest.raises(PermissionDenied):
        _update(
            engine, manager, event_id, make_event_details("webinar", False, title="X")
        )

    assert get_event(engine, event_id).title == "Data careers evening"


# --- cancelling and deleting -----------------------------------------------------


def test_cancelling_keeps_the_event_listed_as_cancelled_and_emails_no_one(
    engine, admin, make_event, event_emails, candidate_id
):
    event_id = make_event("in-person event", False)
    _join(engine, admin, event_id, [candidate_id])
    emails = event_emails(event_id)

    closure = cancel_event(engine, admin, event_id, at=EDITED)

    assert (closure.state, closure.registrations) == ("cancelled", 1)
    assert get_event(engine, event_id).state == "cancelled"
    listed = list_events(engine, when="all")
    assert [(row.id, row.state) for row in listed.rows] == [(event_id, "cancelled")]
    assert list_events(engine, when="all", include_cancelled=False).total == 0
    assert event_emails(event_id) == emails
    with pytest.raises(EventClosed, match="cancelled already"):
        cancel_event(engine, admin, event_id, at=EDITED)


def test_deleting_hides_the_event_but_keeps_its_emails_on_the_timelines(
    engine, admin, make_event, event_emails, candidate_id
):
    event_id = make_event("virtual chat", True)
    _join(engine, admin, event_id, [candidate_id])
    emails = event_emails(event_id)

    closure = delete_event(engine, admin, event_id, at=EDITED)

    assert closure.state == "deleted"
    assert list_events(engine, when="all").total == 0
    assert event_id not in event_names(engine)
    with pytest.raises(NotFound):
        get_event(engine, event_id)
    with pytest.raises(NotFound):
        delete_event(engine, admin, event_id, at=EDITED)
    assert (
        event_emails(event_id) == emails == Counter({(candidate_id, "confirmation"): 1})
    )


def test_a_cancelled_event_may_still_be_deleted(engine, admin, make_event):
    event_id = make_event("webinar", False)
    cancel_event(engine, admin, event_id, at=EDITED)

    delete_event(engine, admin, event_id, at=EDITED)

    with pytest.raises(NotFound):
        get_event(engine, event_id)


def test_managers_cannot_cancel_or_delete(engine, manager, make_event):
    event_id = make_event("webinar", False)

    for close in (cancel_event, delete_event):
        with pytest.raises(PermissionDenied):
            close(engine, manager, event_id, at=EDITED)

    assert get_event(engine, event_id).state == "scheduled"


# --- the list ---------------------------------------------------------------------


def test_the_list_counts_who_may_come_not_those_denied(
    engine, admin, make_event, candidate_id, other_candidate_id
):
    chat = make_event("virtual chat", True, day=date(2030, 6, 15))
    _join(engine, admin, chat, [candidate_id, other_candidate_id])
    review_candidates(
        engine, admin, chat, [other_candidate_id], approve=False, from_address=FROM
    )

    [row] = list_events(engine, when="all").rows

    assert (row.registered, row.pending) == (1, 1)


def test_the_list_splits_upcoming_from_past_and_filters(
    engine, admin, make_event, candidate_id
):
    early = make_event("webinar", False, title="Early webinar", day=date(2030, 6, 1))
    late = make_event(
        "in-person event", True, title="Late meetup", day=date(2030, 7, 1)
    )
    middle = make_event(
        "virtual chat", True, title="Middle chat", day=date(2030, 6, 15)
    )
    _join(engine, admin, middle, [candidate_id])
    now = datetime(2030, 6, 5, tzinfo=UTC)

    upcoming = list_events(engine, when="upcoming", now=now)
    past = list_events(engine, when="past", now=now)
    chats = list_events(engine, when="all", event_types=frozenset({"virtual chat"}))
    found = list_events(engine, when="all", text="MEETUP")

    assert [row.id for row in upcoming.rows] == [middle, late]
    assert [row.id for row in past.rows] == [early]
    assert [(row.id, row.registered, row.pending) for row in chats.rows] == [
        (middle, 1, 1)
    ]
    assert [row.id for row in found.rows] == [late]
