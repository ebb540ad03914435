"""Targets: the rows that count places — a drop-in session, or the event of a course.

Every change of a target's places happens under its row lock, taken first (`lock`),
then the registrations' rows: one order everywhere, so no deadlocks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from treffpunkt import db
from treffpunkt.errors import Conflict, NotFound
from treffpunkt.events.service import RegistrationWindow
from treffpunkt.events.tables import (
    Event,
    EventStatus,
    RegistrationMode,
    Session,
    SessionStatus,
    Venue,
)
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.registrations.tables import Registration, RegistrationStatus


@dataclass(frozen=True)
class Target:
    """The row that counts places: a session (drop-in) or the event (whole course)."""

    event: Event
    session: Session | None
    municipality: Municipality
    venue: dict[str, Any] | None
    starts_at: datetime | None  # when the place is used: the (first) session's start

    @property
    def table(self) -> type[Session] | type[Event]:
        return Session if self.session is not None else Event

    @property
    def row_id(self) -> int:
        return self.session.id if self.session is not None else self.event.id

    @property
    def tablename(self) -> str:
        return self.table._meta.tablename

    def registrations(self) -> Any:
        """Where-clause selecting this target's registrations."""
        if self.session is not None:
            return Registration.session == self.session.id
        return (Registration.event == self.event.id) & Registration.session.is_null()

    def window(self) -> RegistrationWindow:
        return RegistrationWindow(
            mode=self.event.registration_mode,
            event_status=self.event.status,
            opens_at=self.event.registration_opens_at,
            closes_at=self.event.registration_closes_at,
            first_start=self.starts_at,
        )


def _columns_as(table: Any, alias: str, prefix: str, exclude: tuple[str, ...] = ()) -> str:
    return ", ".join(
        f'{alias}."{column._meta.db_column_name}" AS "{prefix}{column._meta.name}"'
        for column in table._meta.columns
        if column._meta.name not in exclude
    )


@lru_cache(maxsize=2)
def _target_sql(by_session: bool) -> str:
    """One query for a target with its event, municipality and venue.

    Written as SQL (built once from the tables' own columns) because registering is
    the hot path, and assembling the same join with Piccolo's foreign-key chains
    costs several milliseconds of Python per request.
    """
    columns = ", ".join(
        [
            _columns_as(Event, "e", "event.", exclude=("series",)),
            _columns_as(Municipality, "m", "municipality."),
            _columns_as(Venue, "v", "venue."),
        ]
    )
    joins = "JOIN municipality m ON m.id = e.municipality LEFT JOIN venue v ON v.id = e.venue"
    # Names come from our own table definitions; the id is a bound parameter.
    if by_session:
        session = _columns_as(Session, "s", "session.")
        source = f"event_session s JOIN event e ON e.id = s.event {joins} WHERE s.id = {{}}"
        return f"SELECT {session}, {columns} FROM {source}"  # noqa: S608
    return f"SELECT {columns} FROM event e {joins} WHERE e.id = {{}}"  # noqa: S608


def _part(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}


def _load_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def _target_row(by_session: bool, row_id: int) -> dict[str, dict[str, Any]] | None:
    rows = await Event.raw(_target_sql(by_session), row_id)
    if not rows:
        return None
    row = rows[0]
    event = _part(row, "event.")
    event["texts"] = _load_json(event["texts"])
    for name in ("languages", "tags"):
        event[name] = _load_json(event[name])
    municipality = _part(row, "municipality.")
    municipality["offered_locales"] = _load_json(municipality["offered_locales"])
    venue = _part(row, "venue.")
    return {
        "session": _part(row, "session."),
        "event": event,
        "municipality": municipality,
        "venue": venue if venue.get("id") is not None else {},
    }


def _target(parts: dict[str, dict[str, Any]], first_start: datetime | None) -> Target:
    session = Session(_exists_in_db=True, **parts["session"]) if parts["session"] else None
    return Target(
        event=Event(_exists_in_db=True, **parts["event"]),
        session=session,
        municipality=Municipality(_exists_in_db=True, **parts["municipality"]),
        venue=parts["venue"] or None,
        starts_at=session.starts_at if session is not None else first_start,
    )


async def _first_start(event_id: int) -> datetime | None:
    row = (
        await Session.select(Session.starts_at)
        .where((Session.event == event_id) & (Session.status == SessionStatus.scheduled))
        .order_by(Session.starts_at)
        .first()
    )
    return row["starts_at"] if row else None


async def municipality_of(municipality_id: int) -> Municipality:
    municipality = await Municipality.objects().where(Municipality.id == municipality_id).first()
    assert municipality is not None
    return municipality


async def visible_event(event_id: int, municipality_id: int | None) -> Event:
    query = Event.objects().where(Event.id == event_id).output(load_json=True)
    if municipality_id is not None:
        query = query.where(Event.municipality == municipality_id)
    event = await query.first()
    if event is None or (municipality_id is None and event.status == EventStatus.draft):
        raise NotFound("No such event.")
    return event


