"""Invitations that follow changes (iMIP, RFC 6047): the calendar parts of a mail.

Built when the mail is sent, from the sessions as they are then, with the UIDs of
the public and personal feeds (rule 10). Each calendar object stands alone: for a
place in a series it is the person's view of the series, as their personal feed
shows it — the master with its rule, an EXDATE for every occurrence the person does
not hold confirmed, and overrides for their moved or cancelled occurrences — never
an orphan instance, which some apps take for the whole series. An iTIP message is
about one calendar object (one UID, RFC 5546): a course whose sessions belong to
several objects (the series and dates added by hand) gets one part per object.

What each person's calendar holds of each object is recorded once the mail went out
(tables.InvitationRecord), so that
- SEQUENCE rises whenever that changes, and never goes down between two mails to the
  same person (Google ignores an update whose SEQUENCE did not rise);
- a CANCEL names exactly what was invited: the whole object when nothing of it is left
  to the person, otherwise the ended occurrences by RECURRENCE-ID. That is what
  Outlook and Google send when one occurrence goes, what every client applies as an
  exception, and it reads as what the mail says ("your place is cancelled"); a
  REQUEST with the shorter series would show as a new invitation instead.

Only a mail about a confirmed place carries a REQUEST: nobody else has the sessions
in their calendar from us. DTSTAMP is when the message is made (RFC 5545 §3.8.7.2).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from icalendar import Event as VEvent

from treffpunkt import db
from treffpunkt.calendars.render import (
    CANCELLED,
    CONFIRMED,
    CalendarEvent,
    Mailbox,
    calendar_objects,
    event_components,
    full_uid,
    message_calendar,
    occurrence_component,
)
from treffpunkt.calendars.service import Publication, calendar_events
from treffpunkt.calendars.tables import InvitationRecord as Record
from treffpunkt.events.public import Reader
from treffpunkt.events.tables import SessionStatus
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.outbox import Row, Undeliverable
from treffpunkt.registrations import notices
from treffpunkt.registrations.tables import Registration, RegistrationStatus
from treffpunkt.settings import Settings

REQUESTS = frozenset({"registration_confirmed", "registration_promoted", notices.CHANGED})
# Mails about a place that ended or sessions that were cancelled: CANCEL what was invited.
CANCELS = frozenset({notices.CANCELLED, "registration_cancelled", "registration_expired"})


@dataclass(frozen=True)
class Invitation:
    """One calendar part, and what the person's calendar holds once it arrived."""

    method: str  # REQUEST or CANCEL, also the MIME part's method parameter (rule 19)
    body: bytes
    municipality_id: int
    email: str
    key: str  # the UID without its host
    sequence: int
    digest: str  # of the REQUEST's content; "" after a CANCEL
    instances: list[str] = field(default_factory=list)  # invited and not cancelled


@dataclass(frozen=True)
class Part:
    """A calendar part for the worker (notifications/registry.py CalendarPart)."""

    invitation: Invitation
    entry: dict[str, Any]  # what a further object's own mail says: its sessions

    @property
    def method(self) -> str:
        return self.invitation.method

    @property
    def body(self) -> bytes:
        return self.invitation.body

    @property
    def key(self) -> str:
        return self.invitation.key

    async def sent(self) -> None:
        await record(self.invitation)


async def calendar_parts(row: Row, context: dict[str, Any], settings: Settings) -> list[Part]:
    """For the worker (treffpunkt.app.wire): the calendar parts of a mail, each recorded
    once it went out; a further object's mail names its sessions."""
    if row["kind"] not in REQUESTS | CANCELS or row["registration"] is None:
        return []
    registration = (
        await Registration.objects().where(Registration.id == row["registration"]).first()
    )
    return [
        Part(
            invite,
            entry={
                "calendar_method": invite.method,
                "sessions": [
                    s for s in context.get("sessions", []) if f"session-{s['id']}" == invite.key
                ],
            },
        )
        for invite in await invitations(row["kind"], registration, context, settings.base_url)
    ]


