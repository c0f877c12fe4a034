"""Editing and deleting a logged communication: who may, and what is kept."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
import sqlalchemy as sa

from flo_comms.candidates import create_candidate
from flo_comms.communications import (
    EditConflict,
    delete_communication,
    draft_of,
    edit_communication,
    log_communication,
)
from flo_comms.errors import NotFound, PermissionDenied, ValidationError
from flo_comms.schema import communication_history, communications
from flo_comms.timeline import (
    candidate_timeline,
    candidates_attached_to,
    communication_history_of,
    get_communication,
)


@pytest.fixture
def entry_id(engine, recruiter, make_draft, candidate_id, other_candidate_id) -> int:
    """A call the recruiter logged on Casey's profile, sent to Casey and Olive."""
    draft = make_draft(recipient_candidate_ids=(candidate_id, other_candidate_id))
    return log_communication(
        engine, recruiter, draft, logged_from_candidate_id=candidate_id
    )


def stored_row(engine, communication_id: int) -> sa.Row:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(communications).where(communications.c.id == communication_id)
        ).one()


def test_only_the_author_sees_the_entry_as_theirs_to_change(
    engine, recruiter, admin, entry_id
):
    entry = get_communication(engine, entry_id)

    assert entry.can_be_changed_by(recruiter)
    assert not entry.can_be_changed_by(admin)


def test_another_admin_may_not_edit_and_is_told_who_can(
    engine, admin, make_draft, entry_id, rows_in
):
    before = get_communication(engine, entry_id)

    with pytest.raises(PermissionDenied) as refusal:
        edit_communication(engine, admin, entry_id, make_draft(subject="Hijacked"))

    assert "Only Rita Recruiter, who logged this communication" in str(refusal.value)
    assert get_communication(engine, entry_id) == before
    assert rows_in(communication_history) == 0


def test_another_admin_may_not_delete_and_is_told_who_can(
    engine, admin, candidate_id, entry_id, rows_in
):
    with pytest.raises(PermissionDenied) as refusal:
        delete_communication(engine, admin, entry_id)

    assert "Only Rita Recruiter, who logged this communication" in str(refusal.value)
    assert stored_row(engine, entry_id).deleted_at is None
    assert candidate_timeline(engine, candidate_id).total == 1
    assert rows_in(communication_history) == 0


def test_a_system_email_cannot_be_edited_even_by_the_member_who_sent_it(
    engine, recruiter, make_draft, candidate_id, add_system_email, rows_in
):
    email_id = add_system_email(candidate_id, sent_by=recruiter)
    before = get_communication(engine, email_id)

    with pytest.raises(PermissionDenied) as refusal:
        edit_communication(engine, recruiter, email_id, make_draft())

    assert "System-generated entries" in str(refusal.value)
    assert not before.can_be_changed_by(recruiter)
    assert get_communication(engine, email_id) == before
    assert rows_in(communication_history) == 0


def test_a_system_email_cannot_be_deleted_even_by_the_member_who_sent_it(
    engine, recruiter, candidate_id, add_system_email, rows_in
):
    email_id = add_system_email(candidate_id, sent_by=recruiter)

    with pytest.raises(PermissionDenied):
        delete_communication(engine, recruiter, email_id)

    assert stored_row(engine, email_id).deleted_at is None
    assert candidate_timeline(engine, candidate_id).total == 1
    assert rows_in(communication_history) == 0


def test_the_edit_form_opens_with_the_entry_as_it_was_logged(
    engine, recruiter, make_draft, candidate_id, other_candidate_id, entry_id
):
    entry = get_communication(engine, entry_id)

    prefilled = draft_of(entry, recruiter.time_zone)

    assert prefilled == make_draft(
        recipient_candidate_ids=(candidate_id, other_candidate_id)
    )


def test_an_edit_changes_the_entry_and_keeps_the_previous_version(
    engine, recruiter, make_draft, candidate_id, entry_id
):
    draft = make_draft(
        comm_type="video call",
        subject="Second-round call about the Data Analyst role",
        description="Moved to video at Casey's request.",
    )

    edit_communication(engine, recruiter, entry_id, draft)

    entry = get_communication(engine, entry_id)
    assert (entry.comm_type, entry.subject, entry.body) == (
        "video call",
        "Second-round call about the Data Analyst role",
        "Moved to video at Casey's request.",
    )
    assert entry.updated_at is not None
    [edit] = communication_history_of(engine, entry_id)
    assert (edit.action, edit.changed_by_name) == ("edit", "Rita Recruiter")
    assert edit.previous["comm_type"] == "phone call"
    assert edit.previous["subject"] == "Intro call about the Data Analyst role"
    assert edit.previous["body"] == "Talked through the role and the interview steps."
    assert sorted(p["name"] for p in edit.previous["participants"]) == [
        "Casey Candidate",
        "Olive Other",
        "Rita Recruiter",
    ]


def test_each_edit_keeps_the_version_it_replaced_oldest_first(
    engine, recruiter, make_draft, entry_id
):
    edit_communication(engine, recruiter, entry_id, make_draft(subject="Second"))
    edit_communication(engine, recruiter, entry_id, make_draft(subject="Third"))

    history = communication_history_of(engine, entry_id)

    assert [(h.action, h.previous["subject"]) for h in history] == [
        ("edit", "Intro call about the Data Analyst role"),
        ("edit", "Second"),
    ]
    assert get_communication(engine, entry_id).subject == "Third"


