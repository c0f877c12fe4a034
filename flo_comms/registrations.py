"""Who joins an outreach event, how, and Quick Review of invite-only events.

Candidates join through the event's public link (name and address; the
address finds an existing candidate or creates one) or are added by a member,
one by one or from a CSV file, with or without a request for a full profile.
Each way sends its own form of confirmation (flo_comms.event_rules). A
candidate who is registered already stays registered once, gets no second
email, and the caller is told so.

Invite-only events hold every newcomer as pending until Quick Review approves
(approval email) or denies (denial email) them; until approved a candidate
gets nothing more, and once denied nothing at all. A decision is final.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.engine import Connection, Engine

from flo_comms.candidates import (
    CandidateSource,
    find_candidate_by_email,
    insert_candidate,
)
from flo_comms.db import contains_text, write_with_retry
from flo_comms.errors import FloCommsError, NotFound, ValidationError
from flo_comms.event_emails import (
    Recipient,
    audience_query,
    registered_candidates,
    send_event_email,
    send_to_audience,
)
from flo_comms.event_rules import (
    EventAction,
    ReviewState,
    audience_for,
    email_kind_for,
    initial_review_state,
)
from flo_comms.events import (
    Event,
    read_event,
    read_open_event,
    require_event_manager,
    require_from_address,
)
from flo_comms.locks import exclusively
from flo_comms.members import EMAIL_PATTERN, Member, normalise_email
from flo_comms.schema import (
    candidates,
    communication_candidates,
    communications,
    event_registrations,
    event_time_slots,
    outreach_events,
)
from flo_comms.system_emails import EmailKind
from flo_comms.timezones import now_utc

logger = logging.getLogger(__name__)

REGISTRATION_PAGE_SIZE = 50
# Most people one CSV file or one action may add at once.
MAX_PEOPLE_PER_ADD = 2000


class JoinedBy(StrEnum):
    LINK = "link"
    ADMIN_PROFILE_REQUEST = "admin_profile_request"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            JoinedBy.LINK: "registered through the link",
            JoinedBy.ADMIN_PROFILE_REQUEST: "added, profile requested",
            JoinedBy.ADMIN: "added by a member",
        }[self]


_ACTION_FOR = {
    JoinedBy.LINK: EventAction.REGISTER_BY_LINK,
    JoinedBy.ADMIN_PROFILE_REQUEST: EventAction.ADD_WITH_PROFILE_REQUEST,
    JoinedBy.ADMIN: EventAction.ADD,
}


class RegistrationClosed(FloCommsError):
    """The event ended or was cancelled: nobody can join it any more."""


@dataclass(frozen=True)
class NewPerson:
    """Someone to add who may not be a candidate yet: found by address or created."""

    name: str
    email: str


@dataclass(frozen=True)
class RegistrationOutcome:
    """What registering through the public link did."""

    event_title: str
    candidate_id: int
    already_registered: bool
    review_state: ReviewState


@dataclass(frozen=True)
class AddResult:
    """What adding candidates did, by name, for the member to read."""

    added: tuple[str, ...]
    already_registered: tuple[str, ...]
    without_address: tuple[str, ...]
    emailed: int


@dataclass(frozen=True)
class ReviewResult:
    decided: tuple[str, ...]
    # Candidates that were not pending (decided before, by someone else too).
    not_pending: tuple[str, ...]
    emailed: int


@dataclass(frozen=True)
class SentEmail:
    communication_id: int
    kind: EmailKind
    subject: str
    sent_at: datetime


@dataclass(frozen=True)
class RegistrationRow:
    candidate_id: int
    name: str
    email: str | None
    joined_by: JoinedBy
    review_state: ReviewState
    joined_at: datetime
    slot_id: int | None
    slot_starts_at: datetime | None
    slot_ends_at: datetime | None
    emails: tuple[SentEmail, ...]


@dataclass(frozen=True)
class RegistrationPage:
    rows: list[RegistrationRow]
    total: int


# --- joining ------------------------------------------------------------------


def _require_open_for_joining(event: Event, moment: datetime) -> None:
    if not event.is_open_for_changes:
        raise RegistrationClosed(f"“{event.title}” was cancelled.")
    if event.ends_at <= moment:
        raise RegistrationClosed(f"“{event.title}” has ended.")


def _join(
    connection: Connection,
    event: Event,
    candidate_id: int,
    joined_by: JoinedBy,
    moment: datetime,
) -> bool:
    """Register the candidate; False when they were registered already.

    An insert that does nothing on the unique (event, candidate) key: two
    submits racing, in one process or two, leave one registration.
    """
    inserted = connection.execute(
        upsert(event_registrations)
        .values(
            event_id=event.id,
            candidate_id=candidate_id,
            joined_by=joined_by.value,
            review_state=initial_review_state(event.invite_only).value,
            joined_at=moment,
        )
        .on_conflict_do_nothing(index_elements=["event_id", "candidate_id"])
        .returning(event_registrations.c.id)
    ).first()
    return inserted is not None


def _confirm(
    connection: Connection,
    event: Event,
    recipients: Sequence[Recipient],
    joined_by: JoinedBy,
    member: Member | None,
    from_address: str,
    moment: datetime,
) -> int:
    action = _ACTION_FOR[joined_by]
    kind = email_kind_for(action)
    if audience_for(action, event.event_type, event.invite_only) is None or not kind:
        return 0
    return len(
        send_event_email(
            connection,
            kind,
            event.facts(),
            recipients,
            member=member,
            from_address=from_address,
            at=moment,
        )
    )


def address_key(email: str) -> str:
    """The lock key of creating a candidate for this address."""
    return f"candidate address:{normalise_email(email)}"


def validate_person(name: str, email: str) -> NewPerson:
    errors = {}
    name = " ".join((name or "").split())
    email = normalise_email(email or "")
    if not name:
        errors["name"] = "Enter your name."
    elif len(name) > 120:
        errors["name"] = "Shorten the name to 120 characters."
    if not email:
        errors["email"] = "Enter your email address."
    elif len(email) > 254 or not EMAIL_PATTERN.match(email) or not email.isascii():
        errors["email"] = "Enter an email address like name@example.com."
    if errors:
        raise ValidationError(errors)
    return NewPerson(name, email)


def register_by_link(
    engine: Engine,
    token: str,
    *,
    name: str,
    email: str,
    from_address: str,
    at: datetime | None = None,
) -> RegistrationOutcome:
    """Register someone through the event's public link; no member is involved.

    The address finds the candidate (the earliest with it) or a new one is
    created with the outreach event as source. A registration confirmation
    goes out; someone registered already gets no second one.
    """
    require_from_address(from_address)
    person = validate_person(name, email)
    token = (token or "").strip()

    def write(connection: Connection) -> RegistrationOutcome:
        moment = at or now_utc()
        event = _event_for_token(connection, token)
        _require_open_for_joining(event, moment)
        candidate_id = find_candidate_by_email(connection, person.email)
        if candidate_id is None:
            candidate_id = insert_candidate(
                connection,
                name=person.name,
                email=person.email,
                source=CandidateSource.OUTREACH_EVENT,
                at=moment,
            )
        joined = _join(connection, event, candidate_id, JoinedBy.LINK, moment)
        if joined:
            _confirm(
                connection,
                event,
                [Recipient(candidate_id, person.name, person.email)],
                JoinedBy.LINK,
                None,
                from_address,
                moment,
            )
        state = connection.execute(
            sa.select(event_registrations.c.review_state).where(
                event_registrations.c.event_id == event.id,
                event_registrations.c.candidate_id == candidate_id,
            )
        ).scalar_one()
        return RegistrationOutcome(
            event.title, candidate_id, not joined, ReviewState(state)
        )

    # Two requests for an address no candidate has yet would each create a
    # candidate (addresses are not unique); one at a time, the second finds
    # the first's.
    outcome = exclusively(engine, [address_key(person.email)], write)
    logger.info(
        "candidate %s %s event %s through its link",
        outcome.candidate_id,
        "was registered already for"
        if outcome.already_registered
        else "registered for",
        outcome.event_title,
    )
    return outcome


def _event_for_token(connection: Connection, token: str) -> Event:
    event_id = connection.execute(
        sa.select(outreach_events.c.id).where(
            outreach_events.c.registration_token == token
        )
    ).scalar_one_or_none()
    if not token or event_id is None:
        raise NotFound("This registration link does not lead to an event.")
    try:
        return read_event(connection, event_id)
    except NotFound:
        raise NotFound("This registration link does not lead to an event.") from None


def _csv_problem(error: ValidationError, email: str) -> str:
    """What is wrong with one line, worded for the member who made the file."""
    problems = []
    if "name" in error.errors:
        problems.append("the name is missing or too long")
    if "email" in error.errors:
        problems.append(
            f"“{email.strip()}” is not an email address"
            if email.strip()
            else "the email address is missing"
        )
    return " and ".join(problems)


def _separator(text: str) -> str:
    """The separator the header line uses: commas, or the semicolons (European
    spreadsheets) or tabs some exports write.

    The header line names known columns, so counting separators in it is
    reliable; csv.Sniffer guesses from the whole sample and misreads files
    whose names hold commas or few lines.
    """
    first_line = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first_line.count) if first_line else ","


def parse_people_csv(data: bytes | str) -> list[NewPerson]:
    """Read people to add from CSV text with a header naming 'name' and 'email'.

    Columns are separated by commas, semicolons or tabs, as the header line is.

    Other columns are ignored. Every bad line is named in one ValidationError
    on "csv", so the member can correct the file in one go; nothing is added
    from a file with a bad line.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                {"csv": "Save the file as UTF-8 CSV and upload it again."}
            ) from None
    else:
        text = data.removeprefix("\ufeff")  # text read without utf-8-sig
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=_separator(text))
        header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    except csv.Error as error:
        raise ValidationError(
            {"csv": f"The file is not readable CSV ({error})."}
        ) from None
    if "name" not in header or "email" not in header:
        raise ValidationError(
            {"csv": "The first line must name the columns, including name and email."}
        )
    people: list[NewPerson] = []
    problems: list[str] = []
    seen: set[str] = set()
    try:
        for row in reader:
            # The line the row ended on in the file: blank lines and quoted
            # values spanning lines count, as in the member's editor.
            line = reader.line_num
            name = row.get(header["name"]) or ""
            email = row.get(header["email"]) or ""
            if not name.strip() and not email.strip():
                continue
            try:
                person = validate_person(name, email)
            except ValidationError as error:
                problems.append(f"line {line}: {_csv_problem(error, email)}")
                continue
            if person.email in seen:
                continue
            seen.add(person.email)
            people.append(person)
    except csv.Error as error:
        raise ValidationError(
            {"csv": f"The file is not readable CSV ({error})."}
        ) from None
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more lines)" if len(problems) > 10 else ""
        raise ValidationError({"csv": f"Correct these lines: {shown}{more}."})
    if not people:
        raise ValidationError({"csv": "The file names nobody to add."})
    if len(people) > MAX_PEOPLE_PER_ADD:
        raise ValidationError(
            {"csv": f"Add at most {MAX_PEOPLE_PER_ADD:,} people at once."}
        )
    return people


