"""Events and their sessions: what guides plan, and what residents may see.

Rules:
- every row belongs to one municipality, and every query here is filtered by it;
- times are UTC in the database; a series lives in the municipality's wall time;
- `revision` (the calendar SEQUENCE) rises when a start, end, recurrence or status
  changes — never for a text edit;
- a session that people have registered for is never deleted: it is cancelled, visibly;
- every write takes the event's row lock first, then its sessions' (db.lock_rows), and
  names the columns it changes: the seat counters on both rows belong to
  registrations, which change them only under the same locks;
- what registrations must do about a change happens through events.hooks (in this
  transaction) or an outbox task (after it): events never import registrations.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt.db import lock_rows, write_transaction
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events import hooks, venues
from treffpunkt.events.recurrence import Occurrence, RuleError, expand
from treffpunkt.events.schemas import (
    EventCreate,
    EventUpdate,
    GuideEventOut,
    SeriesRule,
    SessionTimes,
    VenueCreate,
    organiser_of,
)
from treffpunkt.events.tables import (
    Event,
    EventStatus,
    Programme,
    RegistrationMode,
    Session,
    SessionStatus,
    Venue,
)
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.outbox import OutboxMessage, OutboxStatus, enqueue_all, task
from treffpunkt.tenancy import owned

# Outbox tasks: these sessions moved, or were cancelled (registrations tell their people).
SESSIONS_MOVED, SESSIONS_CANCELLED = "sessions_moved", "sessions_cancelled"
# Edits of an event within this time after the first reach each registrant as one mail.
COALESCE_WINDOW = timedelta(minutes=2)


def now() -> datetime:
    return datetime.now(UTC)


async def _municipality(municipality_id: int) -> Municipality:
    municipality = await Municipality.objects().where(Municipality.id == municipality_id).first()
    if municipality is None:
        raise NotFound("No such municipality.")
    return municipality


# --- ownership lookups: another municipality's object is simply not found ----------------


async def get_event(municipality_id: int, event_id: int, lock: bool = False) -> Event:
    """The municipality's event; with `lock`, read under its row lock (for writing)."""
    if lock:
        await lock_rows(Event, event_id)
    event = (
        await Event.objects()
        .where(owned(Event, municipality_id, event_id))
        .output(load_json=True)
        .first()
    )
    if event is None:
        raise NotFound("No such event.")
    return event


async def get_session(municipality_id: int, session_id: int, lock: bool = False) -> Session:
    """The municipality's session; with `lock`, read under its event's row lock and its
    own, taken in that order (for writing)."""
    query = Session.objects().where(owned(Session, municipality_id, session_id))
    session = await query.first()
    if session is None:
        raise NotFound("No such session.")
    if lock:
        await lock_rows(Event, session.event)
        await lock_rows(Session, session.id)
        session = await query.first()
        assert session is not None  # deleted only under the event's lock, which we hold
    return session


async def _check_references(
    municipality_id: int, venue_id: int | None, programme_id: int | None
) -> None:
    """Venue and programme must be the municipality's own (422 naming the field)."""
    if venue_id is not None and not await Venue.exists().where(
        owned(Venue, municipality_id, venue_id)
    ):
        raise InvalidInput("Unknown venue.", {"venue_id": "no such venue"})
    if programme_id is not None and not await Programme.exists().where(
        owned(Programme, municipality_id, programme_id)
    ):
        raise InvalidInput("Unknown programme.", {"programme_id": "no such programme"})


def _check_texts(locales: Collection[str], municipality: Municipality) -> None:
    if municipality.default_locale not in locales:
        field = f"texts.{municipality.default_locale}"
        raise InvalidInput(
            "A text in the municipality's default language is required.",
            {field: f"required: the default locale is {municipality.default_locale}"},
        )


# --- sessions: the in-use guard, and series synchronisation ----------------------------


async def sessions_in_use(session_ids: Iterable[int]) -> set[int]:
    """Sessions people registered for; they may be cancelled but never deleted.

    A drop-in session is in use once any registration names it (cancelled ones
    too: they are its history); a course session while the course has places
    taken or a queue.
    """
    ids = list(session_ids)
    if not ids:
        return set()
    courses = await Session.select(Session.id).where(
        Session.id.is_in(ids) & ((Session.event.seats_taken > 0) | (Session.event.waiting > 0))
    )
    return await hooks.registered_sessions(ids) | {row["id"] for row in courses}


