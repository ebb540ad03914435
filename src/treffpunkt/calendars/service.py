"""Feeds and downloads, rendered once per change and served from cache.

Each request costs one query for the events' change stamps (their `updated_at`, which
every session change touches, and their venue's); the municipality's own change time
(name, time zone) and a programme's are part of the stamp too. A feed whose stamp is
unchanged is answered from cache; otherwise only the events that changed are rendered
again, from a cache of per-event VEVENT blocks. Rendering with icalendar takes ~0.4 ms
per event, so a town with thousands of sessions must not pay it per request.

Last-Modified comes from the feed_version table, not from the events' change times:
an event that leaves a feed changes its bytes without leaving a newer change time
behind, and two changes can fall into one second. Each feed's row moves forward,
by at least a second, whenever its bytes change, in whichever process sees it first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from treffpunkt import db
from treffpunkt.calendars.render import (
    CalendarEvent,
    CalendarSession,
    calendar,
    event_components,
    serialise,
)
from treffpunkt.calendars.tables import FeedVersion
from treffpunkt.errors import NotFound
from treffpunkt.events.public import VISIBLE, EventFilters, Reader, filter_events
from treffpunkt.events.tables import Event, Programme, Session, Venue
from treffpunkt.links import event_page_path
from treffpunkt.municipalities.tables import Municipality


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str  # strong: a hash of the exact bytes
    last_modified: datetime | None  # None: never held an event, so no date to offer


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def feed_key(*parts: Any) -> str:
    """A feed's name in feed_version: a hash of what selects its bytes."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


async def last_modified(
    key: str, municipality_id: int, etag: str, holds_events: bool
) -> datetime | None:
    """The feed's Last-Modified: unchanged while its bytes are, otherwise now, and
    always at least a second after the one given before, so that If-Modified-Since
    never answers 304 for bytes the client has not seen.

    A feed that never held an event gets no row and no date (its ETag still works):
    so no request with made-up filters writes to the database. Asked only when a feed
    is rendered, not when it is served from cache.
    """
    for _ in range(3):
        row = (
            await FeedVersion.select(FeedVersion.etag, FeedVersion.modified_at)
            .where(FeedVersion.key == key)
            .first()
        )
        if row is not None and row["etag"] == etag:
            return row["modified_at"]
        if row is None and not holds_events:
            return None
        at = datetime.now(UTC).replace(microsecond=0)
        async with db.write_transaction():
            if row is None:
                written = (
                    await FeedVersion.insert(
                        FeedVersion(
                            municipality=municipality_id, key=key, etag=etag, modified_at=at
                        )
                    )
                    .on_conflict(target=FeedVersion.key, action="DO NOTHING")
                    .returning(FeedVersion.id)
                )
                modified = at
            else:
                modified = max(at, row["modified_at"] + timedelta(seconds=1))
                # Only over the version read: another process may have written meanwhile.
                written = (
                    await FeedVersion.update(
                        {FeedVersion.etag: etag, FeedVersion.modified_at: modified}
                    )
                    .where((FeedVersion.key == key) & (FeedVersion.etag == row["etag"]))
                    .returning(FeedVersion.id)
                )
        if written:
            return modified
    return None  # three processes raced on this feed: no date this once, the ETag holds


# What an entry costs besides its bytes (its key, the dictionary's slot), counted so that
# many tiny entries cannot outgrow the budget either.
ENTRY_OVERHEAD = 512