def add_candidates(
    engine: Engine,
    member: Member,
    event_id: int,
    *,
    candidate_ids: Iterable[int] = (),
    new_people: Iterable[NewPerson] = (),
    request_profile: bool,
    from_address: str,
    at: datetime | None = None,
) -> AddResult:
    """Add candidates to an event and send each the confirmation its form calls for.

    Existing candidates come by id; ``new_people`` (a CSV file, say) are found
    by address or created. Candidates without an address cannot be told and are
    not added; those registered already are left as they are. All in one
    transaction: a failure adds no one and sends nothing.
    """
    require_event_manager(member)
    require_from_address(from_address)
    ids = list(dict.fromkeys(candidate_ids))
    people = list(new_people)
    if not ids and not people:
        raise ValidationError({"candidates": "Choose at least one candidate to add."})
    if len(ids) + len(people) > MAX_PEOPLE_PER_ADD:
        raise ValidationError(
            {"candidates": f"Add at most {MAX_PEOPLE_PER_ADD:,} people at once."}
        )
    joined_by = JoinedBy.ADMIN_PROFILE_REQUEST if request_profile else JoinedBy.ADMIN

    def write(connection: Connection) -> AddResult:
        moment = at or now_utc()
        event = read_open_event(connection, event_id)
        _require_open_for_joining(event, moment)
        all_ids = list(ids)
        for person in people:
            found = find_candidate_by_email(connection, person.email)
            if found is None:
                found = insert_candidate(
                    connection,
                    name=person.name,
                    email=person.email,
                    source=CandidateSource.OUTREACH_EVENT,
                    at=moment,
                )
            all_ids.append(found)
        all_ids = list(dict.fromkeys(all_ids))
        rows = {
            row.id: row
            for row in connection.execute(
                sa.select(candidates.c.id, candidates.c.name, candidates.c.email).where(
                    candidates.c.id.in_(all_ids)
                )
            ).all()
        }
        missing = [i for i in all_ids if i not in rows]
        if missing:
            raise NotFound(f"No candidate has id {missing[0]}.")
        added, already, without = [], [], []
        recipients = []
        for candidate_id in all_ids:
            row = rows[candidate_id]
            if not row.email:
                without.append(row.name)
                continue
            if _join(connection, event, candidate_id, joined_by, moment):
                added.append(row.name)
                recipients.append(Recipient(candidate_id, row.name, row.email))
            else:
                already.append(row.name)
        emailed = _confirm(
            connection, event, recipients, joined_by, member, from_address, moment
        )
        return AddResult(tuple(added), tuple(already), tuple(without), emailed)

    result = exclusively(engine, [address_key(p.email) for p in people], write)
    logger.info(
        "member %s added %s candidates to event %s (%s registered already)",
        member.id,
        len(result.added),
        event_id,
        len(result.already_registered),
    )
    return result