async def _remove_sessions(sessions: list[Session], at: datetime) -> list[int]:
    """Delete sessions nobody registered for; cancel the others, so nobody is lost.

    Runs under the event's lock; each session's lock is taken before it is looked at,
    so no registration slips in between the look and the delete.
    Returns the sessions cancelled."""
    if sessions:
        await lock_rows(Session, *(s.id for s in sessions))
    in_use = await sessions_in_use(s.id for s in sessions)
    deletable = [s.id for s in sessions if s.id not in in_use]
    if deletable:
        await Session.delete().where(Session.id.is_in(deletable))
    return [
        session.id
        for session in sessions
        if session.id in in_use and await _set_session_status(session, SessionStatus.cancelled, at)
    ]


async def _set_session_status(session: Session, status: SessionStatus, at: datetime) -> bool:
    if session.status == status:
        return False
    session.status = status
    session.revision += 1
    session.updated_at = at
    await session.save([Session.status, Session.revision, Session.updated_at])
    return True


def _expand(rule: SeriesRule, zone: ZoneInfo, path: str) -> list[Occurrence]:
    """The series' occurrences; a 422 naming the field at its `path` in the request
    body ("series." when the series is a field of the event, "" when it is the body)."""
    try:
        return expand(rule.definition(), zone)
    except RuleError as error:
        raise InvalidInput(
            "The series cannot be used.", {f"{path}{error.field}": str(error)}
        ) from None


@dataclass(frozen=True)
class Changes:
    """Sessions whose registrants must hear of it."""

    moved: list[int]
    cancelled: list[int]


async def _sync_series(
    event: Event, rule: SeriesRule, zone: ZoneInfo, at: datetime, path: str = ""
) -> Changes:
    """Make the event's future series sessions follow `rule`.

    Occurrences are matched by local date (a series has at most one session a day).
    Past sessions stay as they were. A detached session (moved or cancelled on its
    own) keeps its times and status and only learns its new occurrence; sessions
    whose date left the series are removed, or cancelled if people hold places.
    """
    occurrences = {o.local_date: o for o in _expand(rule, zone, path)}
    series = (Session.event == event.id) & Session.occurrence_start.is_not_null()
    ids = [row["id"] for row in await Session.select(Session.id).where(series)]
    if ids:
        await lock_rows(Session, *ids)
    existing = await Session.objects().where(series)
    by_date = {s.occurrence_start.astimezone(zone).date(): s for s in existing}
    first_time = not existing
    leaving, moved_ids = [], []
    for day, session in by_date.items():
        if session.starts_at < at:
            continue
        occurrence = occurrences.get(day)
        if occurrence is None:
            leaving.append(session)
            continue
        session.occurrence_start = occurrence.starts_at
        moved = (session.starts_at, session.ends_at) != (occurrence.starts_at, occurrence.ends_at)
        if moved and not session.detached:
            session.starts_at, session.ends_at = occurrence.starts_at, occurrence.ends_at
            session.revision += 1
            session.updated_at = at
            moved_ids.append(session.id)
        await session.save(
            [
                Session.occurrence_start,
                Session.starts_at,
                Session.ends_at,
                Session.revision,
                Session.updated_at,
            ]
        )
    cancelled = await _remove_sessions(leaving, at)
    new = [
        Session(
            municipality=event.municipality,
            event=event.id,
            starts_at=o.starts_at,
            ends_at=o.ends_at,
            occurrence_start=o.starts_at,
            capacity=event.capacity,
            updated_at=at,
        )
        for day, o in occurrences.items()
        if day not in by_date and (first_time or o.starts_at >= at)
    ]
    if new:
        await Session.insert(*new)
    return Changes(moved=moved_ids, cancelled=cancelled)


# --- events -----------------------------------------------------------------------------


