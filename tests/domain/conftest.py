"""Helpers for the domain tests: drafts of the form, system emails, row counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from flo_comms import members
from flo_comms.communications import CommunicationDraft
from flo_comms.members import Member
from flo_comms.schema import communication_candidates, communications

# A Thursday in January: New York is on EST (UTC-5), Berlin on CET (UTC+1).
JANUARY_MORNING = datetime(2026, 1, 15, 9, 0)


@pytest.fixture(autouse=True)
def light_password_hashing(monkeypatch) -> None:
    """Argon2 at its lightest settings: the same kind of hash, far faster.

    The defaults (64 MiB, three passes) take a tenth of a second a member on an
    idle machine and several times that on a busy one, and nearly every test
    creates a member or two. test_members checks the defaults themselves.
    """
    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(members, "_hasher", light)


@pytest.fixture
def make_draft(
    recruiter: Member, candidate_id: int
) -> Callable[..., CommunicationDraft]:
    """A valid form as the recruiter fills it in; keyword arguments change fields."""

    def make(**changes) -> CommunicationDraft:
        fields = {
            "comm_type": "phone call",
            "occurred_local": JANUARY_MORNING,
            "time_zone": recruiter.time_zone,
            "sender_member_ids": (recruiter.id,),
            "recipient_candidate_ids": (candidate_id,),
            "recipient_member_ids": (),
            "subject": "Intro call about the Data Analyst role",
            "description": "Talked through the role and the interview steps.",
        }
        return CommunicationDraft(**{**fields, **changes})

    return make


@pytest.fixture
def add_system_email(engine: Engine) -> Callable[..., int]:
    """Write a system-sent email straight into the tables, as a job email would be."""

    def add(
        candidate_id: int,
        *,
        sent_by: Member,
        subject: str = "Your application: Interview Scheduled",
        occurred_at: datetime = datetime(2026, 1, 10, 12, 0, tzinfo=UTC),
    ) -> int:
        with engine.begin() as connection:
            communication_id = connection.execute(
                communications.insert()
                .values(
                    source="system",
                    comm_type="email",
                    email_kind="job status",
                    subject=subject,
                    body="We would like to invite you to an interview.",
                    occurred_at=occurred_at,
                    logged_by=sent_by.id,
                    logged_at=occurred_at,
                )
                .returning(communications.c.id)
            ).scalar_one()
            connection.execute(
                communication_candidates.insert().values(
                    candidate_id=candidate_id,
                    communication_id=communication_id,
                    reason="concerns",
                )
            )
        return communication_id

    return add


@pytest.fixture
def rows_in(engine: Engine) -> Callable[[sa.Table], int]:
    """How many rows a table holds, deleted or not."""

    def count(table: sa.Table) -> int:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()

    return count
