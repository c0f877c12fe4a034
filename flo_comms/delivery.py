"""Delivering the emails the system logged, after the transaction that logged them.

log_system_email (flo_comms.system_emails) queues every email it writes. Here
the queue is worked off, through a transport chosen by configuration. A
delivery moves between these states:

- queued → sending: one dispatcher claims it (a conditional UPDATE) and sends;
- sending → sent: the transport took it;
- sending → queued: an error that may pass; tried again after a back-off;
- sending → failed: after MAX_ATTEMPTS, when trying again cannot help, or when
  the outcome is unknown (the process stopped mid-send, the line broke);
- failed → queued: an admin retries it (retry_delivery).

An email is never sent twice: only the dispatcher that claimed a delivery
sends it, and a delivery whose outcome is unknown is failed for a person to
check, never sent again on its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms import volume_counts
from flo_comms.db import is_write_conflict, write_with_retry
from flo_comms.delivery_records import (
    Delivery,
    DeliveryPage,
    DeliveryStatus,
    delivery_state_of,
    list_deliveries,
)
from flo_comms.email_messages import build_message, compose, new_message_id
from flo_comms.errors import FloCommsError, NotFound, PermissionDenied
from flo_comms.mail_transports import (
    CHECK_BEFORE_RETRYING,
    DeliveryError,
    OutboxTransport,
    OutgoingEmail,
    PermanentDeliveryError,
    SmtpTransport,
    Transport,
    TransportUnavailable,
    UncertainDeliveryError,
    make_transport,
)
from flo_comms.members import Member, Role
from flo_comms.schema import email_deliveries
from flo_comms.system_emails import DeliveryState
from flo_comms.timezones import now_utc

# One place to import delivery from: the queue here, and what it works with.
__all__ = [
    "Delivery",
    "DeliveryDispatcher",
    "DeliveryError",
    "DeliveryNotRetryable",
    "DeliveryPage",
    "DeliveryReport",
    "DeliveryStatus",
    "OutboxTransport",
    "OutgoingEmail",
    "PermanentDeliveryError",
    "SmtpTransport",
    "Transport",
    "TransportUnavailable",
    "UncertainDeliveryError",
    "build_message",
    "deliver_due",
    "deliver_now",
    "delivery_state_of",
    "list_deliveries",
    "make_transport",
    "retry_delivery",
]

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# The wait after the 1st, 2nd, … failed attempt; the last one repeats.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# A send takes seconds (the SMTP timeout is 30 s by default); a claim this old
# belongs to a process that stopped before it could record the outcome.
STUCK_AFTER = timedelta(minutes=15)
STUCK_REASON = (
    "Sending started but its outcome was never recorded (the process stopped "
    f"mid-send). {CHECK_BEFORE_RETRYING}"
)


class DeliveryNotRetryable(FloCommsError):
    """Only a failed delivery can be put back in the queue."""


@dataclass(frozen=True)
class DeliveryReport:
    """What one run did: ``failed`` includes the ``stuck`` deliveries it gave up on."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    stuck: int = 0

    @property
    def handled(self) -> int:
        """Deliveries this run claimed and settled (stuck ones aside)."""
        return self.sent + self.retried + self.failed - self.stuck

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.retried} to retry later, {self.failed} failed "
            f"({self.stuck} stuck in sending)"
        )


class _Outcome(Enum):
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    NOT_CLAIMED = "not claimed"


# --- working off the queue ----------------------------------------------------


def deliver_due(
    engine: Engine,
    transport: Transport,
    *,
    now: datetime | None = None,
    limit: int = 50,
) -> DeliveryReport:
    """Send the queued emails that are due, oldest first; report what happened."""
    return _deliver(engine, transport, _clock(now), limit, communication_ids=None)


def deliver_now(
    engine: Engine, transport: Transport, communication_ids: Iterable[int]
) -> DeliveryReport:
    """Send these just-logged emails at once; whatever fails is left to the queue.

    Called right after an action commits, so it never raises: the action is done
    and the dispatcher retries anything left.
    """
    ids = list(dict.fromkeys(communication_ids))
    if not ids:
        return DeliveryReport()
    try:
        return _deliver(engine, transport, now_utc, len(ids), communication_ids=ids)
    except Exception:
        logger.exception("immediate delivery of %s failed; left queued", ids)
        return DeliveryReport()