def _event_columns(data: EventCreate | EventUpdate) -> dict[str, Any]:
    values = data.model_dump(
        exclude_unset=isinstance(data, EventUpdate), exclude={"sessions", "series"}
    )
    if "programme_id" in values:
        values["programme"] = values.pop("programme_id")
    if "venue_id" in values:
        values["venue"] = values.pop("venue_id")
    if "online_url" in values and values["online_url"] is not None:
        values["online_url"] = str(values["online_url"])
    if "organiser" in values:
        organiser = values.pop("organiser") or {}
        values["organiser_name"] = organiser.get("name")
        values["organiser_contact"] = organiser.get("contact")
    return values


async def create_event(municipality_id: int, data: EventCreate) -> Event:
    """A new event, as a draft, with its one-off sessions and/or series."""
    municipality = await _municipality(municipality_id)
    _check_texts(data.texts, municipality)
    zone = ZoneInfo(municipality.time_zone)
    at = now()
    async with write_transaction():
        await _check_references(municipality_id, data.venue_id, data.programme_id)
        event = Event(
            municipality=municipality_id,
            series=data.series.model_dump(mode="json") if data.series else None,
            created_at=at,
            updated_at=at,
            **_event_columns(data),
        )
        await event.save()
        if data.sessions:
            await Session.insert(
                *(
                    Session(
                        municipality=municipality_id,
                        event=event.id,
                        **_times(times, zone),
                        capacity=event.capacity,
                        updated_at=at,
                    )
                    for times in data.sessions
                )
            )
        if data.series:
            await _sync_series(event, data.series, zone, at, path="series.")
    return event


async def create_event_at_new_venue(
    municipality_id: int, data: EventCreate, venue: VenueCreate
) -> Event:
    """A new event at a venue made with it (the guide's form does both): both or neither."""
    async with write_transaction():
        created = await venues.create_venue(municipality_id, venue)
        return await create_event(municipality_id, data.model_copy(update={"venue_id": created.id}))


async def update_event_at_new_venue(
    municipality_id: int, event_id: int, data: EventUpdate, venue: VenueCreate
) -> Event:
    """Change an event and move it to a venue made with the change: both or neither."""
    async with write_transaction():
        await get_event(municipality_id, event_id, lock=True)  # another town's: nothing made
        created = await venues.create_venue(municipality_id, venue)
        changed = data.model_copy(update={"venue_id": created.id})
        changed.__pydantic_fields_set__.add("venue_id")
        return await update_event(municipality_id, event_id, changed)


async def update_event(municipality_id: int, event_id: int, data: EventUpdate) -> Event:
    """Change what an event is; only the fields sent change.

    A new capacity is the course's (whole-event registration), and that of every
    session still to come except those a guide gave a capacity of their own
    (set_capacity): those keep theirs. More room serves the waitlists at once, in
    this transaction.
    """
    values = _event_columns(data)
    at = now()
    async with write_transaction():
        event = await get_event(municipality_id, event_id, lock=True)
        if data.texts is not None:
            _check_texts(data.texts, await _municipality(municipality_id))
        await _check_references(
            municipality_id,
            values.get("venue"),
            values.get("programme"),
        )
        mode_changes = values.get("registration_mode", event.registration_mode) != (
            event.registration_mode
        )
        if mode_changes and await sessions_in_use(s["id"] for s in await _session_ids(event.id)):
            raise Conflict(
                "People have registered; the registration mode can no longer change.",
                {"registration_mode": "fixed once people have registered"},
            )
        for name, value in values.items():
            setattr(event, name, value)
        opens, closes = event.registration_opens_at, event.registration_closes_at
        if opens and closes and closes <= opens:
            raise InvalidInput(
                "Registration would close before it opens.",
                {"registration_closes_at": "must be after registration_opens_at"},
            )
        event.updated_at = at
        await event.save([Event._meta.get_column_by_name(name) for name in [*values, "updated_at"]])
        if "capacity" in values:
            await hooks.capacity_changed(event.id, await _follow_capacity(event, at))
    return event


