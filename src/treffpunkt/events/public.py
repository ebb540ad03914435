"""What residents see: published events and their sessions, in their language.

Drafts never appear; cancelled events and sessions do, marked, so that nobody
comes to a room that stays empty. Times are given in the municipality's zone.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Min
from pydantic import TypeAdapter

from treffpunkt.db import array_contains
from treffpunkt.errors import InvalidInput, NotFound
from treffpunkt.events.programmes import get_programme_by_slug, list_programmes
from treffpunkt.events.schemas import (
    PublicEvent,
    PublicEventSession,
    PublicProgramme,
    PublicProgrammeDetail,
    PublicProgrammeRef,
    PublicSession,
    PublicVenue,
    SessionPage,
    organiser_of,
)
from treffpunkt.events.service import (
    RegistrationWindow,
    all_day_fields,
    event_sessions,
    local_day_bounds,
    now,
    registration_open,
    seats_left,
)
from treffpunkt.events.tables import (
    Event,
    EventAccess,
    EventStatus,
    Programme,
    RegistrationMode,
    Session,
    SessionStatus,
    Venue,
)
from treffpunkt.i18n import Localized, reader_locale, translated, translated_fields
from treffpunkt.links import (
    When,
    event_calendar_path,
    event_page_path,
    feed_links,
    google_link,
    outlook_link,
)
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.schemas import Id, Instant
from treffpunkt.tenancy import owned

VISIBLE = (EventStatus.published, EventStatus.cancelled)


@dataclass(frozen=True)
class Reader:
    """Who reads: the municipality's settings and the reader's language wishes."""

    municipality: Municipality
    requested_locale: str | None = None
    accept_language: str | None = None
    base_url: str = ""  # the site's public address, for links

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.municipality.time_zone)

    @property
    def locale(self) -> str:
        """The reader's language (see i18n.reader_locale)."""
        return reader_locale(
            self.requested_locale, self.accept_language, self.municipality.default_locale
        )

    @property
    def varies(self) -> bool:
        """Whether the answer depends on the Accept-Language header (Vary)."""
        return self.requested_locale is None

    def text(self, texts: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The language of the title, and the texts field by field (i18n.translated)."""
        return translated(texts, self.locale, self.municipality.default_locale)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)


@dataclass(frozen=True)
class EventFilters:
    """What residents filter by, with one meaning in the API and in calendar feeds."""

    kind: str | None = None
    language: str | None = None  # spoken at the event
    programme: str | None = None  # slug
    audience: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class SessionFilters(EventFilters):
    start: date | None = None  # local dates, inclusive
    end: date | None = None


def filter_events(query: Any, event: Any, filters: EventFilters) -> Any:
    """Narrow `query` by `filters`; `event` is Event itself or a join to it."""
    if filters.kind:
        query = query.where(event.kind == filters.kind)
    if filters.audience:
        query = query.where(event.audience == filters.audience)
    if filters.language:
        query = query.where(array_contains(event.languages, filters.language))
    if filters.tag:
        query = query.where(array_contains(event.tags, filters.tag))
    if filters.programme:
        query = query.where(event.programme.slug == filters.programme)
    return query


def _window(row: dict[str, Any], first_start: datetime | None) -> RegistrationWindow:
    return RegistrationWindow(
        mode=row["registration_mode"],
        event_status=row["status"],
        opens_at=row["registration_opens_at"],
        closes_at=row["registration_closes_at"],
        first_start=first_start,
    )


def encode_cursor(starts_at: datetime, session_id: int) -> str:
    return base64.urlsafe_b64encode(f"{starts_at.isoformat()}|{session_id}".encode()).decode()


_CURSOR: TypeAdapter[tuple[Instant, Id]] = TypeAdapter(tuple[Instant, Id])


def decode_cursor(cursor: str, field: str = "cursor") -> tuple[datetime, int]:
    """The cursor's session start and id; any other bytes are refused (422 naming
    `field`)."""
    try:
        starts, _, session_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return _CURSOR.validate_python((starts, session_id))
    except ValueError:  # also binascii.Error, UnicodeDecodeError, pydantic's ValidationError
        raise InvalidInput("The cursor is not one we gave out.", {field: "invalid"}) from None


async def list_sessions(
    reader: Reader,
    filters: SessionFilters,
    limit: int,
    cursor: str | None,
    before: str | None = None,
) -> SessionPage:
    """Published sessions of one municipality, upcoming unless dates are given, by start.

    A page follows `cursor` (the sessions after it) or precedes `before` (the sessions
    before it); its `previous_cursor` and `next_cursor` lead on either way.
    """
    at = now()
    municipality_id = reader.municipality.id
    query = Session.select(
        Session.id,
        Session.event,
        Session.starts_at,
        Session.ends_at,
        Session.status,
        Session.all_day,
        Session.capacity,
        Session.seats_taken,
        Session.seats_pending,
        Session.event.kind.as_alias("kind"),
        Session.event.texts.as_alias("texts"),
        Session.event.languages.as_alias("languages"),
        Session.event.interpretation.as_alias("interpretation"),
        Session.event.audience.as_alias("audience"),
        Session.event.online_url.as_alias("online_url"),
        Session.event._.venue._.name.as_alias("venue_name"),
        Session.event.waitlist.as_alias("waitlist"),
        Session.event.status.as_alias("event_status"),
        Session.event.registration_mode.as_alias("registration_mode"),
        Session.event.access.as_alias("access"),
        Session.event.registration_opens_at.as_alias("registration_opens_at"),
        Session.event.registration_closes_at.as_alias("registration_closes_at"),
        Session.event.capacity.as_alias("event_capacity"),
        Session.event.seats_taken.as_alias("event_seats_taken"),
        Session.event.seats_pending.as_alias("event_seats_pending"),
    ).where(owned(Session, municipality_id) & Session.event.status.is_in(list(VISIBLE)))
    if filters.start is not None:
        query = query.where(Session.starts_at >= local_day_bounds(filters.start, reader.zone))
    else:
        query = query.where(Session.ends_at >= at)
    if filters.end is not None:
        # `to` is inclusive: everything that starts before the next local midnight.
        end = local_day_bounds(filters.end + timedelta(days=1), reader.zone)
        query = query.where(Session.starts_at < end)
    query = filter_events(query, Session.event, filters)
    backwards = before is not None and not cursor
    if cursor:
        after, after_id = decode_cursor(cursor)
        query = query.where(
            (Session.starts_at > after) | ((Session.starts_at == after) & (Session.id > after_id))
        )
    elif before:
        until, until_id = decode_cursor(before, "before")
        query = query.where(
            (Session.starts_at < until) | ((Session.starts_at == until) & (Session.id < until_id))
        )
    order = dict(ascending=not backwards)
    rows = (
        await query.order_by(Session.starts_at, **order)
        .order_by(Session.id, **order)
        .limit(limit + 1)
        .output(load_json=True)
    )
    page, more = rows[:limit], len(rows) > limit
    if backwards:
        page.reverse()
    first_starts = await _first_starts({row["event"] for row in page})
    items = []
    for row in page:
        locale, texts = reader.text(row["texts"])
        window = _window({**row, "status": row["event_status"]}, first_starts.get(row["event"]))
        items.append(
            PublicSession(
                id=row["id"],
                event_id=row["event"],
                kind=row["kind"],
                title=texts["title"],
                locale=locale,
                languages=row["languages"],
                interpretation=row["interpretation"],
                audience=row["audience"],
                venue=row["venue_name"],
                online=bool(row["online_url"]),
                starts_at=reader.local(row["starts_at"]),
                ends_at=reader.local(row["ends_at"]),
                **all_day_fields(row, reader.zone),
                status=row["status"],
                registration_mode=row["registration_mode"],
                access=row["access"],
                seats_left=_seats_left(row),
                registration_open=registration_open(window, row["status"], row["starts_at"], at),
                waitlist=row["waitlist"],
            )
        )
    first, last = (page[0], page[-1]) if page else (None, None)
    # Forwards, the sessions before this page exist once a cursor led here; backwards,
    # those after it (the `before` session itself at least).
    has_later = more if not backwards else True
    has_earlier = more if backwards else bool(cursor)
    return SessionPage(
        items=items,
        next_cursor=encode_cursor(last["starts_at"], last["id"]) if last and has_later else None,
        previous_cursor=encode_cursor(first["starts_at"], first["id"])
        if first and has_earlier
        else None,
    )


class Availability(StrEnum):
    """What a listed session says about getting in, in one word."""

    cancelled = "cancelled"
    no_registration = "no_registration"  # just come
    places = "places"  # `seats_left` places (none: no limit)
    waitlist = "waitlist"  # full; registering puts one on the waitlist
    full = "full"  # full, and no waitlist (or registration over)
    closed = "closed"  # registration not open (yet, or any more)
    invitation = "invitation"  # only invited partners register


def availability(session: PublicSession) -> Availability:
    if session.status == SessionStatus.cancelled:
        return Availability.cancelled
    if session.registration_mode == RegistrationMode.none:
        return Availability.no_registration
    if session.access == EventAccess.invitation_only:
        return Availability.invitation
    if session.seats_left == 0:
        open_waitlist = session.waitlist and session.registration_open
        return Availability.waitlist if open_waitlist else Availability.full
    if not session.registration_open:
        return Availability.closed
    return Availability.places


async def spoken_languages(reader: Reader) -> list[str]:
    """The languages spoken at the town's upcoming published events: what the spoken
    language filter offers (a language nobody speaks would only find nothing)."""
    upcoming = Session.select(Session.event).where(
        owned(Session, reader.municipality.id) & (Session.ends_at >= now())
    )
    # Distinct lists of languages: a handful of rows however many events there are.
    rows = (
        await Event.select(Event.languages)
        .where(
            owned(Event, reader.municipality.id)
            & (Event.status == EventStatus.published)
            & Event.id.is_in(upcoming)
        )
        .distinct()
    )
    return sorted({language for row in rows for language in row["languages"]})


@dataclass(frozen=True)
class NewEvent:
    """An event in a feed of newly published events (the Atom feeds of web/atom.py)."""

    id: int
    kind: str
    status: str
    title: Localized
    summary: Localized | None
    published_at: datetime
    updated_at: datetime
    next_start: datetime | None = None  # the next scheduled session's, in the town's zone
    next_all_day: bool = False
    venue: str | None = None  # its name; None online
    online: bool = False


async def _next_sessions(reader: Reader, event_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each event's next scheduled session that has not ended (start and all-day flag)."""
    if not event_ids:
        return {}
    rows = (
        await Session.select(Session.event, Session.starts_at, Session.all_day)
        .where(
            owned(Session, reader.municipality.id)
            & Session.event.is_in(event_ids)
            & (Session.status == "scheduled")
            & (Session.ends_at >= now())
        )
        .order_by(Session.starts_at)
    )
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        found.setdefault(row["event"], row)
    return found


