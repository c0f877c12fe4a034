"""Several requests for one new address at once make one candidate, one email."""

from __future__ import annotations

import threading
from datetime import date, time

import sqlalchemy as sa

from flo_comms.event_rules import EventType
from flo_comms.events import EventDetails, create_event, get_event
from flo_comms.registrations import NewPerson, add_candidates, register_by_link
from flo_comms.schema import candidates, communications, event_registrations

FROM = "Flo Communications <flo@example.com>"


def _webinar(engine, admin) -> int:
    return create_event(
        engine,
        admin,
        EventDetails(
            event_type=EventType.WEBINAR,
            invite_only=False,
            title="Careers in data",
            day=date(2099, 6, 1),
            start_time=time(17),
            end_time=time(18),
            time_zone="Europe/Paris",
            link="https://meet.example.org/data",
        ),
    )


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in (candidates, event_registrations, communications)
        )


def _at_once(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # reported by the assertion below
            results[index] = error

    threads = [
        threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_registrations_of_one_new_address_at_once_make_one_candidate(engine, admin):
    token = get_event(engine, _webinar(engine, admin)).registration_token
    before = _counts(engine)

    def register():
        return register_by_link(
            engine,
            token,
            name="Noor Haddad",
            email="noor@example.org",
            from_address=FROM,
        )

    results = _at_once(register, register, register)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.already_registered for r in results) == [False, True, True]
    assert len({r.candidate_id for r in results}) == 1
    assert _counts(engine) == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_a_link_registration_racing_a_member_adding_the_same_address(engine, admin):
    event_id = _webinar(engine, admin)
    token = get_event(engine, event_id).registration_token
    before = _counts(engine)

    results = _at_once(
        lambda: register_by_link(
            engine,
            token,
            name="Noor Haddad",
            email="NOOR@example.org",
            from_address=FROM,
        ),
        lambda: add_candidates(
            engine,
            admin,
            event_id,
            new_people=[NewPerson("Noor Haddad", "noor@example.org")],
            request_profile=False,
            from_address=FROM,
        ),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert _counts(engine) == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_emails_without_a_member_name_the_configured_sender_once(engine, admin):
    token = get_event(engine, _webinar(engine, admin)).registration_token
    register_by_link(
        engine, token, name="Noor Haddad", email="noor@example.org", from_address=FROM
    )

    with engine.connect() as connection:
        sender = connection.execute(
            sa.text(
                "select name, address from communication_participants "
                "where role = 'sender'"
            )
        ).one()
    assert tuple(sender) == ("Flo Communications", "flo@example.com")
