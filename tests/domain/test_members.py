"""Members: creating accounts, the checks on them, and signing in."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from flo_comms.errors import ValidationError
from flo_comms.members import (
    Role,
    authenticate,
    count_members,
    create_member,
    list_members,
)
from flo_comms.schema import members

PASSWORD = "correct horse battery"
RITA = {
    "name": "Rita Recruiter",
    "email": "rita.recruiter@example.com",
    "role": "recruiter",
    "password": PASSWORD,
    "time_zone": "Europe/Berlin",
}


@pytest.mark.parametrize(
    ("field", "bad_value", "message_says"),
    [
        ("name", "   ", "Enter the member's name."),
        ("email", "rita.recruiter", "name@example.com"),
        ("role", "owner", "admin, recruiter, manager"),
        ("password", "too short", "at least 10 characters"),
        ("time_zone", "Mars/Olympus_Mons", "'Mars/Olympus_Mons' is not a time zone"),
    ],
)
def test_a_bad_field_is_refused_with_its_own_message_and_nothing_is_saved(
    engine, field, bad_value, message_says
):
    with pytest.raises(ValidationError) as refusal:
        create_member(engine, **{**RITA, field: bad_value})

    assert set(refusal.value.errors) == {field}
    assert message_says in refusal.value.errors[field]
    assert count_members(engine) == 0


def test_every_bad_field_is_reported_at_once(engine):
    with pytest.raises(ValidationError) as refusal:
        create_member(
            engine,
            name="",
            email="nobody",
            role="owner",
            password="short",
            time_zone="Nowhere",
        )

    assert set(refusal.value.errors) == {
        "name",
        "email",
        "role",
        "password",
        "time_zone",
    }


def test_a_new_member_is_saved_with_a_tidied_address(engine):
    rita = create_member(
        engine, **{**RITA, "name": "  Rita Recruiter ", "email": " Rita@Example.COM "}
    )

    assert list_members(engine) == [rita]
    assert rita.name == "Rita Recruiter"
    assert rita.email == "rita@example.com"
    assert rita.role is Role.RECRUITER


def test_an_address_that_already_has_an_account_is_refused(engine):
    create_member(engine, **RITA)

    with pytest.raises(ValidationError) as refusal:
        create_member(
            engine,
            **{**RITA, "name": "Rita Again", "email": "RITA.Recruiter@example.com"},
        )

    assert set(refusal.value.errors) == {"email"}
    assert "already has an account" in refusal.value.errors["email"]
    assert count_members(engine) == 1


def test_the_password_is_stored_only_as_an_argon2_hash_at_full_strength(
    engine, monkeypatch
):
    monkeypatch.undo()  # the production hasher, not the light one of conftest
    rita = create_member(engine, **RITA)

    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(members.c.password_hash).where(members.c.id == rita.id)
        ).scalar_one()

    assert stored.startswith("$argon2")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)
    # Made with argon2-cffi's current recommended settings, not weaker ones.
    assert not PasswordHasher().check_needs_rehash(stored)


@pytest.fixture
def rita(engine):
    return create_member(engine, **RITA)


def test_the_right_password_signs_the_member_in(engine, rita):
    signed_in = authenticate(engine, RITA["email"], PASSWORD)

    assert signed_in == rita


def test_the_address_is_matched_whatever_its_case_and_spaces(engine, rita):
    signed_in = authenticate(engine, "  RITA.Recruiter@Example.com ", PASSWORD)

    assert signed_in == rita


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (RITA["email"], "correct horse battery staple"),
        (RITA["email"], ""),
        ("nobody@example.com", PASSWORD),
    ],
    ids=["wrong password", "empty password", "unknown address"],
)
def test_a_wrong_password_or_unknown_address_signs_no_one_in(
    engine, rita, email, password
):
    signed_in = authenticate(engine, email, password)

    assert signed_in is None


def test_a_deactivated_member_cannot_sign_in(engine, rita):
    with engine.begin() as connection:
        connection.execute(
            members.update().where(members.c.id == rita.id).values(active=False)
        )

    signed_in = authenticate(engine, RITA["email"], PASSWORD)

    assert signed_in is None


@pytest.mark.parametrize(
    ("role", "may_log"),
    [(Role.ADMIN, True), (Role.RECRUITER, True), (Role.MANAGER, False)],
)
def test_admins_and_recruiters_log_communications_and_managers_only_read(role, may_log):
    assert role.can_log_communications is may_log


@pytest.mark.parametrize(
    "address",
    ["ms..x@example.com", ".x@example.com", "x.@example.com", "x@example..com"],
)
def test_an_address_with_an_empty_part_between_dots_is_refused(engine, address):
    with pytest.raises(ValidationError) as refusal:
        create_member(
            engine, name="Dot Dot", email=address, role="admin", password="x" * 12
        )

    assert "email" in refusal.value.errors