async def newly_published(reader: Reader, filters: EventFilters, limit: int = 50) -> list[NewEvent]:
    """The town's most recently published events (cancelled ones stay, marked), newest
    first, with their texts in the reader's language field by field."""
    query = Event.select(
        Event.id,
        Event.kind,
        Event.status,
        Event.texts,
        Event.published_at,
        Event.updated_at,
        Event.online_url,
        Event.venue._.name.as_alias("venue_name"),
    ).where(
        owned(Event, reader.municipality.id)
        & Event.status.is_in(list(VISIBLE))
        & Event.published_at.is_not_null()
    )
    rows = (
        await filter_events(query, Event, filters)
        .order_by(Event.published_at, ascending=False)
        .order_by(Event.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    upcoming = await _next_sessions(reader, [row["id"] for row in rows])
    events = []
    for row in rows:
        texts = translated_fields(row["texts"], reader.locale, reader.municipality.default_locale)
        following = upcoming.get(row["id"])
        events.append(
            NewEvent(
                id=row["id"],
                kind=row["kind"],
                status=row["status"],
                title=texts["title"],
                summary=texts.get("summary") or texts.get("description"),
                published_at=row["published_at"],
                updated_at=row["updated_at"],
                next_start=reader.local(following["starts_at"]) if following else None,
                next_all_day=bool(following and following["all_day"]),
                venue=row["venue_name"],
                online=bool(row["online_url"]),
            )
        )
    return events


def _seats_left(session: dict[str, Any], course: dict[str, Any] | None = None) -> int | None:
    """Places not taken by confirmed registrations: a course counts them on the event, a
    drop-in round per session.

    Seats held by unconfirmed registrations are not subtracted: anyone can register any
    address, and a count that moved with such a registration would tell whether the
    address was registered already (a repeated one holds no second seat).
    """
    if course is not None and course["registration_mode"] == "whole_event":
        return seats_left(course["capacity"], course["seats_taken"] - course["seats_pending"])
    if course is None and session.get("registration_mode") == "whole_event":
        taken = session["event_seats_taken"] - session["event_seats_pending"]
        return seats_left(session["event_capacity"], taken)
    return seats_left(session["capacity"], session["seats_taken"] - session["seats_pending"])


async def _first_starts(event_ids: set[int]) -> dict[int, datetime]:
    """The first scheduled session of each event: when a whole-event course begins."""
    if not event_ids:
        return {}
    rows = (
        await Session.select(Session.event, Min(Session.starts_at, alias="first"))
        .where(Session.event.is_in(list(event_ids)) & (Session.status == "scheduled"))
        .group_by(Session.event)
    )
    # SQLite returns an aggregate of a timestamp as text (no declared type to convert).
    return {
        row["event"]: row["first"]
        if isinstance(row["first"], datetime)
        else datetime.fromisoformat(row["first"])
        for row in rows
    }


async def _public_events(reader: Reader, rows: list[dict[str, Any]]) -> list[PublicEvent]:
    at = now()
    ids = [row["id"] for row in rows]
    sessions = await event_sessions(ids)
    venues = {
        v["id"]: v
        for v in await Venue.select().where(
            Venue.id.is_in([row["venue"] for row in rows if row["venue"]] or [-1])
        )
    }
    programmes = {
        p["id"]: p
        for p in await Programme.select(Programme.id, Programme.slug, Programme.texts)
        .where(Programme.id.is_in([row["programme"] for row in rows if row["programme"]] or [-1]))
        .output(load_json=True)
    }
    events = []
    slug = reader.municipality.slug
    for row in rows:
        locale, texts = reader.text(row["texts"])
        venue_row = venues.get(row["venue"])
        where = _where(venue_row, row["online_url"])
        page_url = reader.base_url + event_page_path(slug, row["id"])
        details = f"{texts.get('summary', '')}\n{page_url}".strip()
        own_sessions = sessions[row["id"]]
        scheduled = [s["starts_at"] for s in own_sessions if s["status"] == "scheduled"]
        window = _window(row, min(scheduled) if scheduled else None)
        programme = programmes.get(row["programme"])
        venue = venues.get(row["venue"])
        events.append(
            PublicEvent(
                id=row["id"],
                municipality=reader.municipality.slug,
                locale=locale,
                kind=row["kind"],
                status=row["status"],
                title=texts["title"],
                summary=texts.get("summary", ""),
                description=texts.get("description", ""),
                languages=row["languages"],
                interpretation=row["interpretation"],
                audience=row["audience"],
                organiser=organiser_of(row),
                tags=row["tags"],
                venue=PublicVenue.model_validate(venue) if venue else None,
                online_url=row["online_url"],
                programme=PublicProgrammeRef(
                    slug=programme["slug"], title=reader.text(programme["texts"])[1]["title"]
                )
                if programme
                else None,
                registration_mode=row["registration_mode"],
                access=row["access"],
                registration_opens_at=row["registration_opens_at"],
                registration_closes_at=row["registration_closes_at"],
                capacity=row["capacity"],
                max_seats_per_registration=row["max_seats_per_registration"],
                waitlist=row["waitlist"],
                page_url=page_url,
                calendar=feed_links(reader.base_url, event_calendar_path(slug, row["id"])),
                sessions=[
                    PublicEventSession(
                        id=s["id"],
                        starts_at=reader.local(s["starts_at"]),
                        ends_at=reader.local(s["ends_at"]),
                        **all_day_fields(s, reader.zone),
                        status=s["status"],
                        # Its time changed after it was planned (revision counts moves
                        # and cancellations: docs/calendars.md).
                        moved=s["status"] == "scheduled" and s["revision"] > 0,
                        seats_left=_seats_left(s, course=row),
                        registration_open=registration_open(
                            window, s["status"], s["starts_at"], at
                        ),
                        add_to_google=google_link(texts["title"], _when(s, reader), details, where),
                        add_to_outlook=outlook_link(
                            texts["title"], _when(s, reader), details, where
                        ),
                    )
                    for s in own_sessions
                ],
            )
        )
    return events


def _when(session: dict[str, Any], reader: Reader) -> When:
    days = all_day_fields(session, reader.zone)
    if days["all_day"]:
        return When(session["starts_at"], session["ends_at"], days["first_day"], days["last_day"])
    return When(session["starts_at"], session["ends_at"])


def _where(venue: dict[str, Any] | None, online_url: str | None) -> str:
    if venue is None:
        return online_url or ""
    return f"{venue['name']}, {venue['street']}, {venue['postal_code']} {venue['city']}"


async def _visible_row(event_id: int, municipality_id: int | None = None) -> dict[str, Any]:
    """A published or cancelled event; with `municipality_id`, only one of that town."""
    query = Event.select().where(
        (Event.id == event_id)
        & Event.status.is_in(list(VISIBLE))
        & Event.municipality._.active.eq(True)  # a deactivated town shows nothing
    )
    if municipality_id is not None:
        query = query.where(Event.municipality == municipality_id)
    row = await query.output(load_json=True).first()
    if row is None:
        raise NotFound("No such event.")
    return row


async def _municipality(municipality_id: int) -> Municipality:
    municipality = await Municipality.objects().where(Municipality.id == municipality_id).first()
    assert municipality is not None
    return municipality


async def get_public_event(
    event_id: int, requested_locale: str | None, accept_language: str | None, base_url: str
) -> PublicEvent:
    row = await _visible_row(event_id)
    municipality = await _municipality(row["municipality"])
    reader = Reader(municipality, requested_locale, accept_language, base_url)
    return (await _public_events(reader, [row]))[0]


@dataclass(frozen=True)
class EventPage:
    """An event as its page shows it: what the API says, each text with the language it
    is in (a field may fall back to the town's language), and its municipality."""

    event: PublicEvent
    texts: dict[str, Localized]
    municipality: Municipality


async def event_page(
    municipality: Municipality, event_id: int, locale: str, base_url: str
) -> EventPage:
    """A published or cancelled event of `municipality` (another's: NotFound)."""
    row = await _visible_row(event_id, municipality.id)
    reader = Reader(municipality, locale, None, base_url)
    [event] = await _public_events(reader, [row])
    texts = translated_fields(row["texts"], locale, municipality.default_locale)
    return EventPage(event, texts, municipality)


def _programme_out(reader: Reader, row: dict[str, Any]) -> PublicProgramme:
    locale, texts = reader.text(row["texts"])
    return PublicProgramme(
        slug=row["slug"],
        locale=locale,
        title=texts["title"],
        description=texts.get("description", ""),
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        calendar=feed_links(
            reader.base_url,
            f"/m/{reader.municipality.slug}/programmes/{row['slug']}/calendar.ics",
        ),
    )


async def programme_overview(reader: Reader, slug: str) -> PublicProgramme:
    """A programme without its events (a page lists them by day through list_sessions)."""
    return _programme_out(reader, await get_programme_by_slug(reader.municipality.id, slug))


async def public_programmes(reader: Reader) -> list[PublicProgramme]:
    return [_programme_out(reader, row) for row in await list_programmes(reader.municipality.id)]


async def public_programme(reader: Reader, slug: str) -> PublicProgrammeDetail:
    row = await get_programme_by_slug(reader.municipality.id, slug)
    events = (
        await Event.select()
        .where((Event.programme == row["id"]) & Event.status.is_in(list(VISIBLE)))
        .order_by(Event.id)
        .output(load_json=True)
    )
    return PublicProgrammeDetail(
        **_programme_out(reader, row).model_dump(), events=await _public_events(reader, events)
    )
