"""Registrations: places, the waitlist, double opt-in, self-service by link.

Rules (DESIGN.md invariants 3 and 4):
- Places are held by a *target*: the session of a drop-in round, or the event of a
  whole course. Pending and confirmed registrations hold seats; together they never
  exceed the target's capacity, under any concurrency, on both databases.
- Seats are claimed by one conditional UPDATE on the target row. Every change of a
  target's places happens under that row's lock, taken first, so registrations for
  one target are serialised and the waitlist is served strictly in arrival order.
- A newcomer gets a seat only while nobody waits; freed seats go to the earliest
  waitlisted registrations that fit, at once, in the same transaction.
- Every mail is an outbox row written in the transaction of its cause.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt import db
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.service import RegistrationWindow, get_session, registration_open
from treffpunkt.events.tables import (
    Event,
    EventStatus,
    RegistrationMode,
    Session,
    SessionStatus,
    Venue,
)
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.notifications.outbox import enqueue_all, message
from treffpunkt.notifications.tables import OutboxMessage
from treffpunkt.registrations.combiner import Combiner
from treffpunkt.registrations.schemas import (
    GuideRegistrationCreate,
    GuideRegistrationOut,
    Needs,
    RegistrationCreate,
    RegistrationSession,
    RegistrationView,
)
from treffpunkt.registrations.tables import (
    ACTIVE,
    HOLDING,
    Attendance,
    AttendanceStatus,
    Registration,
    RegistrationStatus,
)
from treffpunkt.tokens import derive_token, hash_token, new_salt

TOKEN_PURPOSE = "registration"  # noqa: S105 (an HMAC domain label)
RESEND_WINDOW = timedelta(minutes=10)  # at most one repeated mail per registration and window


def now() -> datetime:
    return datetime.now(UTC)


def registration_token(secret_key: str, salt: str) -> str:
    return derive_token(secret_key, TOKEN_PURPOSE, salt)


# --- targets: where the places are counted -------------------------------------------------


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


async def _municipality(municipality_id: int) -> Municipality:
    municipality = await Municipality.objects().where(Municipality.id == municipality_id).first()
    assert municipality is not None
    return municipality


async def _visible_event(event_id: int, municipality_id: int | None) -> Event:
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


async def session_target(session_id: int, municipality_id: int | None = None) -> Target:
    """The target for a drop-in session; `municipality_id` scopes it for guides."""
    parts = await _target_row(True, session_id)
    if parts is None or not _visible(parts["event"], municipality_id):
        raise NotFound("No such session.")
    if parts["event"]["registration_mode"] == RegistrationMode.whole_event:
        raise Conflict(
            "This course is registered for as a whole.",
            {"registration_mode": "whole_event: register for the event"},
        )
    return _target(parts, None)


async def event_target(event_id: int, municipality_id: int | None = None) -> Target:
    """The target for a whole-event course."""
    parts = await _target_row(False, event_id)
    if parts is None or not _visible(parts["event"], municipality_id):
        raise NotFound("No such event.")
    if parts["event"]["registration_mode"] == RegistrationMode.per_session:
        raise Conflict(
            "Register for a single session of this event.",
            {"registration_mode": "per_session: register for a session"},
        )
    return _target(parts, await _first_start(event_id))


async def _lock(target: Target) -> None:
    """Take the target row's lock before touching its places.

    SQLite's write transactions are IMMEDIATE and exclusive already; PostgreSQL
    locks the one row, so other targets stay free.
    """
    if not db.is_sqlite():
        await (
            target.table.select(target.table.id).where(target.table.id == target.row_id).lock_rows()
        )


async def _counters(target: Target) -> dict[str, Any]:
    table = target.table
    row = await (
        table.select(table.capacity, table.seats_taken, table.waiting)
        .where(table.id == target.row_id)
        .first()
    )
    assert row is not None
    return row


async def _change_counters(target: Target, seats: int = 0, waiting: int = 0) -> None:
    table = target.table
    await table.update(
        {table.seats_taken: table.seats_taken + seats, table.waiting: table.waiting + waiting}
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


# --- mail ---------------------------------------------------------------------------------


def _text(texts: dict[str, Any], locale: str, default: str) -> dict[str, Any]:
    return texts.get(locale) or texts.get(default) or next(iter(texts.values()))


async def _base_context(target: Target) -> dict[str, Any]:
    """What every mail about this target says (no secrets, no personal data)."""
    event, municipality = target.event, target.municipality
    venue = target.venue
    if venue is not None:
        venue = {k: venue[k] for k in ("name", "street", "postal_code", "city", "room")}
    sessions: list[dict[str, Any]]
    if target.session is not None:
        session = target.session
        sessions = [
            {
                "id": session.id,
                "starts_at": session.starts_at,
                "ends_at": session.ends_at,
                "status": session.status,
            }
        ]
    else:
        sessions = (
            await Session.select(Session.id, Session.starts_at, Session.ends_at, Session.status)
            .where(Session.event == event.id)
            .order_by(Session.starts_at)
        )
    return {
        "event_id": event.id,
        "event_texts": event.texts,
        "online_url": event.online_url,
        "venue": venue,
        "sessions": [
            {
                "id": s["id"],
                "starts_at": s["starts_at"].isoformat(),
                "ends_at": s["ends_at"].isoformat(),
                "status": s["status"],
            }
            for s in sessions
        ],
        "municipality": {
            "slug": municipality.slug,
            "name": municipality.name,
            "default_locale": municipality.default_locale,
            "contact_email": municipality.contact_email,
            "sender_name": municipality.sender_name,
            "sender_email": municipality.sender_email,
            "website": municipality.website,
            "privacy_url": municipality.privacy_url,
            "time_zone": municipality.time_zone,
        },
    }


async def _notify(
    registration: Registration,
    kind: str,
    base: dict[str, Any] | None = None,
    position: int | None = None,
    resend: bool = False,
) -> None:
    """Queue the mail for this registration's change (none without an email)."""
    if not registration.email:
        return
    if base is None:
        base = await _base_context(await _target_of(registration))
    await enqueue_all([_mail(registration, kind, base, position, resend)])


