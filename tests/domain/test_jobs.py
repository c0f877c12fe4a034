"""Jobs, their pipelines, and the members a job's emails copy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flo_comms.agencies import create_agency, create_agency_contact
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.errors import NotFound, PermissionDenied, ValidationError
from flo_comms.job_emails import change_status
from flo_comms.jobs import (
    ApplicationStatus,
    candidate_applications,
    create_application,
    create_job,
    get_application,
    get_job,
    job_email_copies,
    job_pipeline,
    list_jobs,
    set_job_email_copies,
)
from flo_comms.schema import job_email_copies as copies_table

FROM = "Flo Recruiting <jobs@flo.test>"
Status = ApplicationStatus


@pytest.fixture
def job_id(engine) -> int:
    return create_job(engine, "Data Analyst", "Berlin")


def test_jobs_are_listed_by_title_with_their_number_of_applications(
    engine, candidate_id, other_candidate_id
):
    designer = create_job(engine, "product Designer")
    analyst = create_job(engine, "Data Analyst", "Berlin")
    create_application(engine, analyst, candidate_id)
    create_application(engine, analyst, other_candidate_id)

    jobs = list_jobs(engine)

    assert [(j.id, j.title, j.location, j.application_count) for j in jobs] == [
        (analyst, "Data Analyst", "Berlin", 2),
        (designer, "product Designer", None, 0),
    ]
    assert get_job(engine, designer) == jobs[1]


def test_an_unknown_job_or_application_is_not_found(engine):
    with pytest.raises(NotFound, match="No job has id 404"):
        get_job(engine, 404)
    with pytest.raises(NotFound, match="No application has id 404"):
        get_application(engine, 404)


def test_a_pipeline_lists_applications_in_status_order_then_by_name_one_page_at_a_time(
    engine, recruiter, job_id
):
    agency = create_agency(engine, "Northwind Talent Partners")
    contact = create_agency_contact(engine, agency, "Avery Agent", "avery@nw.example")
    names = ["Yara Young", "Abel Adams", "Mia Moss", "Dana Delegated"]
    applications = {}
    for name in names:
        agency_candidate = name == "Dana Delegated"
        candidate = create_candidate(
            engine,
            name=name,
            email=None,
            source=CandidateSource.AGENCY if agency_candidate else "referral",
            agency_contact_id=contact if agency_candidate else None,
        )
        applications[name] = create_application(engine, job_id, candidate)
    change_status(
        engine, recruiter, applications["Abel Adams"], Status.OFFER, from_address=FROM
    )

    first = job_pipeline(engine, job_id, page=1, page_size=3)
    second = job_pipeline(engine, job_id, page=2, page_size=3)

    assert [(e.candidate_name, e.status) for e in first.entries + second.entries] == [
        ("Dana Delegated", Status.NEW),
        ("Mia Moss", Status.NEW),
        ("Yara Young", Status.NEW),
        ("Abel Adams", Status.OFFER),
    ]
    assert (first.total, first.page_count, len(second.entries)) == (4, 2, 1)
    dana = first.entries[0]
    assert (dana.source, dana.agency_contact_name, dana.agency_name) == (
        "agency",
        "Avery Agent",
        "Northwind Talent Partners",
    )
    offers = job_pipeline(engine, job_id, status=Status.OFFER)
    assert [e.application_id for e in offers.entries] == [applications["Abel Adams"]]


def test_a_candidates_applications_show_each_jobs_title_and_status(
    engine, candidate_id, job_id
):
    designer = create_job(engine, "Product Designer")
    earlier = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    create_application(engine, designer, candidate_id, applied_at=earlier)
    create_application(engine, job_id, candidate_id)

    shown = candidate_applications(engine, candidate_id)

    assert [(a.job_title, a.status, a.candidate_name) for a in shown] == [
        ("Data Analyst", Status.NEW, "Casey Candidate"),
        ("Product Designer", Status.NEW, "Casey Candidate"),
    ]
    assert shown[1].status_changed_at == earlier


def test_a_jobs_cc_and_bcc_are_replaced_by_each_save(
    engine, admin, recruiter, manager, job_id, rows_in
):
    set_job_email_copies(engine, recruiter, job_id, [admin.id, recruiter.id], [])

    # Rita moves from cc to bcc, Ada leaves, Manu joins: only the differences
    # are written, and no key column is ever updated.
    copies = set_job_email_copies(
        engine, recruiter, job_id, [manager.id], [recruiter.id]
    )

    assert ([m.name for m in copies.cc], [m.name for m in copies.bcc]) == (
        ["Manu Manager"],
        ["Rita Recruiter"],
    )
    assert job_email_copies(engine, job_id) == copies
    assert rows_in(copies_table) == 2


def test_a_member_in_both_cc_and_bcc_is_refused(engine, admin, recruiter, job_id):
    with pytest.raises(ValidationError) as refused:
        set_job_email_copies(engine, admin, job_id, [recruiter.id], [recruiter.id])

    assert refused.value.errors == {
        "bcc": "Rita Recruiter is in cc already; put each member in cc or bcc, "
        "not both."
    }
    assert job_email_copies(engine, job_id).cc == ()


def test_copies_for_an_unknown_job_or_member_are_refused(engine, admin, job_id):
    with pytest.raises(NotFound):
        set_job_email_copies(engine, admin, 404, [admin.id], [])
    with pytest.raises(ValidationError) as refused:
        set_job_email_copies(engine, admin, job_id, [], [404])

    assert "no longer active" in refused.value.errors["bcc"]


def test_a_manager_may_not_change_a_jobs_copies(engine, manager, job_id):
    with pytest.raises(PermissionDenied):
        set_job_email_copies(engine, manager, job_id, [manager.id], [])

    assert job_email_copies(engine, job_id).cc == ()
