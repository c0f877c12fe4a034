"""Jobs, applications to them, and the members each job's emails copy."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.db import write_with_retry
from flo_comms.errors import NotFound, PermissionDenied, ValidationError
from flo_comms.members import Member, Role
from flo_comms.schema import (
    agencies,
    agency_contacts,
    applications,
    candidates,
    jobs,
    members,
)
from flo_comms.schema import (
    job_email_copies as copies_table,
)
from flo_comms.timezones import now_utc

logger = logging.getLogger(__name__)

PIPELINE_PAGE_SIZE = 25


class ApplicationStatus(StrEnum):
    NEW = "New"
    SCREENING = "Screening"
    INTERVIEW_SCHEDULED = "Interview Scheduled"
    INTERVIEWED = "Interviewed"
    OFFER = "Offer"
    HIRED = "Hired"
    REJECTED = "Rejected"
    WITHDRAWN = "Withdrawn"


def create_job(engine: Engine, title: str, location: str | None = None) -> int:
    """Open a job and return its id."""
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Enter the job's title."})
    with engine.begin() as connection:
        return connection.execute(
            jobs.insert()
            .values(title=title, location=location, is_open=True, created_at=now_utc())
            .returning(jobs.c.id)
        ).scalar_one()


def create_application(
    engine: Engine,
    job_id: int,
    candidate_id: int,
    *,
    applied_at: datetime | None = None,
) -> int:
    """Record a candidate's application to a job, in status New.

    ``applied_at`` is for the demo, which backdates a year of applications.
    """
    now = applied_at or now_utc()
    with engine.begin() as connection:
        return connection.execute(
            applications.insert()
            .values(
                job_id=job_id,
                candidate_id=candidate_id,
                status=ApplicationStatus.NEW.value,
                created_at=now,
                status_changed_at=now,
            )
            .returning(applications.c.id)
        ).scalar_one()


# --- reading jobs and pipelines -----------------------------------------------


@dataclass(frozen=True)
class Job:
    id: int
    title: str
    location: str | None
    is_open: bool
    created_at: datetime
    application_count: int


@dataclass(frozen=True)
class Application:
    """One candidate's application to one job, where the pipeline has it now."""

    id: int
    job_id: int
    job_title: str
    candidate_id: int
    candidate_name: str
    status: ApplicationStatus
    status_changed_at: datetime


@dataclass(frozen=True)
class PipelineEntry:
    """One row of a job's pipeline."""

    application_id: int
    candidate_id: int
    candidate_name: str
    candidate_email: str | None
    status: ApplicationStatus
    source: str
    agency_contact_id: int | None
    agency_contact_name: str | None
    agency_name: str | None
    status_changed_at: datetime


@dataclass(frozen=True)
class PipelinePage:
    entries: list[PipelineEntry]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _job_query() -> sa.Select:
    counts = (
        sa.select(applications.c.job_id, sa.func.count().label("application_count"))
        .group_by(applications.c.job_id)
        .subquery("counts")
    )
    return sa.select(
        jobs.c.id,
        jobs.c.title,
        jobs.c.location,
        jobs.c.is_open,
        jobs.c.created_at,
        sa.func.coalesce(counts.c.application_count, 0).label("application_count"),
    ).outerjoin(counts, counts.c.job_id == jobs.c.id)


def list_jobs(engine: Engine, *, open_only: bool = False) -> list[Job]:
    """Jobs by title, each with its number of applications."""
    query = _job_query().order_by(sa.func.lower(jobs.c.title), jobs.c.id)
    if open_only:
        query = query.where(jobs.c.is_open)
    with engine.connect() as connection:
        return [Job(*row) for row in connection.execute(query)]


