"""Jobs and the applications candidates make to them."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.engine import Engine

from flo_comms.errors import ValidationError
from flo_comms.schema import applications, jobs
from flo_comms.timezones import now_utc


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


def create_application(engine: Engine, job_id: int, candidate_id: int) -> int:
    """Record a candidate's application to a job, in status New."""
    now = now_utc()
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
