"""Sending rendered mail: over SMTP (aiosmtplib, one connection for many messages), or
into a local maildir when no SMTP server is configured (the embedded default)."""

from __future__ import annotations

import asyncio
import mailbox
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.generator import BytesGenerator
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from io import BytesIO
from pathlib import Path
from typing import Protocol

import aiosmtplib
import idna

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

    async def _offers_smtputf8(self) -> bool:
        assert self._smtp is not None
        if self._smtp.is_ehlo_or_helo_needed:
            await self._smtp.ehlo()
        return self._smtp.supports_extension("smtputf8")

    async def send(self, mail: OutgoingMail) -> None:
        try:
            if self._smtp is None or not self._smtp.is_connected:
                self._smtp = await self._connect()
            if mail.utf8 and not await self._offers_smtputf8():
                raise PermanentFailure(
                    f"The mail server does not offer SMTPUTF8, which {mail.recipient} or "
                    f"{mail.sender} needs: the part before the @ is not ASCII."
                )
            await self._smtp.sendmail(
                # TREFFPUNKT_MAIL_FROM, if set, takes the bounces instead of the sender.
                self._settings.mail_from or mail.sender,
                [mail.recipient],
                mail.data,
                mail_options=["SMTPUTF8"] if mail.utf8 else [],
            )
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
    sender: str  # envelope addresses, as SMTP carries them (see mail_address)
    recipient: str
    data: bytes  # the whole message, CRLF line ends
    utf8: bool = False  # an address has a local part beyond ASCII: needs SMTPUTF8


def one_line(text: str) -> str:
    """Human text fit for a header: control characters (CR, LF, NUL, …) and line or
    paragraph separators become spaces, runs of spaces one. Whatever a name or a
    title holds, even one already stored, it stays one line of one header."""
    cleaned = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in text
    )
    return " ".join(cleaned.split())


@dataclass(frozen=True)
class MailAddress:
    """An address as SMTP carries it: the domain in its ASCII (IDNA) form, which every
    server takes (user@bücher.example → user@xn--bcher-kva.example); a local part
    beyond ASCII (jürgen@…) only a server offering SMTPUTF8 (RFC 6531) takes."""

    address: str
    utf8: bool


def mail_address(email: str) -> MailAddress:
    local, at, domain = email.strip().rpartition("@")
    if not (local and at and domain) or any(
        unicodedata.category(char)[0] in "CZ" for char in email.strip()
    ):
        raise PermanentFailure(f"{email!r} is not an address mail can be sent to")
    try:
        ascii_domain = domain if domain.isascii() else idna.encode(domain, uts46=True).decode()
    except idna.IDNAError as error:
        raise PermanentFailure(f"the domain of {email!r} is not valid: {error}") from None
    # Address refuses line breaks and checks the parts once more.
    return MailAddress(str(Address(username=local, domain=ascii_domain)), not local.isascii())


_PLAIN = re.compile(r"[A-Za-z0-9 '_-]+")  # a display name that needs no quoting or encoding


def _mailbox(header: str, name: str | None, address: MailAddress) -> str:
    """A From or To value: the display name encoded whole with email.header.Header.

    Not the modern folder of policy.SMTP: it drops the space where it splits a
    non-ASCII name or subject into encoded words ("الانتظار: مقهى" arrives as
    "الانتظار:مقهى"), and it decodes an "=?utf-8?q?…?=" found inside a display
    name into raw text, line breaks included. Header encodes every character, so
    no value can end the header, and keeps spaces inside the encoded words.
    """
    display = one_line(name or "")
    if not display:
        return f"<{address.address}>"
    if _PLAIN.fullmatch(display):
        return f"{display} <{address.address}>"
    encoded = Header(display, "utf-8", header_name=header).encode(linesep=CRLF)
    last_line = encoded.rpartition(CRLF)[2]
    space = " " if len(last_line) + len(address.address) + 3 <= 78 else f"{CRLF} "
    return f"{encoded}{space}<{address.address}>"


def _subject(text: str) -> str:
    return Header(one_line(text), "utf-8", header_name="Subject").encode(linesep=CRLF)


# Header values set above are final: the generator must write them as they are.
_POLICY = policy.SMTP.clone(refold_source="none")


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
    reply_to: str | None = None,
) -> OutgoingMail:
    """multipart/alternative with a text part always, and HTML.

    With a `calendar` (method, iCalendar bytes) it is an invitation (docs/calendars.md,
    rules 19–20): multipart/mixed around the alternative of text, HTML and
    `text/calendar; method=…`, plus the same as an invite.ics attachment for clients
    that only look at attachments — the form Google Calendar sends.

    From, To and Subject are made from the values, never from text around them:
    names and subjects pass one_line and are encoded whole (see _mailbox), the
    addresses are parsed into their parts (mail_address). `reply_to` (the town's
    Reply-To, a plain address) likewise. Raises PermanentFailure for an address no
    server could take.
    """
    sender, recipient = mail_address(sender_email), mail_address(recipient_email)
    answers = mail_address(reply_to) if reply_to else None
    utf8 = sender.utf8 or recipient.utf8 or (answers is not None and answers.utf8)
    # With an address beyond ASCII the header carries it as UTF-8 (RFC 6532).
    mail_policy = _POLICY.clone(utf8=True) if utf8 else _POLICY
    message = EmailMessage(policy=mail_policy)
    message.set_raw("From", _mailbox("From", sender_name, sender))
    message.set_raw("To", _mailbox("To", recipient_name, recipient))
    if answers is not None:
        message.set_raw("Reply-To", _mailbox("Reply-To", None, answers))
    message.set_raw("Subject", _subject(subject))
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.address.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message["X-Treffpunkt-Cause"] = one_line(dedupe_key)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if calendar is not None:
        method, data = calendar
        # As bytes, in base64: the calendar's CRLF line ends and folding stay as written.
        message.add_alternative(
            data, "text", "calendar", params={"method": method, "charset": "UTF-8"}
        )
        message.add_attachment(data, maintype="application", subtype="ics", filename="invite.ics")
    buffer = BytesIO()
    BytesGenerator(buffer, policy=mail_policy).flatten(message)
    return OutgoingMail(sender.address, recipient.address, buffer.getvalue(), utf8)
