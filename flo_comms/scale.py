"""Scale data: a database the size of a large recruiting team, written in bulk.

``flo-comms scale --candidates N --communications M`` fills an empty database
with N candidates and exactly M communications spread over three years, in
the proportions a large team's history has (SHARES): entries logged by hand
of every communication type, job emails (status emails and update requests,
to agency contacts for agency candidates), emails sent by members, and the
emails of outreach events of all six kinds, some with thousands of
registrants. A few candidates have very long timelines (LONG_TIMELINE_ENTRIES
at 5 million communications, proportionally fewer below).

The rows are the ones the domain functions write (participants with names and
addresses as they were, the candidates whose tab shows each entry, a delivery
for every system email, the dispatcher's decisions), but they are planned as
arrays and written a table at a time (flo_comms.scale_load): at 250,000
candidates and 5 million communications it takes minutes, where the domain
functions would take days. Afterwards every key sequence continues after the
largest id, so that the app keeps adding rows as usual.

The three accounts admin@, recruiter@ and manager@flo-scale.test (and every
generated member) sign in with the demo password.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from argon2 import PasswordHasher
from faker import Faker
from faker.providers.person.en_US import Provider as NameProvider
from sqlalchemy.engine import Connection, Engine

from flo_comms import timeline_store, volume_counts
from flo_comms.candidates import CandidateSource
from flo_comms.demo import (
    DEMO_PASSWORD,
    JOB_TITLES,
    PIPELINE_PATHS,
    SUBJECTS,
    TYPE_WEIGHTS,
)
from flo_comms.email_templates import DEFAULT_STATUS_EMAILS, email_context, render_email
from flo_comms.errors import FloCommsError
from flo_comms.event_emails import SYSTEM_SENDER_NAME
from flo_comms.job_emails import default_update_request_message
from flo_comms.jobs import ApplicationStatus
from flo_comms.members import Role
from flo_comms.scale_emails import (
    COMM_TYPES,
    DIRECT,
    EMAIL_TYPE,
    FIRST_NAME,
    JOB,
    KIND_CODE,
    MANUAL,
    SECOND,
    SENDER_NAME,
    STATUS_CODE,
    Chunker,
    EmailPlan,
    People,
    Templates,
    in_logging_order,
)
from flo_comms.scale_events import DAY, EMAILS_PER_REGISTRATION, HOUR, EventPlanner
from flo_comms.scale_load import load_frame
from flo_comms.schema import (
    agencies,
    agency_contacts,
    applications,
    candidates,
    communication_candidates,
    communication_history,
    communication_participants,
    communications,
    email_deliveries,
    event_dispatches,
    event_registrations,
    event_time_slots,
    job_email_copies,
    jobs,
    members,
    metadata,
    outreach_events,
    timeline_entries,
)
from flo_comms.system_emails import EmailKind

logger = logging.getLogger(__name__)

SCALE_DOMAIN = "flo-scale.test"
SCALE_FROM_ADDRESS = f"Flo Recruiting <jobs@{SCALE_DOMAIN}>"
HISTORY_DAYS = 3 * 365
# Shares of all communications; entries logged by hand make up the rest
# (about 40%). Event and job emails follow from the events and applications
# planned for these shares, so they land near them rather than on them.
SHARES = {"event": 0.35, "job": 0.20, "direct": 0.05}
FULL_SIZE_COMMUNICATIONS = 5_000_000
LONG_TIMELINE_ENTRIES = 20_000
LONG_TIMELINES = 3
# Job emails one application brings on average, through PIPELINE_PATHS.
JOB_EMAILS_PER_APPLICATION = 1.0
CHUNK_ROWS = 200_000
CANDIDATE_SOURCE_WEIGHTS = {
    CandidateSource.CAREER_SITE: 30,
    CandidateSource.REFERRAL: 15,
    CandidateSource.AGENCY: 15,
    CandidateSource.JOB_BOARD: 20,
    CandidateSource.LINKEDIN: 12,
    CandidateSource.OUTREACH_EVENT: 8,
}
LOCATIONS = ("Remote", "New York", "London", "Berlin", "Chicago")
ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London")
DIRECT_SUBJECTS = (
    "Checking in",
    "Next steps",
    "Your interview on Thursday",
    "A role you might like",
    "Documents we still need",
)


class ScaleRefused(FloCommsError):
    """The database already holds data; scale data goes only into an empty one."""


@dataclass(frozen=True)
class ScaleSize:
    candidates: int
    communications: int

    def __post_init__(self) -> None:
        if self.candidates < 10:
            raise ValueError("Ask for at least 10 candidates.")
        if self.communications < 100:
            raise ValueError("Ask for at least 100 communications.")
        if self.communications < self.candidates:
            # The history gives every candidate some contact; fewer entries
            # than candidates cannot be planned.
            raise ValueError("Ask for at least as many communications as candidates.")

    @property
    def members(self) -> int:
        return max(12, self.candidates // 4_000)

    @property
    def agencies(self) -> int:
        return max(3, self.candidates // 5_000)

    @property
    def jobs(self) -> int:
        return max(8, self.candidates // 250)

    @property
    def long_timeline_entries(self) -> int:
        share = self.communications / FULL_SIZE_COMMUNICATIONS
        return max(20, round(LONG_TIMELINE_ENTRIES * share))


@dataclass(frozen=True)
class ScaleReport:
    """Rows written per table, and the candidates with the longest timelines."""

    rows: dict[str, int]
    long_timeline_candidates: tuple[int, ...]
    seconds: float


def require_empty(engine: Engine) -> None:
    """Refuse a database holding any row: scale data must not mix with real data."""
    with engine.connect() as connection:
        filled = [
            table.name
            for table in metadata.sorted_tables
            if connection.execute(
                sa.select(sa.literal(1)).select_from(table).limit(1)
            ).first()
        ]
    if filled:
        raise ScaleRefused(
            f"This database already holds data (in {', '.join(filled)}); scale data "
            "goes only into an empty database."
        )


def fill_scale_database(
    engine: Engine,
    size: ScaleSize,
    *,
    seed: int = 2026,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> ScaleReport:
    """Fill an empty database with ``size``.

    ``progress`` hears how many communications each chunk wrote, ``stage``
    what is going on ("Planning", "Writing", "Sorting the timelines").

    Everything is written in one transaction: a failure leaves the database
    empty. The same seed and ``now`` give the same rows.
    """
    started = time.monotonic()
    require_empty(engine)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    world = _World(size, seed, _micro(now))
    if stage:
        stage("Planning")
    world.plan_everything()
    if stage:
        stage("Writing")
    rows = world.write(engine, progress, stage)
    seconds = time.monotonic() - started
    logger.info("scale data: %s rows in %.0f s", sum(rows.values()), seconds)
    return ScaleReport(rows, tuple(world.long_timelines.tolist()), seconds)


def _micro(moment: datetime) -> int:
    return int(moment.timestamp()) * SECOND


def _times(microseconds: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(microseconds).astype("datetime64[us]")).dt.tz_localize(
        "UTC"
    )


class _World:
    """Everyone and everything of one scale database, planned before writing."""

    def __init__(self, size: ScaleSize, seed: int, now: int) -> None:
        self.size = size
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.now = now
        self.start = now - HISTORY_DAYS * DAY
        self.plan = EmailPlan()
        self.templates = Templates()
        self.frames: dict[str, pd.DataFrame] = {}
        # Rendered job email templates, by (what, job, status).
        self._cache: dict[tuple, int] = {}

    def plan_everything(self) -> None:
        self._members()
        self._agencies()
        self._candidates()
        self._jobs()
        self._applications()
        self._events()
        self._direct_emails()
        self._manual_entries()

    # --- people -------------------------------------------------------------------

    def _members(self) -> None:
        fake = Faker()
        fake.seed_instance(self.seed)
        count = self.size.members
        names = [fake.unique.name() for _ in range(count)]
        local_parts = ["admin", "recruiter", "manager"] + [
            re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") for name in names[3:]
        ]
        mix = [Role.RECRUITER.value] * 5 + [Role.ADMIN.value] * 2 + [Role.MANAGER.value]
        others = self.rng.choice(mix, count - 3)
        roles = [Role.ADMIN, Role.RECRUITER, Role.MANAGER, *(Role(r) for r in others)]
        emails = [f"{local}@{SCALE_DOMAIN}" for local in local_parts]
        self.frames["members"] = pd.DataFrame(
            {
                "id": np.arange(1, count + 1),
                "name": names,
                "email": emails,
                # One hash for everyone: hashing thousands of times would take minutes.
                "password_hash": PasswordHasher().hash(DEMO_PASSWORD),
                "role": [role.value for role in roles],
                "time_zone": self.rng.choice(ZONES, count),
                "active": True,
                "created_at": _times(np.full(count, self.start - 30 * DAY)),
            }
        )
        self.member_names = np.array([SYSTEM_SENDER_NAME, *names], dtype=object)
        self.member_emails = np.array([None, *emails], dtype=object)
        ids = np.arange(1, count + 1)
        self.loggers = ids[[Role(r).can_log_communications for r in roles]]
        self.admins = ids[[r == Role.ADMIN for r in roles]]

    def _agencies(self) -> None:
        count = self.size.agencies
        names = [
            f"{last} Talent Partners {i + 1}"
            for i, last in enumerate(self.rng.choice(_last_names(), count))
        ]
        self.frames["agencies"] = pd.DataFrame(
            {
                "id": np.arange(1, count + 1),
                "name": names,
                "created_at": _times(np.full(count, self.start - 30 * DAY)),
            }
        )
        contacts = count * 3
        first = self.rng.choice(_first_names(), contacts)
        last = self.rng.choice(_last_names(), contacts)
        contact_names = [f"{f} {s}" for f, s in zip(first, last, strict=True)]
        contact_emails = [
            f"{f.lower()}.{s.lower()}.{i + 1}@example.net"
            for i, (f, s) in enumerate(zip(first, last, strict=True))
        ]
        self.frames["agency_contacts"] = pd.DataFrame(
            {
                "id": np.arange(1, contacts + 1),
                "agency_id": np.arange(contacts) // 3 + 1,
                "name": contact_names,
                "email": contact_emails,
                "created_at": _times(np.full(contacts, self.start - 30 * DAY)),
            }
        )
        self.contact_names = np.array([None, *contact_names], dtype=object)
        self.contact_emails = np.array([None, *contact_emails], dtype=object)

    def _candidates(self) -> None:
        rng, count = self.rng, self.size.candidates
        first = rng.choice(_first_names(), count)
        last = rng.choice(_last_names(), count)
        ids = np.arange(1, count + 1)
        names = np.char.add(np.char.add(first, " "), last).astype(object)
        tld = rng.choice(["com", "org", "net"], count)
        emails = np.char.add(
            np.char.add(np.char.lower(np.char.add(np.char.add(first, "."), last)), "."),
            np.char.add(np.char.add(ids.astype(str), "@example."), tld),
        ).astype(object)
        # A few candidates have no address: contact with them is by phone.
        emails[rng.random(count) < 0.03] = None
        sources = list(CANDIDATE_SOURCE_WEIGHTS)
        weights = np.array(list(CANDIDATE_SOURCE_WEIGHTS.values()), dtype=float)
        source = rng.choice(len(sources), count, p=weights / weights.sum())
        is_agency = source == sources.index(CandidateSource.AGENCY)
        contact_count = len(self.contact_names) - 1
        contact = np.where(is_agency, rng.integers(1, contact_count + 1, count), 0)
        # In the order they came in: ids grow with time.
        created = np.sort(rng.integers(self.start, self.now - DAY, count))
        self.frames["candidates"] = pd.DataFrame(
            {
                "id": ids,
                "name": pd.Series(names, dtype=object),
                "email": pd.Series(emails, dtype=object),
                "phone": np.char.add("+1 555 01", (ids % 100_000).astype(str)).astype(
                    object
                ),
                "source": np.array([s.value for s in sources])[source],
                "agency_contact_id": pd.Series(contact, dtype="Int64").where(
                    contact > 0
                ),
                "created_at": _times(created),
            }
        )
        self.candidate_names = np.concatenate([[None], names]).astype(object)
        self.candidate_first = np.concatenate([[""], first]).astype(object)
        self.candidate_emails = np.concatenate([[None], emails]).astype(object)
        self.candidate_created = np.concatenate([[self.start], created])
        self.candidate_contact = np.concatenate([[0], contact])
        self.with_email = ids[emails != None]  # noqa: E711 (an array comparison)

    def _after_creation(
        self, candidate: np.ndarray, floor: int | None = None
    ) -> np.ndarray:
        """A moment between each candidate's arrival and now."""
        earliest = self.candidate_created[candidate]
        if floor is not None:
            earliest = np.maximum(earliest, floor)
        span = np.maximum(self.now - HOUR - earliest, 1)
        return earliest + (self.rng.random(len(candidate)) * span).astype(np.int64)

    # --- jobs and applications ----------------------------------------------------

    def _jobs(self) -> None:
        rng, count = self.rng, self.size.jobs
        titles = [
            f"{JOB_TITLES[i % len(JOB_TITLES)]}, {LOCATIONS[(i // 8) % len(LOCATIONS)]}"
            + (f" ({i // 40 + 1})" if i >= 40 else "")
            for i in range(count)
        ]
        created = np.sort(
            rng.integers(self.start - 60 * DAY, self.now - 30 * DAY, count)
        )
        self.frames["jobs"] = pd.DataFrame(
            {
                "id": np.arange(1, count + 1),
                "title": titles,
                "location": [
                    LOCATIONS[(i // 8) % len(LOCATIONS)] for i in range(count)
                ],
                "is_open": rng.random(count) < 0.7,
                "created_at": _times(created),
            }
        )
        # The job's recruiter in cc; on some jobs an admin reads along in bcc.
        cc = rng.choice(self.loggers, count)
        bcc = np.where(rng.random(count) < 0.3, rng.choice(self.admins, count), 0)
        bcc = np.where(bcc == cc, 0, bcc)
        job_ids = np.arange(1, count + 1)
        self.frames["job_email_copies"] = pd.concat(
            [
                pd.DataFrame({"job_id": job_ids, "member_id": cc, "kind": "cc"}),
                pd.DataFrame(
                    {
                        "job_id": job_ids[bcc > 0],
                        "member_id": bcc[bcc > 0],
                        "kind": "bcc",
                    }
                ),
            ],
            ignore_index=True,
        )
        self.job_titles = np.array([None, *titles], dtype=object)
        self.job_cc = np.concatenate([[0], cc])
        self.job_bcc = np.concatenate([[0], bcc])

    def _applications(self) -> None:
        rng = self.rng
        wanted = round(
            self.size.communications * SHARES["job"] / JOB_EMAILS_PER_APPLICATION
        )
        candidate = rng.integers(1, self.size.candidates + 1, wanted)
        job = rng.integers(1, self.size.jobs + 1, wanted)
        key = np.unique(job.astype(np.int64) * (self.size.candidates + 1) + candidate)
        job, candidate = (
            key // (self.size.candidates + 1),
            key % (self.size.candidates + 1),
        )
        order = rng.permutation(len(key))
        job, candidate = job[order], candidate[order]
        count = len(job)
        created = self._after_creation(candidate)
        steps = _pipeline_steps()
        path = rng.choice(len(steps), count, p=_pipeline_weights())
        codes = steps[path]  # (count, 5): status codes, 0 past the path's end
        gaps = (
            rng.integers(2, 21, codes.shape) * DAY
            + rng.integers(0, 600, codes.shape) * 60 * SECOND
        )
        when = created[:, None] + np.cumsum(gaps, axis=1)
        reached = (codes > 0) & (when <= self.now - HOUR)
        reached = np.cumprod(reached, axis=1).astype(bool)
        last = reached.sum(axis=1)
        final_code = np.where(
            last > 0,
            codes[np.arange(count), np.maximum(last - 1, 0)],
            STATUS_CODE["New"],
        )
        changed = np.where(
            last > 0, when[np.arange(count), np.maximum(last - 1, 0)], created
        )
        statuses = np.array([None, *(s.value for s in ApplicationStatus)], dtype=object)
        self.frames["applications"] = pd.DataFrame(
            {
                "id": np.arange(1, count + 1),
                "job_id": job,
                "candidate_id": candidate,
                "status": statuses[final_code],
                "created_at": _times(created),
                "status_changed_at": _times(changed),
            }
        )
        self._job_emails(job, candidate, codes, when, reached, created)

    def _job_emails(
        self,
        job: np.ndarray,
        candidate: np.ndarray,
        codes: np.ndarray,
        when: np.ndarray,
        reached: np.ndarray,
        created: np.ndarray,
    ) -> None:
        rng = self.rng
        sender = rng.choice(self.loggers, len(job))
        contact = self.candidate_contact[candidate]
        reachable = (contact > 0) | (self.candidate_emails[candidate] != None)  # noqa: E711
        emailing = {STATUS_CODE[s.value] for s in DEFAULT_STATUS_EMAILS}
        sends = reached & np.isin(codes, list(emailing)) & reachable[:, None]
        app, step = np.nonzero(sends)
        templates = np.array(
            [
                self._status_template(int(j), int(c))
                for j, c in zip(job[app], codes[app, step], strict=True)
            ]
        )
        self._add_job_emails(
            app,
            job,
            candidate,
            sender,
            contact,
            when[app, step],
            kind=EmailKind.JOB_STATUS,
            status=codes[app, step],
            templates=templates,
        )
        # Now and then a member asks for an updated application before a step.
        asks = reached & reachable[:, None] & (rng.random(codes.shape) < 0.05)
        app, step = np.nonzero(asks)
        moment = np.maximum(
            when[app, step] - rng.integers(1, 6, len(app)) * DAY, created[app] + HOUR
        )
        templates = np.array([self._update_template(int(j)) for j in job[app]])
        self._add_job_emails(
            app,
            job,
            candidate,
            sender,
            contact,
            moment,
            kind=EmailKind.UPDATE_REQUEST,
            status=np.zeros(len(app)),
            templates=templates,
        )

    def _add_job_emails(
        self, app, job, candidate, sender, contact, moment, *, kind, status, templates
    ) -> None:
        self.plan.add(
            len(app),
            occurred=moment,
            category=JOB,
            kind=KIND_CODE[kind.value],
            comm_type=EMAIL_TYPE,
            candidate=candidate[app],
            member=sender[app],
            signer=sender[app],
            reply=sender[app],
            template=templates,
            job=job[app],
            application=app + 1,
            status=status,
            agency_contact=contact[app],
        )

    def _status_template(self, job: int, code: int) -> int:
        key = ("status", job, code)
        if key not in self._cache:
            status = ApplicationStatus(list(ApplicationStatus)[code - 1])
            text = DEFAULT_STATUS_EMAILS[status]
            subject, body = render_email(
                text.subject, text.body, self._context(job, status)
            )
            self._cache[key] = self.templates.add(subject, body)
        return self._cache[key]

    def _update_template(self, job: int) -> int:
        key = ("update", job)
        if key not in self._cache:
            title = self.job_titles[job]
            body = default_update_request_message(
                f"{FIRST_NAME} Candidate", title, SENDER_NAME
            )
            self._cache[key] = self.templates.add(
                f"Please update your application: {title}", body
            )
        return self._cache[key]

    def _context(self, job: int, status: ApplicationStatus) -> dict:
        return email_context(
            candidate_name=f"{FIRST_NAME} Candidate",
            candidate_email="candidate@example.org",
            sender_name=SENDER_NAME,
            sender_email=f"sender@{SCALE_DOMAIN}",
            job_title=self.job_titles[job],
            job_location=LOCATIONS[(job - 1) // 8 % len(LOCATIONS)],
            status=status.value,
        )

    # --- events, member emails, entries logged by hand -------------------------------

    def _events(self) -> None:
        wanted = self.size.communications * SHARES["event"] / EMAILS_PER_REGISTRATION
        planner = EventPlanner(
            self.plan,
            self.templates,
            self.rng,
            now=self.now,
            history_start=self.start,
            organisers=self.loggers,
            candidate_pool=self.with_email,
            pool_created=self.candidate_created[self.with_email],
        )
        self.event_rows = planner.plan_events(round(wanted))

    def _direct_emails(self) -> None:
        rng = self.rng
        count = round(self.size.communications * SHARES["direct"])
        candidate = rng.choice(self.with_email, count)
        sender = rng.choice(self.loggers, count)
        colleague = np.where(
            rng.random(count) < 0.1, rng.choice(self.loggers, count), 0
        )
        colleague = np.where(colleague == sender, 0, colleague)
        paragraphs = _paragraphs(self.seed, 60)
        options = [
            self.templates.add(
                subject,
                f"Hello {FIRST_NAME},\n\n{text}\n\nBest regards,\n{SENDER_NAME}",
            )
            for subject, text in zip(
                np.resize(DIRECT_SUBJECTS, len(paragraphs)), paragraphs, strict=True
            )
        ]
        self.plan.add(
            count,
            occurred=self._after_creation(candidate),
            category=DIRECT,
            kind=KIND_CODE[EmailKind.DIRECT.value],
            comm_type=EMAIL_TYPE,
            candidate=candidate,
            member=sender,
            signer=sender,
            reply=sender,
            template=rng.choice(options, count),
            colleague=colleague,
        )

    def _manual_entries(self) -> None:
        rng, size = self.rng, self.size
        count = size.communications - self.plan.count
        if count < 0:
            raise ValueError(
                f"{size.communications} communications are too few for "
                f"{size.candidates} candidates' emails; ask for more."
            )
        # The longest timelines: candidates talked to every day for years.
        candidates_pool = np.arange(1, size.candidates + 1)
        direct = candidates_pool[self.candidate_contact[1:] == 0]
        self.long_timelines = np.sort(
            rng.choice(direct, min(LONG_TIMELINES, len(direct)), replace=False)
        )
        per_long = min(
            size.long_timeline_entries, count // (2 * len(self.long_timelines))
        )
        long_rows = np.repeat(self.long_timelines, per_long)
        rest = count - len(long_rows)
        # Some candidates are talked to far more than others.
        busy = rng.choice(candidates_pool, max(1, size.candidates // 10), replace=False)
        candidate = np.where(
            rng.random(rest) < 0.3,
            rng.choice(busy, rest),
            rng.integers(1, size.candidates + 1, rest),
        )
        candidate = np.concatenate([long_rows, candidate])
        occurred = self._after_creation(candidate)
        lag = np.minimum(
            rng.integers(60, 2 * DAY // SECOND, count) * SECOND, self.now - occurred
        )
        types = [t.value for t in TYPE_WEIGHTS]
        weights = np.array(list(TYPE_WEIGHTS.values()), dtype=float)
        comm_type = np.array([COMM_TYPES.index(t) for t in types])[
            rng.choice(len(types), count, p=weights / weights.sum())
        ]
        author = rng.choice(self.loggers, count)
        team = np.arange(1, size.members + 1)
        colleague = np.where(rng.random(count) < 0.15, rng.choice(team, count), 0)
        self.plan.add(
            count,
            occurred=occurred,
            lag=lag,
            category=MANUAL,
            comm_type=comm_type,
            candidate=candidate,
            member=author,
            signer=author,
            template=rng.choice(self._manual_templates(), count),
            extra=rng.choice([0, 0, 0, 0, 1, 2], count),
            colleague=colleague,
        )

    def _manual_templates(self) -> list[int]:
        subjects = [s.format(job=title) for s in SUBJECTS for title in JOB_TITLES]
        paragraphs = _paragraphs(self.seed + 1, 600)
        options = []
        for i in range(3_000):
            pick = self.rng.choice(len(paragraphs), 1 + i % 3, replace=False)
            body = "\n\n".join(paragraphs[j] for j in pick)
            options.append(self.templates.add(subjects[i % len(subjects)], body))
        return options

    # --- writing --------------------------------------------------------------------

    def write(
        self,
        engine: Engine,
        progress: Callable[[int], None] | None,
        stage: Callable[[str], None] | None = None,
    ) -> dict[str, int]:
        plan, ids = in_logging_order(self.plan.build())
        subjects, bodies = self.templates.parts()
        people = People(
            member_names=self.member_names,
            member_emails=self.member_emails,
            candidate_names=self.candidate_names,
            candidate_first_names=self.candidate_first,
            candidate_emails=self.candidate_emails,
            contact_names=self.contact_names,
            contact_emails=self.contact_emails,
            job_cc=self.job_cc,
            job_bcc=self.job_bcc,
            from_address=SCALE_FROM_ADDRESS,
            system_name=SYSTEM_SENDER_NAME,
        )
        chunker = Chunker(plan, people, subjects, bodies, self.now, self.seed)
        events = self.event_rows
        parents = [
            (members, self.frames["members"]),
            (agencies, self.frames["agencies"]),
            (agency_contacts, self.frames["agency_contacts"]),
            (candidates, self.frames["candidates"]),
            (jobs, self.frames["jobs"]),
            (job_email_copies, self.frames["job_email_copies"]),
            (applications, self.frames["applications"]),
            (outreach_events, events.events),
            (event_time_slots, events.slots),
            (event_registrations, events.registrations),
        ]
        rows: dict[str, int] = {}
        with engine.begin() as connection:
            for table, frame in parents:
                rows[table.name] = load_frame(connection, table, frame)
            self._write_communications(connection, chunker, len(ids), rows, progress)
            rows[event_dispatches.name] = load_frame(
                connection, event_dispatches, _dispatch_rows(events.dispatches, ids)
            )
            continue_sequences(connection)
            # The tabs' reading copy, written sorted as the app keeps it, and
            # the analytics counts of everything just written, in one pass.
            if stage:
                stage("Sorting the timelines")
            timeline_store.rebuild(connection)
            rows[timeline_entries.name] = connection.execute(
                sa.select(sa.func.count()).select_from(timeline_entries)
            ).scalar_one()
            if stage:
                stage("Counting for analytics")
            volume_counts.rebuild(connection)
        return rows

    def _write_communications(self, connection, chunker, total, rows, progress) -> None:
        tables = (
            communications,
            communication_participants,
            communication_candidates,
            email_deliveries,
            communication_history,
        )
        for table in tables:
            rows[table.name] = 0
        for start in range(0, total, CHUNK_ROWS):
            chunk = chunker.rows(start, min(start + CHUNK_ROWS, total))
            frames = (
                chunk.communications,
                chunk.participants,
                chunk.attachments,
                chunk.deliveries,
                chunk.history,
            )
            for table, frame in zip(tables, frames, strict=True):
                rows[table.name] += load_frame(connection, table, frame)
            if progress:
                progress(len(chunk.communications))


def _dispatch_rows(dispatches: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
    if dispatches.empty:
        return dispatches
    frame = dispatches.copy()
    position = frame["communication_id"].to_numpy()
    frame["communication_id"] = pd.Series(
        np.where(position >= 0, ids[np.maximum(position, 0)], 0), dtype="Int64"
    ).where(position >= 0)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


def continue_sequences(connection: Connection) -> None:
    """Make every key sequence continue after the largest id written.

    Rows were written with their ids; setval works alike on DuckDB and
    PostgreSQL (as in flo_comms.copy). SQLite has no sequences to move.
    """
    if connection.dialect.name == "sqlite":
        return
    for table in metadata.sorted_tables:
        if "id" not in table.c or not isinstance(table.c.id.default, sa.Sequence):
            continue
        highest = connection.execute(sa.select(sa.func.max(table.c.id))).scalar()
        if highest:
            connection.execute(
                sa.select(sa.func.setval(table.c.id.default.name, highest))
            )


def _pipeline_steps() -> np.ndarray:
    """PIPELINE_PATHS as status codes, one row per path, 0 after its end."""
    longest = max(len(path) for path in PIPELINE_PATHS)
    steps = np.zeros((len(PIPELINE_PATHS), longest), dtype=np.int64)
    for row, path in enumerate(PIPELINE_PATHS):
        for column, status in enumerate(path):
            steps[row, column] = STATUS_CODE[status.value]
    return steps


def _pipeline_weights() -> np.ndarray:
    weights = np.array(list(PIPELINE_PATHS.values()), dtype=float)
    return weights / weights.sum()


def _first_names() -> np.ndarray:
    return np.array(list(NameProvider.first_names), dtype=str)


def _last_names() -> np.ndarray:
    return np.array(list(NameProvider.last_names), dtype=str)


def _paragraphs(seed: int, count: int) -> list[str]:
    fake = Faker()
    fake.seed_instance(seed)
    return [fake.paragraph(nb_sentences=4) for _ in range(count)]
