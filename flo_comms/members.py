"""Members of the dashboard: accounts, roles, sign-in."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from flo_comms.errors import NotFound, ValidationError
from flo_comms.schema import members
from flo_comms.timezones import is_time_zone, now_utc

logger = logging.getLogger(__name__)

_hasher = PasswordHasher()
# Verified against when an address is unknown, so that a wrong address costs as
# much time as a wrong password and does not reveal which addresses exist.
_UNKNOWN_MEMBER_HASH = _hasher.hash("no member has this password")

# name@example.com: no spaces, no empty part between dots on either side.
EMAIL_PATTERN = re.compile(r"^[^@\s.]+(\.[^@\s.]+)*@[^@\s.]+(\.[^@\s.]+)+$")
MIN_PASSWORD_LENGTH = 10


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    MANAGER = "manager"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def can_log_communications(self) -> bool:
        """Admins and recruiters log communications; managers only read."""
        return self in (Role.ADMIN, Role.RECRUITER)


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    email: str
    role: Role
    time_zone: str


def _member(row: sa.Row) -> Member:
    return Member(
        id=row.id,
        name=row.name,
        email=row.email,
        role=Role(row.role),
        time_zone=row.time_zone,
    )


_COLUMNS = (
    members.c.id,
    members.c.name,
    members.c.email,
    members.c.role,
    members.c.time_zone,
)


def normalise_email(address: str) -> str:
    return address.strip().lower()


def create_member(
    engine: Engine,
    *,
    name: str,
    email: str,
    role: str,
    password: str,
    time_zone: str = "UTC",
) -> Member:
    """Create a member with an argon2 hash of the password."""
    name, email = name.strip(), normalise_email(email)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter the member's name."
    if not EMAIL_PATTERN.match(email):
        errors["email"] = "Enter an email address like name@example.com."
    if role not in {r.value for r in Role}:
        errors["role"] = "Choose one of: " + ", ".join(r.value for r in Role) + "."
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = (
            f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."
        )
    if not is_time_zone(time_zone):
        errors["time_zone"] = f"{time_zone!r} is not a time zone name."
    if errors:
        raise ValidationError(errors)

    with engine.begin() as connection:
        taken = connection.execute(
            sa.select(members.c.id).where(members.c.email == email)
        ).first()
        if taken:
            raise ValidationError({"email": f"{email} already has an account."})
        member_id = connection.execute(
            members.insert()
            .values(
                name=name,
                email=email,
                password_hash=_hasher.hash(password),
                role=role,
                time_zone=time_zone,
                active=True,
                created_at=now_utc(),
            )
            .returning(members.c.id)
        ).scalar_one()
    logger.info("member %s created with role %s", email, role)
    return Member(member_id, name, email, Role(role), time_zone)


def authenticate(engine: Engine, email: str, password: str) -> Member | None:
    """The active member with this address and password, else None."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(*_COLUMNS, members.c.password_hash).where(
                members.c.email == normalise_email(email), members.c.active
            )
        ).first()
    try:
        _hasher.verify(row.password_hash if row else _UNKNOWN_MEMBER_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return _member(row) if row else None


def get_member(engine: Engine, member_id: int) -> Member:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(*_COLUMNS).where(members.c.id == member_id)
        ).first()
    if row is None:
        raise NotFound(f"No member has id {member_id}.")
    return _member(row)


def list_members(engine: Engine) -> list[Member]:
    """Active members by name, for pickers."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(*_COLUMNS).where(members.c.active).order_by(members.c.name)
        ).all()
    return [_member(row) for row in rows]


def count_members(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(members)
        ).scalar_one()