# --- Quick Review ---------------------------------------------------------------


def review_candidates(
    engine: Engine,
    member: Member,
    event_id: int,
    candidate_ids: Iterable[int],
    *,
    approve: bool,
    from_address: str,
    at: datetime | None = None,
) -> ReviewResult:
    """Approve or deny pending candidates of an invite-only event, each emailed.

    Candidates no longer pending (someone decided first) are left as they are
    and named in the result; a decision is never reversed.
    """
    require_event_manager(member)
    require_from_address(from_address)
    ids = list(dict.fromkeys(candidate_ids))
    if not ids:
        raise ValidationError({"candidates": "Choose at least one candidate."})
    action = EventAction.APPROVE if approve else EventAction.DENY
    new_state = ReviewState.APPROVED if approve else ReviewState.DENIED

    def write(connection: Connection) -> ReviewResult:
        moment = at or now_utc()
        event = read_open_event(connection, event_id)
        if audience_for(action, event.event_type, event.invite_only) is None:
            raise ValidationError(
                {"candidates": "Open events have no Quick Review: everyone is in."}
            )
        rows = connection.execute(
            sa.select(
                candidates.c.id,
                candidates.c.name,
                candidates.c.email,
                event_registrations.c.review_state,
            )
            .join(candidates, candidates.c.id == event_registrations.c.candidate_id)
            .where(
                event_registrations.c.event_id == event_id,
                event_registrations.c.candidate_id.in_(ids),
            )
            .order_by(candidates.c.name, candidates.c.id)
        ).all()
        if len(rows) != len(ids):
            raise NotFound("Some of these candidates are not registered for the event.")
        pending = [r for r in rows if r.review_state == ReviewState.PENDING.value]
        not_pending = tuple(
            r.name for r in rows if r.review_state != ReviewState.PENDING.value
        )
        if pending:
            connection.execute(
                event_registrations.update()
                .where(
                    event_registrations.c.event_id == event_id,
                    event_registrations.c.candidate_id.in_([r.id for r in pending]),
                    event_registrations.c.review_state == ReviewState.PENDING.value,
                )
                .values(
                    review_state=new_state.value,
                    reviewed_at=moment,
                    reviewed_by=member.id,
                )
            )
        sent = send_event_email(
            connection,
            email_kind_for(action),
            event.facts(),
            [Recipient(r.id, r.name, r.email) for r in pending],
            member=member,
            from_address=from_address,
            at=moment,
        )
        return ReviewResult(tuple(r.name for r in pending), not_pending, len(sent))

    result = write_with_retry(engine, write)
    logger.info(
        "member %s %s %s candidates of event %s",
        member.id,
        new_state.value,
        len(result.decided),
        event_id,
    )
    return result


