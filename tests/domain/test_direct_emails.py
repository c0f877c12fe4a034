"""Sending an email to one candidate or to up to 100 selected candidates."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flo_comms import direct_emails
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.direct_emails import MAX_CANDIDATES, send_email
from flo_comms.errors import PermissionDenied, ValidationError
from flo_comms.schema import (
    candidates,
    communication_candidates,
    communication_participants,
    communications,
    email_deliveries,
)
from flo_comms.system_emails import EmailKind
from flo_comms.timeline import candidate_timeline, candidates_attached_to
from flo_comms.timezones import now_utc

FROM = "Flo Recruiting <jobs@flo.test>"
SUBJECT = "A question for you, {{ candidate.first_name }}"
BODY = "Hello {{ candidate.name }},\n\nAre you free next week?\n\n{{ sender.name }}"


@pytest.fixture
def no_address_candidate_id(engine) -> int:
    """A candidate reached by phone only: no email address."""
    return create_candidate(
        engine, name="Nadia Nomail", email=None, source=CandidateSource.REFERRAL
    )


@pytest.fixture
def send(engine, recruiter):
    """Send as the recruiter with a valid form; keyword arguments change fields."""

    def send_as(candidate_ids, member=recruiter, **changes):
        fields = {
            "subject_template": SUBJECT,
            "body_template": BODY,
            "from_address": FROM,
        }
        return send_email(engine, member, candidate_ids, **{**fields, **changes})

    return send_as


def assert_nothing_sent(rows_in) -> None:
    for table in (
        communications,
        communication_participants,
        communication_candidates,
        email_deliveries,
    ):
        assert rows_in(table) == 0, table.name


def test_a_bulk_send_names_the_candidate_without_an_address_and_emails_the_others(
    engine, send, candidate_id, other_candidate_id, no_address_candidate_id, rows_in
):
    report = send([candidate_id, no_address_candidate_id, other_candidate_id])

    assert [sent.candidate_id for sent in report.sent] == [
        candidate_id,
        other_candidate_id,
    ]
    assert report.skipped == [
        (no_address_candidate_id, "Nadia Nomail", "no email address")
    ]
    assert rows_in(communications) == rows_in(email_deliveries) == 2
    assert candidate_timeline(engine, no_address_candidate_id).total == 0


def test_each_candidate_gets_an_entry_of_their_own_rendered_with_their_own_name(
    engine, send, candidate_id, other_candidate_id
):
    report = send([candidate_id, other_candidate_id])

    for (candidate, communication_id), first_name, full_name, address in zip(
        report.sent,
        ["Casey", "Olive"],
        ["Casey Candidate", "Olive Other"],
        ["casey@example.org", "olive@example.org"],
        strict=True,
    ):
        assert candidates_attached_to(engine, communication_id) == {candidate}
        [entry] = candidate_timeline(engine, candidate).entries
        assert entry.id == communication_id
        assert entry.subject == f"A question for you, {first_name}"
        assert entry.body.startswith(f"Hello {full_name},")
        assert entry.body.endswith("Rita Recruiter")
        assert [(p.address, p.candidate_id) for p in entry.to] == [(address, candidate)]
        assert (entry.source, entry.email_kind, entry.job_title) == (
            "system",
            EmailKind.DIRECT,
            None,
        )


def test_cc_bcc_extra_addresses_and_reply_to_are_recorded(
    engine, send, admin, manager, candidate_id
):
    report = send(
        [candidate_id],
        cc_member_ids=[admin.id],
        bcc_member_ids=[manager.id],
        extra_cc_addresses=[" Hiring.Lead@Example.com ", ""],
        reply_to="talent@example.com",
    )

    [entry] = candidate_timeline(engine, candidate_id).entries
    assert [(p.name, p.address, p.member_id) for p in entry.cc] == [
        ("Ada Admin", "ada.admin@example.com", admin.id),
        (None, "hiring.lead@example.com", None),
    ]
    assert [p.member_id for p in entry.bcc] == [manager.id]
    with engine.connect() as connection:
        queued = connection.execute(
            sa.select(email_deliveries).where(
                email_deliveries.c.communication_id == report.sent[0].communication_id
            )
        ).one()
    assert (queued.reply_to, queued.from_address, queued.state) == (
        "talent@example.com",
        FROM,
        "queued",
    )


def test_replies_go_to_the_sending_member_unless_the_form_says_otherwise(
    engine, send, candidate_id
):
    send([candidate_id])

    with engine.connect() as connection:
        reply_to = connection.execute(sa.select(email_deliveries.c.reply_to)).scalar()
    assert reply_to == "rita.recruiter@example.com"


def test_a_candidate_chosen_twice_gets_one_email(engine, send, candidate_id, rows_in):
    report = send([candidate_id, candidate_id])

    assert len(report.sent) == 1
    assert rows_in(communications) == 1


def test_a_hundred_candidates_are_emailed_and_a_hundred_and_one_are_refused(
    engine, send, rows_in
):
    now = now_utc()
    with engine.begin() as connection:
        ids = list(
            connection.execute(
                candidates.insert().returning(candidates.c.id),
                [
                    {
                        "name": f"Bulk Candidate {n}",
                        "email": f"bulk{n}@example.org",
                        "source": "career site",
                        "created_at": now,
                    }
                    for n in range(MAX_CANDIDATES + 1)
                ],
            ).scalars()
        )

    with pytest.raises(ValidationError) as refused:
        send(ids)
    assert refused.value.errors == {
        "to": "Choose at most 100 candidates per email (101 are selected)."
    }
    assert_nothing_sent(rows_in)

    report = send(ids[:MAX_CANDIDATES])
    assert len(report.sent) == rows_in(email_deliveries) == MAX_CANDIDATES
    assert report.skipped == []


@pytest.mark.parametrize(
    ("changes", "field", "message_says"),
    [
        pytest.param(
            {"subject_template": " "}, "subject", "Enter a subject.", id="no subject"
        ),
        pytest.param({"body_template": ""}, "body", "Enter the message.", id="no body"),
        pytest.param(
            {"subject_template": "About {{ job.title }}"},
            "subject",
            "'job' is not a variable in this email",
            id="job variable in a direct email",
        ),
        pytest.param(
            {"body_template": "Hi {{ candidate.first }}"},
            "body",
            "candidate has no field 'first'",
            id="misspelt variable",
        ),
        pytest.param(
            {"extra_cc_addresses": ["lead@example.com", "not an address"]},
            "cc_addresses",
            "'not an address' is not an email address",
            id="bad cc address",
        ),
        pytest.param(
            {"reply_to": "talent@"},
            "reply_to",
            "Enter a reply-to address like name@example.com",
            id="bad reply-to",
        ),
    ],
)
def test_a_bad_form_is_refused_beside_the_field_and_nothing_is_sent(
    send, candidate_id, rows_in, changes, field, message_says
):
    with pytest.raises(ValidationError) as refused:
        send([candidate_id], **changes)

    assert list(refused.value.errors) == [field]
    assert message_says in refused.value.errors[field]
    assert_nothing_sent(rows_in)


def test_no_candidates_at_all_is_refused(send, rows_in):
    with pytest.raises(ValidationError) as refused:
        send([])

    assert refused.value.errors["to"] == "Choose at least one candidate."
    assert_nothing_sent(rows_in)


def test_a_candidate_that_no_longer_exists_stops_the_whole_send(
    send, candidate_id, rows_in
):
    with pytest.raises(ValidationError) as refused:
        send([candidate_id, 9999])

    assert refused.value.errors == {
        "to": "1 of the chosen candidates no longer exists; choose again."
    }
    assert_nothing_sent(rows_in)


def test_a_manager_may_not_send_emails(send, manager, candidate_id, rows_in):
    with pytest.raises(PermissionDenied, match="only admins and recruiters send"):
        send([candidate_id], member=manager)

    assert_nothing_sent(rows_in)


def test_a_failure_on_the_second_email_sends_none_of_them(
    send, candidate_id, other_candidate_id, rows_in, monkeypatch
):
    real_log = direct_emails.log_system_email
    calls = []

    def fail_on_second(connection, email, *, from_address):
        calls.append(email)
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return real_log(connection, email, from_address=from_address)

    monkeypatch.setattr(direct_emails, "log_system_email", fail_on_second)

    with pytest.raises(RuntimeError, match="connection lost"):
        send([candidate_id, other_candidate_id])

    assert_nothing_sent(rows_in)
