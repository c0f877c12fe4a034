"""Delivering system emails: the outbox and SMTP, retries, and never twice."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.engine import Engine

from flo_comms import cli, delivery
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.communications import Participant, ParticipantRole
from flo_comms.delivery import (
    DeliveryDispatcher,
    DeliveryNotRetryable,
    DeliveryReport,
    DeliveryStatus,
    OutboxTransport,
    OutgoingEmail,
    PermanentDeliveryError,
    SmtpTransport,
    TransportUnavailable,
    build_message,
    deliver_due,
    deliver_now,
    delivery_state_of,
    list_deliveries,
    make_transport,
    retry_delivery,
)
from flo_comms.email_messages import as_utc
from flo_comms.errors import NotFound, PermissionDenied
from flo_comms.mail_settings import (
    DEFAULT_FROM,
    MailSettings,
    MailTransport,
    SmtpSecurity,
    mail_settings,
)
from flo_comms.members import Member
from flo_comms.schema import communications, email_deliveries
from flo_comms.system_emails import (
    DeliveryState,
    EmailKind,
    SystemEmail,
    log_system_email,
)
from flo_comms.timezones import now_utc

FROM = "Flo Communications <no-reply@flo-demo.test>"
BODY = "Dear Casey,\n\nWe would like to invite you to an interview.\n\nRita"
INTERVIEW = "Your application: Interview Scheduled"
CASEY = ("Casey Candidate", "casey@example.org")
HIRING_LOG = Participant(ParticipantRole.BCC, "Hiring Log", "hiring-log@flo-demo.test")
SMTP_PASSWORD = "s3cret-Pa55word"


# --- a real SMTP server, on a local port --------------------------------------


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class RecordingHandler:
    """Keeps every envelope and message the server accepts."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse_recipients = False
        # An answer to DATA other than 250, or a pause before answering at all.
        self.data_answer: str | None = None
        self.data_pause = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipients:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.data_pause)
        if self.data_answer:
            return self.data_answer
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), message)
        )
        return "250 Message accepted for delivery"


def accept_flo_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    valid = isinstance(auth_data, LoginPassword) and (
        auth_data.login,
        auth_data.password,
    ) == (b"flo", SMTP_PASSWORD.encode())
    # handled=False: aiosmtpd then answers 535 itself (by default it stays silent).
    return AuthResult(success=valid, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd on 127.0.0.1; started and stopped by the test."""

    def __init__(self, **smtp_options: object) -> None:
        self.port = free_port()
        self.handler = RecordingHandler()
        self.smtp_options = smtp_options
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def settings(self, **changes: object) -> MailSettings:
        fields = {
            "transport": MailTransport.SMTP,
            "from_address": FROM,
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": SmtpSecurity.NONE,
            "smtp_timeout": 5.0,
        }
        return MailSettings(**{**fields, **changes})

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self.smtp_options
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stopped_smtp_server() -> Iterator[SmtpServer]:
    """A port nothing listens on, until the test starts the server there."""
    server = SmtpServer()
    yield server
    server.stop()


# --- queueing emails as the job emails do --------------------------------------


@pytest.fixture
def rita(recruiter: Member) -> Participant:
    return Participant(
        ParticipantRole.CC, recruiter.name, recruiter.email, member_id=recruiter.id
    )


@pytest.fixture
def queue_email(engine, recruiter, candidate_id) -> Callable[..., int]:
    """Log a job email through log_system_email, queueing it; return the entry id."""

    def queue(
        *,
        to: Sequence[Participant] | None = None,
        cc: Sequence[Participant] = (),
        bcc: Sequence[Participant] = (),
        subject: str = INTERVIEW,
        reply_to: str | None = None,
    ) -> int:
        casey = Participant(ParticipantRole.TO, *CASEY, candidate_id=candidate_id)
        email = SystemEmail(
            kind=EmailKind.JOB_STATUS,
            subject=subject,
            body=BODY,
            sent_by_member_id=recruiter.id,
            sender=Participant(
                ParticipantRole.SENDER,
                recruiter.name,
                recruiter.email,
                member_id=recruiter.id,
            ),
            to=[casey] if to is None else to,
            cc=cc,
            bcc=bcc,
            reply_to=reply_to,
            candidate_ids=(candidate_id,),
        )
        with engine.begin() as connection:
            return log_system_email(connection, email, from_address=FROM)

    return queue


@pytest.fixture
def outbox(tmp_path) -> Path:
    """The outbox folder, apart from the test's database file."""
    return tmp_path / "outbox"


def soon() -> datetime:
    """A moment just after everything queued so far became due."""
    return now_utc() + timedelta(seconds=1)


def delivery_row(engine: Engine, communication_id: int) -> sa.Row:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(email_deliveries).where(
                email_deliveries.c.communication_id == communication_id
            )
        ).one()


