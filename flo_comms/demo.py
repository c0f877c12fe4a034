"""Demo data, made by driving the domain functions the way members would.

Every demo account's password is DEMO_PASSWORD; the README lists the accounts.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from faker import Faker
from sqlalchemy.engine import Engine

from flo_comms.agencies import create_agency, create_agency_contact
from flo_comms.candidates import CandidateSource, count_candidates, create_candidate
from flo_comms.communications import (
    CommunicationDraft,
    CommunicationType,
    delete_communication,
    edit_communication,
    log_communication,
)
from flo_comms.demo_events import DemoPerson, create_outreach_events
from flo_comms.errors import FloCommsError
from flo_comms.job_emails import (
    change_status,
    request_application_update,
    update_request_draft,
)
from flo_comms.jobs import (
    ApplicationStatus,
    create_application,
    create_job,
    set_job_email_copies,
)
from flo_comms.members import Member, Role, count_members, create_member
from flo_comms.timezones import now_utc, to_local

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "flo-demo-2026"
DEMO_DOMAIN = "flo-demo.test"
# Where the demo's job emails come from. They are queued for delivery like any
# other email, so every generated address is at a domain reserved for examples
# (example.com, .org, .net): even with SMTP configured, no real mailbox gets one.
DEMO_FROM_ADDRESS = f"Flo Recruiting <jobs@{DEMO_DOMAIN}>"
# The three accounts the README names, one per role.
DEMO_ACCOUNTS = (
    ("admin", Role.ADMIN, "America/New_York"),
    ("recruiter", Role.RECRUITER, "Europe/London"),
    ("manager", Role.MANAGER, "America/Los_Angeles"),
)
TIME_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
)
JOB_TITLES = (
    "Senior Backend Engineer",
    "Product Designer",
    "Data Analyst",
    "Customer Success Manager",
    "Sales Development Representative",
    "Engineering Manager",
    "Technical Recruiter",
    "Marketing Coordinator",
)
# Weights follow what recruiting teams log by hand: mostly calls and email.
TYPE_WEIGHTS = {
    CommunicationType.PHONE_CALL: 30,
    CommunicationType.EMAIL: 25,
    CommunicationType.VIDEO_CALL: 15,
    CommunicationType.TEXT_MESSAGE: 10,
    CommunicationType.LINKEDIN_MESSAGE: 10,
    CommunicationType.IN_PERSON_MEETING: 6,
    CommunicationType.LETTER: 2,
    CommunicationType.OTHER: 2,
}
SUBJECTS = (
    "Intro call about the {job} role",
    "Follow-up on the {job} interview",
    "Salary expectations for {job}",
    "Availability for a second round",
    "Checked in after the onsite",
    "Reference check arranged",
    "Questions about relocation",
    "Offer details discussed",
    "Coffee chat at the career fair",
    "Portfolio review feedback",
)


class DemoRefused(FloCommsError):
    """The database already holds data; demo data would mix with it."""


@dataclass(frozen=True)
class DemoSize:
    members: int = 12
    candidates: int = 300
    communications: int = 600
    # At most this many job emails (status emails and update requests), made
    # by driving applications through the pipeline. Each status change is a
    # transaction of its own: 120 cost about as much as 300 logged entries.
    job_emails: int = 120
    # Outreach events over the past year and the coming month, replayed with
    # their registrations, reviews, schedules, reminders and follow-ups
    # (flo_comms.demo_events); each brings a newcomer or two into the pipeline.
    # None unless asked, so that a demo sized for another concern (most tests)
    # stays as it was. The full demo's 14 add about 8 s to its 18: every one
    # of their 240 emails goes through the functions a member's click runs.
    events: int = 0


# What the dashboard's first start and `flo-comms demo` make.
FULL_DEMO = DemoSize(events=14)


def create_demo_data(
    engine: Engine, size: DemoSize = FULL_DEMO, *, seed: int = 2026
) -> None:
    """Fill an empty database with generated members, candidates and history."""
    if count_members(engine) or count_candidates(engine):
        raise DemoRefused(
            "This database already holds members or candidates; demo data goes "
            "only into an empty database."
        )
    fake = Faker()
    fake.seed_instance(seed)
    rng = random.Random(seed)

    team = _create_members(engine, fake, rng, size.members)
    contacts = _create_agencies(engine, fake)
    people = _create_candidates(engine, fake, rng, size.candidates, contacts)
    candidate_ids = [person.candidate_id for person in people]
    job_titles, applied = _create_jobs(engine, rng, team, candidate_ids)
    _log_history(engine, fake, rng, team, candidate_ids, job_titles, size)
    job_emails = _drive_pipeline(engine, rng, team, applied, size.job_emails)
    _create_events(engine, fake, team, people, size, seed)
    logger.info(
        "demo data: %s members, %s candidates, %s communications, %s job emails, "
        "%s outreach events",
        len(team),
        len(candidate_ids),
        size.communications,
        job_emails,
        size.events,
    )


def _create_members(
    engine: Engine, fake: Faker, rng: random.Random, count: int
) -> list[Member]:
    team = []
    for local_part, role, zone in DEMO_ACCOUNTS:
        team.append(
            create_member(
                engine,
                name=fake.name(),
                email=f"{local_part}@{DEMO_DOMAIN}",
                role=role,
                password=DEMO_PASSWORD,
                time_zone=zone,
            )
        )
    roles = [Role.RECRUITER] * 5 + [Role.ADMIN] * 2 + [Role.MANAGER]
    while len(team) < count:
        name = fake.unique.name()
        local_part = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")
        team.append(
            create_member(
                engine,
                name=name,
                email=f"{local_part}@{DEMO_DOMAIN}",
                role=rng.choice(roles),
                password=DEMO_PASSWORD,
                time_zone=rng.choice(TIME_ZONES),
            )
        )
    return team


def _create_agencies(engine: Engine, fake: Faker) -> list[int]:
    contacts = []
    for _ in range(3):
        agency_id = create_agency(engine, f"{fake.unique.last_name()} Talent Partners")
        for _ in range(2):
            contacts.append(
                create_agency_contact(
                    engine, agency_id, fake.name(), fake.unique.safe_email()
                )
            )
    return contacts


def _create_candidates(
    engine: Engine,
    fake: Faker,
    rng: random.Random,
    count: int,
    contacts: list[int],
) -> list[DemoPerson]:
    sources = list(CandidateSource)
    weights = [30, 15, 15, 20, 12, 8]
    people = []
    for _ in range(count):
        source = rng.choices(sources, weights)[0]
        # A few candidates have no address: contact with them is by phone.
        email = fake.unique.safe_email() if rng.random() > 0.03 else None
        name = fake.name()
        candidate_id = create_candidate(
            engine,
            name=name,
            email=email,
            phone=fake.phone_number(),
            source=source,
            agency_contact_id=(
                rng.choice(contacts) if source == CandidateSource.AGENCY else None
            ),
        )
        people.append(DemoPerson(candidate_id, name, email or ""))
    return people


def _create_jobs(
    engine: Engine, rng: random.Random, team: list[Member], candidate_ids: list[int]
) -> tuple[list[str], list[tuple[int, datetime]]]:
    """Open the jobs; return their titles and each application with its date."""
    job_ids = [create_job(engine, title, "Remote") for title in JOB_TITLES]
    admin = next(m for m in team if m.role == Role.ADMIN)
    recruiters = [m for m in team if m.role == Role.RECRUITER] or [admin]
    for job_id in job_ids:
        # The job's recruiter in cc; on some jobs an admin reads along in bcc.
        bcc = [admin.id] if rng.random() < 0.3 else []
        set_job_email_copies(engine, admin, job_id, [rng.choice(recruiters).id], bcc)
    now = now_utc()
    applied = []
    for candidate_id in candidate_ids:
        if rng.random() < 0.6:
            when = now - timedelta(minutes=rng.randint(60, 365 * 24 * 60))
            application_id = create_application(
                engine, rng.choice(job_ids), candidate_id, applied_at=when
            )
            applied.append((application_id, when))
    return list(JOB_TITLES), applied


def _log_history(
    engine: Engine,
    fake: Faker,
    rng: random.Random,
    team: list[Member],
    candidate_ids: list[int],
    job_titles: list[str],
    size: DemoSize,
) -> None:
    loggers = [m for m in team if m.role.can_log_communications]
    types = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    now = now_utc()
    # Some candidates are talked to far more than others.
    busy = rng.sample(candidate_ids, k=max(1, len(candidate_ids) // 10))
    logged: list[tuple[Member, int, CommunicationDraft]] = []
    for _ in range(size.communications):
        author = rng.choice(loggers)
        candidate = (
            rng.choice(busy) if rng.random() < 0.3 else rng.choice(candidate_ids)
        )
        extra = rng.sample(candidate_ids, k=rng.choice((0, 0, 0, 0, 1, 2)))
        colleague = [rng.choice(team).id] if rng.random() < 0.15 else []
        when = now - timedelta(minutes=rng.randint(60, 365 * 24 * 60))
        draft = CommunicationDraft(
            comm_type=rng.choices(types, weights)[0].value,
            occurred_local=to_local(when, author.time_zone).replace(
                tzinfo=None, second=0, microsecond=0
            ),
            time_zone=author.time_zone,
            sender_member_ids=tuple({author.id, *colleague}),
            recipient_candidate_ids=(candidate, *[c for c in extra if c != candidate]),
            recipient_member_ids=(),
            subject=rng.choice(SUBJECTS).format(job=rng.choice(job_titles)),
            description="\n\n".join(fake.paragraphs(nb=rng.randint(1, 3))),
        )
        entry_id = log_communication(
            engine, author, draft, logged_from_candidate_id=candidate
        )
        logged.append((author, entry_id, draft))

    # A few entries corrected or withdrawn afterwards, so that history shows.
    for author, entry_id, draft in rng.sample(logged, k=min(10, len(logged))):
        corrected = CommunicationDraft(
            **{**draft.__dict__, "subject": draft.subject + " (corrected)"}
        )
        edit_communication(engine, author, entry_id, corrected)
    for author, entry_id, _ in rng.sample(logged, k=min(5, len(logged))):
        delete_communication(engine, author, entry_id)


# How applications move through the pipeline, with how often each path occurs.
# Interview Scheduled, Offer, Hired and Rejected send an email by default.
_S = ApplicationStatus
PIPELINE_PATHS = {
    (): 10,
    (_S.SCREENING,): 10,
    (_S.SCREENING, _S.REJECTED): 25,
    (_S.SCREENING, _S.INTERVIEW_SCHEDULED): 10,
    (_S.SCREENING, _S.INTERVIEW_SCHEDULED, _S.INTERVIEWED, _S.REJECTED): 20,
    (_S.SCREENING, _S.INTERVIEW_SCHEDULED, _S.INTERVIEWED, _S.OFFER, _S.HIRED): 12,
    (_S.SCREENING, _S.INTERVIEW_SCHEDULED, _S.INTERVIEWED, _S.WITHDRAWN): 8,
    (_S.SCREENING, _S.OFFER, _S.REJECTED): 5,
}


def _drive_pipeline(
    engine: Engine,
    rng: random.Random,
    team: list[Member],
    applied: list[tuple[int, datetime]],
    budget: int,
) -> int:
    """Move applications along as members would; return the job emails sent.

    Each step happens days after the one before, in the past: change_status's
    ``sent_at`` (there for the demo only) dates the email when it happened
    instead of now. An application whose next step would be in the future
    stays where it is, in progress.
    """
    senders = [m for m in team if m.role.can_log_communications]
    paths, weights = list(PIPELINE_PATHS), list(PIPELINE_PATHS.values())
    now = now_utc()
    sent = 0
    for application_id, applied_at in applied:
        member = rng.choice(senders)
        when, status = applied_at, ApplicationStatus.NEW
        for step in rng.choices(paths, weights)[0]:
            when += timedelta(days=rng.randint(2, 20), minutes=rng.randint(0, 600))
            if when > now or sent >= budget:
                break
            if rng.random() < 0.05:
                sent += _request_update(engine, member, application_id, when)
                when += timedelta(days=rng.randint(1, 5))
                if when > now or sent >= budget:
                    break
            result = change_status(
                engine,
                member,
                application_id,
                step,
                from_address=DEMO_FROM_ADDRESS,
                expected_old_status=status,
                sent_at=when,
            )
            status = step
            sent += result.communication_id is not None
        if sent >= budget:
            break
    return sent


def _request_update(
    engine: Engine, member: Member, application_id: int, when: datetime
) -> int:
    """Send an update application request if anyone can receive it; 1 if sent."""
    draft = update_request_draft(engine, member, application_id)
    if draft.not_sent_reason:
        return 0
    request_application_update(
        engine,
        member,
        application_id,
        draft.message,
        from_address=DEMO_FROM_ADDRESS,
        sent_at=when,
    )
    return 1


def _create_events(
    engine: Engine,
    fake: Faker,
    team: list[Member],
    people: list[DemoPerson],
    size: DemoSize,
    seed: int,
) -> None:
    """Replay a year of outreach events, run mostly by the two demo accounts."""
    runners = [m for m in team if m.role.can_log_communications]
    owners = [*runners[:2], *runners[:2], *runners]
    create_outreach_events(
        engine,
        fake,
        # A generator of its own: the rest of the demo stays as it was.
        random.Random(seed + 1),
        count=size.events,
        # Events draw on the pipeline: a bigger demo, fuller events.
        people_per_event=max(4, min(6, size.candidates // 60)),
        owners=owners,
        pool=[person for person in people if person.email],
        now=now_utc(),
        from_address=DEMO_FROM_ADDRESS,
    )