def _clock(now: datetime | None) -> Callable[[], datetime]:
    # A fixed time for tests and scripts; else the clock, read at each step.
    return (lambda: now) if now is not None else now_utc


def _deliver(
    engine: Engine,
    transport: Transport,
    clock: Callable[[], datetime],
    limit: int,
    communication_ids: list[int] | None,
) -> DeliveryReport:
    stuck = _fail_stuck(engine, clock())
    due = _due(engine, clock(), limit, communication_ids)
    counts = dict.fromkeys(_Outcome, 0)
    for position, candidate in enumerate(due):
        outcome, server_down = _deliver_one(engine, transport, candidate, clock)
        counts[outcome] += 1
        if server_down and position + 1 < len(due):
            logger.warning(
                "mail server unavailable: %s due emails wait for the next run",
                len(due) - position - 1,
            )
            break
    report = DeliveryReport(
        sent=counts[_Outcome.SENT],
        retried=counts[_Outcome.RETRYING],
        failed=counts[_Outcome.FAILED] + stuck,
        stuck=stuck,
    )
    if report != DeliveryReport():
        logger.info("delivery run: %s", report)
    return report


def _due(
    engine: Engine, now: datetime, limit: int, communication_ids: list[int] | None
) -> list[sa.Row]:
    query = (
        sa.select(
            email_deliveries.c.id,
            email_deliveries.c.communication_id,
            email_deliveries.c.from_address,
        )
        .where(
            email_deliveries.c.state == DeliveryState.QUEUED.value,
            email_deliveries.c.next_attempt_at <= now,
        )
        .order_by(email_deliveries.c.next_attempt_at, email_deliveries.c.id)
        .limit(limit)
    )
    if communication_ids is not None:
        query = query.where(email_deliveries.c.communication_id.in_(communication_ids))
    with engine.connect() as connection:
        return connection.execute(query).all()


def _deliver_one(
    engine: Engine,
    transport: Transport,
    candidate: sa.Row,
    clock: Callable[[], datetime],
) -> tuple[_Outcome, bool]:
    """Claim, compose, send, record: the outcome, and whether the server is down."""
    delivery_id = candidate.id
    claimed_at = clock()
    attempt = _claim(engine, delivery_id, candidate.from_address, claimed_at)
    if attempt is None:
        return _Outcome.NOT_CLAIMED, False
    record = _Recorder(
        engine, delivery_id, candidate.communication_id, claimed_at, attempt, clock
    )
    try:
        with engine.connect() as connection:
            email = compose(connection, candidate.communication_id)
    except PermanentDeliveryError as error:
        return record.failed(str(error)), False
    except sa.exc.SQLAlchemyError as error:
        # Nothing has gone out yet, so trying again is safe.
        logger.exception("delivery %s: reading the email failed", delivery_id)
        return record.retry_or_fail(_describe(error)), False
    except Exception as error:
        # Composing is the same every time (a header it cannot write, say).
        logger.exception("delivery %s: composing the email failed", delivery_id)
        return record.failed(f"Not sent: {_describe(error)}"), False

    try:
        delivered_to = transport.send(email)
    except (PermanentDeliveryError, UncertainDeliveryError) as error:
        return record.failed(str(error)), False
    except DeliveryError as error:
        return record.retry_or_fail(str(error)), isinstance(error, TransportUnavailable)
    except Exception as error:
        # A transport's own bug: it may have raised after the message left.
        logger.exception("delivery %s: the transport failed", delivery_id)
        return record.failed(f"{_describe(error)}. {CHECK_BEFORE_RETRYING}"), False
    return record.sent(delivered_to, email), False