# --- the final schedule ---------------------------------------------------------


def final_schedule_recipients(engine: Engine, event_id: int) -> tuple[int, int]:
    """(may receive it, have not had it yet): for the page's send button."""
    with engine.connect() as connection:
        event = read_event(connection, event_id)
        allowed = _allowed_for_final_schedule(connection, event)
        had = _had_final_schedule(connection, event_id)
    return len(allowed), len(allowed - had)


def _allowed_for_final_schedule(connection: Connection, event: Event) -> set[int]:
    audience = audience_for(
        EventAction.SEND_FINAL_SCHEDULE, event.event_type, event.invite_only
    )
    query = audience_query(event.facts(), audience)
    return {row[0] for row in connection.execute(query)}


def _had_final_schedule(connection: Connection, event_id: int) -> set[int]:
    return set(
        connection.execute(
            sa.select(communication_candidates.c.candidate_id)
            .join(
                communications,
                communications.c.id == communication_candidates.c.communication_id,
            )
            .where(
                communications.c.event_id == event_id,
                communications.c.email_kind == EmailKind.FINAL_SCHEDULE.value,
            )
        ).scalars()
    )


def send_final_schedule(
    engine: Engine,
    member: Member,
    event_id: int,
    *,
    from_address: str,
    everyone: bool = False,
    at: datetime | None = None,
) -> int:
    """Email the final schedule to those who may receive updates; return how many.

    By default only those who have not had it yet (candidates who joined since
    the last send); ``everyone`` sends it again to all of them.
    """
    require_event_manager(member)
    require_from_address(from_address)

    def write(connection: Connection) -> int:
        event = read_open_event(connection, event_id)
        only = None
        if not everyone:
            allowed = _allowed_for_final_schedule(connection, event)
            only = sorted(allowed - _had_final_schedule(connection, event_id))
            if not only:
                return 0
        return send_to_audience(
            connection,
            EventAction.SEND_FINAL_SCHEDULE,
            event.facts(),
            member=member,
            from_address=from_address,
            at=at or now_utc(),
            only=only,
        )

    # One send at a time per event: a second click finds everyone served.
    sent = exclusively(engine, [f"final schedule:{event_id}"], write)
    logger.info(
        "member %s sent the final schedule of event %s to %s", member.id, event_id, sent
    )
    return sent