def test_a_candidate_taken_out_of_sent_to_loses_the_entry_but_its_origin_keeps_it(
    engine, recruiter, make_draft, candidate_id, other_candidate_id, entry_id
):
    newcomer_id = create_candidate(
        engine, name="Nina Newcomer", email="nina@example.org", source="referral"
    )
    draft = make_draft(recipient_candidate_ids=(newcomer_id,))

    edit_communication(engine, recruiter, entry_id, draft)

    assert candidates_attached_to(engine, entry_id) == {candidate_id, newcomer_id}
    assert candidate_timeline(engine, other_candidate_id).total == 0
    assert candidate_timeline(engine, candidate_id).total == 1
    assert candidate_timeline(engine, newcomer_id).total == 1
    entry = get_communication(engine, entry_id)
    assert [p.name for p in entry.to] == ["Nina Newcomer"]


def test_a_deleted_entry_leaves_every_timeline_but_stays_in_the_table(
    engine, recruiter, candidate_id, other_candidate_id, entry_id
):
    delete_communication(engine, recruiter, entry_id)

    assert candidate_timeline(engine, candidate_id).total == 0
    assert candidate_timeline(engine, other_candidate_id).total == 0
    with pytest.raises(NotFound):
        get_communication(engine, entry_id)
    row = stored_row(engine, entry_id)
    assert row.deleted_at is not None
    assert row.subject == "Intro call about the Data Analyst role"
    [deletion] = communication_history_of(engine, entry_id)
    assert (deletion.action, deletion.changed_by_name) == ("delete", "Rita Recruiter")
    assert deletion.previous["subject"] == "Intro call about the Data Analyst role"


def test_deleting_twice_says_the_entry_no_longer_exists(
    engine, recruiter, entry_id, rows_in
):
    delete_communication(engine, recruiter, entry_id)

    with pytest.raises(NotFound):
        delete_communication(engine, recruiter, entry_id)

    assert rows_in(communication_history) == 1


def test_a_deleted_entry_can_no_longer_be_edited(
    engine, recruiter, make_draft, entry_id
):
    delete_communication(engine, recruiter, entry_id)

    with pytest.raises(NotFound):
        edit_communication(engine, recruiter, entry_id, make_draft(subject="Back"))

    assert stored_row(engine, entry_id).subject == (
        "Intro call about the Data Analyst role"
    )


def test_an_entry_that_never_existed_cannot_be_edited_or_deleted(
    engine, recruiter, make_draft
):
    with pytest.raises(NotFound):
        edit_communication(engine, recruiter, 999_999, make_draft())
    with pytest.raises(NotFound):
        delete_communication(engine, recruiter, 999_999)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("subject", {"subject": ""}),
        ("sent_to", {"recipient_candidate_ids": (999_999,)}),
    ],
    ids=["refused by the form's rules", "refused once looked up in the database"],
)
def test_an_edit_with_bad_input_changes_nothing_and_leaves_no_history(
    engine, recruiter, make_draft, entry_id, rows_in, field, changes
):
    before = get_communication(engine, entry_id)
    draft = replace(make_draft(subject="Would-be new subject"), **changes)

    with pytest.raises(ValidationError) as refusal:
        edit_communication(engine, recruiter, entry_id, draft)

    assert set(refusal.value.errors) == {field}
    assert get_communication(engine, entry_id) == before
    assert rows_in(communication_history) == 0


def test_two_deletes_racing_on_two_threads_record_one_deletion(
    engine, recruiter, entry_id
):
    start_together = threading.Barrier(2)
    outcomes: list[str] = []

    def delete() -> None:
        start_together.wait()
        try:
            delete_communication(engine, recruiter, entry_id)
        except NotFound:
            outcomes.append("already gone")
        else:
            outcomes.append("deleted")

    deleters = [threading.Thread(target=delete) for _ in range(2)]
    for thread in deleters:
        thread.start()
    for thread in deleters:
        thread.join()

    assert sorted(outcomes) == ["already gone", "deleted"]
    assert [h.action for h in communication_history_of(engine, entry_id)] == ["delete"]


def test_an_edit_from_a_form_opened_before_another_save_is_refused(
    engine, recruiter, entry_id
):
    opened_in_two_tabs = get_communication(engine, entry_id)
    first = replace(draft_of(opened_in_two_tabs, "UTC"), description="From tab A")
    second = replace(draft_of(opened_in_two_tabs, "UTC"), subject="From tab B")
    edit_communication(
        engine, recruiter, entry_id, first, seen_version=opened_in_two_tabs.version
    )

    with pytest.raises(EditConflict, match="changed after you opened it"):
        edit_communication(
            engine, recruiter, entry_id, second, seen_version=opened_in_two_tabs.version
        )

    kept = get_communication(engine, entry_id)
    assert (kept.subject, kept.body) == (opened_in_two_tabs.subject, "From tab A")
    assert len(communication_history_of(engine, entry_id)) == 1