def _describe(error: Exception) -> str:
    # The first line only: a database error goes on with its SQL and parameters.
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _claim(
    engine: Engine, delivery_id: int, from_address: str, now: datetime
) -> int | None:
    """Mark the delivery as ours to send; return its attempt number, or None.

    Only one of several dispatchers racing for a delivery gets a row back: the
    others conflict (and find it 'sending' when they try again) or wait and find
    it 'sending'. The Message-ID is made on the first claim and kept, so that a
    retry sends the same message. Analytics counts 'sending' as 'queued', so
    the claim changes no count (flo_comms.volume_counts).
    """
    fresh_message_id = new_message_id(from_address)

    def claim(connection: Connection) -> int | None:
        return connection.execute(
            email_deliveries.update()
            .where(
                email_deliveries.c.id == delivery_id,
                email_deliveries.c.state == DeliveryState.QUEUED.value,
                email_deliveries.c.next_attempt_at <= now,
            )
            .values(
                state=DeliveryState.SENDING.value,
                claimed_at=now,
                message_id=sa.func.coalesce(
                    email_deliveries.c.message_id, fresh_message_id
                ),
            )
            # No bound parameter here: DuckDB refuses one in RETURNING.
            .returning(email_deliveries.c.attempts)
        ).scalar_one_or_none()

    try:
        attempts_before = write_with_retry(engine, claim)
    except sa.exc.DBAPIError as error:
        if not is_write_conflict(error):
            raise
        logger.debug(
            "delivery %s: contended, left to the other dispatcher", delivery_id
        )
        return None
    return None if attempts_before is None else attempts_before + 1


@dataclass(frozen=True)
class _Recorder:
    """Writes the outcome of one claimed attempt, and only over that claim."""

    engine: Engine
    delivery_id: int
    communication_id: int
    claimed_at: datetime
    attempt: int
    clock: Callable[[], datetime]

    def sent(self, delivered_to: str, email: OutgoingEmail) -> _Outcome:
        now = self.clock()
        self._write(
            state=DeliveryState.SENT.value,
            sent_at=now,
            delivered_to=delivered_to,
            message_id=email.message["Message-ID"],
            last_error=email.note,
            next_attempt_at=None,
        )
        logger.info(
            "email %s sent to %s (delivery %s)",
            email.communication_id,
            delivered_to,
            self.delivery_id,
        )
        return _Outcome.SENT

    def failed(self, reason: str) -> _Outcome:
        self._write(
            state=DeliveryState.FAILED.value, last_error=reason, next_attempt_at=None
        )
        logger.warning("delivery %s failed: %s", self.delivery_id, reason)
        return _Outcome.FAILED

    def retry_or_fail(self, reason: str) -> _Outcome:
        if self.attempt >= MAX_ATTEMPTS:
            return self.failed(f"Gave up after {self.attempt} attempts. {reason}")
        wait = BACKOFF[min(self.attempt, len(BACKOFF)) - 1]
        next_attempt_at = self.clock() + wait
        self._write(
            state=DeliveryState.QUEUED.value,
            last_error=reason,
            next_attempt_at=next_attempt_at,
        )
        logger.warning(
            "delivery %s: attempt %s of %s failed, next at %s: %s",
            self.delivery_id,
            self.attempt,
            MAX_ATTEMPTS,
            next_attempt_at,
            reason,
        )
        return _Outcome.RETRYING

    def _write(self, **values: object) -> None:
        def write(connection: Connection) -> int | None:
            volume_counts.count_out(connection, [self.communication_id])
            written = connection.execute(
                email_deliveries.update()
                .where(
                    email_deliveries.c.id == self.delivery_id,
                    email_deliveries.c.claimed_at == self.claimed_at,
                )
                .values(attempts=self.attempt, **values)
                .returning(email_deliveries.c.id)
            ).scalar_one_or_none()
            volume_counts.count_in(connection, [self.communication_id])
            return written

        if write_with_retry(self.engine, write) is None:
            # Someone took the delivery over meanwhile (failed as stuck, then
            # retried by an admin); their record stands.
            logger.warning(
                "delivery %s changed hands before its outcome was recorded: %s",
                self.delivery_id,
                values,
            )


def _fail_stuck(engine: Engine, now: datetime) -> int:
    """Fail the deliveries whose sender stopped mid-send; never send them again."""

    stuck_condition = sa.and_(
        email_deliveries.c.state == DeliveryState.SENDING.value,
        email_deliveries.c.claimed_at < now - STUCK_AFTER,
    )

    def fail(connection: Connection) -> list[int]:
        emails = connection.execute(
            sa.select(email_deliveries.c.communication_id).where(stuck_condition)
        ).scalars()
        communication_ids = list(emails)
        volume_counts.count_out(connection, communication_ids)
        failed = connection.execute(
            email_deliveries.update()
            .where(stuck_condition)
            .values(
                state=DeliveryState.FAILED.value,
                attempts=email_deliveries.c.attempts + 1,
                last_error=STUCK_REASON,
                next_attempt_at=None,
            )
            .returning(email_deliveries.c.id)
        ).scalars()
        stuck = list(failed)
        volume_counts.count_in(connection, communication_ids)
        return stuck

    try:
        stuck = write_with_retry(engine, fail)
    except sa.exc.DBAPIError as error:
        if not is_write_conflict(error):
            raise
        return 0  # another dispatcher is failing them right now
    for delivery_id in stuck:
        logger.warning("delivery %s stuck in sending: %s", delivery_id, STUCK_REASON)
    return len(stuck)


