"""The worker: does the outbox (sends its mails, runs its tasks) and runs the timed
rules (expiring held places, queuing reminders), in two loops that never wait for
each other, so that a long mail queue does not hold up an expiry.

It knows no domain: what a kind means comes from the registry the app wired
(notifications/registry.py). Several workers may run: on PostgreSQL each claims its
rows with FOR UPDATE SKIP LOCKED; SQLite's write transactions are exclusive anyway.
A worker that stops hands back what it claimed; rows a crashed one left "sending"
go back to the queue after the claim timeout (TREFFPUNKT_MAIL_CLAIM_TIMEOUT_SECONDS).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from treffpunkt import db
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.notifications.delivery import (
    Mailer,
    OutgoingMail,
    PermanentFailure,
    build_message,
    mailer_for,
)
from treffpunkt.notifications.registry import CalendarPart, Registry, current_registry
from treffpunkt.notifications.rendering import render
from treffpunkt.outbox import OutboxMessage, OutboxStatus, Row, Undeliverable
from treffpunkt.settings import Settings

log = logging.getLogger(__name__)
CALENDAR_ENTRY = "calendar_entry"  # the mail for a further calendar object of one cause

# How long a stopping worker may finish the mail in hand before it is cancelled.
STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class Policy:
    batch_size: int = 50
    max_attempts: int = 8
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=6)
    claim_timeout: timedelta = timedelta(minutes=10)
    idle_sleep: float = 2.0  # between delivery rounds
    rules_tick: float = 1.0  # how often the timed rules look whether one is due

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(claim_timeout=timedelta(seconds=settings.mail_claim_timeout_seconds))


class BrokenMail(Exception):
    """The mail cannot be written (a broken template, a kind nobody wired): trying
    again cannot help."""


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


async def release(worker: str) -> int:
    """Hand back what this worker claimed and did not finish (when it stops, or after
    a failed round), so that nothing waits for the claim timeout."""
    async with db.write_transaction():
        rows = (
            await OutboxMessage.update(
                {OutboxMessage.status: OutboxStatus.queued, OutboxMessage.claimed_by: None}
            )
            .where(
                (OutboxMessage.status == OutboxStatus.sending)
                & (OutboxMessage.claimed_by == worker)
            )
            .returning(OutboxMessage.id)
        )
    return len(rows)


async def claim(worker: str, limit: int) -> list[Row]:
    """Mark up to `limit` due rows as this worker's, oldest first."""
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


async def _links(rows: list[Row], settings: Settings, registry: Registry) -> dict[int, Any]:
    """What the domains add to a batch's mails (links, with tokens derived now)."""
    mails = [row for row in rows if row["kind"] in registry.mails]
    merged: dict[int, dict[str, Any]] = {}
    for links in registry.links if mails else ():
        for row_id, values in (await links(mails, settings)).items():
            merged.setdefault(row_id, {}).update(values)
    return merged


async def _finish(message_id: int, worker: str, values: dict[Any, Any]) -> None:
    async with db.write_transaction():
        await OutboxMessage.update(values).where(
            (OutboxMessage.id == message_id) & (OutboxMessage.claimed_by == worker)
        )


# A mail, and the calendar part it carries (told once the mail went out).
Composed = list[tuple[OutgoingMail, CalendarPart | None]]


# What the town's settings say about its mail when it goes out, not when it was queued:
# a guide who changes the sender's name or the Reply-To changes it for mail still waiting.
SENDER_FIELDS = ("sender_name", "sender_email", "reply_to_email")


async def _senders(rows: list[Row]) -> dict[int, dict[str, Any]]:
    ids = {row["municipality"] for row in rows}
    return {
        found["id"]: {name: found[name] for name in SENDER_FIELDS}
        for found in await Municipality.select(
            Municipality.id, *(Municipality._meta.get_column_by_name(n) for n in SENDER_FIELDS)
        ).where(Municipality.id.is_in(list(ids) or [-1]))
    }


