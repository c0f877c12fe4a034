"""The candidates list: search, pages, and each candidate's contact summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flo_comms.candidates import CandidateSource, create_candidate, search_candidates
from flo_comms.communications import delete_communication, log_communication


@pytest.fixture
def pipeline(engine, candidate_id, other_candidate_id) -> dict[str, int]:
    """Casey and Olive, and three more candidates; one has no address."""
    more = {
        "Bea Bystander": "bea_b@example.net",
        "Beau Bartholomew": "beaub@example.net",
        "Phil Phoneonly": None,
    }
    return {
        "Casey Candidate": candidate_id,
        "Olive Other": other_candidate_id,
        **{
            name: create_candidate(engine, name=name, email=email, source="referral")
            for name, email in more.items()
        },
    }


def names_found(engine, text: str) -> list[str]:
    return [row.name for row in search_candidates(engine, text).rows]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OTHER", ["Olive Other"]),
        ("  bea ", ["Bea Bystander", "Beau Bartholomew"]),
        ("EXAMPLE.NET", ["Bea Bystander", "Beau Bartholomew"]),
        ("a_b", ["Bea Bystander"]),
        ("nobody", []),
    ],
)
def test_search_matches_part_of_a_name_or_address_whatever_its_case(
    engine, pipeline, text, expected
):
    found = names_found(engine, text)

    assert found == expected


def test_an_empty_search_lists_everyone_by_name(engine, pipeline):
    page = search_candidates(engine, "  ")

    assert [row.name for row in page.rows] == sorted(pipeline)
    assert page.total == len(pipeline)


def test_the_list_is_paged_without_overlap_and_every_page_knows_the_total(
    engine, pipeline
):
    pages = [search_candidates(engine, page=n, page_size=2) for n in (1, 2, 3)]

    assert [len(page.rows) for page in pages] == [2, 2, 1]
    assert {page.total for page in pages} == {5}
    assert [row.name for page in pages for row in page.rows] == sorted(pipeline)


def test_a_search_counts_only_its_matches(engine, pipeline):
    page = search_candidates(engine, "example.net", page_size=1)

    assert [row.name for row in page.rows] == ["Bea Bystander"]
    assert page.total == 2


def test_each_row_shows_the_latest_contact_and_counts_live_entries_only(
    engine, recruiter, make_draft, pipeline, add_system_email
):
    casey = pipeline["Casey Candidate"]
    olive = pipeline["Olive Other"]
    for day in (3, 9):
        log_communication(
            engine,
            recruiter,
            make_draft(
                occurred_local=datetime(2026, 2, day, 10, 0),
                time_zone="UTC",
                recipient_candidate_ids=(casey, olive),
            ),
        )
    withdrawn = log_communication(
        engine,
        recruiter,
        make_draft(
            occurred_local=datetime(2026, 2, 20, 10, 0),
            time_zone="UTC",
            recipient_candidate_ids=(casey,),
        ),
    )
    add_system_email(olive, sent_by=recruiter, occurred_at=datetime(2026, 2, 14, 8, 0))

    delete_communication(engine, recruiter, withdrawn)

    rows = {row.name: row for row in search_candidates(engine).rows}
    assert rows["Casey Candidate"].communication_count == 2
    assert rows["Casey Candidate"].last_contact_at == datetime(
        2026, 2, 9, 10, 0, tzinfo=UTC
    )
    assert rows["Olive Other"].communication_count == 3
    assert rows["Olive Other"].last_contact_at == datetime(
        2026, 2, 14, 8, 0, tzinfo=UTC
    )
    assert rows["Phil Phoneonly"].communication_count == 0
    assert rows["Phil Phoneonly"].last_contact_at is None


@pytest.mark.parametrize("typed", ["İstanbul", "istanbul", "ISTANBUL"])
def test_a_dotted_capital_i_matches_however_it_is_typed(engine, typed):
    create_candidate(
        engine, name="Ayşe İstanbul", email=None, source=CandidateSource.REFERRAL
    )

    assert [row.name for row in search_candidates(engine, typed).rows] == [
        "Ayşe İstanbul"
    ]
