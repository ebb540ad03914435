"""Sending rendered mail: over SMTP (aiosmtplib, one connection for many messages), or
into a local maildir when no SMTP server is configured (the embedded default)."""

from __future__ import annotations

import asyncio
import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from io import BytesIO
from pathlib import Path
from typing import Protocol

import aiosmtplib

from treffpunkt.settings import Settings

CRLF = "\r\n"


class PermanentFailure(Exception):
    """The server refused this message for good (5xx): retrying cannot help."""


class TemporaryFailure(Exception):
    """The server or the network failed for now (4xx, connection): try again later."""


class Mailer(Protocol):
    async def __aenter__(self) -> Mailer: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def send(self, mail: OutgoingMail) -> None: ...


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

    async def send(self, mail: OutgoingMail) -> None:
        try:
            if self._smtp is None or not self._smtp.is_connected:
                self._smtp = await self._connect()
            await self._smtp.sendmail(mail.sender, [mail.recipient], mail.data)
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
        folder.parent.mkdir(parents=True, exist_ok=True)
        self._maildir = mailbox.Maildir(folder, create=True)  # makes tmp/, new/, cur/

    async def __aenter__(self) -> MaildirMailer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send(self, mail: OutgoingMail) -> None:
        await asyncio.to_thread(self._maildir.add, mail.data)


# Top-level names that never exist (RFC 2606, RFC 6761): mail to them cannot arrive, and
# handing it to a real server only earns bounces for the town's sender. The demo data
# uses only these, so that its mail never leaves the machine.
UNDELIVERABLE = (".example", ".invalid", ".localhost", ".test")


def can_arrive(recipient: str) -> bool:
    domain = recipient.rpartition("@")[2].lower().rstrip(".")
    return not f".{domain}".endswith(UNDELIVERABLE)


class SMTPForRealAddresses:
    """SMTP for addresses that can receive mail; the local maildir for the others."""

    def __init__(self, smtp: Mailer, maildir: Path) -> None:
        self._smtp = smtp
        self._maildir = maildir
        self._local: MaildirMailer | None = None

    async def __aenter__(self) -> SMTPForRealAddresses:
        await self._smtp.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._smtp.__aexit__(*exc)

    async def send(self, mail: OutgoingMail) -> None:
        if can_arrive(mail.recipient):
            await self._smtp.send(mail)
            return
        if self._local is None:
            self._local = MaildirMailer(self._maildir)
        await self._local.send(mail)


def mailer_for(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SMTPForRealAddresses(SMTPMailer(settings), settings.maildir)
    return MaildirMailer(settings.maildir)


@dataclass(frozen=True)
class OutgoingMail:
    sender: str
    recipient: str
    data: bytes  # the whole message, CRLF line ends


def _address(name: str | None, email: str) -> str:
    if not name:
        return email
    if name.isascii():
        return formataddr((name, email))
    return f"{Header(name, 'utf-8').encode(linesep=CRLF)} <{email}>"


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
    calendar: tuple[str, bytes] | None = None,
) -> OutgoingMail:
    """multipart/alternative with a text part always, and HTML.

    With a `calendar` (method, iCalendar bytes) it is an invitation (docs/calendars.md,
    rules 19–20): multipart/mixed around the alternative of text, HTML and
    `text/calendar; method=…`, plus the same as an invite.ics attachment for clients
    that only look at attachments — the form Google Calendar sends.

    From, To and Subject are encoded with email.header.Header: the modern folder
    (policy.SMTP, which aiosmtplib also uses) drops the space where it splits a
    non-ASCII header into encoded words ("الانتظار: مقهى" arrives as
    "الانتظار:مقهى"); Header keeps spaces inside the encoded words.
    """
    body = EmailMessage()
    body["Date"] = format_datetime(datetime.now(UTC))
    body["Message-ID"] = make_msgid(domain=sender_email.rpartition("@")[2] or None)
    body["Auto-Submitted"] = "auto-generated"
    body["X-Treffpunkt-Cause"] = dedupe_key
    body.set_content(text)
    body.add_alternative(html, subtype="html")
    if calendar is not None:
        method, data = calendar
        # As bytes, in base64: the calendar's CRLF line ends and folding stay as written.
        body.add_alternative(
            data, "text", "calendar", params={"method": method, "charset": "UTF-8"}
        )
        body.add_attachment(data, maintype="application", subtype="ics", filename="invite.ics")
    buffer = BytesIO()
    BytesGenerator(buffer, policy=policy.SMTP).flatten(body)
    headers = (
        f"From: {_address(sender_name, sender_email)}{CRLF}"
        f"To: {_address(recipient_name, recipient_email)}{CRLF}"
        f"Subject: {Header(subject, 'utf-8', header_name='Subject').encode(linesep=CRLF)}{CRLF}"
    )
    return OutgoingMail(sender_email, recipient_email, headers.encode("ascii") + buffer.getvalue())
