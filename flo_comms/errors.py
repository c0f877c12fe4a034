"""Named refusals. Pages turn them into messages beside the control at fault."""

from __future__ import annotations


class FloCommsError(Exception):
    """Base of every refusal the domain makes on purpose."""


class ValidationError(FloCommsError):
    """Input that cannot be saved; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class PermissionDenied(FloCommsError):
    """The member may not do this; the message says why."""


class NotFound(FloCommsError):
    """The record does not exist (or no longer does)."""