# --- an admin's retry --------------------------------------------------------


def retry_delivery(engine: Engine, member: Member, delivery_id: int) -> None:
    """Put a failed delivery back in the queue, due now, with attempts anew."""
    if member.role is not Role.ADMIN:
        raise PermissionDenied("Only an admin may retry an email's delivery.")

    def retry(connection: Connection) -> None:
        communication_id = connection.execute(
            sa.select(email_deliveries.c.communication_id).where(
                email_deliveries.c.id == delivery_id
            )
        ).scalar_one_or_none()
        volume_counts.count_out(
            connection, [communication_id] if communication_id else []
        )
        retried = connection.execute(
            email_deliveries.update()
            .where(
                email_deliveries.c.id == delivery_id,
                email_deliveries.c.state == DeliveryState.FAILED.value,
            )
            .values(
                state=DeliveryState.QUEUED.value, attempts=0, next_attempt_at=now_utc()
            )
            .returning(email_deliveries.c.id)
        ).scalar_one_or_none()
        if retried is not None:
            volume_counts.count_in(connection, [communication_id])
            return
        state = connection.execute(
            sa.select(email_deliveries.c.state).where(
                email_deliveries.c.id == delivery_id
            )
        ).scalar_one_or_none()
        if state is None:
            raise NotFound("This email delivery does not exist.")
        raise DeliveryNotRetryable(
            f"Only a failed email can be retried; this one is {state}."
        )

    write_with_retry(engine, retry)
    logger.info("delivery %s queued again by member %s", delivery_id, member.id)


# --- the dispatcher inside the dashboard's process ----------------------------


class DeliveryDispatcher:
    """Runs the dispatch every few seconds on a daemon thread, and survives errors.

    Each run first sends the event reminders and follow-ups that are due
    (flo_comms.event_dispatch), when ``event_emails_from`` gives the address
    they are sent from, then delivers the queue. The dashboard starts one per
    process; wake() asks for a run at once (after an action logged an email),
    stop() ends the thread.
    """

    def __init__(
        self,
        engine: Engine,
        transport: Transport,
        interval_seconds: float = 30,
        *,
        batch_size: int = 50,
        event_emails_from: str | None = None,
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.interval_seconds = interval_seconds
        self.batch_size = batch_size
        self.event_emails_from = event_emails_from
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread; a second call while it runs does nothing."""
        with self._lock:
            if self.running:
                return
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._run, name="flo-comms-delivery", daemon=True
            )
            self._thread.start()
        logger.info("dispatcher started, every %s s", self.interval_seconds)

    def wake(self) -> None:
        """Run now instead of at the end of the current wait."""
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        """Ask the thread to end and wait for it (a send in progress finishes)."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            if self._thread is not None:
                self._thread.join(timeout)
            self._thread = None
        logger.info("dispatcher stopped")

    def run_once(self) -> DeliveryReport | None:
        """One run: due event emails, then deliveries; errors are logged, not raised."""
        if self.event_emails_from is not None:
            # Imported here: event_dispatch imports the events modules, which
            # the delivery code itself does not need.
            from flo_comms.event_dispatch import dispatch_event_emails

            try:
                dispatch_event_emails(self.engine, from_address=self.event_emails_from)
            except Exception:
                logger.exception(
                    "reminder and follow-up run failed; the next starts in %s s",
                    self.interval_seconds,
                )
        try:
            return deliver_due(self.engine, self.transport, limit=self.batch_size)
        except Exception:
            logger.exception(
                "delivery run failed; the next starts in %s s", self.interval_seconds
            )
            return None

    def _run(self) -> None:
        while not self._stopping.is_set():
            report = self.run_once()
            if report is not None and report.handled >= self.batch_size:
                continue  # a full batch: more may be waiting (a backlog)
            self._wake.wait(self.interval_seconds)
            self._wake.clear()