async def invitations(
    kind: str,
    registration: Registration | None,
    context: dict[str, Any],
    base_url: str,
    at: datetime | None = None,
) -> list[Invitation]:
    """The calendar parts of a mail of `kind` about `registration`, one per object."""
    if kind not in REQUESTS | CANCELS or registration is None or not registration.email:
        return []
    if kind in REQUESTS and registration.status != RegistrationStatus.confirmed:
        return []
    municipality = (
        await Municipality.objects().where(Municipality.id == registration.municipality).first()
    )
    assert municipality is not None
    publication = Publication(Reader(municipality, registration.locale, None, base_url), base_url)
    [event] = await calendar_events([registration.event], publication)
    records = await _records(municipality.id, registration.email)
    held = await _held_confirmed(registration, event)
    person = Person(municipality, notices.name_for_mail(registration), registration.email)
    try:  # from here on nothing is read: what fails, fails for this data every time
        return _invitations(
            kind, registration, context, event, person, records, held, publication.host, at
        )
    except Exception as error:
        raise Undeliverable(f"no calendar for event {event.id}: {error!r}") from error


def _invitations(
    kind: str,
    registration: Registration,
    context: dict[str, Any],
    event: CalendarEvent,
    person: Person,
    records: dict[str, dict[str, Any]],
    held: set[int],
    host: str,
    at: datetime | None,
) -> list[Invitation]:
    objects = calendar_objects(event, person.municipality.time_zone)
    keys = {objects[s][0] for s in _sessions_concerned(kind, registration, context, event)}
    if kind in CANCELS:  # whatever of this event was invited and has ended
        keys |= set(records) & {f"event-{event.id}", *(f"session-{s.id}" for s in event.sessions)}
    at = at or datetime.now(UTC)
    out = []
    for key in sorted(keys, key=_series_first):
        invitation = (
            _request(event, person, key, objects, held, records.get(key), host, at)
            if kind in REQUESTS
            else _cancel(event, person, key, objects, held, records.get(key), host, at)
        )
        if invitation is not None:
            out.append(invitation)
    return out


@dataclass(frozen=True)
class Person:
    """Whose calendar: the recipient, in the municipality that invites them."""

    municipality: Municipality
    name: str | None
    email: str


def _series_first(key: str) -> tuple[bool, str]:
    return (not key.startswith("event-"), key)


def _sessions_concerned(
    kind: str, registration: Registration, context: dict[str, Any], event: CalendarEvent
) -> set[int]:
    """The sessions a mail is about: those of a change, else all of the registration's."""
    if kind in (notices.CHANGED, notices.CANCELLED) and "session_ids" in context:
        return set(context["session_ids"])
    if registration.session is not None:
        return {registration.session}
    return {s.id for s in event.sessions}


async def _held_confirmed(registration: Registration, event: CalendarEvent) -> set[int]:
    """The sessions of this event the person holds a confirmed place for, by any of
    their registrations (a course holds every session)."""
    rows = await Registration.select(Registration.session).where(
        (Registration.municipality == registration.municipality)
        & (Registration.email == registration.email)
        & (Registration.event == event.id)
        & (Registration.status == RegistrationStatus.confirmed)
        & Registration.anonymised_at.is_null()
    )
    if any(row["session"] is None for row in rows):
        return {s.id for s in event.sessions}
    return {row["session"] for row in rows}


async def _records(municipality_id: int, email: str) -> dict[str, dict[str, Any]]:
    rows = (
        await Record.select(Record.uid, Record.sequence, Record.digest, Record.instances)
        .where((Record.municipality == municipality_id) & (Record.email == email))
        .output(load_json=True)
    )
    return {row["uid"]: row for row in rows}


Objects = dict[int, tuple[str, datetime | None]]


def _instance_key(recurrence_id: datetime | None) -> str:
    """How an occurrence is recorded: its RECURRENCE-ID in UTC, "" for a single event."""
    return recurrence_id.astimezone(UTC).isoformat() if recurrence_id is not None else ""


def _live(event: CalendarEvent, key: str, objects: Objects, held: set[int]) -> dict[str, int]:
    """The occurrences of object `key` the person holds confirmed and that take place."""
    return {
        _instance_key(objects[s.id][1]): s.id
        for s in event.sessions
        if s.id in held and objects[s.id][0] == key and s.status == SessionStatus.scheduled
    }


def _request(
    event: CalendarEvent,
    person: Person,
    key: str,
    objects: Objects,
    held: set[int],
    record: dict[str, Any] | None,
    host: str,
    at: datetime,
) -> Invitation | None:
    """The person's view of the object: what they hold of it, confirmed."""
    live = _live(event, key, objects, held)
    if not live:
        return None
    zone = person.municipality.time_zone
    in_object = {s for s in held if objects[s][0] == key}
    view = event_components(event, zone, host, dict.fromkeys(in_object, CONFIRMED))
    components = _only(view, full_uid(key, host))
    digest, public = _content(components)
    last = record["sequence"] if record else None
    if record is not None and record["digest"] == digest:
        sequence = record["sequence"]  # the same again (a retry): the same SEQUENCE
    else:
        sequence = _next(last, public)
    return _message("REQUEST", components, person, key, sequence, digest, sorted(live), at)


