"""How email leaves Flo Communications: the transport and its settings.

Read from the environment, or from any mapping (the dashboard merges its
Streamlit secrets in). A bad value is refused with the variable's name; the
SMTP password is never shown, not in a repr, a log line or a message.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from flo_comms.config import DATA_DIR

DEFAULT_FROM = "Flo Communications <no-reply@flo-comms.localhost>"
DEFAULT_OUTBOX_DIR = DATA_DIR / "outbox"
DEFAULT_TIMEOUT_SECONDS = 30.0

E = TypeVar("E", bound=StrEnum)


class MailTransport(StrEnum):
    # "outbox" writes .eml files into a folder, with no network; "smtp" sends.
    OUTBOX = "outbox"
    SMTP = "smtp"


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"
    # Plain text, credentials included: only for a relay on the same machine.
    NONE = "none"


# The port each kind of security usually listens on, when none is given.
DEFAULT_PORTS = {
    SmtpSecurity.STARTTLS: 587,
    SmtpSecurity.TLS: 465,
    SmtpSecurity.NONE: 25,
}


@dataclass(frozen=True)
class MailSettings:
    """The transport to use and everything it needs."""

    transport: MailTransport = MailTransport.OUTBOX
    from_address: str = DEFAULT_FROM
    outbox_dir: Path = DEFAULT_OUTBOX_DIR
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_timeout: float = DEFAULT_TIMEOUT_SECONDS


def mail_settings(environ: Mapping[str, object] | None = None) -> MailSettings:
    """Read the mail settings; a bad value raises ValueError naming its variable."""
    environ = os.environ if environ is None else environ

    def read(variable: str) -> str:
        # Streamlit secrets hold TOML values: a port may arrive as an int.
        value = environ.get(variable)
        return "" if value is None else str(value).strip()

    transport = _choice(MailTransport, "FLO_COMMS_MAIL_TRANSPORT", read)
    security = _choice(SmtpSecurity, "FLO_COMMS_SMTP_SECURITY", read)
    host = read("FLO_COMMS_SMTP_HOST") or None
    username = read("FLO_COMMS_SMTP_USERNAME") or None
    # Spaces may belong to a password: only an empty one counts as missing.
    password = environ.get("FLO_COMMS_SMTP_PASSWORD")
    password = str(password) if password not in (None, "") else None

    if transport is MailTransport.SMTP and not host:
        raise ValueError(
            "FLO_COMMS_SMTP_HOST must name the SMTP server when "
            "FLO_COMMS_MAIL_TRANSPORT is smtp."
        )
    if password and not username:
        raise ValueError(
            "FLO_COMMS_SMTP_USERNAME must be set: FLO_COMMS_SMTP_PASSWORD is set "
            "without it."
        )
    return MailSettings(
        transport=transport,
        from_address=_from_address(read("FLO_COMMS_MAIL_FROM") or DEFAULT_FROM),
        outbox_dir=Path(read("FLO_COMMS_OUTBOX_DIR") or DEFAULT_OUTBOX_DIR),
        smtp_host=host,
        smtp_port=_port(read("FLO_COMMS_SMTP_PORT"), security),
        smtp_security=security,
        smtp_username=username,
        smtp_password=password,
        smtp_timeout=_timeout(read("FLO_COMMS_SMTP_TIMEOUT")),
    )


def _choice(kind: type[E], variable: str, read: Callable[[str], str]) -> E:
    raw = read(variable).lower()
    if not raw:
        return next(iter(kind))
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValueError(f"{variable} must be one of {allowed}, not {raw!r}.") from None


def _from_address(raw: str) -> str:
    # "Name <address@domain>" or a bare address; the domain also names Message-IDs.
    _name, address = parseaddr(raw)
    local, _, domain = address.rpartition("@")
    if not local or not domain or any(c.isspace() for c in address):
        raise ValueError(
            "FLO_COMMS_MAIL_FROM must be an address such as "
            f"'Flo Communications <no-reply@example.com>', not {raw!r}."
        )
    return raw


def _port(raw: str, security: SmtpSecurity) -> int:
    if not raw:
        return DEFAULT_PORTS[security]
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(
            f"FLO_COMMS_SMTP_PORT must be a number, not {raw!r}."
        ) from None
    if not 0 < port < 65536:
        raise ValueError(f"FLO_COMMS_SMTP_PORT must be 1 to 65535, not {raw!r}.")
    return port


def _timeout(raw: str) -> float:
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(
            f"FLO_COMMS_SMTP_TIMEOUT must be a number of seconds above zero, "
            f"not {raw!r}."
        )
    return seconds
