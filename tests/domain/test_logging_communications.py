"""Logging a communication by hand: the form's rules, where it shows, its time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from flo_comms.candidates import create_candidate
from flo_comms.communications import (
    ParticipantRole,
    log_communication,
)
from flo_comms.errors import NotFound, PermissionDenied, ValidationError
from flo_comms.schema import (
    candidates,
    communication_candidates,
    communication_participants,
    communications,
)
from flo_comms.timeline import (
    candidate_timeline,
    candidates_attached_to,
    get_communication,
)
from flo_comms.timezones import format_local, local_to_utc

# Two days ahead of this machine's clock: in the future in every time zone,
# since no two zones are more than 26 hours apart.
DAY_AFTER_TOMORROW = datetime.now() + timedelta(days=2)


def assert_nothing_saved(rows_in) -> None:
    assert rows_in(communications) == 0
    assert rows_in(communication_participants) == 0
    assert rows_in(communication_candidates) == 0


@pytest.mark.parametrize(
    ("field", "changes", "message_says"),
    [
        pytest.param("comm_type", {"comm_type": None}, "type", id="no type"),
        pytest.param(
            "comm_type", {"comm_type": "carrier pigeon"}, "type", id="unknown type"
        ),
        pytest.param(
            "occurred_at", {"occurred_local": None}, "date and time", id="no date"
        ),
        pytest.param(
            "occurred_at",
            {"occurred_local": DAY_AFTER_TOMORROW},
            "future",
            id="in the future",
        ),
        pytest.param(
            "occurred_at",
            {"occurred_local": datetime(1999, 12, 31, 23, 59)},
            "before 2000",
            id="before 2000",
        ),
        pytest.param(
            "occurred_at",
            {
                "occurred_local": datetime(2026, 3, 8, 2, 30),
                "time_zone": "America/New_York",
            },
            "8 Mar 2026, 02:30 does not exist in America/New_York",
            id="skipped by the clocks going forward",
        ),
        pytest.param(
            "sent_by", {"sender_member_ids": ()}, "at least one member", id="no sender"
        ),
        pytest.param(
            "sent_by",
            {"sender_member_ids": (999_999,)},
            "no longer a member",
            id="unknown sender",
        ),
        pytest.param(
            "sent_to",
            {"recipient_candidate_ids": (), "recipient_member_ids": ()},
            "at least one candidate or member",
            id="no recipient",
        ),
        pytest.param(
            "sent_to",
            {"recipient_candidate_ids": (999_999,)},
            "no longer exists",
            id="unknown candidate",
        ),
        pytest.param("subject", {"subject": "  "}, "Enter a subject", id="no subject"),
        pytest.param(
            "subject",
            {"subject": "Intro call\nand a second line"},
            "one line",
            id="subject with a newline",
        ),
        pytest.param(
            "subject",
            {"subject": "x" * 201},
            "to 200 characters (it has 201)",
            id="subject too long",
        ),
        pytest.param(
            "description",
            {"description": "x" * 20_001},
            "to 20,000 characters (it has 20,001)",
            id="description too long",
        ),
    ],
)
def test_bad_input_gets_a_message_beside_its_field_and_nothing_is_saved(
    engine, recruiter, make_draft, rows_in, field, changes, message_says
):
    draft = make_draft(**changes)

    with pytest.raises(ValidationError) as refusal:
        log_communication(engine, recruiter, draft)

    assert set(refusal.value.errors) == {field}
    assert message_says in refusal.value.errors[field]
    assert_nothing_saved(rows_in)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"subject": "x" * 200}, id="longest subject"),
        pytest.param({"description": "x" * 20_000}, id="longest description"),
        pytest.param({"occurred_local": datetime(2000, 1, 1)}, id="first of 2000"),
        pytest.param(
            {"subject": "  Intro call  ", "description": ""},
            id="padded subject, no description",
        ),
    ],
)
def test_input_at_the_limits_is_accepted(engine, recruiter, make_draft, changes):
    draft = make_draft(**changes)

    communication_id = log_communication(engine, recruiter, draft)

    saved = get_communication(engine, communication_id)
    assert saved.subject == draft.subject.strip()
    assert saved.body == draft.description


def test_a_manager_is_refused_and_nothing_is_saved(
    engine, manager, make_draft, rows_in
):
    draft = make_draft(sender_member_ids=(manager.id,))

    with pytest.raises(PermissionDenied) as refusal:
        log_communication(engine, manager, draft)

    assert "only admins and recruiters" in str(refusal.value)
    assert_nothing_saved(rows_in)


def test_logging_from_a_profile_that_does_not_exist_saves_nothing(
    engine, recruiter, make_draft, rows_in
):
    with pytest.raises(NotFound):
        log_communication(
            engine, recruiter, make_draft(), logged_from_candidate_id=999_999
        )

    assert_nothing_saved(rows_in)


def test_the_entry_shows_on_the_profile_it_was_logged_from_and_every_recipient(
    engine, recruiter, make_draft, candidate_id, other_candidate_id
):
    bystander_id = create_candidate(
        engine, name="Bea Bystander", email=None, source="referral"
    )
    draft = make_draft(recipient_candidate_ids=(other_candidate_id,))

    communication_id = log_communication(
        engine, recruiter, draft, logged_from_candidate_id=candidate_id
    )

    assert candidates_attached_to(engine, communication_id) == {
        candidate_id,
        other_candidate_id,
    }
    for profile in (candidate_id, other_candidate_id):
        tab = candidate_timeline(engine, profile)
        assert [entry.id for entry in tab.entries] == [communication_id]
        assert tab.entries[0].logged_by_name == recruiter.name
    assert candidate_timeline(engine, bystander_id).total == 0


def test_a_member_in_sent_to_adds_no_candidate_profile(
    engine, recruiter, admin, make_draft, candidate_id
):
    draft = make_draft(recipient_member_ids=(admin.id,))

    communication_id = log_communication(engine, recruiter, draft)

    entry = get_communication(engine, communication_id)
    assert candidates_attached_to(engine, communication_id) == {candidate_id}
    assert [(p.name, p.member_id) for p in entry.to] == [
        ("Casey Candidate", None),
        (admin.name, admin.id),
    ]


def test_participants_keep_the_name_and_address_they_had_at_the_time(
    engine, recruiter, make_draft, candidate_id
):
    communication_id = log_communication(engine, recruiter, make_draft())

    # Only the name: DuckDB updates an indexed column (the address) as a delete
    # plus an insert, which the foreign keys pointing at the candidate refuse.
    with engine.begin() as connection:
        connection.execute(
            candidates.update()
            .where(candidates.c.id == candidate_id)
            .values(name="Casey Married-Name")
        )

    entry = get_communication(engine, communication_id)
    assert [(p.name, p.address) for p in entry.to] == [
        ("Casey Candidate", "casey@example.org")
    ]
    assert [(p.role, p.name, p.member_id) for p in entry.senders] == [
        (ParticipantRole.SENDER, recruiter.name, recruiter.id)
    ]


def test_the_time_is_stored_in_utc_and_shown_in_the_members_zone(
    engine, admin, make_draft
):
    draft = make_draft(
        occurred_local=datetime(2026, 1, 15, 9, 0),
        time_zone=admin.time_zone,
        sender_member_ids=(admin.id,),
    )

    communication_id = log_communication(engine, admin, draft)

    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(communications.c.occurred_at).where(
                communications.c.id == communication_id
            )
        ).scalar_one()
    assert admin.time_zone == "America/New_York"
    assert stored == datetime(2026, 1, 15, 14, 0, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)
    assert format_local(stored, admin.time_zone) == "15 Jan 2026, 09:00 EST"
    assert format_local(stored, "Europe/Berlin") == "15 Jan 2026, 15:00 CET"


@pytest.mark.parametrize(
    ("local", "zone", "in_utc", "shown"),
    [
        pytest.param(
            datetime(2026, 1, 15, 9, 0),
            "America/New_York",
            datetime(2026, 1, 15, 14, 0, tzinfo=UTC),
            "15 Jan 2026, 09:00 EST",
            id="New York winter",
        ),
        pytest.param(
            datetime(2026, 7, 15, 9, 0),
            "America/New_York",
            datetime(2026, 7, 15, 13, 0, tzinfo=UTC),
            "15 Jul 2026, 09:00 EDT",
            id="New York summer",
        ),
        pytest.param(
            datetime(2026, 11, 1, 1, 30),
            "America/New_York",
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            "1 Nov 2026, 01:30 EDT",
            id="the repeated hour means the first one",
        ),
        pytest.param(
            datetime(2026, 3, 29, 23, 30),
            "Europe/Berlin",
            datetime(2026, 3, 29, 21, 30, tzinfo=UTC),
            "29 Mar 2026, 23:30 CEST",
            id="Berlin after the change",
        ),
        pytest.param(
            datetime(2026, 1, 15, 9, 0),
            "Asia/Kolkata",
            datetime(2026, 1, 15, 3, 30, tzinfo=UTC),
            "15 Jan 2026, 09:00 IST",
            id="half-hour offset",
        ),
    ],
)
def test_a_wall_clock_time_converts_to_utc_and_back(local, zone, in_utc, shown):
    moment = local_to_utc(local, zone)

    assert moment == in_utc
    assert format_local(moment, zone) == shown


def test_a_double_submit_of_one_form_saves_one_entry(
    engine, recruiter, make_draft, candidate_id, rows_in
):
    draft = make_draft()

    first = log_communication(
        engine, recruiter, draft, logged_from_candidate_id=candidate_id, form_token="f1"
    )
    second = log_communication(
        engine, recruiter, draft, logged_from_candidate_id=candidate_id, form_token="f1"
    )

    assert second == first
    assert rows_in(communications) == 1
    assert rows_in(communication_participants) == 2
    assert candidate_timeline(engine, candidate_id).total == 1


def test_two_forms_with_different_tokens_save_two_entries(
    engine, recruiter, make_draft, rows_in
):
    draft = make_draft()

    first = log_communication(engine, recruiter, draft, form_token="f1")
    second = log_communication(engine, recruiter, draft, form_token="f2")

    assert second != first
    assert rows_in(communications) == 2


def test_two_submits_of_one_form_racing_on_two_threads_save_one_entry(
    engine, recruiter, make_draft, candidate_id, rows_in
):
    draft = make_draft()
    start_together = threading.Barrier(2)
    ids: list[int] = []
    failures: list[BaseException] = []

    def submit() -> None:
        try:
            start_together.wait()
            ids.append(
                log_communication(
                    engine,
                    recruiter,
                    draft,
                    logged_from_candidate_id=candidate_id,
                    form_token="the-one-form",
                )
            )
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    submits = [threading.Thread(target=submit) for _ in range(2)]
    for thread in submits:
        thread.start()
    for thread in submits:
        thread.join(timeout=30)

    assert failures == []
    assert len(ids) == 2
    assert ids[0] == ids[1]
    assert rows_in(communications) == 1
    assert rows_in(communication_participants) == 2
    assert candidates_attached_to(engine, ids[0]) == {candidate_id}
