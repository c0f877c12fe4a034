"""Outside recruiting agencies and the contacts who submit candidates."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.errors import ValidationError
from flo_comms.members import EMAIL_PATTERN, normalise_email
from flo_comms.schema import agencies, agency_contacts
from flo_comms.timezones import now_utc


@dataclass(frozen=True)
class AgencyContact:
    id: int
    agency_id: int
    agency_name: str
    name: str
    email: str


def create_agency(engine: Engine, name: str) -> int:
    """Create an agency and return its id."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter the agency's name."})
    with engine.begin() as connection:
        return connection.execute(
            agencies.insert()
            .values(name=name, created_at=now_utc())
            .returning(agencies.c.id)
        ).scalar_one()


def create_agency_contact(engine: Engine, agency_id: int, name: str, email: str) -> int:
    """Add a recruiter at an agency and return the contact's id."""
    name, email = name.strip(), normalise_email(email)
    errors = {}
    if not name:
        errors["name"] = "Enter the contact's name."
    if not EMAIL_PATTERN.match(email):
        errors["email"] = "Enter an email address like name@example.com."
    if errors:
        raise ValidationError(errors)
    with engine.begin() as connection:
        return connection.execute(
            agency_contacts.insert()
            .values(agency_id=agency_id, name=name, email=email, created_at=now_utc())
            .returning(agency_contacts.c.id)
        ).scalar_one()


def list_agency_contacts(engine: Engine) -> list[AgencyContact]:
    """Every agency contact, by agency then name."""
    query = (
        sa.select(
            agency_contacts.c.id,
            agency_contacts.c.agency_id,
            agencies.c.name.label("agency_name"),
            agency_contacts.c.name,
            agency_contacts.c.email,
        )
        .join(agencies, agencies.c.id == agency_contacts.c.agency_id)
        .order_by(agencies.c.name, agency_contacts.c.name)
    )
    with engine.connect() as connection:
        return [AgencyContact(*row) for row in connection.execute(query)]