# --- reading ------------------------------------------------------------------


def list_registrations(
    engine: Engine,
    event_id: int,
    *,
    review_states: frozenset[str] = frozenset(),
    text: str = "",
    page: int = 1,
    page_size: int = REGISTRATION_PAGE_SIZE,
) -> RegistrationPage:
    """An event's registrations by name, paged, with the event emails each was sent."""
    conditions = [event_registrations.c.event_id == event_id]
    if review_states:
        conditions.append(event_registrations.c.review_state.in_(sorted(review_states)))
    if text.strip():
        conditions.append(
            sa.or_(
                contains_text(candidates.c.name, text.strip()),
                contains_text(candidates.c.email, text.strip()),
            )
        )
    base = (
        sa.select(
            candidates.c.id,
            candidates.c.name,
            candidates.c.email,
            event_registrations.c.joined_by,
            event_registrations.c.review_state,
            event_registrations.c.joined_at,
            event_registrations.c.slot_id,
            event_time_slots.c.starts_at,
            event_time_slots.c.ends_at,
        )
        .select_from(registered_candidates())
        .where(*conditions)
    )
    with engine.connect() as connection:
        read_event(connection, event_id)
        total = connection.execute(
            sa.select(sa.func.count()).select_from(base.subquery())
        ).scalar_one()
        rows = connection.execute(
            base.order_by(candidates.c.name, candidates.c.id)
            .limit(page_size)
            .offset((max(page, 1) - 1) * page_size)
        ).all()
        emails = emails_sent(connection, event_id, [r[0] for r in rows])
    return RegistrationPage(
        [
            RegistrationRow(
                candidate_id=r[0],
                name=r[1],
                email=r[2],
                joined_by=JoinedBy(r[3]),
                review_state=ReviewState(r[4]),
                joined_at=r[5],
                slot_id=r[6] if r[7] is not None else None,
                slot_starts_at=r[7],
                slot_ends_at=r[8],
                emails=tuple(emails.get(r[0], ())),
            )
            for r in rows
        ],
        total,
    )


def emails_sent(
    connection: Connection, event_id: int, candidate_ids: Sequence[int]
) -> dict[int, list[SentEmail]]:
    """The event's emails on each of these candidates' timelines, oldest first."""
    if not candidate_ids:
        return {}
    rows = connection.execute(
        sa.select(
            communication_candidates.c.candidate_id,
            communications.c.id,
            communications.c.email_kind,
            communications.c.subject,
            communications.c.occurred_at,
        )
        .join(
            communications,
            communications.c.id == communication_candidates.c.communication_id,
        )
        .where(
            communications.c.event_id == event_id,
            communication_candidates.c.candidate_id.in_(list(candidate_ids)),
            communications.c.deleted_at.is_(None),
        )
        .order_by(communications.c.occurred_at, communications.c.id)
    ).all()
    sent: dict[int, list[SentEmail]] = defaultdict(list)
    for row in rows:
        sent[row[0]].append(SentEmail(row[1], EmailKind(row[2]), row[3], row[4]))
    return dict(sent)


def registration_counts(engine: Engine, event_id: int) -> dict[ReviewState, int]:
    """How many candidates are in each review state (zero included)."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(event_registrations.c.review_state, sa.func.count())
            .where(event_registrations.c.event_id == event_id)
            .group_by(event_registrations.c.review_state)
        ).all()
    counts = dict.fromkeys(ReviewState, 0)
    for state, count in rows:
        counts[ReviewState(state)] = count
    return counts
