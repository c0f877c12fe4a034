"""Joining an outreach event (link, member, CSV file) and Quick Review."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from flo_comms import event_emails as event_emails_module
from flo_comms import registrations as registrations_module
from flo_comms.candidates import CandidateSource, create_candidate, get_candidate
from flo_comms.errors import NotFound, PermissionDenied, ValidationError
from flo_comms.event_dispatch import dispatch_event_emails
from flo_comms.event_slots import add_slot, assign_to_slot
from flo_comms.events import (
    EventClosed,
    cancel_event,
    delete_event,
    get_event,
    update_event,
)
from flo_comms.registrations import (
    NewPerson,
    RegistrationClosed,
    add_candidates,
    final_schedule_recipients,
    list_registrations,
    parse_people_csv,
    register_by_link,
    registration_counts,
    review_candidates,
    send_final_schedule,
)
from flo_comms.schema import (
    candidates,
    communications,
    email_deliveries,
    event_registrations,
)

from .races import MeetIfPossible

FROM = "Flo Events <events@flo-comms.test>"
# The event of make_event runs 10 June 2030, 12:00-14:00 UTC.
BEFORE = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)
DURING = datetime(2030, 6, 10, 13, 0, tzinfo=UTC)
AT_THE_END = datetime(2030, 6, 10, 14, 0, tzinfo=UTC)
# Reminders are due 24 hours before the start, follow-ups 24 hours after the end.
REMINDERS_DUE = datetime(2030, 6, 9, 13, 0, tzinfo=UTC)
FOLLOW_UPS_DUE = datetime(2030, 6, 11, 15, 0, tzinfo=UTC)


def _token(engine, event_id: int) -> str:
    return get_event(engine, event_id).registration_token


def _register(engine, event_id: int, name: str, email: str, at=BEFORE):
    return register_by_link(
        engine,
        _token(engine, event_id),
        name=name,
        email=email,
        from_address=FROM,
        at=at,
    )


def _add(engine, member, event_id: int, ids, *, request_profile=False, at=BEFORE):
    return add_candidates(
        engine,
        member,
        event_id,
        candidate_ids=ids,
        request_profile=request_profile,
        from_address=FROM,
        at=at,
    )


def _review(engine, member, event_id: int, ids, *, approve: bool, at=LATER):
    return review_candidates(
        engine, member, event_id, ids, approve=approve, from_address=FROM, at=at
    )


def _count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(table)
        ).scalar_one()


def _registrations(engine, event_id: int) -> dict[int, str]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                event_registrations.c.candidate_id, event_registrations.c.review_state
            ).where(event_registrations.c.event_id == event_id)
        ).all()
    return {row[0]: row[1] for row in rows}


def _everything_counted(engine) -> tuple[int, int, int, int]:
    return tuple(
        _count(engine, table)
        for table in (candidates, event_registrations, communications, email_deliveries)
    )


# --- registering through the link -------------------------------------------------


@pytest.mark.parametrize("typed", ["casey@example.org", "  CASEY@Example.ORG "])
def test_the_link_finds_the_candidate_by_address_ignoring_case(
    engine, make_event, event_emails, candidate_id, typed
):
    event_id = make_event("webinar", False)
    candidates_before = _count(engine, candidates)

    outcome = _register(engine, event_id, "Casey C.", typed)

    assert outcome.candidate_id == candidate_id
    assert outcome.already_registered is False
    assert outcome.review_state == "approved"
    assert _count(engine, candidates) == candidates_before
    assert _registrations(engine, event_id) == {candidate_id: "approved"}
    assert event_emails(event_id) == Counter(
        {(candidate_id, "registration confirmation"): 1}
    )


def test_the_link_matches_an_address_stored_in_capitals(engine, make_event):
    # Addresses entered before they were normalised may carry capitals.
    with engine.begin() as connection:
        stored = connection.execute(
            candidates.insert()
            .values(
                name="Mixed Case",
                email="Mixed.Case@Example.org",
                source="referral",
                created_at=BEFORE,
            )
            .returning(candidates.c.id)
        ).scalar_one()
    event_id = make_event("in-person event", False)

    outcome = _register(engine, event_id, "Mixed Case", "mixed.case@example.org")

    assert outcome.candidate_id == stored


def test_the_link_takes_the_earliest_of_two_candidates_sharing_an_address(
    engine, make_event, candidate_id
):
    create_candidate(
        engine,
        name="Casey Duplicate",
        email="casey@example.org",
        source=CandidateSource.AGENCY,
    )
    event_id = make_event("webinar", False)

    outcome = _register(engine, event_id, "Casey", "casey@example.org")

    assert outcome.candidate_id == candidate_id
    assert _registrations(engine, event_id) == {candidate_id: "approved"}


def test_the_link_creates_a_candidate_from_an_outreach_event(
    engine, make_event, event_emails
):
    event_id = make_event("virtual chat", True)

    outcome = _register(engine, event_id, "  Nora   Newcomer ", "Nora@Example.org")

    created = get_candidate(engine, outcome.candidate_id)
    assert (created.name, created.email, created.source) == (
        "Nora Newcomer",
        "nora@example.org",
        CandidateSource.OUTREACH_EVENT,
    )
    assert outcome.review_state == "pending"
    assert event_emails(event_id) == Counter(
        {(outcome.candidate_id, "registration confirmation"): 1}
    )


def test_registering_twice_keeps_one_registration_and_sends_one_confirmation(
    engine, make_event, event_emails
):
    event_id = make_event("webinar", True)

    first = _register(engine, event_id, "Nora Newcomer", "nora@example.org")
    second = _register(engine, event_id, "Nora N", "NORA@example.org", at=LATER)

    assert (first.already_registered, second.already_registered) == (False, True)
    assert second.candidate_id == first.candidate_id
    assert second.review_state == "pending"
    assert _registrations(engine, event_id) == {first.candidate_id: "pending"}
    assert event_emails(event_id) == Counter(
        {(first.candidate_id, "registration confirmation"): 1}
    )


@pytest.mark.parametrize("token", ["", "   ", "not-a-token"])
def test_a_link_that_names_no_event_is_refused(engine, make_event, token):
    make_event("webinar", False)
    counts = _everything_counted(engine)

    with pytest.raises(NotFound, match="does not lead to an event"):
        register_by_link(
            engine, token, name="Nora", email="nora@example.org", from_address=FROM
        )

    assert _everything_counted(engine) == counts


@pytest.mark.parametrize(
    ("close", "at", "error", "message"),
    [
        (cancel_event, BEFORE, RegistrationClosed, "was cancelled"),
        (delete_event, BEFORE, NotFound, "does not lead to an event"),
        (None, AT_THE_END, RegistrationClosed, "has ended"),
    ],
    ids=["cancelled", "deleted", "ended"],
)
def test_the_link_of_a_closed_or_ended_event_refuses_and_writes_nothing(
    engine, admin, make_event, close, at, error, message
):
    event_id = make_event("in-person event", False)
    token = _token(engine, event_id)
    if close:
        close(engine, admin, event_id, at=BEFORE)
    counts = _everything_counted(engine)

    with pytest.raises(error, match=message):
        register_by_link(
            engine,
            token,
            name="Nora Newcomer",
            email="nora@example.org",
            from_address=FROM,
            at=at,
        )

    assert _everything_counted(engine) == counts


def test_the_link_still_takes_registrations_while_the_event_runs(engine, make_event):
    event_id = make_event("webinar", False)

    outcome = _register(engine, event_id, "Late Larry", "larry@example.org", DURING)

    assert outcome.already_registered is False


@pytest.mark.parametrize(
    ("name", "email", "fields"),
    [
        ("", "nora@example.org", {"name"}),
        ("Nora", "", {"email"}),
        ("Nora", "nora.example.org", {"email"}),
        ("Nora", "zoë@example.org", {"email"}),
        ("N" * 121, "nora@example.org", {"name"}),
        ("", "not an address", {"name", "email"}),
    ],
)
def test_the_link_names_each_bad_field(engine, make_event, name, email, fields):
    event_id = make_event("webinar", False)
    counts = _everything_counted(engine)

    with pytest.raises(ValidationError) as refusal:
        _register(engine, event_id, name, email)

    assert set(refusal.value.errors) == fields
    assert _everything_counted(engine) == counts


def test_a_failed_confirmation_leaves_no_candidate_and_no_registration(
    engine, make_event, monkeypatch
):
    event_id = make_event("webinar", False)
    counts = _everything_counted(engine)

    def broken(*args, **kwargs):
        raise RuntimeError("the queue is broken")

    monkeypatch.setattr(event_emails_module, "log_system_emails", broken)
    with pytest.raises(RuntimeError):
        _register(engine, event_id, "Nora Newcomer", "nora@example.org")

    assert _everything_counted(engine) == counts


# --- adding candidates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_profile", "kind"),
    [(True, "profile request"), (False, "confirmation")],
)
def test_a_member_adds_candidates_each_with_the_confirmation_of_that_form(
    engine,
    recruiter,
    make_event,
    event_emails,
    candidate_id,
    other_candidate_id,
    request_profile,
    kind,
):
    event_id = make_event("virtual chat", True)

    result = _add(
        engine,
        recruiter,
        event_id,
        [candidate_id, other_candidate_id, candidate_id],
        request_profile=request_profile,
    )

    assert set(result.added) == {"Casey Candidate", "Olive Other"}
    assert result.emailed == 2
    assert _registrations(engine, event_id) == {
        candidate_id: "pending",
        other_candidate_id: "pending",
    }
    assert event_emails(event_id) == Counter(
        {(candidate_id, kind): 1, (other_candidate_id, kind): 1}
    )


def test_candidates_without_an_address_are_named_and_not_added(
    engine, admin, make_event, event_emails, candidate_id
):
    no_address = create_candidate(
        engine, name="Paper Only", email=None, source=CandidateSource.REFERRAL
    )
    event_id = make_event("webinar", False)

    result = _add(engine, admin, event_id, [no_address, candidate_id])

    assert result.without_address == ("Paper Only",)
    assert result.added == ("Casey Candidate",)
    assert _registrations(engine, event_id) == {candidate_id: "approved"}
    assert event_emails(event_id) == Counter({(candidate_id, "confirmation"): 1})


def test_adding_someone_registered_already_names_them_and_sends_nothing(
    engine, admin, make_event, event_emails, candidate_id, other_candidate_id
):
    event_id = make_event("webinar", False)
    _register(engine, event_id, "Casey", "casey@example.org")

    result = _add(engine, admin, event_id, [candidate_id, other_candidate_id])

    assert result.already_registered == ("Casey Candidate",)
    assert result.added == ("Olive Other",)
    assert result.emailed == 1
    assert event_emails(event_id) == Counter(
        {
            (candidate_id, "registration confirmation"): 1,
            (other_candidate_id, "confirmation"): 1,
        }
    )


def test_new_people_are_found_by_address_or_created(
    engine, admin, make_event, event_emails, candidate_id
):
    event_id = make_event("in-person event", False)

    result = add_candidates(
        engine,
        admin,
        event_id,
        new_people=[
            NewPerson("Casey Again", "CASEY@example.org"),
            NewPerson("Fresh Face", "fresh@example.org"),
        ],
        request_profile=True,
        from_address=FROM,
        at=BEFORE,
    )

    registered = _registrations(engine, event_id)
    (fresh_id,) = set(registered) - {candidate_id}
    fresh = get_candidate(engine, fresh_id)
    assert (fresh.name, fresh.email, fresh.source) == (
        "Fresh Face",
        "fresh@example.org",
        CandidateSource.OUTREACH_EVENT,
    )
    assert set(result.added) == {"Casey Candidate", "Fresh Face"}
    assert event_emails(event_id) == Counter(
        {(candidate_id, "profile request"): 1, (fresh_id, "profile request"): 1}
    )


def test_a_failure_halfway_through_adding_leaves_the_database_unchanged(
    engine, admin, make_event, candidate_id, monkeypatch
):
    event_id = make_event("webinar", False)
    counts = _everything_counted(engine)
    real = event_emails_module.log_system_emails
    calls = []

    def fails_after_the_first(connection, emails, **kwargs):
        # The three emails go out together: log the first, then fail.
        calls.append(len(emails))
        real(connection, emails[:1], **kwargs)
        raise RuntimeError("the queue is broken")

    monkeypatch.setattr(event_emails_module, "log_system_emails", fails_after_the_first)
    with pytest.raises(RuntimeError):
        add_candidates(
            engine,
            admin,
            event_id,
            candidate_ids=[candidate_id],
            new_people=[
                NewPerson("Fresh Face", "fresh@example.org"),
                NewPerson("Second Face", "second@example.org"),
            ],
            request_profile=False,
            from_address=FROM,
            at=BEFORE,
        )

    assert calls == [3]
    assert _everything_counted(engine) == counts


def test_adding_an_unknown_candidate_adds_no_one(
    engine, admin, make_event, candidate_id
):
    event_id = make_event("webinar", False)
    counts = _everything_counted(engine)

    with pytest.raises(NotFound, match="No candidate has id 9999"):
        add_candidates(
            engine,
            admin,
            event_id,
            candidate_ids=[candidate_id, 9999],
            new_people=[NewPerson("Fresh Face", "fresh@example.org")],
            request_profile=False,
            from_address=FROM,
            at=BEFORE,
        )

    assert _everything_counted(engine) == counts


def test_adding_needs_someone_and_a_member_who_runs_events(
    engine, manager, admin, make_event, candidate_id
):
    event_id = make_event("webinar", False)

    with pytest.raises(PermissionDenied):
        _add(engine, manager, event_id, [candidate_id])
    with pytest.raises(ValidationError) as refusal:
        _add(engine, admin, event_id, [])

    assert "candidates" in refusal.value.errors
    assert _registrations(engine, event_id) == {}


def test_a_cancelled_event_takes_no_one(engine, admin, make_event, candidate_id):
    event_id = make_event("webinar", False)
    cancel_event(engine, admin, event_id, at=BEFORE)

    with pytest.raises(EventClosed):
        _add(engine, admin, event_id, [candidate_id])

    assert _registrations(engine, event_id) == {}


# --- CSV files ----------------------------------------------------------------------


def test_a_csv_file_names_people_by_its_header_in_any_case_and_order():
    people = parse_people_csv(
        b"Email , Team, NAME\r\n"
        b"ada@example.org,Data,Ada Lovelace\r\n"
        b'grace@example.org,Ops,"Hopper, Grace"\r\n'
    )

    assert people == [
        NewPerson("Ada Lovelace", "ada@example.org"),
        NewPerson("Hopper, Grace", "grace@example.org"),
    ]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_csv_file_separated_by_semicolons_or_tabs_reads_too(separator):
    """European spreadsheets save with semicolons; the header line says which."""
    text = separator.join(["Name", "Email", "Notes"]) + "\n"
    text += separator.join(["Zoe, Jr.", "zoe@example.org", "met at a fair"]) + "\n"

    assert parse_people_csv(text) == [NewPerson("Zoe, Jr.", "zoe@example.org")]


def test_a_csv_file_with_a_byte_order_mark_reads_its_header():
    people = parse_people_csv("name,email\nAda,ada@example.org\n".encode("utf-8-sig"))

    assert people == [NewPerson("Ada", "ada@example.org")]


def test_csv_text_that_kept_its_byte_order_mark_reads_its_header():
    text = "name,email\nAda,ada@example.org\n".encode("utf-8-sig").decode("utf-8")

    assert parse_people_csv(text) == [NewPerson("Ada", "ada@example.org")]


def test_a_csv_file_lists_each_address_once_keeping_the_first():
    people = parse_people_csv(
        "name,email\nAda,ada@example.org\nAda Again,ADA@example.org\n"
    )

    assert people == [NewPerson("Ada", "ada@example.org")]


def test_a_csv_file_skips_lines_with_neither_name_nor_address():
    people = parse_people_csv("name,email\n , \nAda,ada@example.org\n,\n")

    assert people == [NewPerson("Ada", "ada@example.org")]


def _lines_named(message: str) -> dict[int, str]:
    """'Correct these lines: line 3: why; line 5: why.' -> {3: 'why', 5: 'why'}."""
    found = re.findall(r"line (\d+): (.*?)(?=; line \d+:|\.$| \(and )", message)
    return {int(number): why for number, why in found}


def test_every_bad_line_is_named_by_its_number():
    with pytest.raises(ValidationError) as refusal:
        parse_people_csv(
            "name,email\n"
            "Ada,ada@example.org\n"
            "Bad Address,not-an-address\n"
            ",nobody@example.org\n"
            "No Address,\n"
        )

    named = _lines_named(refusal.value.errors["csv"])
    assert set(named) == {3, 4, 5}
    assert "not-an-address" in named[3]
    assert "name" in named[4]
    assert "email" in named[5]


def test_a_bad_line_after_a_blank_line_is_named_by_its_own_number():
    with pytest.raises(ValidationError) as refusal:
        parse_people_csv("name,email\nAda,ada@example.org\n\nBad,not-an-address\n")

    assert set(_lines_named(refusal.value.errors["csv"])) == {4}


def test_more_than_ten_bad_lines_are_summed_up():
    lines = "".join(f"Person {n},bad-{n}\n" for n in range(12))

    with pytest.raises(ValidationError) as refusal:
        parse_people_csv("name,email\n" + lines)

    message = refusal.value.errors["csv"]
    assert set(_lines_named(message)) == set(range(2, 12))
    assert "(and 2 more lines)" in message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The first line must name the columns"),
        (b"full name,address\nAda,ada@example.org\n", "must name the columns"),
        (b"name,email\n", "The file names nobody to add."),
        (b"name,email\n,\n", "The file names nobody to add."),
        ("name,email\nZoë,zoe@example.org\n".encode("latin-1"), "UTF-8"),
    ],
    ids=["empty", "no header", "header only", "blank rows", "not UTF-8"],
)
def test_a_csv_file_naming_nobody_is_refused_plainly(data, message):
    with pytest.raises(ValidationError) as refusal:
        parse_people_csv(data)

    assert message in refusal.value.errors["csv"]


# --- Quick Review -------------------------------------------------------------------


@pytest.mark.parametrize(("approve", "kind"), [(True, "approval"), (False, "denial")])
def test_quick_review_decides_pending_candidates_and_emails_each(
    engine,
    admin,
    make_event,
    event_emails,
    candidate_id,
    other_candidate_id,
    approve,
    kind,
):
    event_id = make_event("in-person event", True)
    _add(engine, admin, event_id, [candidate_id, other_candidate_id])

    result = _review(engine, admin, event_id, [candidate_id], approve=approve)

    assert result.decided == ("Casey Candidate",)
    assert result.emailed == 1
    state = "approved" if approve else "denied"
    assert _registrations(engine, event_id) == {
        candidate_id: state,
        other_candidate_id: "pending",
    }
    assert event_emails(event_id) == Counter(
        {
            (candidate_id, "confirmation"): 1,
            (other_candidate_id, "confirmation"): 1,
            (candidate_id, kind): 1,
        }
    )


@pytest.mark.parametrize(
    ("first", "then"),
    [(False, True), (True, False), (True, True), (False, False)],
    ids=["approve denied", "deny approved", "approve twice", "deny twice"],
)
def test_a_decision_is_final_and_a_second_one_says_so(
    engine, admin, make_event, event_emails, candidate_id, first, then
):
    event_id = make_event("virtual chat", True)
    _add(engine, admin, event_id, [candidate_id])
    _review(engine, admin, event_id, [candidate_id], approve=first)
    emails = event_emails(event_id)

    result = _review(engine, admin, event_id, [candidate_id], approve=then)

    assert result.decided == ()
    assert result.not_pending == ("Casey Candidate",)
    assert result.emailed == 0
    state = "approved" if first else "denied"
    assert _registrations(engine, event_id) == {candidate_id: state}
    assert event_emails(event_id) == emails


def test_reviewing_someone_not_registered_decides_no_one(
    engine, admin, make_event, event_emails, candidate_id, other_candidate_id
):
    event_id = make_event("webinar", True)
    _add(engine, admin, event_id, [candidate_id])

    with pytest.raises(NotFound, match="not registered"):
        _review(
            engine, admin, event_id, [candidate_id, other_candidate_id], approve=True
        )

    assert _registrations(engine, event_id) == {candidate_id: "pending"}
    assert event_emails(event_id) == Counter({(candidate_id, "confirmation"): 1})


def test_managers_cannot_review(engine, admin, manager, make_event, candidate_id):
    event_id = make_event("webinar", True)
    _add(engine, admin, event_id, [candidate_id])

    with pytest.raises(PermissionDenied):
        _review(engine, manager, event_id, [candidate_id], approve=True)

    assert _registrations(engine, event_id) == {candidate_id: "pending"}


def test_counts_by_review_state_include_zeros(
    engine, admin, make_event, candidate_id, other_candidate_id
):
    event_id = make_event("webinar", True)
    _add(engine, admin, event_id, [candidate_id, other_candidate_id])
    _review(engine, admin, event_id, [candidate_id], approve=False)

    counts = registration_counts(engine, event_id)

    assert {state.value: n for state, n in counts.items()} == {
        "pending": 1,
        "approved": 0,
        "denied": 1,
    }


# --- invite only: nothing before approval, nothing after denial -------------------


@pytest.mark.parametrize("event_type", ["in-person event", "webinar", "virtual chat"])
def test_pending_and_denied_candidates_get_nothing_after_their_last_email(
    engine, admin, make_event, make_event_details, event_emails, event_type
):
    event_id = make_event(event_type, True)
    pending = _register(engine, event_id, "Pia Pending", "pia@example.org")
    denied = _register(engine, event_id, "Dan Denied", "dan@example.org")
    approved = _register(engine, event_id, "Amir Approved", "amir@example.org")
    _review(engine, admin, event_id, [denied.candidate_id], approve=False)
    _review(engine, admin, event_id, [approved.candidate_id], approve=True)
    if event_type == "virtual chat":
        slot_id = add_slot(
            engine,
            admin,
            event_id,
            day=date(2030, 6, 10),
            start_time=time(14),
            end_time=time(15),
            capacity=3,
        )
        assign_to_slot(
            engine,
            admin,
            event_id,
            [approved.candidate_id],
            slot_id,
            from_address=FROM,
            at=LATER,
        )
    details = make_event_details(event_type, True)

    update_event(
        engine,
        admin,
        event_id,
        replace(details, agenda="New agenda."),
        from_address=FROM,
        at=LATER,
    )
    send_final_schedule(engine, admin, event_id, from_address=FROM, at=LATER)
    dispatch_event_emails(engine, from_address=FROM, now=REMINDERS_DUE)
    dispatch_event_emails(engine, from_address=FROM, now=FOLLOW_UPS_DUE)

    assert event_emails(event_id) == Counter(
        {
            (pending.candidate_id, "registration confirmation"): 1,
            (denied.candidate_id, "registration confirmation"): 1,
            (denied.candidate_id, "denial"): 1,
            (approved.candidate_id, "registration confirmation"): 1,
            (approved.candidate_id, "approval"): 1,
            (approved.candidate_id, "update"): 1,
            (approved.candidate_id, "final schedule"): 1,
            (approved.candidate_id, "reminder"): 1,
            (approved.candidate_id, "follow-up"): 1,
        }
    )


# --- the final schedule ---------------------------------------------------------


def test_the_final_schedule_goes_once_to_each_then_to_newcomers_or_everyone(
    engine, admin, make_event, event_emails, candidate_id, other_candidate_id
):
    event_id = make_event("webinar", True)
    _add(engine, admin, event_id, [candidate_id, other_candidate_id])
    _review(engine, admin, event_id, [candidate_id], approve=True)

    first = send_final_schedule(engine, admin, event_id, from_address=FROM, at=LATER)
    again = send_final_schedule(engine, admin, event_id, from_address=FROM, at=LATER)
    assert (first, again) == (1, 0)
    assert final_schedule_recipients(engine, event_id) == (1, 0)

    _review(engine, admin, event_id, [other_candidate_id], approve=True)
    assert final_schedule_recipients(engine, event_id) == (2, 1)
    newcomers = send_final_schedule(
        engine, admin, event_id, from_address=FROM, at=LATER
    )
    everyone = send_final_schedule(
        engine, admin, event_id, from_address=FROM, at=LATER, everyone=True
    )

    assert (newcomers, everyone) == (1, 2)
    sent = event_emails(event_id)
    assert sent[candidate_id, "final schedule"] == 2
    assert sent[other_candidate_id, "final schedule"] == 2


def test_the_final_schedule_of_a_cancelled_event_is_refused(
    engine, admin, make_event, event_emails, candidate_id
):
    event_id = make_event("webinar", False)
    _add(engine, admin, event_id, [candidate_id])
    cancel_event(engine, admin, event_id, at=LATER)

    with pytest.raises(EventClosed):
        send_final_schedule(engine, admin, event_id, from_address=FROM, at=LATER)

    assert event_emails(event_id) == Counter({(candidate_id, "confirmation"): 1})


# --- the list ------------------------------------------------------------------


def test_the_list_shows_each_registration_with_the_emails_it_was_sent(
    engine, admin, make_event, candidate_id, other_candidate_id
):
    event_id = make_event("webinar", True)
    _add(engine, admin, event_id, [candidate_id], request_profile=True)
    _register(engine, event_id, "Olive", "olive@example.org", at=LATER)
    _review(engine, admin, event_id, [candidate_id], approve=True)

    page = list_registrations(engine, event_id)
    pending_only = list_registrations(engine, event_id, review_states={"pending"})

    assert page.total == 2
    assert [
        (r.name, r.joined_by.value, r.review_state.value, [e.kind for e in r.emails])
        for r in page.rows
    ] == [
        (
            "Casey Candidate",
            "admin_profile_request",
            "approved",
            ["profile request", "approval"],
        ),
        ("Olive Other", "link", "pending", ["registration confirmation"]),
    ]
    assert [r.candidate_id for r in pending_only.rows] == [other_candidate_id]


# --- the public form submitted twice at once ------------------------------------


def _both_look_up_before_either_writes(monkeypatch) -> None:
    """Each registration waits, once, until both have looked the address up."""
    both_looked = MeetIfPossible(2)
    waited = threading.local()
    real_find = registrations_module.find_candidate_by_email

    def find_then_wait(connection, email):
        found = real_find(connection, email)
        if not getattr(waited, "once", False):
            waited.once = True
            both_looked.wait()
        return found

    monkeypatch.setattr(registrations_module, "find_candidate_by_email", find_then_wait)


def _register_twice_at_once(engine, event_id: int, email: str) -> list[object]:
    token = _token(engine, event_id)
    outcomes: list[object] = []

    def submit():
        try:
            outcomes.append(
                register_by_link(
                    engine,
                    token,
                    name="Double Clicker",
                    email=email,
                    from_address=FROM,
                    at=BEFORE,
                )
            )
        except Exception as error:  # reported by the assertions
            outcomes.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_a_known_address_submitted_twice_at_once_registers_once(
    engine, make_event, event_emails, candidate_id, monkeypatch
):
    event_id = make_event("webinar", False)
    _both_look_up_before_either_writes(monkeypatch)

    outcomes = _register_twice_at_once(engine, event_id, "casey@example.org")

    assert sorted(o.already_registered for o in outcomes) == [False, True], outcomes
    assert _registrations(engine, event_id) == {candidate_id: "approved"}
    assert event_emails(event_id) == Counter(
        {(candidate_id, "registration confirmation"): 1}
    )


def test_a_new_address_submitted_twice_at_once_registers_once(
    engine, make_event, event_emails, monkeypatch
):
    event_id = make_event("webinar", False)
    candidates_before = _count(engine, candidates)
    _both_look_up_before_either_writes(monkeypatch)

    outcomes = _register_twice_at_once(engine, event_id, "double@example.org")

    assert _count(engine, candidates) == candidates_before + 1, outcomes
    assert len(_registrations(engine, event_id)) == 1
    assert sum(event_emails(event_id).values()) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [(True, True), (True, False)],
    ids=["both approve", "one approves, one denies"],
)
def test_two_members_deciding_at_once_decide_once(
    engine,
    admin,
    recruiter,
    make_event,
    event_emails,
    candidate_id,
    monkeypatch,
    first,
    second,
):
    event_id = make_event("webinar", True)
    _add(engine, admin, event_id, [candidate_id])
    # Both read the event (and so see the candidate pending) before either writes.
    both_read = MeetIfPossible(2)
    waited = threading.local()
    real_read = registrations_module.read_open_event

    def read_then_wait(connection, event_id):
        event = real_read(connection, event_id)
        if not getattr(waited, "once", False):
            waited.once = True
            both_read.wait()
        return event

    monkeypatch.setattr(registrations_module, "read_open_event", read_then_wait)
    results: list[object] = []

    def decide(member, approve):
        try:
            results.append(
                _review(engine, member, event_id, [candidate_id], approve=approve)
            )
        except Exception as error:  # reported by the assertions
            results.append(error)

    threads = [
        threading.Thread(target=decide, args=(admin, first)),
        threading.Thread(target=decide, args=(recruiter, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(r.emailed for r in results) == [0, 1], results
    decisions = Counter({kind: n for (_, kind), n in event_emails(event_id).items()})
    del decisions["confirmation"]
    assert sum(decisions.values()) == 1
    state = _registrations(engine, event_id)[candidate_id]
    assert decisions == Counter({"approval" if state == "approved" else "denial": 1})