def _visible(event: dict[str, Any], municipality_id: int | None) -> bool:
    """Guides see their own drafts; the public sees no drafts at all."""
    if municipality_id is not None:
        return bool(event["municipality"] == municipality_id)
    return bool(event["status"] != EventStatus.draft)


# Places are counted on one of two targets, and a client that picks the wrong one is
# told which one to use, in words (a session id and an event id are easily swapped).


async def _mixed_up(by_session: bool, row_id: int, municipality_id: int | None) -> str:
    """When an id names no target of the kind asked for but one of the other kind, a
    sentence saying so; else nothing. Drafts stay hidden from the public."""
    parts = await _target_row(not by_session, row_id)
    if parts is None or not _visible(parts["event"], municipality_id):
        return ""
    mode = parts["event"]["registration_mode"]
    if by_session and mode == RegistrationMode.whole_event:
        return (
            f" There is an event {row_id}, a course registered for as a whole:"
            f" use /events/{row_id}/… for it."
        )
    if not by_session and mode == RegistrationMode.per_session:
        event_id = parts["event"]["id"]
        return (
            f" There is a session {row_id} of event {event_id}, whose places count per date:"
            f" use /sessions/{row_id}/… for it."
        )
    return ""


async def session_target(session_id: int, municipality_id: int | None = None) -> Target:
    """The target for a drop-in session; `municipality_id` scopes it for guides."""
    parts = await _target_row(True, session_id)
    if parts is None or not _visible(parts["event"], municipality_id):
        hint = await _mixed_up(True, session_id, municipality_id)
        raise NotFound(f"No such session.{hint}")
    if parts["event"]["registration_mode"] == RegistrationMode.whole_event:
        event_id = parts["event"]["id"]
        raise Conflict(
            f"Session {session_id} is one date of the course {event_id}, whose places count"
            f" for all its dates together: use the event (/events/{event_id}/…) instead of"
            " the session.",
            {"session_id": f"a date of the course {event_id}: use the event"},
        )
    return _target(parts, None)


async def event_target(event_id: int, municipality_id: int | None = None) -> Target:
    """The target for a whole-event course."""
    parts = await _target_row(False, event_id)
    if parts is None or not _visible(parts["event"], municipality_id):
        hint = await _mixed_up(False, event_id, municipality_id)
        raise NotFound(f"No such event.{hint}")
    if parts["event"]["registration_mode"] == RegistrationMode.per_session:
        raise Conflict(
            f"Event {event_id} is not a course registered for as a whole: its places count"
            " per date, so use one of its sessions (/sessions/{session_id}/…; the event"
            " lists their ids) instead of the event.",
            {"event_id": "counts places per session: use a session"},
        )
    return _target(parts, await _first_start(event_id))


async def lock(target: Target) -> None:
    """Take the target row's lock before touching its places; refuses to run outside a
    transaction (the lock would end with the statement).

    SQLite's write transactions are IMMEDIATE and exclusive already; PostgreSQL
    locks the one row, so other targets stay free.
    """
    await db.lock_rows(target.table, target.row_id)


async def read_counters(target: Target) -> dict[str, Any]:
    table = target.table
    row = await (
        table.select(table.capacity, table.seats_taken, table.seats_pending, table.waiting)
        .where(table.id == target.row_id)
        .first()
    )
    assert row is not None
    return row


async def change_counters(
    target: Target, seats: int = 0, waiting: int = 0, pending: int = 0
) -> None:
    """Move the target's counters: seats held, of them unconfirmed, and the queue."""
    table = target.table
    await table.update(
        {
            table.seats_taken: table.seats_taken + seats,
            table.seats_pending: table.seats_pending + pending,
            table.waiting: table.waiting + waiting,
        }
    ).where(table.id == target.row_id)


async def position_of(registration: Registration) -> int | None:
    """Place on the waitlist: waitlisted registrations of the same target before it, plus one."""
    if registration.status != RegistrationStatus.waitlisted:
        return None
    same_target = (
        Registration.session == registration.session
        if registration.session is not None
        else (Registration.event == registration.event) & Registration.session.is_null()
    )
    ahead = await Registration.count().where(
        same_target
        & (Registration.status == RegistrationStatus.waitlisted)
        & (Registration.id < registration.id)
    )
    return ahead + 1


async def target_of(registration: Registration) -> Target:
    if registration.session is not None:
        return await any_session_target(registration.session)
    return await any_event_target(registration.event)


async def any_session_target(session_id: int) -> Target:
    """A registration's target as it is now, whatever its state (no visibility rules)."""
    parts = await _target_row(True, session_id)
    assert parts is not None
    return _target(parts, None)


async def any_event_target(event_id: int) -> Target:
    parts = await _target_row(False, event_id)
    assert parts is not None
    return _target(parts, await _first_start(event_id))
