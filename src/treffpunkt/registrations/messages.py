"""A guide's message to the registrants of an event: one date, or the whole event.

Who gets it: people with a place (`confirmed`), people waiting (`waitlisted`), or both,
whose address is confirmed — by their own click, or because a guide registered them.
Nobody else: not the cancelled or expired, and not an address nobody confirmed, since
anyone can type anyone's address (the privacy rule of every mail, notices.name_for_mail).
One mail per address, in the language its person chose, with the event's details in
that language around the guide's text, which goes out as typed, not translated.

The message is kept in the event's history (`EventMessage`) in the transaction that
queues its mails, so no message goes without its record, nor twice for one click.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any

from treffpunkt import db
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.tables import Event, Session
from treffpunkt.outbox import OutboxMessage, Row, enqueue_all
from treffpunkt.registrations import notices
from treffpunkt.registrations.mail import base_context, registration_context, text_in
from treffpunkt.registrations.schemas import EventMessageOut, MessageIn, MessagePreviewOut
from treffpunkt.registrations.tables import (
    ACTIVE,
    EventMessage,
    MessageAudience,
    Registration,
    RegistrationStatus,
)
from treffpunkt.registrations.targets import (
    Target,
    any_event_target,
    any_session_target,
    position_of,
)
from treffpunkt.tenancy import owned

GUIDE_MESSAGE = "guide_message"

STATUSES = {
    MessageAudience.confirmed: (RegistrationStatus.confirmed,),
    MessageAudience.waitlisted: (RegistrationStatus.waitlisted,),
    MessageAudience.both: (RegistrationStatus.confirmed, RegistrationStatus.waitlisted),
}
# The same message for the same people again within this time is a second click.
REPEAT_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Recipient:
    registration: Registration
    position: int | None  # on the waitlist, when waiting


@dataclass(frozen=True)
class Recipients:
    event: Event
    session: Session | None
    people: list[Recipient]

    @property
    def languages(self) -> dict[str, int]:
        counted = Counter(r.registration.locale for r in self.people)
        return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


async def _event(municipality_id: int, event_id: int) -> Event:
    event = (
        await Event.objects()
        .where(owned(Event, municipality_id, event_id))
        .output(load_json=True)
        .first()
    )
    if event is None:
        raise NotFound("No such event.")
    return event


@dataclass(frozen=True)
class MessageChoices:
    """What a message page offers: the event, and the dates a message may be about."""

    event: Event
    sessions: list[dict[str, Any]]


async def message_choices(municipality_id: int, event_id: int) -> MessageChoices:
    event = await _event(municipality_id, event_id)
    sessions = (
        await Session.select(Session.id, Session.starts_at, Session.ends_at, Session.status)
        .where((Session.event == event.id) & (Session.municipality == municipality_id))
        .order_by(Session.starts_at)
        .order_by(Session.id)
    )
    return MessageChoices(event=event, sessions=sessions)


async def recipients(
    municipality_id: int, event_id: int, session_id: int | None, audience: MessageAudience
) -> Recipients:
    """Who a message would reach now: one registration per address (the earliest), with
    waitlist positions. Four queries, however many people."""
    event = await _event(municipality_id, event_id)
    session = None
    if session_id is not None:
        session = (
            await Session.objects()
            .where(owned(Session, municipality_id, session_id) & (Session.event == event.id))
            .first()
        )
        if session is None:
            raise InvalidInput(
                "The session is not a date of this event.",
                {"session_id": "not a date of this event"},
            )
    of_target: Any = Registration.event == event.id
    if session is not None:
        of_target = of_target & (Registration.session == session.id)
    rows = (
        await Registration.objects()
        .where(
            of_target
            & (Registration.municipality == municipality_id)
            & Registration.status.is_in(list(STATUSES[audience]))
            & Registration.email.is_not_null()
            & Registration.email_confirmed_at.is_not_null()
            & Registration.anonymised_at.is_null()
        )
        .order_by(Registration.id)
    )
    positions = await _positions(event.id, [r for r in rows if r.status == "waitlisted"])
    people, seen = [], set()
    for registration in rows:
        address = (registration.email or "").casefold()
        if address in seen:
            continue  # one mail per person, however many dates they hold
        seen.add(address)
        people.append(Recipient(registration, positions.get(registration.id)))
    return Recipients(event=event, session=session, people=people)


async def _positions(event_id: int, waiting: list[Registration]) -> dict[int, int]:
    """Waitlist positions of these registrations (their target's queue, in one query)."""
    if not waiting:
        return {}
    queue = (
        await Registration.select(Registration.id, Registration.session)
        .where(
            (Registration.event == event_id)
            & (Registration.status == RegistrationStatus.waitlisted)
        )
        .order_by(Registration.id)
    )
    counted: Counter[int | None] = Counter()
    positions = {}
    for row in queue:
        counted[row["session"]] += 1
        positions[row["id"]] = counted[row["session"]]
    return {r.id: positions[r.id] for r in waiting if r.id in positions}


async def preview(municipality_id: int, event_id: int, data: MessageIn) -> MessagePreviewOut:
    found = await recipients(municipality_id, event_id, data.session_id, data.audience)
    return MessagePreviewOut(recipients=len(found.people), languages=found.languages)


class _Targets:
    """Each registration's target, loaded once per target (a course, or each date)."""

    def __init__(self) -> None:
        self._contexts: dict[tuple[str, int], dict[str, Any]] = {}

    async def context(self, registration: Registration) -> dict[str, Any]:
        key = (
            ("session", registration.session)
            if registration.session is not None
            else ("event", registration.event)
        )
        if key not in self._contexts:
            target: Target = (
                await any_session_target(key[1])
                if key[0] == "session"
                else await any_event_target(key[1])
            )
            self._contexts[key] = await base_context(target)
        return self._contexts[key]


def _mail_context(
    recipient: Recipient, base: dict[str, Any], subject: str, body: str
) -> dict[str, Any]:
    return {
        **registration_context(recipient.registration, base, recipient.position),
        "message_subject": subject,
        "message_body": body,
    }


async def sample(
    found: Recipients, data: MessageIn, locale: str
) -> tuple[Recipient, dict[str, Any]] | None:
    """The mail as the first recipient would get it, but in `locale` (the guide's
    preview): the context to render as kind GUIDE_MESSAGE."""
    if not found.people:
        return None
    first = found.people[0]
    base = await _Targets().context(first.registration)
    context = _mail_context(first, base, data.subject, data.body)
    default = base["municipality"]["default_locale"]
    context["event_title"] = text_in(base["event_texts"], locale, default)["title"]
    return first, context


async def send_message(
    municipality_id: int, author_id: int | None, event_id: int, data: MessageIn
) -> EventMessageOut:
    """Record the message in the event's history and queue one mail per person, in one
    transaction. Nobody to write to, or the same message to the same people moments
    ago (a second click), is a conflict: nothing is written."""
    if "\n" in data.subject or "\r" in data.subject:  # the schema refuses it already
        raise InvalidInput("The subject must be one line.", {"subject": "must be one line"})
    async with db.write_transaction():
        found = await recipients(municipality_id, event_id, data.session_id, data.audience)
        if not found.people:
            raise Conflict(
                "Nobody would get this message: no registrant of this choice has a"
                " confirmed email address.",
                {"audience": "nobody to write to"},
            )
        since = datetime.now(UTC) - REPEAT_WINDOW
        repeated = await EventMessage.exists().where(
            (EventMessage.event == event_id)
            & (
                EventMessage.session.is_null()
                if data.session_id is None
                else EventMessage.session == data.session_id
            )
            & (EventMessage.audience == data.audience)
            & (EventMessage.subject == data.subject)
            & (EventMessage.body == data.body)
            & (EventMessage.sent_at > since)
        )
        if repeated:
            raise Conflict(
                "This message went to these people a few minutes ago already.",
                {"body": "sent already"},
            )
        record = EventMessage(
            municipality=municipality_id,
            event=event_id,
            session=data.session_id,
            audience=data.audience,
            subject=data.subject,
            body=data.body,
            author=author_id,
            recipient_count=len(found.people),
        )
        await record.save()
        targets = _Targets()
        rows = []
        for person in found.people:
            base = await targets.context(person.registration)
            rows.append(
                notices.registration_message(
                    person.registration,
                    GUIDE_MESSAGE,
                    f"{GUIDE_MESSAGE}:{record.id}:{person.registration.id}",
                    _mail_context(person, base, data.subject, data.body),
                )
            )
        await enqueue_all(rows)
    [out] = await _history(municipality_id, event_id, record.id)
    return out


async def history(municipality_id: int, event_id: int) -> list[EventMessageOut]:
    """The event's messages, newest first."""
    await _event(municipality_id, event_id)
    return await _history(municipality_id, event_id)


async def _history(
    municipality_id: int, event_id: int, message_id: int | None = None
) -> list[EventMessageOut]:
    query = EventMessage.select(
        *EventMessage.all_columns(),
        EventMessage.author.display_name.as_alias("author_name"),
        EventMessage.session.starts_at.as_alias("session_starts_at"),
    ).where(owned(EventMessage, municipality_id) & (EventMessage.event == event_id))
    if message_id is not None:
        query = query.where(EventMessage.id == message_id)
    rows = await query.order_by(EventMessage.sent_at, ascending=False).order_by(
        EventMessage.id, ascending=False
    )
    return [
        EventMessageOut(
            id=row["id"],
            session_id=row["session"],
            session_starts_at=row["session_starts_at"],
            audience=MessageAudience(row["audience"]),
            subject=row["subject"],
            body=row["body"],
            author=row["author_name"],
            sent_at=row["sent_at"],
            recipients=row["recipient_count"],
        )
        for row in rows
    ]


async def as_it_is_now(row: Row, at: datetime) -> dict[str, Any] | None:
    """For the worker: the message as queued, to a person who still holds their place
    or queue place (none to someone who cancelled since), with where they stand now."""
    registration = (
        await Registration.objects().where(Registration.id == row["registration"]).first()
        if row["registration"] is not None
        else None
    )
    if registration is None or registration.anonymised_at is not None:
        return None
    if registration.status not in ACTIVE or not registration.email:
        return None
    return {
        **row["context"],
        "status": registration.status,
        "position": await position_of(registration),
    }


async def delivery(municipality_id: int, message_ids: list[int]) -> dict[int, Counter[str]]:
    """How the mails of these messages fared (sent, queued, failed …), by message: one
    query, by the prefix of their causes."""
    if not message_ids:
        return {}
    of_messages = reduce(
        operator.or_,
        [OutboxMessage.dedupe_key.like(f"{GUIDE_MESSAGE}:{m}:%") for m in message_ids],
    )
    rows = await OutboxMessage.select(OutboxMessage.dedupe_key, OutboxMessage.status).where(
        (OutboxMessage.municipality == municipality_id)
        & (OutboxMessage.kind == GUIDE_MESSAGE)
        & of_messages
    )
    counted: dict[int, Counter[str]] = {message_id: Counter() for message_id in message_ids}
    for row in rows:
        counted[int(row["dedupe_key"].split(":")[1])][row["status"]] += 1
    return counted
