"""Running the same database from several processes, and keeping secrets out."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import time as time_of_day
from datetime import timedelta
from email import message_from_bytes

import pytest
import sqlalchemy as sa

from flo_comms.cli import main
from flo_comms.communications import Participant, ParticipantRole
from flo_comms.config import PoolSettings, pool_settings
from flo_comms.db import create_engine, safe_url
from flo_comms.delivery import deliver_due, make_transport
from flo_comms.event_rules import EventType
from flo_comms.events import EventDetails, create_event
from flo_comms.mail_settings import mail_settings
from flo_comms.registrations import NewPerson, add_candidates
from flo_comms.schema import communication_candidates, communications, email_deliveries
from flo_comms.system_emails import EmailKind, SystemEmail, log_system_email
from flo_comms.timezones import now_utc

# Each process logs the same opened form at the same moment, as two dashboard
# processes behind a proxy would when a member double-clicks Save.
SUBMIT = """
import sys, time
from datetime import datetime
from flo_comms.communications import CommunicationDraft, log_communication
from flo_comms.db import create_engine
from flo_comms.members import get_member
url, member_id, candidate_id, token, start = sys.argv[1:]
engine = create_engine(url)
author = get_member(engine, int(member_id))
draft = CommunicationDraft(
    "phone call", datetime(2026, 1, 15, 9, 0), author.time_zone, (author.id,),
    (int(candidate_id),), (), "Same form, two processes", "",
)
time.sleep(max(0.0, float(start) - time.time()))
print(log_communication(engine, author, draft, form_token=token))
"""


# DuckDB lets one process open its file: several processes are PostgreSQL's job.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_processes_submitting_one_form_save_one_entry(
    engine, recruiter, candidate_id
):
    url = engine.url.render_as_string(hide_password=False)
    start = str(time.time() + 2.0)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                SUBMIT,
                url,
                str(recruiter.id),
                str(candidate_id),
                "token-from-one-form",
                start,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        for _ in range(2)
    ]
    results = [process.communicate(timeout=60) for process in processes]

    assert [p.returncode for p in processes] == [0, 0], results
    ids = {int(out.strip()) for out, _ in results}
    with engine.connect() as connection:
        saved = connection.execute(
            sa.select(sa.func.count()).select_from(communications)
        ).scalar_one()
    assert len(ids) == 1
    assert saved == 1


def test_pool_limits_come_from_the_environment():
    settings = pool_settings(
        {
            "FLO_COMMS_POOL_SIZE": "12",
            "FLO_COMMS_POOL_TIMEOUT": "4.5",
            "FLO_COMMS_CONNECT_TIMEOUT": "3",
        }
    )

    assert settings == PoolSettings(size=12, timeout=4.5, connect_timeout=3)
    assert pool_settings({}) == PoolSettings()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FLO_COMMS_POOL_SIZE", "many", "must be a number"),
        ("FLO_COMMS_POOL_TIMEOUT", "0", "must be above zero"),
    ],
)
def test_a_bad_pool_limit_is_refused_by_name(variable, value, message):
    with pytest.raises(ValueError, match=f"{variable} {message}"):
        pool_settings({variable: value})


def test_an_engine_uses_the_configured_pool_size(tmp_path):
    engine = create_engine(
        f"duckdb:///{tmp_path / 'pool.duckdb'}", PoolSettings(size=7, timeout=2)
    )

    assert engine.pool.size() == 7
    assert engine.pool.timeout() == 2
    engine.dispose()


def test_a_url_shown_in_messages_never_holds_its_password():
    assert safe_url("postgresql://flo:s3cret@db:5432/flo") == (
        "postgresql://flo:***@db:5432/flo"
    )


def test_a_database_that_cannot_be_reached_is_reported_without_the_password(
    capsys,
):
    url = "postgresql://flo:s3cret-pw@127.0.0.1:9/flo"

    status = main(["--database-url", url, "stats", "--json"])
    captured = capsys.readouterr()

    assert status == 1
    assert "s3cret-pw" not in captured.out + captured.err
    assert "Cannot open postgresql://flo:***@127.0.0.1:9/flo" in captured.err
    with pytest.raises(json.JSONDecodeError):
        json.loads(captured.out)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_deliver_processes_on_one_queue_send_each_email_once(
    engine, recruiter, candidate_id, tmp_path
):
    sender = Participant(ParticipantRole.SENDER, recruiter.name, recruiter.email)
    to = Participant(
        ParticipantRole.TO, "Casey", "casey@example.org", candidate_id=candidate_id
    )
    with engine.begin() as connection:
        for n in range(20):
            email = SystemEmail(
                kind=EmailKind.DIRECT,
                subject=f"Interview slot {n}",
                body="Does Tuesday suit you?",
                sent_by_member_id=recruiter.id,
                sender=sender,
                to=[to],
                candidate_ids=[candidate_id],
            )
            log_system_email(connection, email, from_address="flo@example.com")
    outbox = tmp_path / "outbox"
    url = engine.url.render_as_string(hide_password=False)
    environment = {
        **os.environ,
        "FLO_COMMS_MAIL_TRANSPORT": "outbox",
        "FLO_COMMS_OUTBOX_DIR": str(outbox),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flo_comms.cli", "--database-url", url, "deliver"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        for _ in range(2)
    ]
    results = [process.communicate(timeout=120) for process in processes]

    assert [p.returncode for p in processes] == [0, 0], results
    sent_by_each = [int(re.search(r"(\d+) sent", out).group(1)) for out, _ in results]
    assert sum(sent_by_each) == 20
    subjects = sorted(
        message_from_bytes(path.read_bytes())["Subject"]
        for path in outbox.glob("*.eml")
    )
    assert subjects == sorted(f"Interview slot {n}" for n in range(20))
    with engine.connect() as connection:
        states = connection.execute(
            sa.select(email_deliveries.c.state, sa.func.count()).group_by(
                email_deliveries.c.state
            )
        ).all()
    assert states == [("sent", 20)]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_dispatch_processes_send_each_due_reminder_once(engine, admin, tmp_path):
    # Tomorrow at noon, reminders a week before: due for days, not yet started.
    tomorrow = (now_utc() + timedelta(days=1)).date()
    event_id = create_event(
        engine,
        admin,
        EventDetails(
            event_type=EventType.WEBINAR,
            invite_only=False,
            title="Platform team open day",
            day=tomorrow,
            start_time=time_of_day(12, 0),
            end_time=time_of_day(13, 0),
            time_zone="UTC",
            link="https://meet.example.org/open-day",
            reminder_minutes_before=7 * 24 * 60,
        ),
        at=now_utc() - timedelta(days=11),
    )
    people = [NewPerson(f"Guest {n}", f"guest{n}@example.org") for n in range(30)]
    add_candidates(
        engine,
        admin,
        event_id,
        new_people=people,
        request_profile=False,
        from_address="flo@example.com",
        at=now_utc() - timedelta(days=10),
    )
    outbox = tmp_path / "outbox"
    url = engine.url.render_as_string(hide_password=False)
    environment = {
        **os.environ,
        "FLO_COMMS_MAIL_TRANSPORT": "outbox",
        "FLO_COMMS_OUTBOX_DIR": str(outbox),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flo_comms.cli", "--database-url", url, "dispatch"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        for _ in range(2)
    ]
    results = [process.communicate(timeout=120) for process in processes]

    assert [p.returncode for p in processes] == [0, 0], results
    sent = [re.search(r"sent (\d+) reminder|sent nothing", out) for out, _ in results]
    assert sum(int(m.group(1) or 0) for m in sent) == 30, results
    with engine.connect() as connection:
        reminders = connection.execute(
            sa.select(communication_candidates.c.candidate_id, sa.func.count())
            .join(
                communications,
                communications.c.id == communication_candidates.c.communication_id,
            )
            .where(communications.c.email_kind == EmailKind.REMINDER.value)
            .group_by(communication_candidates.c.candidate_id)
        ).all()
    assert len(reminders) == 30
    assert {count for _, count in reminders} == {1}
    # A delivery run may have started before the other process's reminders
    # were committed: one more run sends what is left, and nothing twice.
    deliver_due(engine, make_transport(mail_settings(environment)), limit=100)
    reminder_recipients = [
        message["To"]
        for message in (
            message_from_bytes(path.read_bytes()) for path in outbox.glob("*.eml")
        )
        if message["Subject"].startswith("Reminder:")
    ]
    assert sorted(reminder_recipients) == sorted(
        f"{person.name} <{person.email}>" for person in people
    )