async def _compose(
    row: Row,
    links: dict[int, Any],
    settings: Settings,
    registry: Registry,
    senders: dict[int, dict[str, Any]] | None = None,
) -> Composed | None:
    """The mails as they go out now; None when a later change made them wrong.

    An invitation covers one calendar object (RFC 5546): when a cause concerns several
    (a course with dates outside its series), the others follow in short mails of
    their own.
    """
    kind = row["kind"]
    if kind not in registry.mails:
        raise BrokenMail(f"no mail of kind {kind!r} is wired")
    live = registry.mails[kind]
    context = row["context"] if live is None else await live(row, now())
    if context is None:
        return None
    context = {**context, **links.get(row["id"], {})}
    sender = (senders or {}).get(row["municipality"])
    if sender and isinstance(context.get("municipality"), dict):
        context["municipality"] = {**context["municipality"], **sender}
    parts = await registry.calendar(row, context, settings) if registry.calendar else []
    composed: Composed = [(_write(row, kind, context, row["dedupe_key"], None), None)]
    for number, part in enumerate(parts):
        if number == 0:
            composed[0] = (_write(row, kind, context, row["dedupe_key"], part), part)
        else:
            cause = f"{row['dedupe_key']}:{part.key}"
            entry = {**context, **part.entry}
            composed.append((_write(row, CALENDAR_ENTRY, entry, cause, part), part))
    return composed


def _write(
    row: Row, kind: str, context: dict[str, Any], cause: str, calendar: CalendarPart | None
) -> OutgoingMail:
    """Templates and headers, from values alone: what fails here fails every time."""
    try:
        mail = render(kind, row["locale"], context)
        municipality = context["municipality"]
        return build_message(
            sender_name=municipality["sender_name"],
            sender_email=municipality["sender_email"],
            reply_to=municipality.get("reply_to_email"),
            recipient_name=row["recipient_name"],
            recipient_email=row["recipient_email"],
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            dedupe_key=cause,
            calendar=(calendar.method, calendar.body) if calendar else None,
        )
    except Exception as error:
        raise BrokenMail(f"{type(error).__name__}: {error}") from error


