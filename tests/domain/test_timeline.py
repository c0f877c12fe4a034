"""A candidate's Communications tab: order, pages and filters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from flo_comms.communications import delete_communication, log_communication
from flo_comms.job_emails import change_status, request_application_update
from flo_comms.jobs import ApplicationStatus, create_application, create_job
from flo_comms.timeline import TimelineFilter, candidate_timeline


@pytest.fixture
def log(engine, recruiter, make_draft, candidate_id):
    """Log a call to Casey from her profile; keyword arguments change the form."""

    def log_one(**changes) -> int:
        return log_communication(
            engine,
            recruiter,
            make_draft(**changes),
            logged_from_candidate_id=candidate_id,
        )

    return log_one


EVERYTHING = TimelineFilter()


def subjects_on_tab(engine, candidate_id, criteria=EVERYTHING) -> list[str]:
    page = candidate_timeline(engine, candidate_id, criteria, page_size=100)
    return [entry.subject for entry in page.entries]


def test_the_newest_entry_comes_first(engine, candidate_id, log):
    log(subject="March call", occurred_local=datetime(2026, 3, 2, 10, 0))
    log(subject="January call", occurred_local=datetime(2026, 1, 5, 10, 0))
    log(subject="May call", occurred_local=datetime(2026, 5, 20, 10, 0))

    subjects = subjects_on_tab(engine, candidate_id)

    assert subjects == ["May call", "March call", "January call"]


def test_seven_entries_fill_three_pages_of_three_without_overlap(
    engine, candidate_id, log
):
    logged = [
        log(subject=f"Call {day}", occurred_local=datetime(2026, 2, day, 10, 0))
        for day in range(1, 8)
    ]

    pages = [
        candidate_timeline(engine, candidate_id, page=number, page_size=3)
        for number in (1, 2, 3)
    ]

    assert [len(page.entries) for page in pages] == [3, 3, 1]
    assert {page.total for page in pages} == {7}
    assert {page.page_count for page in pages} == {3}
    paged_ids = [entry.id for page in pages for entry in page.entries]
    assert paged_ids == list(reversed(logged))


def test_a_page_past_the_end_is_empty_but_still_knows_the_total(
    engine, candidate_id, log
):
    log()

    page = candidate_timeline(engine, candidate_id, page=5, page_size=3)

    assert (page.entries, page.total) == ([], 1)


def test_a_filtered_tab_counts_only_the_matches_on_every_page(
    engine, candidate_id, log
):
    for day in range(1, 9):
        subject = f"Salary call {day}" if day % 3 else f"Intro call {day}"
        log(subject=subject, occurred_local=datetime(2026, 2, day, 10, 0))
    salary = TimelineFilter(text="salary")

    pages = [
        candidate_timeline(engine, candidate_id, salary, page=number, page_size=2)
        for number in (1, 2, 3, 4)
    ]

    assert [page.total for page in pages] == [6, 6, 6, 6]
    assert [len(page.entries) for page in pages] == [2, 2, 2, 0]
    assert [entry.subject for entry in pages[0].entries] == [
        "Salary call 8",
        "Salary call 7",
    ]


def test_entries_of_other_candidates_are_not_on_the_tab(
    engine, recruiter, make_draft, candidate_id, other_candidate_id, log
):
    log(subject="Call with Casey")
    olive_only = make_draft(
        subject="Call with Olive", recipient_candidate_ids=(other_candidate_id,)
    )

    log_communication(engine, recruiter, olive_only)

    assert subjects_on_tab(engine, candidate_id) == ["Call with Casey"]
    assert subjects_on_tab(engine, other_candidate_id) == ["Call with Olive"]


def test_deleted_entries_are_left_out_of_the_tab_and_its_total(
    engine, recruiter, candidate_id, log
):
    log(subject="Kept call")
    withdrawn = log(subject="Logged by mistake")

    delete_communication(engine, recruiter, withdrawn)

    page = candidate_timeline(engine, candidate_id)
    assert [entry.subject for entry in page.entries] == ["Kept call"]
    assert page.total == 1


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ({"system"}, ["Your application: Interview Scheduled"]),
        ({"manual"}, ["Intro call about the Data Analyst role"]),
        (
            set(),
            [
                "Intro call about the Data Analyst role",
                "Your application: Interview Scheduled",
            ],
        ),
    ],
    ids=["system", "manual", "both"],
)
def test_the_tab_filters_by_source(
    engine, recruiter, candidate_id, log, add_system_email, sources, expected
):
    add_system_email(
        candidate_id, sent_by=recruiter, occurred_at=datetime(2026, 1, 10, tzinfo=UTC)
    )
    log(occurred_local=datetime(2026, 1, 15, 9, 0))

    subjects = subjects_on_tab(
        engine, candidate_id, TimelineFilter(sources=frozenset(sources))
    )

    assert subjects == expected


def test_the_tab_filters_by_communication_type(engine, candidate_id, log):
    log(subject="Phoned Casey", comm_type="phone call")
    log(subject="Emailed Casey", comm_type="email")
    log(subject="Texted Casey", comm_type="text message")

    subjects = subjects_on_tab(
        engine,
        candidate_id,
        TimelineFilter(comm_types=frozenset({"email", "text message"})),
    )

    assert sorted(subjects) == ["Emailed Casey", "Texted Casey"]


@pytest.fixture
def late_evening_call(engine, recruiter, make_draft) -> int:
    """23:30 in New York on 15 January, which is 04:30 on 16 January in UTC."""
    draft = make_draft(
        subject="Late call",
        occurred_local=datetime(2026, 1, 15, 23, 30),
        time_zone="America/New_York",
    )
    return log_communication(engine, recruiter, draft)


@pytest.mark.parametrize(
    ("start", "end", "zone", "shown"),
    [
        (date(2026, 1, 15), date(2026, 1, 15), "America/New_York", True),
        (date(2026, 1, 16), date(2026, 1, 16), "America/New_York", False),
        (date(2026, 1, 16), date(2026, 1, 16), "UTC", True),
        (date(2026, 1, 15), date(2026, 1, 15), "UTC", False),
        (None, date(2026, 1, 15), "America/New_York", True),
    ],
    ids=[
        "the 15th in New York",
        "the 16th in New York",
        "the 16th in UTC",
        "the 15th in UTC",
        "up to the 15th in New York",
    ],
)
def test_a_date_range_means_whole_days_in_the_viewers_time_zone(
    engine, candidate_id, late_evening_call, start, end, zone, shown
):
    criteria = TimelineFilter(start_date=start, end_date=end, time_zone=zone)

    subjects = subjects_on_tab(engine, candidate_id, criteria)

    assert subjects == (["Late call"] if shown else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SALARY", ["Salary expectations"]),
        ("  relocation ", ["Questions about moving"]),
        ("casey", ["Questions about moving", "Salary expectations"]),
        ("offer letter", []),
    ],
)
def test_search_finds_text_in_subject_or_body_whatever_its_case(
    engine, candidate_id, log, text, expected
):
    log(subject="Salary expectations", description="Casey asked about the range.")
    log(subject="Questions about moving", description="Casey asked about RELOCATION.")

    subjects = subjects_on_tab(engine, candidate_id, TimelineFilter(text=text))

    assert sorted(subjects) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50%", ["Offer at 50% of the range"]),
        ("f_c", ["Ref_check booked"]),
        ("\\", ["Path C:\\offers"]),
    ],
    ids=["percent", "underscore", "backslash"],
)
def test_wildcards_typed_into_search_match_only_themselves(
    engine, candidate_id, log, text, expected
):
    for subject in (
        "Offer at 50% of the range",
        "Offer at 50 of the range",
        "Ref_check booked",
        "Refxcheck booked",
        "Path C:\\offers",
        "Path C:offers",
    ):
        log(subject=subject)

    subjects = subjects_on_tab(engine, candidate_id, TimelineFilter(text=text))

    assert subjects == expected


def test_the_tab_narrows_to_a_job_and_to_an_email_kind(
    engine, admin, recruiter, candidate_id, make_draft
):
    sender = "Flo <no-reply@example.com>"
    analyst = create_job(engine, "Data Analyst")
    designer = create_job(engine, "Product Designer")
    first = create_application(engine, analyst, candidate_id)
    second = create_application(engine, designer, candidate_id)
    change_status(
        engine, admin, first, ApplicationStatus.INTERVIEW_SCHEDULED, from_address=sender
    )
    change_status(engine, admin, second, ApplicationStatus.OFFER, from_address=sender)
    request_application_update(engine, admin, first, "Please", from_address=sender)
    log_communication(
        engine, recruiter, make_draft(), logged_from_candidate_id=candidate_id
    )

    by_job = candidate_timeline(
        engine, candidate_id, TimelineFilter(job_ids=frozenset({analyst}))
    )
    by_kind = candidate_timeline(
        engine, candidate_id, TimelineFilter(email_kinds=frozenset({"job status"}))
    )

    assert sorted((e.job_title, e.email_kind) for e in by_job.entries) == [
        ("Data Analyst", "job status"),
        ("Data Analyst", "update application request"),
    ]
    assert sorted(e.job_title for e in by_kind.entries) == [
        "Data Analyst",
        "Product Designer",
    ]
    assert candidate_timeline(engine, candidate_id).total == 4
