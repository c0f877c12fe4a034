"""Filling a page test's database, and reading what a page shows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from flo_comms.candidates import CandidateSource, create_candidate, get_candidate
from flo_comms.communications import (
    AttachmentReason,
    CommunicationDraft,
    attach_candidates,
    log_communication,
)
from flo_comms.db import create_engine
from flo_comms.members import Member, Role, create_member
from flo_comms.schema import (
    communication_participants,
    communications,
)
from flo_comms.timeline import TimelinePage, candidate_timeline
from flo_comms.timezones import to_local

APP_FILE = Path(__file__).parents[2] / "app.py"
PASSWORD = "correct horse battery"
ENTRY_KEY_PREFIX = "communication_"


@dataclass(frozen=True)
class Team:
    """The members every page test's database starts with."""

    ada: Member  # admin, America/New_York
    rita: Member  # recruiter, Europe/Berlin
    manu: Member  # manager, UTC


@dataclass(frozen=True)
class PageDatabase:
    """The test's database file: open it briefly to fill it or to check it."""

    url: str

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        # Disposed on leaving: the app opens the same file with an engine of its own.
        engine = create_engine(self.url)
        try:
            yield engine
        finally:
            engine.dispose()

    def timeline(self, candidate_id: int) -> TimelinePage:
        """The candidate's Communications tab as the database holds it."""
        with self.engine() as engine:
            return candidate_timeline(engine, candidate_id, page_size=100)


def add_member(
    engine: Engine, name: str, role: Role = Role.ADMIN, zone: str = "UTC"
) -> Member:
    """A member whose address comes from the name: Ada Admin, ada.admin@…"""
    return create_member(
        engine,
        name=name,
        email=email_of(name),
        role=role,
        password=PASSWORD,
        time_zone=zone,
    )


def email_of(name: str) -> str:
    return f"{name.lower().replace(' ', '.')}@example.com"


def add_candidate(engine: Engine, name: str, email: str | None = None) -> int:
    return create_candidate(
        engine,
        name=name,
        email=email or f"{name.lower().replace(' ', '.')}@example.org",
        source=CandidateSource.REFERRAL,
    )


def log_entry(
    engine: Engine,
    author: Member,
    candidate_id: int,
    occurred_at: datetime,
    *,
    subject: str = "Intro call about the Data Analyst role",
    description: str = "Talked through the role and the interview steps.",
    comm_type: str = "phone call",
) -> int:
    """Log a manual entry on a profile, as the author would; ``occurred_at`` aware."""
    local = to_local(occurred_at, author.time_zone).replace(tzinfo=None)
    draft = CommunicationDraft(
        comm_type=comm_type,
        occurred_local=local,
        time_zone=author.time_zone,
        sender_member_ids=(author.id,),
        recipient_candidate_ids=(candidate_id,),
        recipient_member_ids=(),
        subject=subject,
        description=description,
    )
    return log_communication(
        engine, author, draft, logged_from_candidate_id=candidate_id
    )


def open_profile(at: AppTest, candidate_id: int | str) -> AppTest:
    """Go to a profile the way a deep link does: the page and ?candidate=."""
    at.switch_page("views/profile.py")
    at.query_params["candidate"] = str(candidate_id)
    return at.run()


def sign_in_with_form(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    return at.button(key="FormSubmitter:sign_in-Sign in").click().run()


def shows_sign_in_form(at: AppTest) -> bool:
    """The sign-in form, and nothing broken beside it."""
    keys = {widget.key for widget in at.text_input}
    return {"sign_in_email", "sign_in_password"} <= keys and not at.exception


def values(elements) -> list[str]:
    return [element.value for element in elements]


@dataclass(frozen=True)
class ShownEntry:
    """One entry of the Communications tab as the member sees it."""

    communication_id: int
    heading: str  # ':material/call: Phone call · 15 Jan 2026, 09:00 EST'
    subject: str  # Markdown, escaped: '**Intro call about the Data Analyst role**'
    lines: list[str]  # plain text: 'From … · To …', then the preview
    captions: list[str]
    menu_buttons: list[str]  # keys of the ⋮ menu's buttons, if it is there
    details: list[str]  # the details expander: the whole message, then metadata


def shown_entries(at: AppTest) -> list[ShownEntry]:
    """The timeline's entries, top to bottom."""
    blocks = [
        node
        for node in at.main
        if isinstance(node, Block)
        and node.type == "flex_container"
        and (node.key or "").startswith(ENTRY_KEY_PREFIX)
    ]
    return [_entry(block) for block in blocks]


def subjects(at: AppTest) -> list[str]:
    """The subjects of the timeline's entries, top to bottom, as Markdown."""
    return [entry.subject for entry in shown_entries(at)]


def _entry(block: Block) -> ShownEntry:
    head, menu = block.columns[0], block.columns[1]
    expander = block.expander[0]
    return ShownEntry(
        communication_id=int(block.key.removeprefix(ENTRY_KEY_PREFIX)),
        heading=head.markdown[0].value,
        subject=head.markdown[1].value,
        lines=values(head.text),
        captions=values(head.caption),
        menu_buttons=[button.key for button in menu.button],
        details=values(expander.text) + values(expander.markdown),
    )


def add_system_email(
    engine: Engine,
    candidate_id: int,
    sent_by: Member,
    occurred_at: datetime,
    *,
    subject: str = "Your application: Interview Scheduled",
    body: str = "We would like to invite you to an interview.",
) -> int:
    """Write a job status email straight into the tables, as the system would.

    flo_comms has no public function for system emails yet, so this mirrors
    tests/domain/conftest.py: the row, its sender and recipient, the attachment.
    """
    candidate = get_candidate(engine, candidate_id)
    people = [
        ("sender", sent_by.name, sent_by.email, sent_by.id, None),
        ("to", candidate.name, candidate.email, None, candidate_id),
    ]
    with engine.begin() as connection:
        communication_id = connection.execute(
            communications.insert()
            .values(
                source="system",
                comm_type="email",
                email_kind="job status",
                subject=subject,
                body=body,
                occurred_at=occurred_at,
                logged_by=sent_by.id,
                logged_at=occurred_at,
            )
            .returning(communications.c.id)
        ).scalar_one()
        connection.execute(
            communication_participants.insert(),
            [
                {
                    "communication_id": communication_id,
                    "role": role,
                    "position": 0,
                    "name": name,
                    "address": address,
                    "member_id": member_id,
                    "candidate_id": person_candidate_id,
                }
                for role, name, address, member_id, person_candidate_id in people
            ],
        )
        # Through the domain's own attach, which also fills the tab's copy.
        attach_candidates(
            connection, communication_id, [candidate_id], AttachmentReason.CONCERNS
        )
    return communication_id


def open_dialogs(at: AppTest) -> list[Block]:
    """The modals on the screen; each one's title is ``block.proto.dialog.title``."""
    return [
        node
        for node in at
        if isinstance(node, Block)
        and node.type == "dialog"
        and node.proto.dialog.is_open
    ]


def dialog_layout(dialog: Block) -> list[str]:
    """The dialog's widgets and messages in screen order: 'cf_type', 'error: …'."""
    layout = []
    for node in dialog:
        if node.type == "error":
            layout.append(f"error: {node.value}")
        elif not isinstance(node, Block) and getattr(node, "key", None):
            layout.append(node.key)
    return layout
