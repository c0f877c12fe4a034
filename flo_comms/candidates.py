"""Candidates: creating them, finding them, and their contact summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.db import contains_text
from flo_comms.errors import NotFound, ValidationError
from flo_comms.members import EMAIL_PATTERN, normalise_email
from flo_comms.schema import (
    agencies,
    agency_contacts,
    candidates,
    timeline_entries,
)
from flo_comms.timezones import now_utc

SEARCH_PAGE_SIZE = 25
MAX_NAME_LENGTH = 120


class CandidateSource(StrEnum):
    CAREER_SITE = "career site"
    REFERRAL = "referral"
    AGENCY = "agency"
    JOB_BOARD = "job board"
    LINKEDIN = "LinkedIn"
    OUTREACH_EVENT = "outreach event"


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    email: str | None
    phone: str | None
    source: CandidateSource
    agency_contact_id: int | None
    agency_contact_name: str | None
    agency_name: str | None
    created_at: datetime


@dataclass(frozen=True)
class CandidateSummary:
    """One row of the candidates list."""

    id: int
    name: str
    email: str | None
    source: str
    last_contact_at: datetime | None
    communication_count: int


@dataclass(frozen=True)
class CandidatePage:
    rows: list[CandidateSummary]
    total: int


def create_candidate(
    engine: Engine,
    *,
    name: str,
    email: str | None,
    source: CandidateSource | str,
    phone: str | None = None,
    agency_contact_id: int | None = None,
) -> int:
    """Add a candidate and return the id."""
    with engine.begin() as connection:
        return insert_candidate(
            connection,
            name=name,
            email=email,
            source=source,
            phone=phone,
            agency_contact_id=agency_contact_id,
        )


def insert_candidate(
    connection: Connection,
    *,
    name: str,
    email: str | None,
    source: CandidateSource | str,
    phone: str | None = None,
    agency_contact_id: int | None = None,
    at: datetime | None = None,
) -> int:
    """create_candidate inside the caller's transaction."""
    name = " ".join(name.split())
    email = normalise_email(email) if email and email.strip() else None
    errors = {}
    if not name:
        errors["name"] = "Enter the candidate's name."
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = f"Shorten the name to {MAX_NAME_LENGTH} characters."
    if email and not EMAIL_PATTERN.match(email):
        errors["email"] = "Enter an email address like name@example.com, or none."
    if source not in {s.value for s in CandidateSource}:
        errors["source"] = "Choose a known source."
    if agency_contact_id is not None and source != CandidateSource.AGENCY:
        errors["agency_contact_id"] = "Only agency candidates have an agency contact."
    if errors:
        raise ValidationError(errors)
    return connection.execute(
        candidates.insert()
        .values(
            name=name,
            email=email,
            phone=phone,
            source=str(source),
            agency_contact_id=agency_contact_id,
            created_at=at or now_utc(),
        )
        .returning(candidates.c.id)
    ).scalar_one()


def find_candidate_by_email(connection: Connection, email: str) -> int | None:
    """The earliest candidate with this address (ignoring case), if any.

    Addresses are not unique among candidates (one person may be entered twice
    before anyone merges them); the oldest record is the one to keep using.
    """
    return connection.execute(
        sa.select(candidates.c.id)
        .where(sa.func.lower(candidates.c.email) == normalise_email(email).lower())
        .order_by(candidates.c.id)
        .limit(1)
    ).scalar_one_or_none()


def get_candidate(engine: Engine, candidate_id: int) -> Candidate:
    """One candidate, with the agency contact who submitted them, if any."""
    query = (
        sa.select(
            candidates.c.id,
            candidates.c.name,
            candidates.c.email,
            candidates.c.phone,
            candidates.c.source,
            candidates.c.agency_contact_id,
            agency_contacts.c.name.label("agency_contact_name"),
            agencies.c.name.label("agency_name"),
            candidates.c.created_at,
        )
        .select_from(candidates)
        .outerjoin(
            agency_contacts, agency_contacts.c.id == candidates.c.agency_contact_id
        )
        .outerjoin(agencies, agencies.c.id == agency_contacts.c.agency_id)
        .where(candidates.c.id == candidate_id)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"No candidate has id {candidate_id}.")
    return Candidate(**{**row._asdict(), "source": CandidateSource(row.source)})


def _matching(text: str) -> sa.ColumnElement[bool]:
    return sa.or_(
        contains_text(candidates.c.name, text),
        contains_text(sa.func.coalesce(candidates.c.email, ""), text),
    )


def search_candidates(
    engine: Engine, text: str = "", *, page: int = 1, page_size: int = SEARCH_PAGE_SIZE
) -> CandidatePage:
    """Candidates whose name or email contains ``text``, by name, one page at a time.

    Each row carries the latest contact date and the number of communications
    on the candidate's tab (deleted entries excluded), computed in the database
    for the candidates of this page only.
    """
    condition = _matching(text.strip()) if text.strip() else sa.true()
    page_rows = (
        sa.select(
            candidates.c.id, candidates.c.name, candidates.c.email, candidates.c.source
        )
        .where(condition)
        .order_by(sa.func.lower(candidates.c.name), candidates.c.id)
        .limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
        .cte("page_rows")
    )
    # From the tabs' reading copy: live entries only, no join to the entries.
    contact = (
        sa.select(
            timeline_entries.c.candidate_id,
            sa.func.max(timeline_entries.c.occurred_at).label("last_contact_at"),
            sa.func.count().label("communication_count"),
        )
        .where(timeline_entries.c.candidate_id.in_(sa.select(page_rows.c.id)))
        .group_by(timeline_entries.c.candidate_id)
        .subquery("contact")
    )
    query = (
        sa.select(
            page_rows.c.id,
            page_rows.c.name,
            page_rows.c.email,
            page_rows.c.source,
            contact.c.last_contact_at,
            sa.func.coalesce(contact.c.communication_count, 0),
        )
        .select_from(page_rows)
        .outerjoin(contact, contact.c.candidate_id == page_rows.c.id)
        .order_by(sa.func.lower(page_rows.c.name), page_rows.c.id)
    )
    total_query = sa.select(sa.func.count()).select_from(candidates).where(condition)
    with engine.connect() as connection:
        rows = [CandidateSummary(*row) for row in connection.execute(query)]
        total = connection.execute(total_query).scalar_one()
    return CandidatePage(rows=rows, total=total)


def candidate_names(engine: Engine, candidate_ids: list[int]) -> dict[int, str]:
    """Names for the given ids, for labelling pickers."""
    if not candidate_ids:
        return {}
    query = sa.select(candidates.c.id, candidates.c.name).where(
        candidates.c.id.in_(candidate_ids)
    )
    with engine.connect() as connection:
        return dict(connection.execute(query).all())


def count_candidates(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(candidates)
        ).scalar_one()
