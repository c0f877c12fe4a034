"""The Candidates page: search, the contact summary of each row, paging, links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from streamlit.testing.v1 import AppTest

from flo_comms.candidates import SEARCH_PAGE_SIZE
from flo_comms.communications import delete_communication

from .helpers import add_candidate, log_entry, values

HEADER = [
    "**Name**",
    "**Email**",
    "**Source**",
    "**Latest contact**",
    "**Communications**",
]
# 03:00 UTC on 15 January is still the 14th in New York, already the 15th in Berlin.
EARLY_ON_THE_15TH = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


def table_rows(at: AppTest) -> list[list[str]]:
    """The candidates table as text, one list per row, header first.

    Each row starts with a column for the selection box, left out here.
    """
    columns = list(at.main.columns)
    width = len(HEADER) + 1
    rows = [columns[i : i + width] for i in range(0, len(columns), width)]
    return [[column.children[0].value for column in row[1:]] for row in rows]


@pytest.fixture
def candidates(database, team) -> dict[str, int]:
    """Three candidates, one never contacted; Ada is in New York, Rita in Berlin."""
    ada, rita = team.ada, team.rita
    with database.engine() as engine:
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")
        olive = add_candidate(engine, "Olive Other", "olive@mailbox.net")
        bruno = add_candidate(engine, "Bruno Brown", "bruno@example.org")
        log_entry(engine, ada, casey, datetime(2026, 1, 2, 10, 0, tzinfo=UTC))
        log_entry(engine, rita, casey, EARLY_ON_THE_15TH)
        # A deleted entry is neither counted nor the latest contact.
        withdrawn = log_entry(engine, ada, casey, datetime(2026, 3, 1, tzinfo=UTC))
        delete_communication(engine, ada, withdrawn)
        log_entry(engine, rita, bruno, datetime(2026, 2, 20, 17, 30, tzinfo=UTC))
    return {"casey": casey, "olive": olive, "bruno": bruno}


def test_the_table_lists_candidates_by_name_with_latest_contact_and_count(
    app, team, candidates
):
    at = app(team.ada).run()

    assert not at.exception
    assert values(at.title) == ["Candidates"]
    assert table_rows(at) == [
        HEADER,
        [
            "Bruno Brown",
            "bruno@example.org",
            "referral",
            "20 Feb 2026, 12:30 EST",
            "1",
        ],
        [
            "Casey Candidate",
            "casey@example.org",
            "referral",
            "14 Jan 2026, 22:00 EST",
            "2",
        ],
        ["Olive Other", "olive@mailbox.net", "referral", "never", "0"],
    ]
    assert values(at.caption) == ["1–3 of 3 candidates"]
    assert not at.get("pagination")


def test_the_latest_contact_is_shown_in_the_viewers_time_zone(app, team, candidates):
    at = app(team.rita).run()

    latest = {row[0]: row[3] for row in table_rows(at)[1:]}
    assert latest == {
        "Bruno Brown": "20 Feb 2026, 18:30 CET",
        "Casey Candidate": "15 Jan 2026, 04:00 CET",
        "Olive Other": "never",
    }


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("olive", ["Olive Other"]),
        ("CANDI", ["Casey Candidate"]),
        ("b", ["Bruno Brown", "Olive Other"]),  # Olive's address has a b
        ("@example.org", ["Bruno Brown", "Casey Candidate"]),
        ("mailbox.net", ["Olive Other"]),
        ("  bruno  ", ["Bruno Brown"]),
    ],
)
def test_searching_part_of_a_name_or_an_email_narrows_the_list(
    app, team, candidates, search, names
):
    at = app(team.ada).run()

    at.text_input(key="candidate_search").input(search).run()

    assert values(at.main.get("page_link")) == names
    count = len(names)
    shown = "1 of 1 candidate" if count == 1 else f"1–{count} of {count} candidates"
    assert values(at.caption) == [shown]


def test_a_search_that_matches_nothing_says_so(app, team, candidates):
    at = app(team.ada).run()

    at.text_input(key="candidate_search").input("zebra").run()

    assert values(at.info) == ["No candidate's name or email contains “zebra”."]
    assert not at.main.get("page_link")
    assert not at.main.columns


def test_a_database_without_candidates_says_there_are_none_yet(app, team):
    at = app(team.ada).run()

    assert values(at.info) == ["There are no candidates yet."]
    assert not at.main.get("page_link")


def test_a_name_links_to_that_candidates_profile(app, team, candidates):
    at = app(team.ada).run()

    links = {link.value: link.proto for link in at.main.get("page_link")}
    assert set(links) == {"Bruno Brown", "Casey Candidate", "Olive Other"}
    for name, key in [
        ("Bruno Brown", "bruno"),
        ("Casey Candidate", "casey"),
        ("Olive Other", "olive"),
    ]:
        # "profile" is the url_path app.py gives views/profile.py.
        assert links[name].page == "profile"
        assert links[name].query_string == f"candidate={candidates[key]}"


@pytest.fixture
def many_candidates(database) -> list[int]:
    """More candidates than one page holds: Candidate 00 … Candidate 29."""
    with database.engine() as engine:
        return [add_candidate(engine, f"Candidate {n:02d}") for n in range(30)]


def test_more_than_a_page_of_candidates_is_paged(app, team, many_candidates):
    at = app(team.ada).run()

    assert SEARCH_PAGE_SIZE == 25
    [pager] = at.get("pagination")
    assert pager.num_pages == 2
    assert values(at.main.get("page_link")) == [f"Candidate {n:02d}" for n in range(25)]
    assert values(at.caption) == ["1–25 of 30 candidates"]

    pager.select(2).run()

    assert values(at.main.get("page_link")) == [
        f"Candidate {n:02d}" for n in range(25, 30)
    ]
    assert values(at.caption) == ["26–30 of 30 candidates"]
    assert at.get("pagination")[0].value == 2


def test_a_new_search_starts_on_its_first_page(app, team, many_candidates):
    at = app(team.ada).run()
    at.get("pagination")[0].select(2).run()

    at.text_input(key="candidate_search").input("candidate").run()

    assert values(at.caption) == ["1–25 of 30 candidates"]
    assert at.main.get("page_link")[0].value == "Candidate 00"


def test_the_search_and_page_are_still_there_after_visiting_a_profile(
    app, database, team
):
    with database.engine() as engine:
        ids = [
            add_candidate(engine, f"Paged Person {n:02d}")
            for n in range(SEARCH_PAGE_SIZE + 5)
        ]
    at = app(team.ada).run()
    at.text_input(key="candidate_search").input("paged").run()
    at.get("pagination")[0].set_value(2).run()
    second_page = values(at.main.get("page_link"))

    at.switch_page("views/profile.py")
    at.query_params["candidate"] = str(ids[0])
    at.run()
    at.switch_page("views/candidates.py")
    at.query_params.clear()
    at.run()

    assert at.text_input(key="candidate_search").value == "paged"
    assert values(at.main.get("page_link")) == second_page
    assert second_page[0] == f"Paged Person {SEARCH_PAGE_SIZE:02d}"
