"""The worker: delivers the outbox, and runs the timed rules (expiring held places,
queuing reminders).

Several workers may run: on PostgreSQL each claims its rows with
FOR UPDATE SKIP LOCKED; SQLite's write transactions are exclusive anyway. A row
left "sending" by a crashed worker goes back to the queue after CLAIM_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from treffpunkt import db
from treffpunkt.calendars.invitations import Invitation, invitations
from treffpunkt.calendars.invitations import record as record_invitation
from treffpunkt.calendars.personal import feed_path, feed_tokens
from treffpunkt.notifications.delivery import (
    Mailer,
    OutgoingMail,
    PermanentFailure,
    TemporaryFailure,
    build_message,
    mailer_for,
)
from treffpunkt.notifications.rendering import render
from treffpunkt.notifications.tables import OutboxMessage, OutboxStatus
from treffpunkt.registrations import notices
from treffpunkt.registrations.mail import current_context
from treffpunkt.registrations.service import expire_overdue, registration_token
from treffpunkt.registrations.tables import Registration
from treffpunkt.settings import Settings

log = logging.getLogger(__name__)
CALENDAR_ENTRY = "calendar_entry"  # the mail for a further calendar object of one cause


@dataclass(frozen=True)
class Policy:
    batch_size: int = 50
    max_attempts: int = 8
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=6)
    claim_timeout: timedelta = timedelta(minutes=10)
    idle_sleep: float = 2.0
    # Reminders are looked for this often, not every round: a minute late is on time,
    # and each look reads every confirmed place in the sessions of the next hours.
    reminder_interval: float = 60.0


def now() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.randrange(16**6):06x}"  # noqa: S311


def retry_delay(attempts: int, policy: Policy) -> timedelta:
    """Exponential backoff with full jitter around it (0.5–1.5×), capped."""
    base = min(policy.retry_base * (2 ** max(0, attempts - 1)), policy.retry_max)
    return base * random.uniform(0.5, 1.5)  # noqa: S311 (jitter, not security)


async def recover_abandoned(policy: Policy) -> int:
    """Rows a crashed worker left claimed go back to the queue."""
    async with db.write_transaction():
        rows = (
            await OutboxMessage.update(
                {OutboxMessage.status: OutboxStatus.queued, OutboxMessage.claimed_by: None}
            )
            .where(
                (OutboxMessage.status == OutboxStatus.sending)
                & (OutboxMessage.claimed_at < now() - policy.claim_timeout)
            )
            .returning(OutboxMessage.id)
        )
    return len(rows)


async def claim(worker: str, limit: int) -> list[dict[str, Any]]:
    """Mark up to `limit` due messages as this worker's, oldest first."""
    at = now()
    async with db.write_transaction():
        if db.is_sqlite():
            due = (
                await OutboxMessage.select(OutboxMessage.id)
                .where(
                    (OutboxMessage.status == OutboxStatus.queued)
                    & (OutboxMessage.next_attempt_at <= at)
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
            ids = [row["id"] for row in due]
        else:
            rows = await OutboxMessage.raw(
                "SELECT id FROM outbox_message WHERE status = 'queued' AND next_attempt_at <= {} "
                "ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
                at,
                limit,
            )
            ids = [row["id"] for row in rows]
        if not ids:
            return []
        await OutboxMessage.update(
            {
                OutboxMessage.status: OutboxStatus.sending,
                OutboxMessage.claimed_at: at,
                OutboxMessage.claimed_by: worker,
            }
        ).where(OutboxMessage.id.is_in(ids))
    return (
        await OutboxMessage.select()
        .where(OutboxMessage.id.is_in(ids))
        .order_by(OutboxMessage.id)
        .output(load_json=True)
    )


Links = dict[int, dict[str, str | None]]
NO_LINKS: dict[str, str | None] = {"manage_url": None, "confirm_url": None, "calendar_url": None}


async def _links(
    settings: Settings, messages: list[dict[str, Any]]
) -> dict[int, dict[str, str | None]]:
    """Links for a batch of mails, by registration: the registration page, with its
    token derived now (never stored), and the person's calendar feed.

    A registration anonymised meanwhile gets no links.
    """
    ids = {m["registration"] for m in messages if m["registration"] is not None}
    if not ids:
        return {}
    rows = await Registration.select(
        Registration.id, Registration.token_salt, Registration.municipality, Registration.email
    ).where(Registration.id.is_in(list(ids)) & Registration.token_salt.is_not_null())
    secret_key = settings.resolved_secret_key()
    people: dict[int, set[str]] = {}
    for row in rows:
        if row["email"]:
            people.setdefault(row["municipality"], set()).add(row["email"])
    feeds = {
        municipality: await feed_tokens(municipality, emails, secret_key)
        for municipality, emails in people.items()
    }
    links = {}
    for row in rows:
        manage = f"{settings.base_url}/r/{registration_token(secret_key, row['token_salt'])}"
        feed = feeds.get(row["municipality"], {}).get(row["email"] or "")
        links[row["id"]] = {
            "manage_url": manage,
            "confirm_url": f"{manage}?confirm=1",
            "calendar_url": f"{settings.base_url}{feed_path(feed)}" if feed else None,
        }
    return links


async def _finish(message_id: int, worker: str, values: dict[Any, Any]) -> None:
    async with db.write_transaction():
        await OutboxMessage.update(values).where(
            (OutboxMessage.id == message_id) & (OutboxMessage.claimed_by == worker)
        )


# A mail, and the calendar part it carries (recorded once the mail went out).
Composed = list[tuple[OutgoingMail, Invitation | None]]


async def _compose(message: dict[str, Any], links: Links, settings: Settings) -> Composed | None:
    """The mail as it goes out now; None when a later change made it wrong.

    An invitation covers one calendar object (RFC 5546): when a registration's
    sessions belong to several (a course with dates outside its series), the others
    follow in short mails of their own.
    """
    context, kind = message["context"], message["kind"]
    registration = None
    if message["registration"] is not None:
        registration = (
            await Registration.objects().where(Registration.id == message["registration"]).first()
        )
    if kind in notices.LIVE_KINDS:
        context = await current_context(kind, registration, context, now())
        if context is None:
            return None
    context = {**context, **links.get(message["registration"], NO_LINKS)}
    invites: list[Invitation | None] = [
        *await invitations(kind, registration, context, settings.base_url)
    ] or [None]
    municipality = context["municipality"]
    composed: Composed = []
    for number, invite in enumerate(invites):
        if number == 0:
            mail, cause = render(kind, message["locale"], context), message["dedupe_key"]
        else:  # another object: a short mail of its own
            assert invite is not None
            entry = {
                **context,
                "calendar_method": invite.method,
                "sessions": [s for s in context["sessions"] if f"session-{s['id']}" == invite.key],
            }
            mail = render(CALENDAR_ENTRY, message["locale"], entry)
            cause = f"{message['dedupe_key']}:{invite.key}"
        outgoing = build_message(
            sender_name=municipality["sender_name"],
            sender_email=municipality["sender_email"],
            recipient_name=message["recipient_name"],
            recipient_email=message["recipient_email"],
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            dedupe_key=cause,
            calendar=(invite.method, invite.body) if invite else None,
        )
        composed.append((outgoing, invite))
    return composed


async def deliver(
    messages: list[dict[str, Any]], mailer: Mailer, settings: Settings, worker: str, policy: Policy
) -> int:
    """Send claimed messages over one mailer connection; returns how many were sent."""
    sent = 0
    links = await _links(settings, messages)
    for message in messages:
        attempts = message["attempts"] + 1
        try:
            composed = await _compose(message, links, settings)
            if composed is None:
                await _finish(
                    message["id"],
                    worker,
                    {OutboxMessage.status: OutboxStatus.skipped, OutboxMessage.claimed_by: None},
                )
                continue
            for mail, invite in composed:
                await mailer.send(mail)
                if invite is not None:  # the person's calendar now holds what it said
                    await record_invitation(invite)
        except TemporaryFailure as error:
            failed = attempts >= policy.max_attempts
            log.warning("mail %s: %s (attempt %d)", message["id"], error, attempts)
            await _finish(
                message["id"],
                worker,
                {
                    OutboxMessage.status: OutboxStatus.failed if failed else OutboxStatus.queued,
                    OutboxMessage.attempts: attempts,
                    OutboxMessage.next_attempt_at: now() + retry_delay(attempts, policy),
                    OutboxMessage.last_error: str(error)[:2000],
                    OutboxMessage.claimed_by: None,
                },
            )
        except (PermanentFailure, Exception) as error:  # a refusal or a broken template
            log.error("mail %s failed for good: %s", message["id"], error)
            await _finish(
                message["id"],
                worker,
                {
                    OutboxMessage.status: OutboxStatus.failed,
                    OutboxMessage.attempts: attempts,
                    OutboxMessage.last_error: f"{type(error).__name__}: {error}"[:2000],
                    OutboxMessage.claimed_by: None,
                },
            )
        else:
            sent += 1
            await _finish(
                message["id"],
                worker,
                {
                    OutboxMessage.status: OutboxStatus.sent,
                    OutboxMessage.attempts: attempts,
                    OutboxMessage.sent_at: now(),
                    OutboxMessage.last_error: None,
                },
            )
    return sent


async def run_once(
    settings: Settings, worker: str, policy: Policy = Policy(), reminders: bool = True
) -> int:
    """One round: timed rules, recovery, then every due message. Returns mails sent."""
    await expire_overdue()
    if reminders:
        await notices.queue_reminders(now())
    await recover_abandoned(policy)
    sent = 0
    async with mailer_for(settings) as mailer:
        while messages := await claim(worker, policy.batch_size):
            sent += await deliver(messages, mailer, settings, worker, policy)
    return sent


async def run_forever(settings: Settings, policy: Policy = Policy()) -> None:
    worker = worker_name()
    log.info("worker %s started", worker)
    loop = asyncio.get_running_loop()
    reminders_due = loop.time()
    while True:
        reminders = loop.time() >= reminders_due
        if reminders:
            reminders_due = loop.time() + policy.reminder_interval
        try:
            sent = await run_once(settings, worker, policy, reminders)
        except Exception:
            log.exception("worker round failed; trying again")
            sent = 0
        if not sent:
            await asyncio.sleep(policy.idle_sleep)