def _mail(
    registration: Registration,
    kind: str,
    base: dict[str, Any],
    position: int | None = None,
    resend: bool = False,
) -> OutboxMessage:
    """The outbox row for a registration's change.

    The context fixes what the mail says at the moment of its cause; the worker
    adds the links, deriving the token, so no token is ever stored.
    """
    assert registration.email
    texts = base["event_texts"]
    dedupe = f"registration:{registration.id}:{kind}"
    if resend:
        window = int(now().timestamp() // RESEND_WINDOW.total_seconds())
        dedupe += f":resend:{window}"
    context = {
        **{k: v for k, v in base.items() if k != "event_texts"},
        "event_title": _text(texts, registration.locale, base["municipality"]["default_locale"])[
            "title"
        ],
        "registration_id": registration.id,
        "name": registration.name,
        "seats": registration.seats,
        "status": registration.status,
        "position": position,
        "email_confirmed": registration.email_confirmed_at is not None,
        "expires_at": registration.expires_at.isoformat() if registration.expires_at else None,
    }
    return message(
        municipality_id=registration.municipality,
        kind=f"registration_{kind}",
        locale=registration.locale,
        recipient_email=registration.email,
        recipient_name=registration.name,
        dedupe_key=dedupe,
        context=context,
        registration_id=registration.id,
    )


STATE_MAIL = {
    RegistrationStatus.pending: "confirm_request",
    RegistrationStatus.waitlisted: "waitlisted",
    RegistrationStatus.confirmed: "confirmed",
}


# --- registering ----------------------------------------------------------------------------


def _check_open(target: Target, seats: int, at: datetime) -> None:
    """Refuse registrations the event does not take now, naming why."""
    event = target.event
    if event.status == EventStatus.cancelled:
        raise Conflict("The event is cancelled.", {"event": "cancelled"})
    if event.registration_mode == RegistrationMode.none:
        raise Conflict("This event takes no registrations.", {"event": "no registration"})
    if target.session is not None and target.session.status == SessionStatus.cancelled:
        raise Conflict("The session is cancelled.", {"session": "cancelled"})
    if target.starts_at is None or target.starts_at <= at:
        raise Conflict("The session has already started.", {"session": "in the past"})
    if event.registration_opens_at and at < event.registration_opens_at:
        raise Conflict(
            "Registration has not opened yet.",
            {"registration_opens_at": event.registration_opens_at.isoformat()},
        )
    status = target.session.status if target.session else SessionStatus.scheduled
    if not registration_open(target.window(), status, target.starts_at, at):
        raise Conflict("Registration is closed.", {"registration_closes_at": "passed"})
    if seats > event.max_seats_per_registration:
        raise InvalidInput(
            "Too many seats for one registration.",
            {"seats": f"at most {event.max_seats_per_registration}"},
        )


def _hold_until(target: Target, at: datetime) -> datetime:
    hold = at + timedelta(hours=target.municipality.confirmation_hold_hours)
    return min(hold, target.starts_at) if target.starts_at else hold


@dataclass(frozen=True)
class Outcome:
    registration: Registration
    created: bool  # False: this email already had a place (or a queue place) here
    position: int | None  # on the waitlist


@dataclass(frozen=True)
class _Request:
    """One person asking for a place, prepared outside the transaction."""

    target: Target
    registration: Registration  # not yet saved; its status is decided in the batch
    base: dict[str, Any]
    by_guide: bool


async def register(
    target: Target, data: RegistrationCreate | GuideRegistrationCreate, secret_key: str
) -> Outcome:
    """Register someone.

    A repeated email for the same target answers with the existing registration and
    sends its current mail again (at most once per RESEND_WINDOW).
    """
    by_guide = isinstance(data, GuideRegistrationCreate)
    at = now()
    if not by_guide:
        _check_open(target, data.seats, at)
    elif target.event.status != EventStatus.published:
        raise Conflict("Only published events take registrations.", {"event": target.event.status})
    salt = new_salt()
    registration = Registration(
        municipality=target.event.municipality,
        event=target.event.id,
        session=target.session.id if target.session else None,
        seats=data.seats,
        name=data.name,
        email=data.email.lower() if data.email else None,
        phone=data.phone,
        locale=data.locale or target.municipality.default_locale,
        needs_interpretation=data.needs.interpretation if data.needs else None,
        needs_accessibility=data.needs.accessibility if data.needs else None,
        source="guide" if by_guide else "self",
        consent_version=None if by_guide else target.municipality.privacy_version,
        consent_at=None if by_guide else at,
        token_salt=salt,
        token_hash=hash_token(registration_token(secret_key, salt)),
        # A guide vouches for the person; a self-registration confirms by link.
        email_confirmed_at=at if by_guide else None,
        expires_at=None if by_guide else _hold_until(target, at),
        created_at=at,
        updated_at=at,
    )
    request = _Request(target, registration, await _base_context(target), by_guide)
    return await _places.run((target.tablename, target.row_id), request)


async def _take_places(requests: list[_Request]) -> list[Outcome | BaseException]:
    """Give places to a batch of requests for one target, in arrival order, in one
    transaction: lock the row, read its counters, decide each request, write the
    counters, the registrations and their mails.

    An email that already holds a place (or arrives twice in the batch) gets that
    registration back. If another process registered the same email meanwhile, the
    unique index fails the batch, and each request is retried on its own.
    """
    try:
        return await _take_places_once(requests)
    except Exception as error:
        if len(requests) == 1 or not db.is_unique_violation(error):
            raise
    results: list[Outcome | BaseException] = []
    for request in requests:
        try:
            results.append((await _take_places_once([request]))[0])
        except Exception as error:
            results.append(error)
    return results


async def _take_places_once(requests: list[_Request]) -> list[Outcome | BaseException]:
    target = requests[0].target
    emails = [r.registration.email for r in requests if r.registration.email]
    results: list[Outcome | BaseException] = []
    resends: list[Outcome] = []
    async with db.write_transaction():
        await _lock(target)
        counters = await _counters(target)
        capacity, seats_taken, waiting = (
            counters["capacity"],
            counters["seats_taken"],
            counters["waiting"],
        )
        holders: dict[str, Registration] = {}
        if emails:
            for existing in await Registration.objects().where(
                target.registrations()
                & Registration.email.is_in(emails)
                & Registration.status.is_in(list(ACTIVE))
            ):
                holders[existing.email] = existing
        accepted: list[tuple[_Request, int | None]] = []
        for request in requests:
            registration = request.registration
            email = registration.email
            if email and email in holders:
                outcome = Outcome(holders[email], False, None)
                results.append(outcome)
                resends.append(outcome)
                continue
            seats = registration.seats
            if waiting == 0 and (capacity is None or seats_taken + seats <= capacity):
                seats_taken += seats
                position = None
                registration.status = (
                    RegistrationStatus.confirmed if request.by_guide else RegistrationStatus.pending
                )
            elif target.event.waitlist:
                waiting += 1
                position = waiting
                registration.status = RegistrationStatus.waitlisted
            else:
                results.append(Conflict("No places are left.", {"seats": "fully booked"}))
                continue
            accepted.append((request, position))
            results.append(Outcome(registration, True, position))
            if email:
                holders[email] = registration
        if accepted:
            table = target.table
            await table.update({table.seats_taken: seats_taken, table.waiting: waiting}).where(
                table.id == target.row_id
            )
            new = [request.registration for request, _ in accepted]
            # Ids follow insertion (= arrival) order; match them by the unique token hash.
            ids = {
                row["token_hash"]: row["id"]
                for row in await Registration.insert(*new).returning(
                    Registration.id, Registration.token_hash
                )
            }
            for registration in new:
                registration.id = ids[registration.token_hash]
            await enqueue_all(
                [
                    _mail(
                        request.registration,
                        STATE_MAIL[RegistrationStatus(request.registration.status)],
                        request.base,
                        position,
                    )
                    for request, position in accepted
                    if request.registration.email
                ]
            )
    if resends:
        await _resend(resends, requests[0].base)
    return [
        Outcome(
            r.registration,
            r.created,
            r.position if r.created else await position_of(r.registration),
        )
        if isinstance(r, Outcome)
        else r
        for r in results
    ]


async def _resend(outcomes: list[Outcome], base: dict[str, Any]) -> None:
    """Someone registered again: their current mail once more (deduplicated per window)."""
    async with db.write_transaction():
        await enqueue_all(
            [
                _mail(
                    o.registration,
                    STATE_MAIL[RegistrationStatus(o.registration.status)],
                    base,
                    await position_of(o.registration),
                    resend=True,
                )
                for o in outcomes
                if o.registration.email and o.registration.id is not None
            ]
        )


_places: Combiner[_Request, Outcome] = Combiner(_take_places)


async def _target_of(registration: Registration) -> Target:
    if registration.session is not None:
        return await _any_session_target(registration.session)
    return await _any_event_target(registration.event)


async def _any_session_target(session_id: int) -> Target:
    """A registration's target as it is now, whatever its state (no visibility rules)."""
    parts = await _target_row(True, session_id)
    assert parts is not None
    return _target(parts, None)


async def _any_event_target(event_id: int) -> Target:
    parts = await _target_row(False, event_id)
    assert parts is not None
    return _target(parts, await _first_start(event_id))


async def _reload(registration_id: int) -> Registration:
    registration = await Registration.objects().where(Registration.id == registration_id).first()
    assert registration is not None
    return registration


async def promote_waitlist(target: Target, at: datetime | None = None) -> list[Registration]:
    """Give free seats to the earliest waitlisted registrations that fit.

    Runs under the target's lock, inside the transaction that freed the seats.
    A promoted registration whose email is confirmed is confirmed at once; an
    unconfirmed one is held (pending) for the hold time, like a new registration.
    """
    at = at or now()
    if target.starts_at is not None and target.starts_at <= at:
        return []
    counters = await _counters(target)
    if counters["waiting"] == 0:
        return []
    capacity = counters["capacity"]
    free = None if capacity is None else capacity - counters["seats_taken"]
    queue = (
        await Registration.objects()
        .where(target.registrations() & (Registration.status == RegistrationStatus.waitlisted))
        .order_by(Registration.id)
    )
    promoted: list[Registration] = []
    for registration in queue:
        if free is not None and free <= 0:
            break
        if free is not None and registration.seats > free:
            continue
        if free is not None:
            free -= registration.seats
        registration.status = (
            RegistrationStatus.confirmed
            if registration.email_confirmed_at
            else RegistrationStatus.pending
        )
        registration.expires_at = (
            None if registration.email_confirmed_at else _hold_until(target, at)
        )
        registration.updated_at = at
        promoted.append(registration)
    if promoted:
        await _change_counters(target, seats=sum(r.seats for r in promoted), waiting=-len(promoted))
        base = await _base_context(target)
        for registration in promoted:
            await registration.save(
                [Registration.status, Registration.expires_at, Registration.updated_at]
            )
            await _notify(registration, "promoted", base)
    return promoted


async def _release(target: Target, registration: Registration, status: RegistrationStatus) -> None:
    """End a registration (cancelled or expired), free what it held, serve the waitlist."""
    at = now()
    if registration.status in HOLDING:
        await _change_counters(target, seats=-registration.seats)
    elif registration.status == RegistrationStatus.waitlisted:
        await _change_counters(target, waiting=-1)
    registration.status = status
    registration.expires_at = None
    registration.updated_at = at
    await registration.save([Registration.status, Registration.expires_at, Registration.updated_at])
    await _notify(
        registration, "cancelled" if status == RegistrationStatus.cancelled else "expired"
    )
    await promote_waitlist(target, at)


async def cancel_registration(registration_id: int) -> Registration:
    """Cancel (idempotent): the seats go to the waitlist at once."""
    registration = await _reload(registration_id)
    target = await _target_of(registration)
    async with db.write_transaction():
        await _lock(target)
        registration = await _reload(registration_id)
        if registration.status in ACTIVE:
            await _release(target, registration, RegistrationStatus.cancelled)
    return await _reload(registration_id)


async def confirm_registration(registration_id: int) -> Registration:
    """The email is confirmed: a held place becomes confirmed; a waitlisted one stays
    in the queue, now confirmed, so that a later promotion confirms it at once."""
    registration = await _reload(registration_id)
    target = await _target_of(registration)
    at = now()
    async with db.write_transaction():
        await _lock(target)
        registration = await _reload(registration_id)
        if registration.status in (RegistrationStatus.cancelled, RegistrationStatus.expired):
            raise Conflict(
                f"This registration is {registration.status}.", {"status": registration.status}
            )
        if registration.email_confirmed_at is None:
            registration.email_confirmed_at = at
            registration.expires_at = None
            registration.updated_at = at
            if registration.status == RegistrationStatus.pending:
                registration.status = RegistrationStatus.confirmed
                await _notify(registration, "confirmed")
            await registration.save()
    return registration


async def expire_overdue(limit: int = 200) -> int:
    """Expire unconfirmed registrations whose hold ended; their places go on. Returns the count."""
    at = now()
    rows = (
        await Registration.select(Registration.id)
        .where(
            Registration.status.is_in([RegistrationStatus.pending, RegistrationStatus.waitlisted])
            & Registration.email_confirmed_at.is_null()
            & (Registration.expires_at <= at)
        )
        .order_by(Registration.expires_at)
        .limit(limit)
    )
    expired = 0
    for row in rows:
        registration = await _reload(row["id"])
        target = await _target_of(registration)
        async with db.write_transaction():
            await _lock(target)
            registration = await _reload(row["id"])
            overdue = registration.expires_at is not None and registration.expires_at <= at
            if (
                registration.email_confirmed_at is None
                and overdue
                and registration.status
                in (
                    RegistrationStatus.pending,
                    RegistrationStatus.waitlisted,
                )
            ):
                await _release(target, registration, RegistrationStatus.expired)
                expired += 1
    return expired


async def set_capacity(target: Target, capacity: int | None) -> list[Registration]:
    """A guide changes the capacity; more room promotes from the waitlist at once."""
    async with db.write_transaction():
        await _lock(target)
        table = target.table
        await table.update({table.capacity: capacity}).where(table.id == target.row_id)
        return await promote_waitlist(target)


async def capacity_changed(event_id: int) -> None:
    """After an event's capacity changed: serve the waitlists its new room allows."""
    event = await Event.objects().where(Event.id == event_id).first()
    assert event is not None
    if event.registration_mode == RegistrationMode.whole_event:
        targets = [await event_target(event.id, event.municipality)]
    else:
        sessions = await Session.select(Session.id).where(
            (Session.event == event.id) & (Session.waiting > 0)
        )
        targets = [await session_target(s["id"], event.municipality) for s in sessions]
    for target in targets:
        async with db.write_transaction():
            await _lock(target)
            await promote_waitlist(target)


# --- self-service by link -----------------------------------------------------------------


async def by_token(token: str) -> Registration:
    registration = (
        await Registration.objects()
        .where(
            (Registration.token_hash == hash_token(token)) & Registration.anonymised_at.is_null()
        )
        .first()
    )
    if registration is None:
        raise NotFound("This link is not valid (any more).")
    return registration


async def _sessions_of(registration: Registration) -> list[dict[str, Any]]:
    query = Session.select(Session.id, Session.starts_at, Session.ends_at, Session.status)
    if registration.session is not None:
        query = query.where(Session.id == registration.session)
    else:
        query = query.where(Session.event == registration.event)
    return await query.order_by(Session.starts_at)


async def view(registration: Registration) -> RegistrationView:
    event = await _visible_event(registration.event, registration.municipality)
    municipality = await _municipality(registration.municipality)
    zone = ZoneInfo(municipality.time_zone)
    return RegistrationView(
        id=registration.id,
        status=RegistrationStatus(registration.status),
        position=await position_of(registration),
        seats=registration.seats,
        locale=registration.locale,
        event_id=event.id,
        event_title=_text(event.texts, registration.locale, municipality.default_locale)["title"],  # type: ignore[arg-type]
        municipality=municipality.slug,
        sessions=[
            RegistrationSession(
                id=s["id"],
                starts_at=s["starts_at"].astimezone(zone),
                ends_at=s["ends_at"].astimezone(zone),
                status=s["status"],
            )
            for s in await _sessions_of(registration)
        ],
        expires_at=registration.expires_at.astimezone(zone) if registration.expires_at else None,
    )


# --- guide side ---------------------------------------------------------------------------


async def guide_registrations(target: Target) -> list[GuideRegistrationOut]:
    """Every registration of the target in arrival order, with waitlist positions."""
    rows = await Registration.objects().where(target.registrations()).order_by(Registration.id)
    attendance: dict[int, dict[int, AttendanceStatus]] = {}
    for mark in await Attendance.select().where(
        Attendance.registration.is_in([r.id for r in rows] or [-1])
    ):
        marks = attendance.setdefault(mark["registration"], {})
        marks[mark["session"]] = AttendanceStatus(mark["status"])
    out, position = [], 0
    for registration in rows:
        waitlisted = registration.status == RegistrationStatus.waitlisted
        position += waitlisted
        needs = None
        if registration.needs_interpretation or registration.needs_accessibility:
            needs = Needs(
                interpretation=registration.needs_interpretation,
                accessibility=registration.needs_accessibility,
            )
        out.append(
            GuideRegistrationOut(
                id=registration.id,
                status=RegistrationStatus(registration.status),
                position=position if waitlisted else None,
                seats=registration.seats,
                name=registration.name,
                email=registration.email,
                phone=registration.phone,
                locale=registration.locale,
                needs=needs,
                source=registration.source,  # type: ignore[arg-type]
                session_id=registration.session,
                created_at=registration.created_at,
                email_confirmed_at=registration.email_confirmed_at,
                attendance=attendance.get(registration.id, {}),
            )
        )
    return out


async def guide_registration(municipality_id: int, registration_id: int) -> Registration:
    registration = (
        await Registration.objects()
        .where(
            (Registration.id == registration_id) & (Registration.municipality == municipality_id)
        )
        .first()
    )
    if registration is None:
        raise NotFound("No such registration.")
    return registration


async def record_attendance(
    municipality_id: int, session_id: int, registration_id: int, status: AttendanceStatus
) -> None:
    """Mark who came; a course registration is marked per session."""
    registration = await guide_registration(municipality_id, registration_id)
    session = await get_session(municipality_id, session_id)
    belongs = registration.session == session.id or (
        registration.session is None and registration.event == session.event
    )
    if not belongs:
        raise InvalidInput(
            "The registration is not for this session.", {"registration_id": "not for this session"}
        )
    if registration.status != RegistrationStatus.confirmed:
        raise Conflict(
            "Only confirmed registrations take attendance.", {"status": registration.status}
        )
    async with db.write_transaction():
        await Attendance.delete().where(
            (Attendance.registration == registration.id) & (Attendance.session == session.id)
        )
        await Attendance(
            municipality=municipality_id,
            registration=registration.id,
            session=session.id,
            status=status,
        ).save()


CSV_COLUMNS = [
    "Name",
    "E-Mail",
    "Telefon",
    "Status",
    "Plätze",
    "Warteliste",
    "Sprache",
    "Dolmetschen",
    "Barrierefreiheit",
    "Quelle",
    "Angemeldet am",
    "Anwesenheit",
]


async def registrations_csv(target: Target) -> bytes:
    """The registration list as German Excel opens it: UTF-8 with BOM, `;` separated."""
    zone = ZoneInfo(target.municipality.time_zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in await guide_registrations(target):
        writer.writerow(
            [
                r.name or "",
                r.email or "",
                r.phone or "",
                r.status,
                r.seats,
                r.position or "",
                r.locale,
                r.needs.interpretation if r.needs and r.needs.interpretation else "",
                r.needs.accessibility if r.needs and r.needs.accessibility else "",
                "Guide" if r.source == "guide" else "selbst",
                r.created_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
                ", ".join(f"{sid}: {status}" for sid, status in sorted(r.attendance.items())),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
