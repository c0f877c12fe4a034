# ruff: noqa: E501  (the rules below are laid out as the table they encode)
"""Which email an outreach event sends, to whom, for each action: one table.

This module is the product specification's "Outreach event emails" table
written as data. Every function that acts on an event asks ``recipients_for``
who gets which email; no page and no other module decides it. To check the
rules, read ``EMAIL_RULES`` beside the specification: one row per action, one
column per kind of event.

Columns: in-person events and webinars behave alike, virtual chats differ only
by their time slots; each is open (anyone with the link joins at once) or
invite only (a member approves or denies each candidate in Quick Review).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flo_comms.system_emails import EmailKind


class EventType(StrEnum):
    IN_PERSON = "in-person event"
    WEBINAR = "webinar"
    VIRTUAL_CHAT = "virtual chat"

    @property
    def has_slots(self) -> bool:
        return self is EventType.VIRTUAL_CHAT

    @property
    def meets_in_person(self) -> bool:
        return self is EventType.IN_PERSON


class ReviewState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class EventAction(StrEnum):
    REGISTER_BY_LINK = "a candidate registers through the event's link"
    ADD_WITH_PROFILE_REQUEST = "a member adds a candidate and asks for a full profile"
    ADD = "a member adds a candidate"
    APPROVE = "Quick Review approves a candidate"
    DENY = "Quick Review denies a candidate"
    CHANGE_DETAILS = "a detail candidates see changes"
    CHANGE_INTERNAL_NOTES = "the internal notes change"
    SEND_FINAL_SCHEDULE = "a member sends the final schedule"
    REMINDER_DUE = "a reminder falls due"
    FOLLOW_UP_DUE = "a follow-up falls due"
    REMOVE_FROM_SLOT = "a candidate is removed from a time slot"
    DELETE_SLOT = "a time slot is deleted"
    CANCEL_EVENT = "the event is cancelled"
    DELETE_EVENT = "the event is deleted"


class Audience(StrEnum):
    """Who receives an action's email."""

    # The candidate the action is about (the one joining, or reviewed).
    THE_CANDIDATE = "the candidate acted on"
    # Everyone registered and not denied. Open events have no review, so this
    # is everyone registered.
    REGISTERED = "every registered candidate"
    # Only candidates Quick Review approved.
    APPROVED = "approved candidates only"
    # The candidates who were in the time slot.
    IN_THE_SLOT = "the candidates in the time slot"
    # The action is allowed and sends nothing.
    NOBODY = "nobody"


# Review states that receive an email, for the audiences that depend on them.
_STATES_FOR = {
    Audience.REGISTERED: frozenset({ReviewState.PENDING, ReviewState.APPROVED}),
    Audience.APPROVED: frozenset({ReviewState.APPROVED}),
    Audience.IN_THE_SLOT: frozenset({ReviewState.APPROVED}),
}


@dataclass(frozen=True)
class EmailRule:
    """One row of the table. ``None`` in a column: the action does not exist there."""

    action: EventAction
    kind: EmailKind | None
    in_person_or_webinar_open: Audience | None
    in_person_or_webinar_invite_only: Audience | None
    virtual_chat_open: Audience | None
    virtual_chat_invite_only: Audience | None

    def audience(self, event_type: EventType, invite_only: bool) -> Audience | None:
        if event_type.has_slots:
            return (
                self.virtual_chat_invite_only if invite_only else self.virtual_chat_open
            )
        return (
            self.in_person_or_webinar_invite_only
            if invite_only
            else self.in_person_or_webinar_open
        )


_ONE = Audience.THE_CANDIDATE
_REG = Audience.REGISTERED
_APP = Audience.APPROVED
_SLOT = Audience.IN_THE_SLOT
_NONE = Audience.NOBODY
K = EmailKind
A = EventAction

# fmt: off
EMAIL_RULES: tuple[EmailRule, ...] = (
    #          action                      email kind                      in-person / webinar    virtual chat
    #                                                                      open   invite only     open   invite only
    EmailRule(A.REGISTER_BY_LINK,         K.REGISTRATION_CONFIRMATION,     _ONE,  _ONE,           _ONE,  _ONE),
    EmailRule(A.ADD_WITH_PROFILE_REQUEST, K.PROFILE_REQUEST,               _ONE,  _ONE,           _ONE,  _ONE),
    EmailRule(A.ADD,                      K.CONFIRMATION,                  _ONE,  _ONE,           _ONE,  _ONE),
    EmailRule(A.APPROVE,                  K.APPROVAL,                      None,  _ONE,           None,  _ONE),
    EmailRule(A.DENY,                     K.DENIAL,                        None,  _ONE,           None,  _ONE),
    EmailRule(A.CHANGE_DETAILS,           K.UPDATE,                        _REG,  _APP,           _REG,  _APP),
    EmailRule(A.CHANGE_INTERNAL_NOTES,    None,                            _NONE, _NONE,          _NONE, _NONE),
    EmailRule(A.SEND_FINAL_SCHEDULE,      K.FINAL_SCHEDULE,                _REG,  _APP,           _REG,  _APP),
    EmailRule(A.REMINDER_DUE,             K.REMINDER,                      _REG,  _APP,           _REG,  _APP),
    EmailRule(A.FOLLOW_UP_DUE,            K.FOLLOW_UP,                     _REG,  _APP,           _REG,  _APP),
    EmailRule(A.REMOVE_FROM_SLOT,         K.CANCELLATION,                  None,  None,           _SLOT, _SLOT),
    EmailRule(A.DELETE_SLOT,              K.CANCELLATION,                  None,  None,           _SLOT, _SLOT),
    EmailRule(A.CANCEL_EVENT,             None,                            _NONE, _NONE,          _NONE, _NONE),
    EmailRule(A.DELETE_EVENT,             None,                            _NONE, _NONE,          _NONE, _NONE),
)
# fmt: on

_BY_ACTION = {rule.action: rule for rule in EMAIL_RULES}


def rule_for(action: EventAction) -> EmailRule:
    return _BY_ACTION[action]


def audience_for(
    action: EventAction, event_type: EventType, invite_only: bool
) -> Audience | None:
    """Who the action emails on this kind of event; None if it does not apply."""
    return rule_for(action).audience(event_type, invite_only)


def email_kind_for(action: EventAction) -> EmailKind | None:
    return rule_for(action).kind


def review_states_emailed(audience: Audience) -> frozenset[ReviewState]:
    """The review states whose candidates a group email reaches.

    THE_CANDIDATE and NOBODY name no group; they return nothing.
    """
    return _STATES_FOR.get(audience, frozenset())


def initial_review_state(invite_only: bool) -> ReviewState:
    """Invite-only events wait for Quick Review; open events let everyone in."""
    return ReviewState.PENDING if invite_only else ReviewState.APPROVED
