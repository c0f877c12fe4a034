"""Where a composed email goes: an outbox folder of .eml files, or an SMTP server.

A transport sends one message to its envelope's recipients and returns where
it went, or raises a DeliveryError saying whether trying again may help. Its
messages never contain the SMTP password.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from flo_comms.mail_settings import MailSettings, MailTransport, SmtpSecurity

logger = logging.getLogger(__name__)

CHECK_BEFORE_RETRYING = (
    "The email may or may not have gone out: check with the recipient or the "
    "mail server's log before retrying, or it may arrive twice."
)


class DeliveryError(Exception):
    """The email did not go out this time; it is tried again later."""


class TransportUnavailable(DeliveryError):
    """The server (or folder) cannot take any email now; the run stops there."""


class PermanentDeliveryError(DeliveryError):
    """Trying again would fail the same way: no address, refused recipients."""


class UncertainDeliveryError(DeliveryError):
    """The line broke while sending: the server may or may not have the email."""


@dataclass(frozen=True)
class OutgoingEmail:
    """A message ready to go, with every envelope recipient (to, cc and bcc)."""

    delivery_id: int
    communication_id: int
    message: EmailMessage
    recipients: tuple[str, ...]
    # Recipients left out for want of an address, to keep beside the outcome.
    note: str | None = None


class Transport(Protocol):
    def send(self, email: OutgoingEmail) -> str:
        """Deliver the email; return where it went (a path, a server)."""
        ...


class OutboxTransport:
    """Writes each email as an .eml file into a folder: no network at all."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def send(self, email: OutgoingEmail) -> str:
        message_id = str(email.message["Message-ID"] or "no-message-id")
        # '<17.1@flo-comms.localhost>' → '17.1_flo-comms.localhost'
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", message_id.strip("<> "))
        target = self.folder / f"{email.delivery_id}-{stem}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(target, email.message.as_bytes())
        except OSError as error:
            raise TransportUnavailable(
                f"Cannot write to the outbox folder {self.folder}: "
                f"{error.strerror or error}"
            ) from error
        return str(target.resolve())


def _write_atomically(target: Path, content: bytes) -> None:
    # A reader of the folder sees a whole file or none, never half of one.
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=".", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class SmtpTransport:
    """Sends through an SMTP server: STARTTLS, TLS or plain, with an optional login.

    One connection per email, closed right after it.
    """

    def __init__(self, settings: MailSettings) -> None:
        if not settings.smtp_host:
            raise ValueError("FLO_COMMS_SMTP_HOST must name the SMTP server.")
        self.settings = settings
        self.address = f"smtp://{settings.smtp_host}:{settings.smtp_port}"

    def send(self, email: OutgoingEmail) -> str:
        try:
            server = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            raise TransportUnavailable(
                f"Cannot use the SMTP server {self.address}: {self._describe(error)}"
            ) from None
        try:
            refused = server.send_message(email.message, to_addrs=email.recipients)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPNotSupportedError) as error:
            raise PermanentDeliveryError(
                f"{self.address} refused the email: {self._describe(error)}"
            ) from None
        except smtplib.SMTPResponseException as error:
            # The server answered: it did not take the message.
            kind = PermanentDeliveryError if error.smtp_code >= 500 else DeliveryError
            raise kind(
                f"{self.address} refused the email: {self._describe(error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise UncertainDeliveryError(
                f"The connection to {self.address} broke while sending "
                f"({self._describe(error)}). {CHECK_BEFORE_RETRYING}"
            ) from None
        finally:
            _close_quietly(server)
        if refused:
            # Limitation: the timeline shows such an email as sent, because a
            # transport returns only where it went; the refusals are in the log.
            logger.warning(
                "%s refused some recipients of delivery %s: %s",
                self.address,
                email.delivery_id,
                sorted(refused),
            )
        return self.address

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        host, port = settings.smtp_host, settings.smtp_port
        timeout = settings.smtp_timeout
        if settings.smtp_security is SmtpSecurity.TLS:
            context = ssl.create_default_context()
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if settings.smtp_security is SmtpSecurity.STARTTLS:
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                server.login(settings.smtp_username, settings.smtp_password or "")
        except BaseException:
            _close_quietly(server)
            raise
        return server

    def _describe(self, error: Exception) -> str:
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            text = ", ".join(
                f"{address} ({code} {_text(reply)})"
                for address, (code, reply) in error.recipients.items()
            )
        elif isinstance(error, smtplib.SMTPResponseException):
            text = f"{error.smtp_code} {_text(error.smtp_error)}"
        elif isinstance(error, OSError) and error.strerror:
            text = error.strerror
        else:
            text = str(error) or type(error).__name__
        password = self.settings.smtp_password
        return text.replace(password, "***") if password else text


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", errors="replace")
    return reply


def _close_quietly(server: smtplib.SMTP) -> None:
    # The email is out (or the error known) by now: a failed goodbye changes nothing.
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        server.close()


def make_transport(settings: MailSettings) -> Transport:
    """The transport the settings choose."""
    if settings.transport is MailTransport.SMTP:
        return SmtpTransport(settings)
    return OutboxTransport(settings.outbox_dir)