async def _follow_capacity(event: Event, at: datetime) -> list[int]:
    """Sessions still to come without a capacity of their own take the event's; none
    may fall below the places it holds."""
    capacity = event.capacity
    check_capacity(capacity, event.seats_taken)  # a course's places count on the event
    following = (
        (Session.event == event.id) & (Session.starts_at > at) & (Session.own_capacity.eq(False))
    )
    ids = [row["id"] for row in await Session.select(Session.id).where(following)]
    if not ids:
        return []
    await lock_rows(Session, *ids)
    # Read again under the locks: a guide may have set one session's own meanwhile.
    rows = await Session.select(Session.id, Session.seats_taken).where(
        Session.id.is_in(ids) & following
    )
    for row in rows:
        check_capacity(capacity, row["seats_taken"])
    ids = [row["id"] for row in rows]
    if ids:
        await Session.update({Session.capacity: capacity, Session.updated_at: at}).where(
            Session.id.is_in(ids)
        )
    return ids


def check_capacity(capacity: int | None, seats_taken: int) -> None:
    """A capacity never falls below the places already held."""
    if capacity is not None and capacity < seats_taken:
        raise Conflict(
            f"{seats_taken} places are taken; cancel registrations before lowering the capacity.",
            {"capacity": f"at least {seats_taken}: places taken"},
        )


async def _session_ids(event_id: int) -> list[dict[str, Any]]:
    return await Session.select(Session.id).where(Session.event == event_id)


async def set_series(municipality_id: int, event_id: int, rule: SeriesRule) -> Event:
    """Give the event a new series rule; future sessions follow, exceptions stay."""
    municipality = await _municipality(municipality_id)
    at = now()
    async with write_transaction():
        event = await get_event(municipality_id, event_id, lock=True)
        if event.status == EventStatus.cancelled:
            raise Conflict("The event is cancelled.", {"status": "cancelled"})
        changes = await _sync_series(event, rule, ZoneInfo(municipality.time_zone), at)
        event.series = rule.model_dump(mode="json")
        event.revision += 1
        event.updated_at = at
        await event.save([Event.series, Event.revision, Event.updated_at])
        await sessions_changed(event, changes.moved, SESSIONS_MOVED, at)
        await sessions_changed(event, changes.cancelled, SESSIONS_CANCELLED, at)
    return event


class _DryRun(Exception):
    """Ends plan_series' transaction: what it did is rolled back."""

    def __init__(self, changes: Changes) -> None:
        self.changes = changes


async def plan_series(municipality_id: int, event_id: int, rule: SeriesRule) -> Changes:
    """What set_series would do with `rule` now: the sessions it would move and those it
    would cancel (whose people would be told). Worked out by the very same rule as
    set_series, in a transaction that is rolled back: nothing is kept."""
    municipality = await _municipality(municipality_id)
    try:
        async with write_transaction():
            event = await get_event(municipality_id, event_id, lock=True)
            if event.status == EventStatus.cancelled:
                raise Conflict("The event is cancelled.", {"status": "cancelled"})
            zone = ZoneInfo(municipality.time_zone)
            raise _DryRun(await _sync_series(event, rule, zone, now()))
    except _DryRun as done:
        return done.changes


def _times(times: SessionTimes, zone: ZoneInfo) -> dict[str, Any]:
    """A session's columns for `times`: an all-day one from local midnight to midnight."""
    starts_at, ends_at = times.instants(zone)
    return {"starts_at": starts_at, "ends_at": ends_at, "all_day": times.all_day}


async def add_session(municipality_id: int, event_id: int, times: SessionTimes) -> Session:
    """An extra date outside any series."""
    zone = ZoneInfo((await _municipality(municipality_id)).time_zone)
    at = now()
    async with write_transaction():
        event = await get_event(municipality_id, event_id, lock=True)
        if event.status == EventStatus.cancelled:
            raise Conflict("The event is cancelled.", {"status": "cancelled"})
        session = Session(
            municipality=municipality_id,
            event=event.id,
            **_times(times, zone),
            capacity=event.capacity,
            updated_at=at,
        )
        await session.save()
        await _touch(event.id, at)
    return session


