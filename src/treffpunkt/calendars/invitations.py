"""Invitations that follow changes (iMIP, RFC 6047): the calendar part of a mail.

Built when the mail is sent, from the sessions as they are then, with the UIDs of
the public feed (rule 10): a confirmed place arrives as METHOD:REQUEST, a change
as a REQUEST whose SEQUENCE rose, a cancellation as METHOD:CANCEL — for one
session of a series with its RECURRENCE-ID (rule 22). Only people with a confirmed
place get one: nobody else has the event in their calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from treffpunkt.calendars.render import (
    Mailbox,
    event_components,
    message_calendar,
    session_components,
)
from treffpunkt.calendars.service import Publication, calendar_events
from treffpunkt.events.public import Reader
from treffpunkt.events.tables import EventStatus
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.outbox import Row
from treffpunkt.registrations import notices
from treffpunkt.registrations.tables import Registration, RegistrationStatus
from treffpunkt.settings import Settings

REQUESTS = frozenset({"registration_confirmed", "registration_promoted", notices.CHANGED})
CANCELS = frozenset({notices.CANCELLED})


@dataclass(frozen=True)
class Invitation:
    method: str  # REQUEST or CANCEL, also the MIME part's method parameter (rule 19)
    body: bytes


async def calendar_part(
    row: Row, context: dict[str, Any], settings: Settings
) -> tuple[str, bytes] | None:
    """For the worker (treffpunkt.app.wire): the calendar part of a mail, if it has one."""
    if row["kind"] not in REQUESTS | CANCELS or row["registration"] is None:
        return None
    registration = (
        await Registration.objects().where(Registration.id == row["registration"]).first()
    )
    found = await invitation(row["kind"], registration, context, settings.base_url)
    return (found.method, found.body) if found else None


async def invitation(
    kind: str, registration: Registration | None, context: dict[str, Any], base_url: str
) -> Invitation | None:
    if (
        kind not in REQUESTS | CANCELS
        or registration is None
        or registration.status != RegistrationStatus.confirmed
        or not registration.email
    ):
        return None
    municipality = (
        await Municipality.objects().where(Municipality.id == registration.municipality).first()
    )
    assert municipality is not None
    publication = Publication(Reader(municipality, registration.locale, None, base_url), base_url)
    [event] = await calendar_events([registration.event], publication)
    zone, host = municipality.time_zone, publication.host
    whole_course = registration.session is None
    if kind in CANCELS:
        method = "CANCEL"
        if whole_course and event.status == EventStatus.cancelled:
            components = event_components(event, zone, host)
        else:
            cancelled = {session["id"] for session in context["sessions"]}
            components = session_components(event, cancelled, zone, host)
    else:
        method = "REQUEST"
        components = (
            event_components(event, zone, host)
            if whole_course
            else session_components(event, [registration.session], zone, host)
        )
    if not components:
        return None
    body = message_calendar(
        method,
        components,
        zone,
        organizer=Mailbox(municipality.sender_name, municipality.sender_email),
        attendee=Mailbox(registration.name, registration.email),
    )
    return Invitation(method, body)
