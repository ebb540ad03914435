"""Sending rendered mail: over SMTP (aiosmtplib, one connection for many messages), or
into a local maildir when no SMTP server is configured (the embedded default)."""

from __future__ import annotations

import asyncio
import mailbox
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib

from treffpunkt.settings import Settings


class PermanentFailure(Exception):
    """The server refused this message for good (5xx): retrying cannot help."""


class TemporaryFailure(Exception):
    """The server or the network failed for now (4xx, connection): try again later."""


class Mailer(Protocol):
    async def __aenter__(self) -> Mailer: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def send(self, message: EmailMessage) -> None: ...


class SMTPMailer:
    """One SMTP conversation reused for a batch; reconnects after a broken one."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp: aiosmtplib.SMTP | None = None

    async def __aenter__(self) -> SMTPMailer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._close()

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            timeout=30,
        )
        await smtp.connect()
        if s.smtp_user:
            password = s.smtp_password.get_secret_value() if s.smtp_password else ""
            await smtp.login(s.smtp_user, password)
        return smtp

    async def _close(self) -> None:
        if self._smtp is not None:
            try:
                await self._smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    async def send(self, message: EmailMessage) -> None:
        try:
            if self._smtp is None or not self._smtp.is_connected:
                self._smtp = await self._connect()
            await self._smtp.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [r.code for r in error.recipients]
            if all(code >= 500 for code in codes):
                raise PermanentFailure(str(error)) from error
            await self._close()
            raise TemporaryFailure(str(error)) from error
        except aiosmtplib.SMTPResponseException as error:
            # After a refused transaction the session may be unusable: start afresh.
            await self._close()
            if error.code >= 500:
                raise PermanentFailure(f"{error.code} {error.message}") from error
            raise TemporaryFailure(f"{error.code} {error.message}") from error
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            await self._close()
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error


class MaildirMailer:
    """Every message as a file under var/mail, so that a first-time user sees all mail."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._maildir = mailbox.Maildir(folder, create=True)

    async def __aenter__(self) -> MaildirMailer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._maildir.add, message)


def mailer_for(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SMTPMailer(settings)
    return MaildirMailer(settings.maildir)


def build_message(
    *,
    sender_name: str,
    sender_email: str,
    recipient_name: str | None,
    recipient_email: str,
    subject: str,
    text: str,
    html: str,
    dedupe_key: str,
) -> EmailMessage:
    """multipart/alternative with a text part always, and HTML."""
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender_email))
    message["To"] = formataddr((recipient_name or "", recipient_email))
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender_email.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Treffpunkt-Cause"] = dedupe_key
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
