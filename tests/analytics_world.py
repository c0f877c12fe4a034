"""A small, known history to count: the analytics page and notebook tests read it.

Everything goes through the domain functions members use, dated in the past
weeks so that the default date range (the last 12 months) holds all of it:

- 4 entries logged by hand (3 phone calls, 1 video call); a fifth, logged and
  then deleted, is not counted;
- 4 job emails for "Data Analyst": Interview Scheduled to Casey, an update
  request to Casey, Interview Scheduled and Rejected for Avery, an agency
  candidate, both to the agency contact who submitted Avery;
- 8 outreach event emails: an open webinar (2 confirmations, then 2 updates
  when its title changes) and an invite-only in-person event (2 confirmations,
  an approval, a denial);
- 1 email sent by a member to Casey;
- of the 13 system emails, 10 delivered, 1 failed, 2 left queued.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from sqlalchemy.engine import Engine

from flo_comms.agencies import create_agency, create_agency_contact
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.communications import (
    CommunicationDraft,
    delete_communication,
    log_communication,
)
from flo_comms.delivery import deliver_now
from flo_comms.delivery_records import list_deliveries
from flo_comms.direct_emails import send_email
from flo_comms.event_rules import EventType
from flo_comms.events import EventDetails, create_event, update_event
from flo_comms.job_emails import change_status, request_application_update
from flo_comms.jobs import ApplicationStatus, create_application, create_job
from flo_comms.mail_transports import OutgoingEmail, PermanentDeliveryError
from flo_comms.members import Member
from flo_comms.registrations import add_candidates, review_candidates
from flo_comms.timezones import now_utc, to_local

FROM_ADDRESS = "Flo Recruiting <jobs@example.com>"
JOB_TITLE = "Data Analyst"
WEBINAR_TITLE = "Data careers webinar"
EVENING_TITLE = "Analytics evening"


@dataclass(frozen=True)
class AnalyticsWorld:
    """What the history holds, counted by hand."""

    manual: int = 4
    phone_calls: int = 3
    job_emails: int = 4
    job_emails_to_agency: int = 2
    event_emails: int = 8
    member_emails: int = 1
    delivered: int = 10
    failed: int = 1
    queued: int = 2
    # The earliest and latest moment anything happened.
    first_at: datetime | None = None
    last_at: datetime | None = None
    casey_id: int = 0
    job_id: int = 0
    webinar_id: int = 0
    evening_id: int = 0

    @property
    def system(self) -> int:
        return self.job_emails + self.event_emails + self.member_emails

    @property
    def entries(self) -> int:
        return self.manual + self.system


class _Sent:
    """A transport that takes every email, as a mail server would."""

    def send(self, email: OutgoingEmail) -> str:
        return ", ".join(email.recipients)


class _Refused:
    """A transport whose server refuses the recipient for good."""

    def send(self, email: OutgoingEmail) -> str:
        raise PermanentDeliveryError("550 no such mailbox")


def _log_by_hand(
    engine: Engine, author: Member, candidate_id: int, when: datetime, comm_type: str
) -> int:
    draft = CommunicationDraft(
        comm_type=comm_type,
        occurred_local=to_local(when, author.time_zone).replace(
            tzinfo=None, second=0, microsecond=0
        ),
        time_zone=author.time_zone,
        sender_member_ids=(author.id,),
        recipient_candidate_ids=(candidate_id,),
        recipient_member_ids=(),
        subject=f"{comm_type.capitalize()} about the {JOB_TITLE} role",
        description="Talked through the role and the interview steps.",
    )
    return log_communication(
        engine, author, draft, logged_from_candidate_id=candidate_id
    )


def _event(
    event_type: EventType, invite_only: bool, title: str, when: datetime
) -> EventDetails:
    in_person = event_type is EventType.IN_PERSON
    return EventDetails(
        event_type=event_type,
        invite_only=invite_only,
        title=title,
        day=when.date(),
        start_time=time(17, 0),
        end_time=time(19, 0),
        time_zone="UTC",
        place="Flo office, 1 Main Street" if in_person else "",
        link="" if in_person else "https://meet.example.com/flo",
    )


def build_analytics_world(
    engine: Engine, admin: Member, recruiter: Member, now: datetime | None = None
) -> AnalyticsWorld:
    """Fill an upgraded database holding ``admin`` and ``recruiter``."""
    now = (now or now_utc()).replace(microsecond=0)
    start = now - timedelta(days=70)
    casey = create_candidate(
        engine, name="Casey Candidate", email="casey@example.org", source="referral"
    )
    olive = create_candidate(
        engine, name="Olive Other", email="olive@example.org", source="job board"
    )
    agency = create_agency(engine, "Northwind Talent Partners")
    contact = create_agency_contact(engine, agency, "Nia Agent", "nia@example.net")
    avery = create_candidate(
        engine,
        name="Avery Agency",
        email="avery@example.org",
        source=CandidateSource.AGENCY,
        agency_contact_id=contact,
    )

    for days, comm_type in ((0, "phone call"), (9, "phone call"), (23, "video call")):
        _log_by_hand(engine, recruiter, casey, start + timedelta(days=days), comm_type)
    _log_by_hand(engine, recruiter, olive, start + timedelta(days=30), "phone call")
    withdrawn = _log_by_hand(
        engine, recruiter, olive, start + timedelta(days=31), "phone call"
    )
    delete_communication(engine, recruiter, withdrawn)

    job = create_job(engine, JOB_TITLE, "Remote")
    casey_applies = create_application(engine, job, casey, applied_at=start)
    avery_applies = create_application(engine, job, avery, applied_at=start)
    status_steps = (
        (casey_applies, ApplicationStatus.INTERVIEW_SCHEDULED, 5),
        (avery_applies, ApplicationStatus.INTERVIEW_SCHEDULED, 6),
        (avery_applies, ApplicationStatus.REJECTED, 20),
    )
    for application, status, days in status_steps:
        change_status(
            engine,
            admin,
            application,
            status,
            from_address=FROM_ADDRESS,
            sent_at=start + timedelta(days=days),
        )
    request_application_update(
        engine,
        recruiter,
        casey_applies,
        "Could you add your latest portfolio?",
        from_address=FROM_ADDRESS,
        sent_at=start + timedelta(days=12),
    )

    webinar_details = _event(
        EventType.WEBINAR, False, WEBINAR_TITLE, start + timedelta(days=40)
    )
    webinar = create_event(engine, admin, webinar_details, at=start)
    add_candidates(
        engine,
        admin,
        webinar,
        candidate_ids=(casey, olive),
        request_profile=False,
        from_address=FROM_ADDRESS,
        at=start + timedelta(days=33),
    )
    update_event(
        engine,
        admin,
        webinar,
        replace(webinar_details, title=f"{WEBINAR_TITLE} (new time)"),
        from_address=FROM_ADDRESS,
        at=start + timedelta(days=35),
    )
    evening = create_event(
        engine,
        admin,
        _event(EventType.IN_PERSON, True, EVENING_TITLE, start + timedelta(days=60)),
        at=start,
    )
    add_candidates(
        engine,
        admin,
        evening,
        candidate_ids=(casey, olive),
        request_profile=False,
        from_address=FROM_ADDRESS,
        at=start + timedelta(days=45),
    )
    for candidate, approve, days in ((casey, True, 47), (olive, False, 48)):
        review_candidates(
            engine,
            admin,
            evening,
            (candidate,),
            approve=approve,
            from_address=FROM_ADDRESS,
            at=start + timedelta(days=days),
        )

    send_email(
        engine,
        recruiter,
        (casey,),
        subject_template="Thanks for your time",
        body_template="Hi {{ candidate.first_name }}, thanks for talking with us.",
        from_address=FROM_ADDRESS,
    )

    # Delivery: all but three of the queued emails go out, one of those three
    # is refused by the server, and two stay in the queue.
    queue = list_deliveries(engine, page_size=100).entries
    emails = sorted(delivery.communication_id for delivery in queue)
    deliver_now(engine, _Sent(), emails[:10])
    deliver_now(engine, _Refused(), emails[10:11])
    return AnalyticsWorld(
        first_at=start,
        casey_id=casey,
        last_at=now,
        job_id=job,
        webinar_id=webinar,
        evening_id=evening,
    )