class FeedCache:
    """Rendered event blocks and whole feeds, bounded by their total size in bytes
    (TREFFPUNKT_FEED_CACHE_MEGABYTES): the least recently used go first, and one larger
    than the whole budget is not kept. A few huge feeds cannot take unbounded memory."""

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.size = 0  # bytes held, ENTRY_OVERHEAD included
        self._entries: OrderedDict[tuple[Any, ...], tuple[Any, bytes | Feed, int]] = OrderedDict()

    def _get(self, key: tuple[Any, ...]) -> tuple[Any, bytes | Feed] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0], entry[1]

    def _keep(self, key: tuple[Any, ...], stamp: Any, value: bytes | Feed, size: int) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= old[2]
        cost = size + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return
        self._entries[key] = (stamp, value, cost)
        self.size += cost
        while self.size > self.max_bytes:
            _, (_, _, freed) = self._entries.popitem(last=False)
            self.size -= freed

    def block(self, key: tuple[Any, ...]) -> bytes | None:
        entry = self._get(("block", *key))
        return entry[1] if entry is not None else None  # type: ignore[return-value]

    def keep_block(self, key: tuple[Any, ...], block: bytes) -> None:
        self._keep(("block", *key), None, block, len(block))

    def feed(self, key: tuple[Any, ...], stamp: Any) -> Feed | None:
        entry = self._get(("feed", *key))
        if entry is None or entry[0] != stamp:
            return None
        return entry[1]  # type: ignore[return-value]

    def keep_feed(self, key: tuple[Any, ...], stamp: Any, feed: Feed) -> None:
        self._keep(("feed", *key), stamp, feed, len(feed.body))

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class Publication:
    """Who the feed is for: the reader's language and the site's public address."""

    reader: Reader
    base_url: str

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "treffpunkt"


async def event_stamps(query: Any) -> list[dict[str, Any]]:
    """Run a `stamp_query`: each event's id and change times, in a stable order."""
    return await query.order_by(Event.id)


def stamp_query(municipality_id: int) -> Any:
    """The change times of a municipality's visible events (narrow it with .where)."""
    return Event.select(
        Event.id, Event.updated_at, Event.venue.updated_at.as_alias("venue_updated_at")
    ).where((Event.municipality == municipality_id) & Event.status.is_in(list(VISIBLE)))


def stamp_of(rows: list[dict[str, Any]]) -> tuple[Any, ...]:
    """What a cached feed of these events depends on: equal stamps, equal bytes."""
    return tuple((r["id"], r["updated_at"], r["venue_updated_at"]) for r in rows)


async def _render(
    rows: list[dict[str, Any]], publication: Publication, cache: FeedCache
) -> list[bytes]:
    """Blocks for the given stamp rows, rendering only those not cached."""
    reader = publication.reader
    # The municipality's change time covers its zone and default language.
    context = (reader.locale, publication.base_url, reader.municipality.updated_at)
    keys = {
        row["id"]: (row["id"], row["updated_at"], row["venue_updated_at"], *context) for row in rows
    }
    blocks = {event_id: cache.block(key) for event_id, key in keys.items()}
    missing = [event_id for event_id, block in blocks.items() if block is None]
    if missing:
        for event in await calendar_events(missing, publication):
            components = event_components(event, reader.municipality.time_zone, publication.host)
            block = serialise(components)
            cache.keep_block(keys[event.id], block)
            blocks[event.id] = block
    return [blocks[row["id"]] or b"" for row in rows]


async def calendar_events(ids: list[int], publication: Publication) -> list[CalendarEvent]:
    if not ids:
        return []
    reader = publication.reader
    events = await Event.select().where(Event.id.is_in(ids)).output(load_json=True)
    sessions: dict[int, list[CalendarSession]] = {event_id: [] for event_id in ids}
    for row in (
        await Session.select(
            Session.id,
            Session.event,
            Session.starts_at,
            Session.ends_at,
            Session.status,
            Session.occurrence_start,
            Session.revision,
            Session.updated_at,
            Session.all_day,
        )
        .where(Session.event.is_in(ids))
        .order_by(Session.starts_at)
        .order_by(Session.id)
    ):
        event_id = row.pop("event")
        sessions[event_id].append(CalendarSession(**row))
    venue_ids = [e["venue"] for e in events if e["venue"]]
    venues = {v["id"]: v for v in await Venue.select().where(Venue.id.is_in(venue_ids or [-1]))}
    out = []
    for row in events:
        locale, texts = reader.text(row["texts"])
        event = CalendarEvent(
            id=row["id"],
            kind=row["kind"],
            status=row["status"],
            title=texts["title"],
            summary=texts.get("summary", ""),
            description=texts.get("description", ""),
            languages=tuple(row["languages"]),
            interpretation=row["interpretation"],
            tags=tuple(row["tags"]),
            location=_location(venues.get(row["venue"]), row["online_url"]),
            url=publication.base_url + event_page_path(reader.municipality.slug, row["id"]),
            revision=row["revision"],
            updated_at=row["updated_at"],
            series=row["series"],
            locale=locale,
            sessions=tuple(sessions[row["id"]]),
        )
        out.append(event)
    return out