def _cancel(
    event: CalendarEvent,
    person: Person,
    key: str,
    objects: Objects,
    held: set[int],
    record: dict[str, Any] | None,
    host: str,
    at: datetime,
) -> Invitation | None:
    """CANCEL what was invited of the object and is no longer held or takes no place."""
    invited = set(record["instances"]) if record else set()
    live = _live(event, key, objects, held)
    gone = invited - set(live)
    if record is None or not gone:
        return None
    zone, uid = person.municipality.time_zone, full_uid(key, host)
    if key.startswith("session-"):
        occurrences = {"": int(key.removeprefix("session-"))}
    else:  # every session that stands for an occurrence, wherever the series has moved
        occurrences = {_instance_key(s.occurrence_start): s.id for s in event.sessions}
    ended = {instance: occurrences[instance] for instance in gone if instance in occurrences}
    components: list[VEvent] = []
    if not live:  # nothing of it is left to the person: the whole object, as invited
        in_rule = [s for s in ended.values() if objects[s][0] == key]
        view = event_components(event, zone, host, dict.fromkeys(in_rule, CONFIRMED))
        components = _only(view, uid)
    if not any("RECURRENCE-ID" not in c for c in components):
        # Only some occurrences end (or the series moved past them): each by itself.
        components = [
            occurrence_component(
                event, session, zone, host, None if instance == "" else _parse(instance)
            )
            for instance, session in sorted(ended.items())
        ]
    if not components:
        return None
    for component in components:
        component.pop("STATUS", None)
        component.add("status", CANCELLED)
    sequence = _next(record["sequence"], _content(components)[1])
    return _message("CANCEL", components, person, key, sequence, "", sorted(invited - gone), at)


def _parse(instance: str) -> datetime:
    return datetime.fromisoformat(instance)


def _message(
    method: str,
    components: list[VEvent],
    person: Person,
    key: str,
    sequence: int,
    digest: str,
    instances: list[str],
    at: datetime,
) -> Invitation:
    for component in components:
        component.pop("SEQUENCE", None)
        component.pop("DTSTAMP", None)
        component.add("sequence", sequence)
        component.add("dtstamp", at)  # when this message is made (RFC 5545 §3.8.7.2)
    municipality = person.municipality
    body = message_calendar(
        method,
        components,
        municipality.time_zone,
        organizer=Mailbox(municipality.sender_name, municipality.sender_email),
        attendee=Mailbox(person.name, person.email),
    )
    return Invitation(method, body, municipality.id, person.email, key, sequence, digest, instances)


def _only(components: list[VEvent], uid: str) -> list[VEvent]:
    return [c for c in components if str(c["UID"]) == uid]


def _content(components: list[VEvent]) -> tuple[str, int]:
    """A digest of what the components say, without the message's own DTSTAMP and
    SEQUENCE; and the highest SEQUENCE the public feed gives them."""
    digest = hashlib.sha256()
    public = 0
    for component in components:
        public = max(public, int(component.get("SEQUENCE", 0)))
        for name, value in component.property_items(recursive=False, sorted=True):
            if name not in ("DTSTAMP", "SEQUENCE", "BEGIN", "END"):
                digest.update(name.encode() + b":" + cast("Any", value).to_ical() + b"\n")
    return digest.hexdigest(), public


def _next(last: int | None, public: int) -> int:
    """The next SEQUENCE for a person: above the last one they got, and never below
    what the feeds say (mails sent before the record existed used those)."""
    return public if last is None else max(last + 1, public)


async def record(invitation: Invitation) -> None:
    """The mail went out: remember what the person's calendar now holds. SEQUENCE
    only moves forward, even if two workers send about one person at once."""
    async with db.write_transaction():
        await Record.insert(
            Record(
                municipality=invitation.municipality_id,
                email=invitation.email,
                uid=invitation.key,
                sequence=invitation.sequence,
                digest=invitation.digest,
                instances=invitation.instances,
                updated_at=datetime.now(UTC),
            )
        ).on_conflict(
            target=(Record.municipality, Record.email, Record.uid),
            action="DO UPDATE",
            values=[Record.sequence, Record.digest, Record.instances, Record.updated_at],
            where=Record.sequence <= invitation.sequence,
        )