async def move_session(municipality_id: int, session_id: int, times: SessionTimes) -> Session:
    """Move one session; in a series it becomes an exception that series edits keep.

    A session of a series stays timed: calendars cannot hold an all-day exception of
    a timed series (its RECURRENCE-ID and DTSTART would differ in kind)."""
    zone = ZoneInfo((await _municipality(municipality_id)).time_zone)
    columns = _times(times, zone)
    at = now()
    async with write_transaction():
        session = await get_session(municipality_id, session_id, lock=True)
        if times.all_day and session.occurrence_start is not None:
            raise InvalidInput(
                "A session of a series cannot become an all-day session.",
                {"first_day": "a series session has a start and an end time"},
            )
        before = (session.starts_at, session.ends_at, session.all_day)
        moved = before != (columns["starts_at"], columns["ends_at"], columns["all_day"])
        if moved:
            session.starts_at, session.ends_at = columns["starts_at"], columns["ends_at"]
            session.all_day = columns["all_day"]
            session.revision += 1
        session.detached = session.occurrence_start is not None
        session.updated_at = at
        await session.save(
            [
                Session.starts_at,
                Session.ends_at,
                Session.all_day,
                Session.revision,
                Session.detached,
                Session.updated_at,
            ]
        )
        await _touch(session.event, at)
        if moved:
            await sessions_changed(await _event_of(session), [session.id], SESSIONS_MOVED, at)
    return session


async def cancel_session(municipality_id: int, session_id: int) -> Session:
    """Cancel one session; it stays visible as cancelled, also in calendars."""
    at = now()
    async with write_transaction():
        session = await get_session(municipality_id, session_id, lock=True)
        session.detached = session.occurrence_start is not None
        await session.save([Session.detached])
        await _touch(session.event, at)
        if await _set_session_status(session, SessionStatus.cancelled, at):
            await sessions_changed(await _event_of(session), [session.id], SESSIONS_CANCELLED, at)
    return session


async def restore_session(municipality_id: int, session_id: int) -> Session:
    """Let a cancelled session take place after all: scheduled again, its registrants
    told (as for a move: the session is back in their calendars). A series date that
    was taken out of the rule (remove_session) comes back into it, so that a later
    series edit keeps it. Not for a session that has ended, nor in a cancelled event."""
    at = now()
    async with write_transaction():
        session = await get_session(municipality_id, session_id, lock=True)
        event = await get_event(municipality_id, session.event)
        if event.status == EventStatus.cancelled:
            raise Conflict("The event is cancelled.", {"status": "cancelled"})
        if session.status != SessionStatus.cancelled:
            return session
        if session.ends_at <= at:
            raise Conflict("The session is over.", {"session": "ended"})
        if session.occurrence_start is not None and event.series:
            zone = ZoneInfo((await _municipality(municipality_id)).time_zone)
            day = session.occurrence_start.astimezone(zone).date().isoformat()
            series: dict[str, Any] = dict(event.series)  # type: ignore[arg-type]
            kept = [d for d in series.get("excluded_dates", []) if d != day]
            back = {**series, "excluded_dates": kept}
            if day not in _rule_days(SeriesRule.model_validate(back), zone):
                back["extra_dates"] = sorted({*series.get("extra_dates", []), day})
            if back != series:
                event.series = back
                event.revision += 1
                await event.save([Event.series, Event.revision])
        session.detached = session.occurrence_start is not None
        await session.save([Session.detached])
        await _set_session_status(session, SessionStatus.scheduled, at)
        await _touch(event.id, at)
        await sessions_changed(event, [session.id], SESSIONS_MOVED, at)
    return session


def _rule_days(rule: SeriesRule, zone: ZoneInfo) -> set[str]:
    """The local dates (ISO) a series gives; none if it gives none."""
    try:
        return {o.local_date.isoformat() for o in expand(rule.definition(), zone, False)}
    except RuleError:
        return set()


async def remove_session(municipality_id: int, session_id: int) -> None:
    """Take a date away. A series date is excluded from the rule; a session with
    registrations is cancelled instead of deleted."""
    at = now()
    async with write_transaction():
        session = await get_session(municipality_id, session_id, lock=True)
        event = await get_event(municipality_id, session.event)
        if session.occurrence_start is not None and event.series:
            zone = ZoneInfo((await _municipality(municipality_id)).time_zone)
            day = session.occurrence_start.astimezone(zone).date().isoformat()
            series: dict[str, Any] = dict(event.series)  # type: ignore[arg-type]
            series["excluded_dates"] = sorted({*series.get("excluded_dates", []), day})
            series["extra_dates"] = [d for d in series.get("extra_dates", []) if d != day]
            event.series = series
            event.revision += 1
            await event.save([Event.series, Event.revision])
        await _touch(event.id, at)
        cancelled = await _remove_sessions([session], at)
        await sessions_changed(event, cancelled, SESSIONS_CANCELLED, at)


