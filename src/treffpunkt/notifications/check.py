"""The platform's mail check: an admin sends one test mail now and sees what the mail
server answered. Sent directly, not through the outbox: the point is the answer of
the server while the admin waits, and a test mail is no change of anything."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from treffpunkt.municipalities.tables import Municipality
from treffpunkt.notifications.delivery import (
    MaildirMailer,
    Mailer,
    PermanentFailure,
    SMTPMailer,
    TemporaryFailure,
    build_message,
    can_arrive,
)
from treffpunkt.notifications.rendering import render
from treffpunkt.settings import Settings

TEST_MAIL = "test_mail"


class Outcome(StrEnum):
    sent = "sent"  # the SMTP server took it
    local = "local"  # written to the local maildir (no SMTP server, or an unreal address)
    refused = "refused"  # the server refused it for good (5xx, a bad address)
    failed = "failed"  # the server or the network failed (4xx, connection, TLS, login)


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    detail: str  # the server's answer or the error, for the admin to read
    smtp_host: str | None


async def send_test_mail(
    settings: Settings, recipient: str, municipality: Municipality
) -> CheckResult:
    """Send the test mail to `recipient` with the municipality's sender and language,
    as real mail goes out; say what happened."""
    context: dict[str, Any] = {
        "base_url": settings.base_url,
        "email": recipient,
        "municipality": {
            "name": municipality.name,
            "sender_name": municipality.sender_name,
            "contact_email": municipality.contact_email,
            "time_zone": municipality.time_zone,
        },
    }
    local = settings.smtp_host is None or not can_arrive(recipient)
    try:
        rendered = render(TEST_MAIL, municipality.default_locale, context)
        mail = build_message(
            sender_name=municipality.sender_name,
            sender_email=municipality.sender_email,
            recipient_name=None,
            recipient_email=recipient,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            dedupe_key=f"{TEST_MAIL}:{recipient}",
        )
        mailer: Mailer = MaildirMailer(settings.maildir) if local else SMTPMailer(settings)
        async with mailer:
            await mailer.send(mail)
    except PermanentFailure as error:
        return CheckResult(Outcome.refused, str(error), settings.smtp_host)
    except TemporaryFailure as error:
        return CheckResult(Outcome.failed, str(error), settings.smtp_host)
    if local:
        return CheckResult(Outcome.local, str(settings.maildir), settings.smtp_host)
    return CheckResult(Outcome.sent, "", settings.smtp_host)
