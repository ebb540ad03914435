"""What registrants hear when their sessions change: changes, cancellations, reminders.

Events record a change as an outbox task, which a guide's further edits within a
few minutes join (events.service.sessions_changed); the worker hands it to
sessions_changed below, which queues one mail per registrant. Unlike the other
mails these say what is true when they are sent: a mail that a later change made
wrong is not sent (a change followed by a cancellation sends only the cancellation).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from treffpunkt import db
from treffpunkt.events.tables import EventStatus, Session, SessionStatus
from treffpunkt.outbox import OutboxMessage, OutboxStatus, enqueue_all, message
from treffpunkt.registrations.tables import ACTIVE, Registration, RegistrationStatus

CHANGED, CANCELLED, REMINDER = "event_changed", "event_cancelled", "session_reminder"
LIVE_KINDS = frozenset({CHANGED, CANCELLED, REMINDER})
REMINDER_HORIZON = timedelta(days=7)  # the most a municipality may set


def name_for_mail(registration: Registration) -> str | None:
    """The name a mail to this person may show, in its greeting and its To: header.

    None until the address is confirmed: whoever registers types the name, and a
    stranger could otherwise send the town's mail with their own words ("Eve, visit
    http://evil…") to any address. A guide vouches for the people they register."""
    return registration.name if registration.email_confirmed_at is not None else None


def registration_message(
    registration: Registration,
    kind: str,
    dedupe_key: str,
    context: dict[str, Any],
    send_after: datetime | None = None,
) -> OutboxMessage:
    """The outbox row of a mail to this registration's person, in their language."""
    assert registration.email
    return message(
        municipality_id=registration.municipality,
        kind=kind,
        locale=registration.locale,
        recipient_email=registration.email,
        recipient_name=name_for_mail(registration),
        dedupe_key=dedupe_key,
        context=context,
        registration_id=registration.id,
        send_after=send_after,
    )


async def to_tell(
    event_id: int, session_ids: Collection[int], at: datetime | None = None
) -> list[Registration]:
    """Who hears of a change of these sessions of the event: everyone with a place or a
    queue place in one of them (a course's people in every one), by mail, registered
    by `at` (the change; now when asked before a change, to say how many will hear)."""
    ids = sorted(set(session_ids))
    if not ids:
        return []
    query = Registration.objects().where(
        (Registration.event == event_id)
        & (Registration.session.is_in(ids) | Registration.session.is_null())
        & Registration.status.is_in(list(ACTIVE))
        & Registration.email.is_not_null()
        & Registration.anonymised_at.is_null()
    )
    if at is not None:
        query = query.where(Registration.created_at <= at)
    return await query.order_by(Registration.id)


async def sessions_changed(
    event_id: int, session_ids: Collection[int], kind: str, at: datetime
) -> int:
    """Queue `kind` (CHANGED or CANCELLED) for everyone who had a place or a queue
    place in these sessions at `at`, the change; join a mail of the same kind still
    waiting to be sent.

    Runs under the event's row lock, so that tasks of one event queue here one after
    another.
    """
    ids = sorted(set(session_ids))
    if not ids:
        return 0
    registrants = await to_tell(event_id, ids, at)
    if not registrants:
        return 0
    waiting = {
        row["registration"]: row
        for row in await OutboxMessage.select(
            OutboxMessage.id, OutboxMessage.registration, OutboxMessage.context
        )
        .where(
            OutboxMessage.registration.is_in([r.id for r in registrants])
            & (OutboxMessage.kind == kind)
            & (OutboxMessage.status == OutboxStatus.queued)
        )
        .output(load_json=True)
    }
    new = []
    for registration in registrants:
        affected = [registration.session] if registration.session is not None else ids
        row = waiting.get(registration.id)
        if row is not None:
            merged = sorted({*row["context"]["session_ids"], *affected})
            await OutboxMessage.update(
                {OutboxMessage.context: {**row["context"], "session_ids": merged}}
            ).where(OutboxMessage.id == row["id"])
            continue
        new.append(
            registration_message(
                registration,
                kind,
                f"registration:{registration.id}:{kind}:{at.timestamp():.6f}",
                {"session_ids": affected},
            )
        )
    return await enqueue_all(new)


async def queue_reminders(at: datetime | None = None) -> int:
    """A reminder for each confirmed place in a session whose reminder time has come.

    The dedupe key names registration, session and start: a reminder goes out once,
    however many workers run this, and again only if the session moves.
    """
    at = at or datetime.now(UTC)
    rows = await Session.select(
        Session.id,
        Session.event,
        Session.starts_at,
        Session.municipality.reminder_hours.as_alias("hours"),
    ).where(
        (Session.starts_at > at)
        & (Session.starts_at <= at + REMINDER_HORIZON)
        & (Session.status == SessionStatus.scheduled)
        & (Session.event.status == EventStatus.published)
        & (Session.municipality.reminder_hours > 0)
    )
    due = {r["id"]: r for r in rows if r["starts_at"] - timedelta(hours=r["hours"]) <= at}
    if not due:
        return 0
    events = sorted({r["event"] for r in due.values()})
    registrations = await Registration.objects().where(
        (Registration.session.is_in(list(due)) | Registration.event.is_in(events))
        & (Registration.status == RegistrationStatus.confirmed)
        & Registration.email.is_not_null()
        & Registration.anonymised_at.is_null()
    )
    by_event: dict[int, list[dict[str, Any]]] = {}
    for session in due.values():
        by_event.setdefault(session["event"], []).append(session)
    candidates: dict[str, OutboxMessage] = {}
    for registration in registrations:
        held = (
            by_event.get(registration.event, [])
            if registration.session is None
            else [due[registration.session]]
            if registration.session in due
            else []
        )
        for session in held:
            start = int(session["starts_at"].timestamp())
            key = f"reminder:{registration.id}:{session['id']}:{start}"
            candidates[key] = registration_message(
                registration,
                REMINDER,
                key,
                {"session_ids": [session["id"]], "starts_at": session["starts_at"].isoformat()},
            )
    if not candidates:
        return 0
    queued = await OutboxMessage.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.is_in(list(candidates))
    )
    for row in queued:
        candidates.pop(row["dedupe_key"])
    if not candidates:
        return 0
    async with db.write_transaction():
        return await enqueue_all(list(candidates.values()))