async def deliver(
    rows: list[Row],
    mailer: Mailer,
    settings: Settings,
    worker: str,
    policy: Policy,
    registry: Registry | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Do claimed rows, mails over one mailer connection; returns how many mails were sent.

    Only a refusal by the mail server and a mail that cannot be written (its template, or
    a calendar part its data cannot give: outbox.Undeliverable) fail for good; anything
    else (the database or the network failing for now) is tried again later.
    With `stop` set, the rest is left for release().
    """
    registry = registry or current_registry()
    sent = 0
    links = await _links(rows, settings, registry)
    senders = await _senders(rows)
    for row in rows:
        if stop is not None and stop.is_set():
            break
        attempts = row["attempts"] + 1
        done = {
            OutboxMessage.status: OutboxStatus.sent,
            OutboxMessage.attempts: attempts,
            OutboxMessage.sent_at: now(),
            OutboxMessage.last_error: None,
        }
        try:
            task = registry.tasks.get(row["kind"])
            if task is not None:
                async with db.write_transaction():  # the task's effects and its row, together
                    await task(row)
                    await _finish(row["id"], worker, done)
                continue
            composed = await _compose(row, links, settings, registry, senders)
            if composed is None:
                await _finish(
                    row["id"],
                    worker,
                    {OutboxMessage.status: OutboxStatus.skipped, OutboxMessage.claimed_by: None},
                )
                continue
            for mail, part in composed:
                await mailer.send(mail)
                if part is not None:
                    await part.sent()  # the person's calendar now holds what it said
        except (PermanentFailure, BrokenMail, Undeliverable) as error:
            log.error("mail %s failed for good: %s", row["id"], error)
            await _finish(
                row["id"],
                worker,
                {
                    OutboxMessage.status: OutboxStatus.failed,
                    OutboxMessage.attempts: attempts,
                    OutboxMessage.last_error: str(error)[:2000],
                    OutboxMessage.claimed_by: None,
                },
            )
        except Exception as error:  # a temporary failure of the server, network or database
            failed = attempts >= policy.max_attempts
            log.warning("outbox row %s: %r (attempt %d)", row["id"], error, attempts)
            await _finish(
                row["id"],
                worker,
                {
                    OutboxMessage.status: OutboxStatus.failed if failed else OutboxStatus.queued,
                    OutboxMessage.attempts: attempts,
                    OutboxMessage.next_attempt_at: now() + retry_delay(attempts, policy),
                    OutboxMessage.last_error: str(error)[:2000] or type(error).__name__,
                    OutboxMessage.claimed_by: None,
                },
            )
        else:
            sent += 1
            await _finish(row["id"], worker, done)
    return sent


async def deliver_due(
    settings: Settings,
    worker: str,
    policy: Policy,
    registry: Registry | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Recover abandoned rows, then do every due row. Returns how many mails were sent."""
    await recover_abandoned(policy)
    sent = 0
    async with mailer_for(settings) as mailer:
        while not (stop is not None and stop.is_set()):
            rows = await claim(worker, policy.batch_size)
            if not rows:
                break
            sent += await deliver(rows, mailer, settings, worker, policy, registry, stop)
    return sent


async def run_timed_rules(registry: Registry | None = None) -> None:
    for rule in (registry or current_registry()).timed:
        await rule.run()


async def run_once(
    settings: Settings,
    worker: str,
    policy: Policy | None = None,
    registry: Registry | None = None,
) -> int:
    """One round of everything, one after another: the timed rules, then every due
    row. Returns how many mails were sent. (run_forever runs both side by side.)"""
    registry = registry or current_registry()
    await run_timed_rules(registry)
    return await deliver_due(settings, worker, policy or Policy.of(settings), registry)


async def run_forever(
    settings: Settings,
    policy: Policy | None = None,
    registry: Registry | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Deliver, and run the timed rules, until `stop` is set or the task is cancelled;
    then hand back what this worker claimed and did not finish."""
    registry = registry or current_registry()
    policy = policy or Policy.of(settings)
    stop = stop or asyncio.Event()
    worker = worker_name()
    log.info("worker %s started", worker)
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(_rules_forever(registry, policy, stop))
            group.create_task(_deliver_forever(settings, worker, policy, registry, stop))
    finally:
        try:
            released = await release(worker)
        except Exception as error:  # the database is gone: the claim timeout recovers them
            log.warning("worker %s could not hand back its claims: %r", worker, error)
        else:
            log.info("worker %s stopped; %d claimed rows handed back", worker, released)


async def stop_worker(worker: asyncio.Task[None], stop: asyncio.Event) -> None:
    """Let the worker finish what it has in hand (up to STOP_GRACE_S), then end it."""
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(worker), STOP_GRACE_S)
    except TimeoutError:
        worker.cancel()
        with suppress(asyncio.CancelledError):
            await worker
    except Exception:
        log.exception("the worker had failed")


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _deliver_forever(
    settings: Settings, worker: str, policy: Policy, registry: Registry, stop: asyncio.Event
) -> None:
    failed = False
    while not stop.is_set():
        try:
            if failed:  # what the failed round had claimed goes back at once
                await release(worker)
                failed = False
            await deliver_due(settings, worker, policy, registry, stop)
        except Exception:
            log.exception("delivery round failed; trying again")
            failed = True
        await _pause(stop, policy.idle_sleep)


async def _rules_forever(registry: Registry, policy: Policy, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    due = [loop.time()] * len(registry.timed)
    while not stop.is_set():
        for index, rule in enumerate(registry.timed):
            if loop.time() < due[index]:
                continue
            due[index] = loop.time() + rule.every
            try:
                await rule.run()
            except Exception:
                log.exception("timed rule %r failed; trying again", rule.name)
        await _pause(stop, policy.rules_tick)