def _location(venue: dict[str, Any] | None, online_url: str | None) -> str | None:
    if venue is None:
        return online_url
    parts = [
        venue["name"],
        venue["room"],
        venue["street"],
        f"{venue['postal_code']} {venue['city']}",
    ]
    return ", ".join(part for part in parts if part)


async def _feed(
    key: tuple[Any, ...],
    rows: list[dict[str, Any]],
    name: str,
    description: str,
    publication: Publication,
    cache: FeedCache,
    depends_on: Any = None,
) -> Feed:
    """The feed of these events, from cache while nothing it shows changed: its events,
    the municipality (name, zone) and `depends_on` (e.g. the programme's change)."""
    municipality = publication.reader.municipality
    stamp = (municipality.updated_at, depends_on, stamp_of(rows))
    cached = cache.feed(key, stamp)
    if cached is not None:
        return cached
    blocks = await _render(rows, publication, cache)
    body = calendar(name, description, municipality.time_zone, blocks)
    etag = etag_of(body)
    modified = await last_modified(feed_key(*key), municipality.id, etag, bool(rows))
    feed = Feed(body, etag, modified)
    cache.keep_feed(key, stamp, feed)
    return feed


def _key(kind: str, publication: Publication, *parts: Any) -> tuple[Any, ...]:
    """The feed's identity: the same key, the same bytes for the same data. The reader's
    language counts, not the raw Accept-Language header that chose it."""
    reader = publication.reader
    return (kind, reader.municipality.id, reader.locale, publication.base_url, *parts)


async def municipality_feed(
    publication: Publication, filters: EventFilters, cache: FeedCache
) -> Feed:
    """Every published public event of a municipality (filters as in the public API)."""
    municipality = publication.reader.municipality
    rows = await event_stamps(filter_events(stamp_query(municipality.id), Event, filters))
    return await _feed(
        _key("municipality", publication, filters),
        rows,
        municipality.name,
        f"{municipality.name}: Veranstaltungen der Integrationsarbeit",
        publication,
        cache,
    )


async def programme_feed(publication: Publication, slug: str, cache: FeedCache) -> Feed:
    municipality = publication.reader.municipality
    programme = (
        await Programme.select(Programme.id, Programme.texts, Programme.updated_at)
        .where((Programme.municipality == municipality.id) & (Programme.slug == slug))
        .output(load_json=True)
        .first()
    )
    if programme is None:
        raise NotFound(f"No programme '{slug}'.")
    title = publication.reader.text(programme["texts"])[1]["title"]
    rows = await event_stamps(
        stamp_query(municipality.id).where(Event.programme == programme["id"])
    )
    return await _feed(
        _key("programme", publication, slug),
        rows,
        f"{municipality.name}: {title}",
        title,
        publication,
        cache,
        depends_on=programme["updated_at"],
    )


async def event_download(publication: Publication, event_id: int, cache: FeedCache) -> Feed:
    municipality = publication.reader.municipality
    rows = await event_stamps(stamp_query(municipality.id).where(Event.id == event_id))
    if not rows:
        raise NotFound("No such event.")
    return await _feed(
        _key("event", publication, event_id),
        rows,
        municipality.name,
        municipality.name,
        publication,
        cache,
    )


async def reader_for(slug: str, locale: str | None, accept_language: str | None) -> Reader:
    municipality = (
        await Municipality.objects()
        .where((Municipality.slug == slug) & Municipality.active.eq(True))
        .first()
    )
    if municipality is None:
        raise NotFound(f"No municipality '{slug}'.")
    return Reader(municipality, locale, accept_language)
