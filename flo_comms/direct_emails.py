"""Emails a member writes to one candidate or to up to 100 at once.

Each candidate gets an email of their own, rendered with their own variables,
and an entry of their own on their Communications tab. Candidates without an
address are reported by name, never dropped silently. All the emails of one
send are written in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.communications import MAX_PEOPLE, Participant, ParticipantRole
from flo_comms.db import write_with_retry
from flo_comms.email_templates import email_context, render_email, sample_context
from flo_comms.errors import PermissionDenied, ValidationError
from flo_comms.members import EMAIL_PATTERN, Member, normalise_email
from flo_comms.schema import candidates, members
from flo_comms.system_emails import EmailKind, SystemEmail, log_system_email

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 100


class SentEmail(NamedTuple):
    candidate_id: int
    communication_id: int


class SkippedCandidate(NamedTuple):
    candidate_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class SendReport:
    """Who got an email (with its entry's id) and who did not, and why."""

    sent: list[SentEmail]
    skipped: list[SkippedCandidate]


@dataclass(frozen=True)
class _Copies:
    cc: tuple[Participant, ...]
    bcc: tuple[Participant, ...]


def _unique(items: Iterable) -> list:
    return list(dict.fromkeys(items))


def _check_form(
    candidate_ids: list[int],
    addresses: list[str],
    reply_to: str | None,
    subject_template: str,
    body_template: str,
    copies: int,
) -> None:
    """Every problem the form can show at once, beside its field."""
    errors: dict[str, str] = {}
    if not candidate_ids:
        errors["to"] = "Choose at least one candidate."
    elif len(candidate_ids) > MAX_CANDIDATES:
        errors["to"] = (
            f"Choose at most {MAX_CANDIDATES} candidates per email "
            f"({len(candidate_ids)} are selected)."
        )
    bad = [a for a in addresses if not EMAIL_PATTERN.match(a)]
    if bad:
        errors["cc_addresses"] = (
            f"{bad[0]!r} is not an email address; write each like name@example.com."
        )
    if copies > MAX_PEOPLE:
        errors["cc"] = f"Copy at most {MAX_PEOPLE} people in cc and bcc together."
    if reply_to is not None and not EMAIL_PATTERN.match(reply_to):
        errors["reply_to"] = "Enter a reply-to address like name@example.com, or none."
    try:
        render_email(subject_template, body_template, sample_context(with_job=False))
    except ValidationError as error:
        errors.update(error.errors)
    if errors:
        raise ValidationError(errors)


def _copied_members(
    connection: Connection,
    cc_member_ids: list[int],
    bcc_member_ids: list[int],
    addresses: list[str],
) -> _Copies:
    rows = {
        row.id: row
        for row in connection.execute(
            sa.select(members.c.id, members.c.name, members.c.email).where(
                members.c.id.in_(cc_member_ids + bcc_member_ids), members.c.active
            )
        )
    }
    errors = {}
    for field, ids in (("cc", cc_member_ids), ("bcc", bcc_member_ids)):
        if any(i not in rows for i in ids):
            errors[field] = "A member you chose is no longer active; choose again."
    if errors:
        raise ValidationError(errors)

    def people(role: ParticipantRole, ids: list[int]) -> tuple[Participant, ...]:
        return tuple(
            Participant(role, rows[i].name, rows[i].email, member_id=i) for i in ids
        )

    extra = tuple(Participant(ParticipantRole.CC, None, a) for a in addresses)
    return _Copies(
        cc=people(ParticipantRole.CC, cc_member_ids) + extra,
        bcc=people(ParticipantRole.BCC, bcc_member_ids),
    )


def _candidates(connection: Connection, candidate_ids: list[int]) -> list[sa.Row]:
    rows = {
        row.id: row
        for row in connection.execute(
            sa.select(candidates.c.id, candidates.c.name, candidates.c.email).where(
                candidates.c.id.in_(candidate_ids)
            )
        )
    }
    missing = [i for i in candidate_ids if i not in rows]
    if missing:
        verb = "exists" if len(missing) == 1 else "exist"
        raise ValidationError(
            {
                "to": f"{len(missing)} of the chosen candidates no longer {verb}; "
                "choose again."
            }
        )
    return [rows[i] for i in candidate_ids]


def _render_for(
    member: Member, candidate: sa.Row, subject_template: str, body_template: str
) -> tuple[str, str]:
    context = email_context(
        candidate_name=candidate.name,
        candidate_email=candidate.email,
        sender_name=member.name,
        sender_email=member.email,
    )
    try:
        return render_email(subject_template, body_template, context)
    except ValidationError as error:
        # A template that works on the sample can still fail on someone's data.
        raise ValidationError(
            {f: f"For {candidate.name}: {m}" for f, m in error.errors.items()}
        ) from None


def _direct_email(
    member: Member,
    candidate: sa.Row,
    subject: str,
    body: str,
    copied: _Copies,
    reply_to: str,
) -> SystemEmail:
    sender = Participant(
        ParticipantRole.SENDER, member.name, member.email, member_id=member.id
    )
    to = Participant(
        ParticipantRole.TO, candidate.name, candidate.email, candidate_id=candidate.id
    )
    return SystemEmail(
        kind=EmailKind.DIRECT,
        subject=subject,
        body=body,
        sent_by_member_id=member.id,
        sender=sender,
        to=[to],
        cc=copied.cc,
        bcc=copied.bcc,
        reply_to=reply_to,
        candidate_ids=[candidate.id],
    )


def send_email(
    engine: Engine,
    member: Member,
    candidate_ids: Sequence[int],
    *,
    subject_template: str,
    body_template: str,
    from_address: str,
    cc_member_ids: Sequence[int] = (),
    bcc_member_ids: Sequence[int] = (),
    extra_cc_addresses: Sequence[str] = (),
    reply_to: str | None = None,
) -> SendReport:
    """Email each candidate (1 to 100) on their own; report who was skipped.

    Subject and body are templates with the candidate's and sender's variables
    (no job: these emails are not about one). Replies go to ``reply_to``, or to
    the member when it is None. ValidationError keys name the form's fields:
    to, cc, bcc, cc_addresses, reply_to, subject, body.
    """
    if not member.role.can_log_communications:
        raise PermissionDenied(
            "Managers can read communications; only admins and recruiters send emails."
        )
    if not from_address or not from_address.strip():
        raise ValueError("from_address is empty; pass the configured sender address.")
    # Limitation: a double click sends every email twice, because system emails
    # carry no form token yet; the page should disable its button once pressed.
    candidate_ids = _unique(candidate_ids)
    cc_ids, bcc_ids = _unique(cc_member_ids), _unique(bcc_member_ids)
    addresses = _unique(normalise_email(a) for a in extra_cc_addresses if a.strip())
    reply_to = normalise_email(reply_to) if reply_to and reply_to.strip() else None
    copies = len(cc_ids) + len(bcc_ids) + len(addresses)
    _check_form(
        candidate_ids, addresses, reply_to, subject_template, body_template, copies
    )

    def write(connection: Connection) -> SendReport:
        people = _candidates(connection, candidate_ids)
        copied = _copied_members(connection, cc_ids, bcc_ids, addresses)
        sent, skipped = [], []
        for candidate in people:
            if not candidate.email:
                reason = "no email address"
                skipped.append(SkippedCandidate(candidate.id, candidate.name, reason))
                continue
            subject, body = _render_for(
                member, candidate, subject_template, body_template
            )
            email = _direct_email(
                member, candidate, subject, body, copied, reply_to or member.email
            )
            communication_id = log_system_email(
                connection, email, from_address=from_address
            )
            sent.append(SentEmail(candidate.id, communication_id))
        return SendReport(sent=sent, skipped=skipped)

    report = write_with_retry(engine, write)
    logger.info(
        "member %s sent %s emails (%s candidates skipped)",
        member.id,
        len(report.sent),
        len(report.skipped),
    )
    return report