async def _touch(event_id: int, at: datetime) -> None:
    await Event.update({Event.updated_at: at}).where(Event.id == event_id)


async def _event_of(session: Session) -> Event:
    event = await Event.objects().where(Event.id == session.event).first()
    assert event is not None
    return event


async def sessions_changed(
    event: Event, session_ids: Collection[int], kind: str, at: datetime
) -> None:
    """Record that these sessions moved (SESSIONS_MOVED) or were cancelled
    (SESSIONS_CANCELLED), for registrations to tell the people who hold places.

    An outbox task, due when COALESCE_WINDOW has passed; further edits of the event
    within the window join it, so that each person hears of them in one mail. Runs
    under the event's row lock: edits of one event join here one after another.
    """
    ids = sorted(set(session_ids))
    if not ids:
        return
    key = f"event:{event.id}:{kind}:"
    waiting = (
        await OutboxMessage.select(OutboxMessage.id, OutboxMessage.context)
        .where(
            (OutboxMessage.status == OutboxStatus.queued)
            & (OutboxMessage.kind == kind)
            & (OutboxMessage.municipality == event.municipality)
            & OutboxMessage.dedupe_key.like(f"{key}%")
        )
        .output(load_json=True)
        .first()
    )
    if waiting is not None:
        context = waiting["context"]
        merged = {**context, "session_ids": sorted({*context["session_ids"], *ids})}
        merged["changed_at"] = at.isoformat()
        joined = (
            await OutboxMessage.update({OutboxMessage.context: merged})
            .where(
                (OutboxMessage.id == waiting["id"]) & (OutboxMessage.status == OutboxStatus.queued)
            )
            .returning(OutboxMessage.id)
        )
        if joined:  # else a worker took it meanwhile: this change gets a task of its own
            return
    await enqueue_all(
        [
            task(
                municipality_id=event.municipality,
                kind=kind,
                dedupe_key=f"{key}{at.timestamp():.6f}",
                context={"event_id": event.id, "session_ids": ids, "changed_at": at.isoformat()},
                send_after=at + COALESCE_WINDOW,
            )
        ]
    )


async def publish_event(municipality_id: int, event_id: int) -> Event:
    at = now()
    async with write_transaction():
        event = await get_event(municipality_id, event_id, lock=True)
        if event.status == EventStatus.published:
            return event
        if event.status == EventStatus.cancelled:
            raise Conflict("A cancelled event cannot be published again.", {"status": "cancelled"})
        if not await Session.exists().where(Session.event == event.id):
            raise Conflict(
                "An event needs a session before it is published.", {"sessions": "empty"}
            )
        event.status = EventStatus.published
        event.published_at = at
        event.revision += 1
        event.updated_at = at
        await event.save([Event.status, Event.published_at, Event.revision, Event.updated_at])
    return event


async def cancel_event(municipality_id: int, event_id: int) -> Event:
    """Cancel the event and every session still to come; all stay visible as cancelled."""
    at = now()
    async with write_transaction():
        event = await get_event(municipality_id, event_id, lock=True)
        if event.status == EventStatus.cancelled:
            return event
        ids = [
            row["id"] for row in await Session.select(Session.id).where(Session.event == event.id)
        ]
        if ids:
            await lock_rows(Session, *ids)
        upcoming = await Session.objects().where(
            (Session.event == event.id)
            & (Session.status == SessionStatus.scheduled)
            & (Session.ends_at > at)
        )
        event.status = EventStatus.cancelled
        event.revision += 1
        event.updated_at = at
        await event.save([Event.status, Event.revision, Event.updated_at])
        for session in upcoming:
            await _set_session_status(session, SessionStatus.cancelled, at)
        await sessions_changed(event, [s.id for s in upcoming], SESSIONS_CANCELLED, at)
    return event