def read_eml(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def addresses(message: EmailMessage, header: str) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for a in message[header].addresses]


class FailingTransport:
    """Raises the given error for every email."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def send(self, email: OutgoingEmail) -> str:
        raise self.error


class ProcessDied(BaseException):
    """Stands for the process being killed in the middle of a send."""


class DyingTransport:
    def send(self, email: OutgoingEmail) -> str:
        raise ProcessDied


# --- the outbox ------------------------------------------------------------------


def test_the_outbox_gets_one_eml_file_with_the_headers_and_the_email_is_sent(
    engine, queue_email, rita, outbox
):
    zoe_id = create_candidate(
        engine,
        name="Zoë Müller",
        email="zoe@example.org",
        source=CandidateSource.AGENCY,
    )
    zoe = Participant(ParticipantRole.TO, "Zoë Müller", "zoe@example.org", None, zoe_id)
    reply_to = "Rita Recruiter <rita.recruiter@example.com>"
    communication_id = queue_email(
        to=[zoe], cc=[rita], bcc=[HIRING_LOG], reply_to=reply_to
    )

    report = deliver_due(engine, OutboxTransport(outbox), now=soon())

    files = sorted(outbox.iterdir())
    row = delivery_row(engine, communication_id)
    assert report == DeliveryReport(sent=1)
    assert len(files) == 1
    assert files[0].name.startswith(f"{row.id}-")
    assert files[0].suffix == ".eml"
    message = read_eml(files[0])
    assert addresses(message, "To") == [("Zoë Müller", "zoe@example.org")]
    assert addresses(message, "Cc") == [(rita.name, rita.address)]
    assert "Bcc" not in message
    assert b"hiring-log" not in files[0].read_bytes()
    assert message["From"] == FROM
    assert message["Reply-To"] == reply_to
    assert message["Subject"] == INTERVIEW
    assert message["Message-ID"] == row.message_id
    assert message.get_content().rstrip("\n") == BODY
    assert (row.state, row.attempts, row.delivered_to) == (
        "sent",
        1,
        str(files[0].resolve()),
    )
    assert row.sent_at is not None
    assert delivery_state_of(engine, [communication_id]) == {
        communication_id: DeliveryStatus(
            DeliveryState.SENT, None, str(files[0].resolve())
        )
    }
    # The message rebuilt later is the same one, Message-ID included.
    assert build_message(engine, communication_id)["Message-ID"] == row.message_id


def test_a_second_run_finds_nothing_left_to_send(engine, queue_email, outbox):
    queue_email()
    transport = OutboxTransport(outbox)
    deliver_due(engine, transport, now=soon())

    report = deliver_due(engine, transport, now=soon() + timedelta(hours=1))

    assert report == DeliveryReport()
    assert len(list(outbox.glob("*.eml"))) == 1


def test_the_date_header_is_the_time_the_email_was_logged(engine, queue_email):
    communication_id = queue_email()

    message = build_message(engine, communication_id)

    with engine.connect() as connection:
        occurred_at = connection.execute(
            sa.select(communications.c.occurred_at).where(
                communications.c.id == communication_id
            )
        ).scalar_one()
    assert message["Date"].datetime == as_utc(occurred_at).replace(microsecond=0)


def test_without_any_address_in_to_the_email_fails_with_the_reason(
    engine, queue_email, rita, outbox
):
    nia_id = create_candidate(
        engine, name="Nia Noaddress", email=None, source=CandidateSource.REFERRAL
    )
    nia = Participant(ParticipantRole.TO, "Nia Noaddress", None, candidate_id=nia_id)
    communication_id = queue_email(to=[nia], cc=[rita])

    report = deliver_due(engine, OutboxTransport(outbox), now=soon())

    row = delivery_row(engine, communication_id)
    assert report == DeliveryReport(failed=1)
    assert (row.state, row.next_attempt_at) == ("failed", None)
    assert row.last_error == "Not sent: no email address for Nia Noaddress."
    assert list(outbox.glob("*")) == []


def test_a_copy_without_an_address_is_left_out_and_named(engine, queue_email, outbox):
    nameless = Participant(ParticipantRole.CC, "Old Colleague", None)
    communication_id = queue_email(cc=[nameless])

    deliver_due(engine, OutboxTransport(outbox), now=soon())

    row = delivery_row(engine, communication_id)
    assert row.state == "sent"
    assert row.last_error == "Not sent to Old Colleague: no email address."
    assert "Cc" not in read_eml(next(outbox.glob("*.eml")))


def test_a_subject_that_would_smuggle_a_header_fails_at_once(
    engine, queue_email, outbox
):
    communication_id = queue_email(subject="Offer\nBcc: everyone@example.com")

    report = deliver_due(engine, OutboxTransport(outbox), now=soon())

    row = delivery_row(engine, communication_id)
    assert report == DeliveryReport(failed=1)
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("Not sent: ValueError: Header values may not")
    assert list(outbox.glob("*")) == []


def test_an_address_outside_ascii_fails_with_the_reason(engine, queue_email, outbox):
    zoe = Participant(ParticipantRole.TO, "Zoë", "zoë@example.org")
    communication_id = queue_email(to=[zoe])

    report = deliver_due(engine, OutboxTransport(outbox), now=soon())

    row = delivery_row(engine, communication_id)
    assert report == DeliveryReport(failed=1)
    assert row.last_error == (
        "Not sent: the address zoë@example.org has letters outside ASCII, "
        "which Flo Communications cannot send to."
    )


# --- SMTP ------------------------------------------------------------------------


def test_the_smtp_server_receives_exactly_the_logged_emails_with_their_envelope(
    engine, queue_email, rita, other_candidate_id, smtp_server
):
    interview = queue_email(cc=[rita], bcc=[HIRING_LOG])
    olive = Participant(ParticipantRole.TO, "Olive Other", "olive@example.org")
    offer = queue_email(to=[olive], subject="Your application: Offer")
    transport = SmtpTransport(smtp_server.settings())

    report = deliver_due(engine, transport, now=soon())

    by_subject = {r.message["Subject"]: r for r in smtp_server.received}
    assert report == DeliveryReport(sent=2)
    assert len(smtp_server.received) == 2
    first, second = by_subject[INTERVIEW], by_subject["Your application: Offer"]
    assert first.mail_from == "no-reply@flo-demo.test"
    assert first.rcpt_tos == [CASEY[1], rita.address, HIRING_LOG.address]
    assert addresses(first.message, "To") == [CASEY]
    assert addresses(first.message, "Cc") == [(rita.name, rita.address)]
    assert "Bcc" not in first.message
    assert "hiring-log" not in first.message.as_string()
    assert first.message["Message-ID"] == delivery_row(engine, interview).message_id
    assert second.rcpt_tos == ["olive@example.org"]
    assert "Cc" not in second.message
    where = f"smtp://127.0.0.1:{smtp_server.port}"
    assert delivery_state_of(engine, [interview, offer]) == {
        interview: DeliveryStatus(DeliveryState.SENT, None, where),
        offer: DeliveryStatus(DeliveryState.SENT, None, where),
    }


def test_with_the_server_down_the_email_waits_and_arrives_once_when_it_returns(
    engine, queue_email, stopped_smtp_server
):
    communication_id = queue_email()
    transport = SmtpTransport(stopped_smtp_server.settings())
    first_try = soon()

    report = deliver_due(engine, transport, now=first_try)

    row = delivery_row(engine, communication_id)
    assert report == DeliveryReport(retried=1)
    assert (row.state, row.attempts) == ("queued", 1)
    assert row.last_error.startswith("Cannot use the SMTP server smtp://127.0.0.1:")
    assert "refused" in row.last_error.lower()
    assert as_utc(row.next_attempt_at) == first_try + timedelta(minutes=1)
    assert delivery_state_of(engine, [communication_id])[communication_id] == (
        DeliveryState.QUEUED,
        row.last_error,
        None,
    )

    stopped_smtp_server.start()
    too_early = deliver_due(engine, transport, now=first_try + timedelta(seconds=30))
    assert too_early == DeliveryReport()
    assert stopped_smtp_server.received == []

    back = deliver_due(engine, transport, now=first_try + timedelta(minutes=2))
    again = deliver_due(engine, transport, now=first_try + timedelta(hours=1))

    assert (back, again) == (DeliveryReport(sent=1), DeliveryReport())
    assert len(stopped_smtp_server.received) == 1
    # The retry sent the message whose Message-ID the first attempt stored.
    received_id = stopped_smtp_server.received[0].message["Message-ID"]
    assert received_id == row.message_id
    sent = delivery_row(engine, communication_id)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 2, None)


def test_a_server_that_is_down_leaves_the_rest_of_the_run_untouched(
    engine, queue_email, stopped_smtp_server
):
    ids = [queue_email(subject=f"Update {n}") for n in range(3)]

    report = deliver_due(
        engine, SmtpTransport(stopped_smtp_server.settings()), now=soon()
    )

    attempts = [delivery_row(engine, i).attempts for i in ids]
    assert report == DeliveryReport(retried=1)
    assert attempts == [1, 0, 0]


def test_the_wait_grows_and_after_six_attempts_the_email_fails(
    engine, queue_email, stopped_smtp_server
):
    communication_id = queue_email()
    transport = SmtpTransport(stopped_smtp_server.settings())
    moment = soon()
    waits = []
    for _ in range(5):
        assert deliver_due(engine, transport, now=moment) == DeliveryReport(retried=1)
        next_attempt_at = as_utc(delivery_row(engine, communication_id).next_attempt_at)
        waits.append(next_attempt_at - moment)
        moment = next_attempt_at

    last = deliver_due(engine, transport, now=moment)

    row = delivery_row(engine, communication_id)
    assert waits == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
    ]
    assert last == DeliveryReport(failed=1)
    assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 6, None)
    assert row.last_error.startswith("Gave up after 6 attempts. Cannot use the SMTP")
    assert deliver_due(engine, transport, now=moment + timedelta(days=2)) == (
        DeliveryReport()
    )


def test_recipients_the_server_refuses_fail_the_email_at_once(
    engine, queue_email, smtp_server
):
    smtp_server.handler.refuse_recipients = True
    communication_id = queue_email()

    report = deliver_due(engine, SmtpTransport(smtp_server.settings()), now=soon())

    row = delivery_row(engine, communication_id)
    assert report == DeliveryReport(failed=1)
    assert (row.state, row.attempts) == ("failed", 1)
    assert "casey@example.org (550 5.1.1 No such mailbox here)" in row.last_error
    assert smtp_server.received == []


def test_a_server_asking_to_try_later_gets_the_email_again_later(
    engine, queue_email, smtp_server
):
    smtp_server.handler.data_answer = "451 4.3.0 Mail queue full, try later"
    communication_id = queue_email()
    transport = SmtpTransport(smtp_server.settings())
    first_try = soon()

    busy = deliver_due(engine, transport, now=first_try)
    smtp_server.handler.data_answer = None
    after_wait = deliver_due(engine, transport, now=first_try + timedelta(minutes=1))

    row = delivery_row(engine, communication_id)
    assert (busy, after_wait) == (DeliveryReport(retried=1), DeliveryReport(sent=1))
    assert (row.state, row.attempts) == ("sent", 2)
    assert len(smtp_server.received) == 1


def test_a_server_that_stops_answering_mid_send_leaves_the_email_for_a_person(
    engine, queue_email, smtp_server
):
    # The message is out; the answer comes after the client stopped waiting.
    smtp_server.handler.data_pause = 0.6
    communication_id = queue_email()
    transport = SmtpTransport(smtp_server.settings(smtp_timeout=0.3))
    moment = soon()

    report = deliver_due(engine, transport, now=moment)
    later = deliver_due(engine, transport, now=moment + timedelta(days=1))

    row = delivery_row(engine, communication_id)
    assert (report, later) == (DeliveryReport(failed=1), DeliveryReport())
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error.startswith(
        f"The connection to smtp://127.0.0.1:{smtp_server.port} broke while sending"
    )
    assert "may or may not have gone out" in row.last_error


@pytest.fixture
def smtp_server_with_login() -> Iterator[SmtpServer]:
    server = SmtpServer(authenticator=accept_flo_login, auth_require_tls=False)
    server.start()
    yield server
    server.stop()


def test_smtp_logs_in_with_the_configured_credentials(
    engine, queue_email, smtp_server_with_login
):
    settings = smtp_server_with_login.settings(
        smtp_username="flo", smtp_password=SMTP_PASSWORD
    )
    queue_email()

    report = deliver_due(engine, SmtpTransport(settings), now=soon())

    assert report == DeliveryReport(sent=1)
    assert len(smtp_server_with_login.received) == 1


def test_a_refused_login_is_kept_as_the_error_without_the_password(
    engine, queue_email, smtp_server_with_login, caplog
):
    settings = smtp_server_with_login.settings(
        smtp_username="flo", smtp_password="wrong-" + SMTP_PASSWORD
    )
    communication_id = queue_email()
    caplog.set_level(logging.DEBUG)

    report = deliver_due(engine, SmtpTransport(settings), now=soon())

    row = delivery_row(engine, communication_id)
    assert report == DeliveryReport(retried=1)
    assert (row.state, row.attempts) == ("queued", 1)
    assert "535" in row.last_error
    assert SMTP_PASSWORD not in row.last_error
    assert SMTP_PASSWORD not in caplog.text
    assert smtp_server_with_login.received == []


# --- never twice ------------------------------------------------------------------


@pytest.mark.parametrize("transport_kind", ["smtp", "outbox"])
def test_two_dispatchers_at_once_send_each_of_twenty_emails_once(
    engine, queue_email, smtp_server, outbox, transport_kind
):
    ids = [queue_email(subject=f"Interview slot {n}") for n in range(20)]
    if transport_kind == "smtp":
        transport = SmtpTransport(smtp_server.settings())
    else:
        transport = OutboxTransport(outbox)
    moment = soon()
    start = threading.Barrier(2)
    reports: list[DeliveryReport] = []

    def dispatcher() -> None:
        start.wait()
        reports.append(deliver_due(engine, transport, now=moment))

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    if transport_kind == "smtp":
        subjects = [r.message["Subject"] for r in smtp_server.received]
    else:
        subjects = [read_eml(p)["Subject"] for p in outbox.glob("*.eml")]
    assert sorted(subjects) == sorted(f"Interview slot {n}" for n in range(20))
    assert sum(r.sent for r in reports) == 20
    assert {delivery_row(engine, i).state for i in ids} == {"sent"}


def test_an_email_stuck_in_sending_fails_for_a_person_to_check_and_is_not_resent(
    engine, queue_email, outbox
):
    communication_id = queue_email()
    claimed = soon()
    with pytest.raises(ProcessDied):
        deliver_due(engine, DyingTransport(), now=claimed)
    transport = OutboxTransport(outbox)

    meanwhile = deliver_due(engine, transport, now=claimed + timedelta(minutes=5))
    assert meanwhile == DeliveryReport()
    assert delivery_row(engine, communication_id).state == "sending"

    later = deliver_due(engine, transport, now=claimed + timedelta(minutes=20))
    afterwards = deliver_due(engine, transport, now=claimed + timedelta(days=1))

    row = delivery_row(engine, communication_id)
    assert later == DeliveryReport(failed=1, stuck=1)
    assert afterwards == DeliveryReport()
    assert (row.state, row.attempts) == ("failed", 1)
    assert "may or may not have gone out" in row.last_error
    assert "check" in row.last_error
    assert "before retrying" in row.last_error
    assert list(outbox.glob("*")) == []


# --- retrying, the admin's list, sending at once ---------------------------------


def test_an_admin_puts_a_failed_email_back_in_the_queue_and_it_goes_out(
    engine, queue_email, admin, recruiter, outbox
):
    communication_id = queue_email()
    refusal = PermanentDeliveryError("smtp://mail: 554 rejected as spam")
    deliver_due(engine, FailingTransport(refusal), now=soon())
    delivery_id = delivery_row(engine, communication_id).id

    with pytest.raises(PermissionDenied):
        retry_delivery(engine, recruiter, delivery_id)
    assert delivery_row(engine, communication_id).state == "failed"

    retry_delivery(engine, admin, delivery_id)

    row = delivery_row(engine, communication_id)
    assert (row.state, row.attempts) == ("queued", 0)
    assert as_utc(row.next_attempt_at) <= now_utc()
    report = deliver_due(engine, OutboxTransport(outbox), now=soon())
    assert report == DeliveryReport(sent=1)
    assert len(list(outbox.glob("*.eml"))) == 1
    with pytest.raises(DeliveryNotRetryable, match="this one is sent"):
        retry_delivery(engine, admin, delivery_id)
    with pytest.raises(NotFound):
        retry_delivery(engine, admin, delivery_id + 1000)


def test_the_admin_list_shows_deliveries_newest_first_by_state_and_by_page(
    engine, queue_email, rita, outbox
):
    first = queue_email(subject="First", cc=[rita], bcc=[HIRING_LOG])
    queue_email(subject="Second")
    queue_email(subject="Third")
    deliver_due(engine, OutboxTransport(outbox), now=soon(), limit=1)

    everything = list_deliveries(engine)
    queued = list_deliveries(engine, DeliveryState.QUEUED)
    second_page = list_deliveries(engine, page=2, page_size=2)

    assert [d.subject for d in everything.entries] == ["Third", "Second", "First"]
    assert everything.total == 3
    oldest = everything.entries[-1]
    assert oldest.communication_id == first
    assert (oldest.state, oldest.attempts) == (DeliveryState.SENT, 1)
    assert oldest.delivered_to.endswith(".eml")
    assert [(p.role, p.address) for p in oldest.recipients] == [
        (ParticipantRole.TO, CASEY[1]),
        (ParticipantRole.CC, rita.address),
        (ParticipantRole.BCC, HIRING_LOG.address),
    ]
    assert [d.subject for d in queued.entries] == ["Third", "Second"]
    assert (second_page.total, second_page.page_count) == (3, 2)
    assert [d.subject for d in second_page.entries] == ["First"]


def test_deliver_now_sends_only_the_emails_it_is_given(engine, queue_email, outbox):
    now_one = queue_email(subject="Now")
    later_one = queue_email(subject="Later")

    report = deliver_now(engine, OutboxTransport(outbox), [now_one])

    assert report == DeliveryReport(sent=1)
    assert delivery_state_of(engine, [now_one, later_one]) == {
        now_one: (DeliveryState.SENT, None, delivery_row(engine, now_one).delivered_to),
        later_one: (DeliveryState.QUEUED, None, None),
    }


def test_deliver_now_with_the_server_down_leaves_the_email_queued(engine, queue_email):
    communication_id = queue_email()
    down = FailingTransport(TransportUnavailable("Cannot use smtp://mail: timed out"))

    report = deliver_now(engine, down, [communication_id])

    row = delivery_row(engine, communication_id)
    assert report == DeliveryReport(retried=1)
    assert (row.state, row.last_error) == (
        "queued",
        "Cannot use smtp://mail: timed out",
    )


def test_delivery_state_of_leaves_out_entries_without_a_delivery(
    engine, queue_email, add_system_email, candidate_id, recruiter
):
    queued = queue_email()
    without_delivery = add_system_email(candidate_id, sent_by=recruiter)

    states = delivery_state_of(engine, [queued, without_delivery])

    assert states == {queued: DeliveryStatus(DeliveryState.QUEUED, None, None)}
    assert delivery_state_of(engine, []) == {}


# --- the dispatcher in the dashboard's process -----------------------------------


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_dispatcher_survives_a_failed_run_and_sends_when_woken(
    engine, queue_email, outbox, monkeypatch, caplog
):
    real_deliver_due = delivery.deliver_due
    calls = []

    def broken_once(*arguments, **options) -> DeliveryReport:
        calls.append(arguments)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real_deliver_due(*arguments, **options)

    monkeypatch.setattr(delivery, "deliver_due", broken_once)
    # A long interval: only wake() can make the second run happen in time.
    dispatcher = DeliveryDispatcher(
        engine, OutboxTransport(outbox), interval_seconds=60
    )
    dispatcher.start()
    try:
        assert wait_for(lambda: len(calls) == 1)
        communication_id = queue_email()
        dispatcher.wake()
        assert wait_for(lambda: delivery_row(engine, communication_id).state == "sent")
        assert dispatcher.running
    finally:
        dispatcher.stop()

    assert not dispatcher.running
    assert "delivery run failed" in caplog.text
    assert "database went away" in caplog.text
    assert len(list(outbox.glob("*.eml"))) == 1


def test_the_dispatcher_works_off_a_backlog_without_waiting_between_batches(
    engine, queue_email, outbox
):
    ids = [queue_email(subject=f"Backlog {n}") for n in range(5)]
    dispatcher = DeliveryDispatcher(
        engine, OutboxTransport(outbox), interval_seconds=60, batch_size=2
    )

    dispatcher.start()
    try:
        all_sent = wait_for(
            lambda: {delivery_row(engine, i).state for i in ids} == {"sent"}
        )
    finally:
        dispatcher.stop()

    assert all_sent
    assert len(list(outbox.glob("*.eml"))) == 5


# --- settings ---------------------------------------------------------------------


def test_mail_settings_default_to_the_outbox_under_data():
    settings = mail_settings({})

    assert settings.transport is MailTransport.OUTBOX
    assert settings.from_address == DEFAULT_FROM
    assert settings.outbox_dir == Path(cli.__file__).parent.parent / "data" / "outbox"
    assert isinstance(make_transport(settings), OutboxTransport)


def test_mail_settings_read_smtp_from_a_mapping_such_as_streamlit_secrets():
    settings = mail_settings(
        {
            "FLO_COMMS_MAIL_TRANSPORT": "SMTP",
            "FLO_COMMS_MAIL_FROM": "Hiring <jobs@example.com>",
            "FLO_COMMS_SMTP_HOST": "mail.example.com",
            "FLO_COMMS_SMTP_PORT": 2525,
            "FLO_COMMS_SMTP_SECURITY": "tls",
            "FLO_COMMS_SMTP_USERNAME": "flo",
            "FLO_COMMS_SMTP_PASSWORD": SMTP_PASSWORD,
            "FLO_COMMS_SMTP_TIMEOUT": "12.5",
        }
    )

    assert settings == MailSettings(
        transport=MailTransport.SMTP,
        from_address="Hiring <jobs@example.com>",
        smtp_host="mail.example.com",
        smtp_port=2525,
        smtp_security=SmtpSecurity.TLS,
        smtp_username="flo",
        smtp_password=SMTP_PASSWORD,
        smtp_timeout=12.5,
    )
    assert SMTP_PASSWORD not in repr(settings)
    assert SMTP_PASSWORD not in str(settings)
    assert make_transport(settings).address == "smtp://mail.example.com:2525"


@pytest.mark.parametrize(
    ("security", "port"), [("starttls", 587), ("tls", 465), ("none", 25)]
)
def test_the_smtp_port_defaults_to_the_one_its_security_uses(security, port):
    settings = mail_settings(
        {"FLO_COMMS_SMTP_HOST": "mail.example.com", "FLO_COMMS_SMTP_SECURITY": security}
    )

    assert settings.smtp_port == port


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"FLO_COMMS_MAIL_TRANSPORT": "pigeon"}, "FLO_COMMS_MAIL_TRANSPORT"),
        ({"FLO_COMMS_MAIL_FROM": "nobody"}, "FLO_COMMS_MAIL_FROM"),
        ({"FLO_COMMS_SMTP_HOST": ""}, "FLO_COMMS_SMTP_HOST"),
        ({"FLO_COMMS_SMTP_PORT": "smtp"}, "FLO_COMMS_SMTP_PORT"),
        ({"FLO_COMMS_SMTP_PORT": "70000"}, "FLO_COMMS_SMTP_PORT"),
        ({"FLO_COMMS_SMTP_SECURITY": "ssl"}, "FLO_COMMS_SMTP_SECURITY"),
        ({"FLO_COMMS_SMTP_TIMEOUT": "0"}, "FLO_COMMS_SMTP_TIMEOUT"),
        ({"FLO_COMMS_SMTP_TIMEOUT": "soon"}, "FLO_COMMS_SMTP_TIMEOUT"),
        ({"FLO_COMMS_SMTP_USERNAME": ""}, "FLO_COMMS_SMTP_USERNAME"),
    ],
)
def test_a_bad_mail_setting_is_refused_by_its_name_without_the_password(
    changes, variable
):
    good = {
        "FLO_COMMS_MAIL_TRANSPORT": "smtp",
        "FLO_COMMS_SMTP_HOST": "mail.example.com",
        "FLO_COMMS_SMTP_USERNAME": "flo",
        "FLO_COMMS_SMTP_PASSWORD": SMTP_PASSWORD,
    }
    mail_settings(good)

    with pytest.raises(ValueError, match=variable) as refusal:
        mail_settings({**good, **changes})

    assert SMTP_PASSWORD not in str(refusal.value)


# --- the command line --------------------------------------------------------------


@pytest.fixture
def outbox_environment(monkeypatch, tmp_path) -> Path:
    outbox = tmp_path / "cli-outbox"
    for variable in ("FLO_COMMS_MAIL_TRANSPORT", "FLO_COMMS_MAIL_FROM"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("FLO_COMMS_OUTBOX_DIR", str(outbox))
    return outbox


def test_flo_comms_deliver_sends_what_is_due_and_prints_the_counts(
    database_url, engine, queue_email, outbox_environment, capsys
):
    communication_id = queue_email()

    code = cli.main(["--database-url", database_url, "deliver"])

    out = capsys.readouterr().out
    assert code == 0
    assert f"outbox folder {outbox_environment}" in out
    assert "1 sent, 0 to retry later, 0 failed (0 stuck in sending)" in out
    assert delivery_row(engine, communication_id).state == "sent"
    assert len(list(outbox_environment.glob("*.eml"))) == 1


def test_flo_comms_deliver_loop_runs_until_interrupted(
    database_url, engine, queue_email, outbox_environment, capsys, monkeypatch
):
    queue_email()
    pauses = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", sleep)

    code = cli.main(["--database-url", database_url, "deliver", "--loop", "15"])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert pauses == [15, 15]
    assert lines[0].endswith("every 15 s; Ctrl-C stops.")
    assert lines[1].endswith(
        ": 1 sent, 0 to retry later, 0 failed (0 stuck in sending)."
    )
    assert lines[2].endswith(
        ": 0 sent, 0 to retry later, 0 failed (0 stuck in sending)."
    )


def test_flo_comms_deliver_refuses_a_bad_setting_by_name(
    database_url, monkeypatch, capsys
):
    monkeypatch.setenv("FLO_COMMS_MAIL_TRANSPORT", "pigeon")

    code = cli.main(["--database-url", database_url, "deliver"])

    assert code == 2
    assert "FLO_COMMS_MAIL_TRANSPORT must be one of outbox, smtp" in (
        capsys.readouterr().err
    )


def _webinar_with_a_due_reminder(engine: Engine, admin: Member) -> int:
    """A webinar tomorrow noon with reminders a week before: due now, for one guest."""
    from datetime import time as time_of_day

    from flo_comms.event_rules import EventType
    from flo_comms.events import EventDetails, create_event
    from flo_comms.registrations import NewPerson, add_candidates

    event_id = create_event(
        engine,
        admin,
        EventDetails(
            event_type=EventType.WEBINAR,
            invite_only=False,
            title="Data team webinar",
            day=(now_utc() + timedelta(days=1)).date(),
            start_time=time_of_day(12),
            end_time=time_of_day(13),
            time_zone="UTC",
            link="https://meet.example.org/data",
            reminder_minutes_before=7 * 24 * 60,
        ),
        at=now_utc() - timedelta(days=11),
    )
    add_candidates(
        engine,
        admin,
        event_id,
        new_people=[NewPerson("Robin Guest", "robin@example.org")],
        request_profile=False,
        from_address="flo@example.com",
        at=now_utc() - timedelta(days=10),
    )
    return event_id


def _subjects(outbox: Path) -> list[str]:
    return sorted(
        message_from_bytes(path.read_bytes())["Subject"]
        for path in outbox.glob("*.eml")
    )


def test_the_dashboards_dispatcher_sends_due_reminders_before_delivering(
    engine, admin, outbox
):
    _webinar_with_a_due_reminder(engine, admin)
    dispatcher = DeliveryDispatcher(
        engine, OutboxTransport(outbox), event_emails_from="flo@example.com"
    )

    dispatcher.run_once()

    assert _subjects(outbox) == [
        "Reminder: Data team webinar",
        "Your place at Data team webinar",
    ]


def test_a_dispatcher_without_a_from_address_only_delivers(engine, admin, outbox):
    _webinar_with_a_due_reminder(engine, admin)

    DeliveryDispatcher(engine, OutboxTransport(outbox)).run_once()

    assert _subjects(outbox) == ["Your place at Data team webinar"]


def test_flo_comms_dispatch_sends_due_reminders_and_delivers(
    engine, admin, outbox, monkeypatch, capsys
):
    _webinar_with_a_due_reminder(engine, admin)
    monkeypatch.setenv("FLO_COMMS_MAIL_TRANSPORT", "outbox")
    monkeypatch.setenv("FLO_COMMS_OUTBOX_DIR", str(outbox))
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()  # DuckDB: one process, and the command opens its own engine

    assert cli.main(["--database-url", url, "dispatch"]) == 0

    assert "sent 1 reminder" in capsys.readouterr().out
    assert _subjects(outbox) == [
        "Reminder: Data team webinar",
        "Your place at Data team webinar",
    ]