def get_job(engine: Engine, job_id: int) -> Job:
    """One job; NotFound when there is none with this id."""
    with engine.connect() as connection:
        row = connection.execute(_job_query().where(jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound(f"No job has id {job_id}.")
    return Job(*row)


# Pipeline order: New first, the outcomes last.
_STATUS_ORDER = sa.case(
    {status.value: position for position, status in enumerate(ApplicationStatus)},
    value=applications.c.status,
    else_=len(ApplicationStatus),
)


def job_pipeline(
    engine: Engine,
    job_id: int,
    *,
    status: ApplicationStatus | None = None,
    page: int = 1,
    page_size: int = PIPELINE_PAGE_SIZE,
) -> PipelinePage:
    """One page of a job's applications, in pipeline order, then by name."""
    conditions = [applications.c.job_id == job_id]
    if status is not None:
        conditions.append(applications.c.status == ApplicationStatus(status).value)
    query = (
        sa.select(
            applications.c.id,
            candidates.c.id,
            candidates.c.name,
            candidates.c.email,
            applications.c.status,
            candidates.c.source,
            candidates.c.agency_contact_id,
            agency_contacts.c.name,
            agencies.c.name,
            applications.c.status_changed_at,
        )
        .select_from(applications)
        .join(candidates, candidates.c.id == applications.c.candidate_id)
        .outerjoin(
            agency_contacts, agency_contacts.c.id == candidates.c.agency_contact_id
        )
        .outerjoin(agencies, agencies.c.id == agency_contacts.c.agency_id)
        .where(*conditions)
        .order_by(_STATUS_ORDER, sa.func.lower(candidates.c.name), applications.c.id)
        .limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
    )
    total_query = (
        sa.select(sa.func.count()).select_from(applications).where(*conditions)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        total = connection.execute(total_query).scalar_one()
    entries = [
        PipelineEntry(*row[:4], ApplicationStatus(row[4]), *row[5:]) for row in rows
    ]
    return PipelinePage(entries=entries, total=total, page=page, page_size=page_size)


def _application_query() -> sa.Select:
    return (
        sa.select(
            applications.c.id,
            applications.c.job_id,
            jobs.c.title,
            applications.c.candidate_id,
            candidates.c.name,
            applications.c.status,
            applications.c.status_changed_at,
        )
        .join(jobs, jobs.c.id == applications.c.job_id)
        .join(candidates, candidates.c.id == applications.c.candidate_id)
    )


def _application(row: sa.Row) -> Application:
    return Application(*row[:5], ApplicationStatus(row[5]), row[6])


def get_application(engine: Engine, application_id: int) -> Application:
    """One application with its job's title and candidate's name."""
    query = _application_query().where(applications.c.id == application_id)
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"No application has id {application_id}.")
    return _application(row)


def candidate_applications(engine: Engine, candidate_id: int) -> list[Application]:
    """A candidate's applications, newest first, for the profile."""
    query = (
        _application_query()
        .where(applications.c.candidate_id == candidate_id)
        .order_by(applications.c.created_at.desc(), applications.c.id.desc())
    )
    with engine.connect() as connection:
        return [_application(row) for row in connection.execute(query)]


# --- members copied on a job's emails -----------------------------------------


class CopyKind(StrEnum):
    CC = "cc"
    BCC = "bcc"


@dataclass(frozen=True)
class JobEmailCopies:
    """The members a job's emails copy, visibly (cc) or not (bcc)."""

    cc: tuple[Member, ...] = ()
    bcc: tuple[Member, ...] = ()


def copies_for_job(connection: Connection, job_id: int) -> JobEmailCopies:
    """The job's cc and bcc, inside the caller's transaction; active members only."""
    rows = connection.execute(
        sa.select(
            copies_table.c.kind,
            members.c.id,
            members.c.name,
            members.c.email,
            members.c.role,
            members.c.time_zone,
        )
        .join(members, members.c.id == copies_table.c.member_id)
        .where(copies_table.c.job_id == job_id, members.c.active)
        .order_by(sa.func.lower(members.c.name), members.c.id)
    ).all()
    people = {
        kind: tuple(
            Member(row.id, row.name, row.email, Role(row.role), row.time_zone)
            for row in rows
            if row.kind == kind
        )
        for kind in CopyKind
    }
    return JobEmailCopies(cc=people[CopyKind.CC], bcc=people[CopyKind.BCC])


def job_email_copies(engine: Engine, job_id: int) -> JobEmailCopies:
    """The members in cc and bcc of every email this job sends."""
    with engine.connect() as connection:
        return copies_for_job(connection, job_id)


def set_job_email_copies(
    engine: Engine,
    member: Member,
    job_id: int,
    cc_member_ids: Iterable[int],
    bcc_member_ids: Iterable[int],
) -> JobEmailCopies:
    """Choose who the job's emails copy; admins and recruiters only."""
    if not member.role.can_log_communications:
        raise PermissionDenied(
            "Managers can read job settings; only admins and recruiters change them."
        )
    wanted = {i: CopyKind.CC for i in cc_member_ids}
    both = [i for i in bcc_member_ids if i in wanted]
    wanted |= {i: CopyKind.BCC for i in bcc_member_ids}

    def write(connection: Connection) -> JobEmailCopies:
        _check_copies(connection, job_id, wanted, both)
        current = dict(
            connection.execute(
                sa.select(copies_table.c.member_id, copies_table.c.kind).where(
                    copies_table.c.job_id == job_id
                )
            ).all()
        )
        _apply_copies(connection, job_id, current, wanted)
        return copies_for_job(connection, job_id)

    copies = write_with_retry(engine, write)
    logger.info("job %s email copies set by member %s", job_id, member.id)
    return copies


def _check_copies(
    connection: Connection, job_id: int, wanted: dict[int, CopyKind], both: list[int]
) -> None:
    job = connection.execute(sa.select(jobs.c.id).where(jobs.c.id == job_id)).first()
    if job is None:
        raise NotFound(f"No job has id {job_id}.")
    names = dict(
        connection.execute(
            sa.select(members.c.id, members.c.name).where(
                members.c.id.in_(list(wanted)), members.c.active
            )
        ).all()
    )
    errors = {}
    if both:
        errors["bcc"] = (
            f"{names.get(both[0], 'A member')} is in cc already; put each member "
            "in cc or bcc, not both."
        )
    for kind in CopyKind:
        if any(i not in names for i, k in wanted.items() if k == kind):
            errors[kind.value] = "A member you chose is no longer active; choose again."
    if errors:
        raise ValidationError(errors)


def _apply_copies(
    connection: Connection,
    job_id: int,
    current: dict[int, str],
    wanted: dict[int, CopyKind],
) -> None:
    # Only the differences are written: the key columns are never updated (on
    # DuckDB that is a delete plus an insert), only the plain kind column.
    removed = [i for i in current if i not in wanted]
    if removed:
        connection.execute(
            copies_table.delete().where(
                copies_table.c.job_id == job_id, copies_table.c.member_id.in_(removed)
            )
        )
    for member_id, kind in wanted.items():
        if member_id not in current:
            connection.execute(
                copies_table.insert().values(
                    job_id=job_id, member_id=member_id, kind=kind.value
                )
            )
        elif current[member_id] != kind.value:
            connection.execute(
                copies_table.update()
                .where(
                    copies_table.c.job_id == job_id,
                    copies_table.c.member_id == member_id,
                )
                .values(kind=kind.value)
            )