async def delete_event(municipality_id: int, event_id: int) -> None:
    """Only drafts can be deleted; published events are cancelled instead."""
    async with write_transaction():
        event = await get_event(municipality_id, event_id, lock=True)
        if event.status != EventStatus.draft:
            raise Conflict(
                "Only drafts can be deleted; cancel a published event.", {"status": event.status}
            )
        await Event.delete().where(Event.id == event.id)


async def list_events(
    municipality_id: int, status: EventStatus | None = None
) -> list[dict[str, Any]]:
    query = Event.select().where(owned(Event, municipality_id))
    if status is not None:
        query = query.where(Event.status == status)
    return await query.order_by(Event.id).output(load_json=True)


async def event_sessions(event_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = (
        await Session.select()
        .where(Session.event.is_in(event_ids or [-1]))
        .order_by(Session.starts_at)
        .order_by(Session.id)
    )
    grouped: dict[int, list[dict[str, Any]]] = {event_id: [] for event_id in event_ids}
    for row in rows:
        grouped[row["event"]].append(row)
    return grouped


async def event_row(municipality_id: int, event_id: int) -> dict[str, Any]:
    row = (
        await Event.select()
        .where(owned(Event, municipality_id, event_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("No such event.")
    return row


# --- who may register when --------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationWindow:
    mode: str
    event_status: str
    opens_at: datetime | None
    closes_at: datetime | None
    first_start: datetime | None  # of the event's sessions, for whole-event courses


def registration_open(
    window: RegistrationWindow, session_status: str, session_start: datetime, at: datetime
) -> bool:
    """Whether registering for this session (or its course) is possible right now.

    Registration needs a published event with registration, a scheduled session in
    the future, and the window: from `opens_at` (if set) until `closes_at`, or else
    until the session starts — for a whole-event course, until its first session.
    """
    if window.mode == RegistrationMode.none or window.event_status != EventStatus.published:
        return False
    if session_status != SessionStatus.scheduled:
        return False
    start = window.first_start if window.mode == RegistrationMode.whole_event else session_start
    closes = window.closes_at or start
    if start is None or closes is None or at >= min(closes, start):
        return False
    return window.opens_at is None or at >= window.opens_at


def seats_left(capacity: int | None, seats_taken: int) -> int | None:
    return None if capacity is None else max(0, capacity - seats_taken)


def all_day_fields(session: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """An all-day session's first and last day (inclusive) in the municipality's zone."""
    if not session.get("all_day"):
        return {"all_day": False, "first_day": None, "last_day": None}
    return {
        "all_day": True,
        "first_day": session["starts_at"].astimezone(zone).date(),
        "last_day": (session["ends_at"].astimezone(zone) - timedelta(days=1)).date(),
    }


def local_day_bounds(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of `day` in the municipality's zone, in UTC."""
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


# --- what guides see -------------------------------------------------------------------


def _guide_event_out(
    row: dict[str, Any], sessions: list[dict[str, Any]], zone: ZoneInfo
) -> GuideEventOut:
    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(zone) if value else None

    return GuideEventOut.model_validate(
        {
            **row,
            "programme_id": row["programme"],
            "venue_id": row["venue"],
            "organiser": organiser_of(row),
            "registration_opens_at": local(row["registration_opens_at"]),
            "registration_closes_at": local(row["registration_closes_at"]),
            "sessions": [
                {
                    **s,
                    **all_day_fields(s, zone),
                    "starts_at": local(s["starts_at"]),
                    "ends_at": local(s["ends_at"]),
                    "occurrence_start": local(s["occurrence_start"]),
                }
                for s in sessions
            ],
        }
    )


async def guide_events(
    municipality_id: int, status: EventStatus | None = None
) -> list[GuideEventOut]:
    zone = ZoneInfo((await _municipality(municipality_id)).time_zone)
    rows = await list_events(municipality_id, status)
    sessions = await event_sessions([row["id"] for row in rows])
    return [_guide_event_out(row, sessions[row["id"]], zone) for row in rows]


async def guide_event(municipality_id: int, event_id: int) -> GuideEventOut:
    zone = ZoneInfo((await _municipality(municipality_id)).time_zone)
    row = await event_row(municipality_id, event_id)
    sessions = await event_sessions([event_id])
    return _guide_event_out(row, sessions[event_id], zone)
