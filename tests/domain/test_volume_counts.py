"""communication_volume, the analytics counts: after every kind of write, the
counts summed per key equal a count made straight from the entries."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms import analytics, volume_counts
from flo_comms import communications as communications_module
from flo_comms.agencies import create_agency, create_agency_contact
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.communications import (
    CommunicationDraft,
    Participant,
    ParticipantRole,
    delete_communication,
    edit_communication,
    log_communication,
)
from flo_comms.db import write_with_retry
from flo_comms.delivery import (
    DeliveryError,
    DeliveryReport,
    OutgoingEmail,
    PermanentDeliveryError,
    deliver_due,
    retry_delivery,
)
from flo_comms.jobs import create_job
from flo_comms.members import Member
from flo_comms.schema import (
    communication_participants,
    communication_volume,
    communications,
    email_deliveries,
)
from flo_comms.system_emails import EmailKind, SystemEmail, log_system_email

FROM = "Flo Recruiting <jobs@example.com>"
QUARTER_HOUR = 15 * 60


def _bucket(moment: datetime) -> datetime:
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % QUARTER_HOUR, UTC)


def reference_counts(engine: Engine) -> Counter:
    """Live entries per key, counted straight from the entries (the bucket in
    Python): what the rollup must sum to."""
    c, d, p = communications.c, email_deliveries.c, communication_participants.c
    to_agency = (
        sa.select(p.id)
        .where(
            p.communication_id == c.id,
            p.role == "to",
            p.agency_contact_id.is_not(None),
        )
        .exists()
    )
    state = sa.case((d.state == "sending", "queued"), else_=d.state)
    keys = (
        c.occurred_at,
        c.source,
        c.comm_type,
        c.email_kind,
        c.event_id,
        c.job_id,
        c.job_status,
        to_agency,
        state,
    )
    query = (
        sa.select(*keys, sa.func.count())
        .select_from(
            communications.outerjoin(email_deliveries, d.communication_id == c.id)
        )
        .where(c.deleted_at.is_(None))
        .group_by(*keys)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    counts: Counter = Counter()
    for occurred_at, *rest, n in rows:
        key = (_bucket(occurred_at), *rest)
        counts[key] += n
    return counts


def rollup_counts(engine: Engine) -> Counter:
    v = communication_volume.c
    keys = [column for column in communication_volume.c if column.name != "entries"]
    total = sa.func.sum(v.entries)
    query = sa.select(*keys, total).group_by(*keys).having(total != 0)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return Counter({(_bucket(bucket), *rest[:-1]): rest[-1] for bucket, *rest in rows})


def rollup_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(communication_volume)
        ).scalar_one()


def assert_counted(engine: Engine) -> None:
    expected = reference_counts(engine)
    assert sum(expected.values()) > 0
    assert rollup_counts(engine) == expected


def manual_draft(member: Member, candidate: int, **changes) -> CommunicationDraft:
    fields = {
        "comm_type": "phone call",
        "occurred_local": datetime(2026, 1, 15, 9, 0),
        "time_zone": "UTC",
        "sender_member_ids": (member.id,),
        "recipient_candidate_ids": (candidate,),
        "recipient_member_ids": (),
        "subject": "Intro call",
        "description": "Talked through the role.",
    }
    return CommunicationDraft(**{**fields, **changes})


class PickyTransport:
    """Sends every email except rejections (refused for good) and offers (the
    server asks to try later, so they wait in the queue)."""

    def send(self, email: OutgoingEmail) -> str:
        subject = email.message["Subject"]
        if "Rejected" in subject:
            raise PermanentDeliveryError("smtp://mail: 550 no such mailbox")
        if "Offer" in subject:
            raise DeliveryError("smtp://mail: 451 try again later")
        return "outbox"


class ProcessDied(BaseException):
    """Stands for the process being killed in the middle of a send."""


class DyingTransport:
    def send(self, email: OutgoingEmail) -> str:
        raise ProcessDied()


@pytest.fixture
def job_emails(engine, recruiter, candidate_id) -> dict[str, int]:
    """Job emails to Casey and to the agency contact of Avery, and one from a
    member; logged, then counted by a rebuild (the bulk logger counts its own)."""
    agency = create_agency(engine, "Talent Partners")
    contact = create_agency_contact(engine, agency, "Pat Partner", "pat@tp.example")
    avery = create_candidate(
        engine,
        name="Avery Agency",
        email=None,
        source=CandidateSource.AGENCY,
        agency_contact_id=contact,
    )
    job = create_job(engine, "Data Analyst")
    sender = Participant(
        ParticipantRole.SENDER, recruiter.name, recruiter.email, member_id=recruiter.id
    )
    casey = Participant(
        ParticipantRole.TO, "Casey", "casey@example.org", candidate_id=candidate_id
    )
    pat = Participant(
        ParticipantRole.TO, "Pat Partner", "pat@tp.example", agency_contact_id=contact
    )
    sent = datetime(2026, 1, 20, 14, 7, tzinfo=UTC)
    plans = {
        "interview": (EmailKind.JOB_STATUS, "Interview Scheduled", casey, candidate_id),
        "agency interview": (EmailKind.JOB_STATUS, "Interview Scheduled", pat, avery),
        "rejected": (EmailKind.JOB_STATUS, "Rejected", pat, avery),
        "offer": (EmailKind.JOB_STATUS, "Offer", casey, candidate_id),
        "update request": (EmailKind.UPDATE_REQUEST, None, casey, candidate_id),
        "direct": (EmailKind.DIRECT, None, casey, candidate_id),
        "stuck": (EmailKind.DIRECT, None, casey, candidate_id),
    }
    ids = {}
    with engine.begin() as connection:
        for n, (name, (kind, status, to, about)) in enumerate(plans.items()):
            email = SystemEmail(
                kind=kind,
                subject=f"{status or name}: your application",
                body="Hello.",
                sent_by_member_id=recruiter.id,
                sender=sender,
                to=[to],
                candidate_ids=(about,),
                job_id=None if kind is EmailKind.DIRECT else job,
                job_status=status,
            )
            ids[name] = log_system_email(
                connection,
                email,
                from_address=FROM,
                sent_at=sent + timedelta(minutes=5 * n),
            )
        volume_counts.rebuild(connection)
    return ids


def test_logging_editing_deleting_and_delivering_keep_the_counts(
    engine, recruiter, admin, candidate_id, job_emails
):
    first = log_communication(engine, recruiter, manual_draft(recruiter, candidate_id))
    second = log_communication(
        engine,
        recruiter,
        manual_draft(
            recruiter, candidate_id, occurred_local=datetime(2026, 1, 15, 9, 10)
        ),
    )
    gone = log_communication(
        engine,
        recruiter,
        manual_draft(recruiter, candidate_id, comm_type="video call"),
    )
    assert_counted(engine)

    # Another type, and a time in the next quarter hour.
    edit_communication(
        engine,
        recruiter,
        second,
        manual_draft(
            recruiter,
            candidate_id,
            comm_type="video call",
            occurred_local=datetime(2026, 1, 15, 9, 20),
        ),
    )
    edit_communication(
        engine,
        recruiter,
        first,
        manual_draft(recruiter, candidate_id, occurred_local=datetime(2026, 2, 2, 8)),
    )
    delete_communication(engine, recruiter, gone)
    assert_counted(engine)

    # The one that dies mid-send stays "sending", then fails as stuck.
    stuck = job_emails["stuck"]
    with engine.begin() as connection:
        connection.execute(
            email_deliveries.update()
            .where(email_deliveries.c.communication_id != stuck)
            .values(next_attempt_at=datetime(2030, 1, 1, tzinfo=UTC))
        )
    claimed = datetime.now(UTC) + timedelta(seconds=1)
    with pytest.raises(ProcessDied):
        deliver_due(engine, DyingTransport(), now=claimed)
    assert_counted(engine)
    report = deliver_due(engine, PickyTransport(), now=claimed + timedelta(minutes=20))
    assert report == DeliveryReport(failed=1, stuck=1)
    assert_counted(engine)

    # queued -> sending -> sent, failed, or back in the queue.
    report = deliver_due(engine, PickyTransport(), now=datetime(2030, 1, 2, tzinfo=UTC))
    assert report == DeliveryReport(sent=4, retried=1, failed=1)
    assert_counted(engine)

    with engine.connect() as connection:
        failed = (
            connection.execute(
                sa.select(email_deliveries.c.id).where(
                    email_deliveries.c.state == "failed"
                )
            )
            .scalars()
            .all()
        )
    assert len(failed) == 2
    for delivery_id in failed:
        retry_delivery(engine, admin, delivery_id)
    assert_counted(engine)


def test_rebuilding_and_folding_keep_the_sums_and_fold_to_one_row_a_key(
    engine, recruiter, candidate_id, job_emails
):
    entry = log_communication(engine, recruiter, manual_draft(recruiter, candidate_id))
    for hour in (10, 11, 12):
        edit_communication(
            engine,
            recruiter,
            entry,
            manual_draft(
                recruiter, candidate_id, occurred_local=datetime(2026, 1, 15, hour)
            ),
        )
    counts = rollup_counts(engine)
    assert counts == reference_counts(engine)
    assert rollup_rows(engine) > len(counts)

    write_with_retry(engine, volume_counts.compact)
    assert rollup_counts(engine) == counts
    assert rollup_rows(engine) == len(counts)
    assert volume_counts.tidy(engine) is False

    with engine.begin() as connection:
        volume_counts.rebuild(connection)
    assert rollup_counts(engine) == counts
    assert rollup_rows(engine) == len(counts)


def test_tidy_folds_once_enough_deltas_piled_up(
    engine, recruiter, candidate_id, monkeypatch
):
    entry = log_communication(engine, recruiter, manual_draft(recruiter, candidate_id))
    edit_communication(
        engine,
        recruiter,
        entry,
        manual_draft(recruiter, candidate_id, comm_type="letter"),
    )
    monkeypatch.setattr(volume_counts, "UNFOLDED_ROWS_LIMIT", 1)
    assert volume_counts.tidy(engine) is True
    assert rollup_rows(engine) == 1
    assert rollup_counts(engine) == reference_counts(engine)


def test_a_write_that_fails_leaves_the_counts_as_they_were(
    engine, recruiter, candidate_id, monkeypatch
):
    entry = log_communication(engine, recruiter, manual_draft(recruiter, candidate_id))
    before = (rollup_counts(engine), rollup_rows(engine))

    def broken(connection, ids):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(communications_module.timeline_store, "reindex", broken)
    with pytest.raises(RuntimeError):
        edit_communication(
            engine,
            recruiter,
            entry,
            manual_draft(recruiter, candidate_id, comm_type="letter"),
        )
    with pytest.raises(RuntimeError):
        delete_communication(engine, recruiter, entry)

    assert (rollup_counts(engine), rollup_rows(engine)) == before
    assert_counted(engine)


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "Asia/Kathmandu"])
def test_weeks_and_months_of_zones_off_the_hour_match_a_count_per_entry(
    engine, recruiter, candidate_id, zone
):
    # Around local midnight between Sunday 1 and Monday 2 February 2026 (also
    # the month's turn at 31 January / 1 February), a minute either side of
    # each quarter hour.
    midnight = datetime(2026, 2, 2, tzinfo=ZoneInfo(zone))
    moments = [
        midnight + timedelta(minutes=offset)
        for offset in (-24 * 60 - 16, -24 * 60 + 1, -16, -14, -1, 0, 1, 14, 16, 44)
    ]
    for moment in moments:
        local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        log_communication(
            engine,
            recruiter,
            manual_draft(recruiter, candidate_id, occurred_local=local, time_zone=zone),
        )

    for grain in analytics.Grain:
        expected = Counter(
            analytics.period_start(moment.astimezone(ZoneInfo(zone)).date(), grain)
            for moment in moments
        )
        frame = analytics.volume_by_source(
            engine, analytics.AnalyticsFilter(time_zone=zone), grain
        )
        counted = {
            row.period.date(): row.entries for row in frame.itertuples(index=False)
        }
        assert counted == dict(expected)

    monday = analytics.AnalyticsFilter(
        start_date=date(2026, 2, 2), end_date=date(2026, 2, 2), time_zone=zone
    )
    on_monday = sum(
        moment.astimezone(ZoneInfo(zone)).date() == date(2026, 2, 2)
        for moment in moments
    )
    figures = analytics.headline_figures(engine, monday)
    assert figures.loc[0, "manual"] == on_monday == 5
