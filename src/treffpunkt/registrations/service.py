"""Registrations: places, the waitlist, double opt-in, self-service by link.

Rules:
- Places are held by a *target*: the session of a drop-in round, or the event of a
  whole course. Pending and confirmed registrations hold seats; together they never
  exceed the target's capacity, under any concurrency, on both databases.
- Every change of a target's places happens under that row's lock (targets.lock),
  with its counters read under the lock; concurrent registrations for one target are
  decided together in arrival order, one transaction per batch (group commit).
- A newcomer gets a seat only while nobody waits; freed seats go to the earliest
  waitlisted registrations that fit, at once, in the same transaction.
- Every mail is an outbox row written in the transaction of its cause.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt import db
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.service import all_day_fields, check_capacity, registration_open
from treffpunkt.events.tables import (
    Event,
    EventAccess,
    EventStatus,
    RegistrationMode,
    Session,
    SessionStatus,
)
from treffpunkt.outbox import OutboxMessage, enqueue_all
from treffpunkt.registrations.combiner import Combiner
from treffpunkt.registrations.mail import (
    STATE_MAIL,
    base_context,
    hold_back,
    mail_row,
    notify,
    text_in,
)
from treffpunkt.registrations.schemas import (
    GuideRegistrationCreate,
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
from treffpunkt.registrations.targets import (
    Target,
    any_event_target,
    any_session_target,
    change_counters,
    lock,
    municipality_of,
    position_of,
    read_counters,
    target_of,
    visible_event,
)
from treffpunkt.tokens import derive_token, hash_token, new_salt

TOKEN_PURPOSE = "registration"  # noqa: S105 (an HMAC domain label)


def now() -> datetime:
    return datetime.now(UTC)


def registration_token(secret_key: str, salt: str) -> str:
    return derive_token(secret_key, TOKEN_PURPOSE, salt)


# --- registering ----------------------------------------------------------------------------


def _check_open(target: Target, seats: int, at: datetime, invited: bool = False) -> None:
    """Refuse registrations the event does not take now, naming why. An event by
    invitation takes only registrations through an invitation's link (invitations.py)."""
    event = target.event
    if event.status == EventStatus.cancelled:
        raise Conflict("The event is cancelled.", {"event": "cancelled"})
    if event.registration_mode == RegistrationMode.none:
        raise Conflict("This event takes no registrations.", {"event": "no registration"})
    if event.access == EventAccess.invitation_only and not invited:
        raise Conflict("This event is by invitation only.", {"event": "invitation only"})
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


# Unconfirmed places are held for the municipality's hold time, but only while they
# are few: past a quarter of a target's capacity, new ones are held for SHORT_HOLD, so
# that a script registering made-up addresses cannot keep the places from people.
SHORT_HOLD = timedelta(hours=1)


def _hold_until(
    target: Target, at: datetime, capacity: int | None = None, seats_pending: int = 0
) -> datetime:
    """Until when an unconfirmed place is held. `capacity` and `seats_pending` (the
    target's unconfirmed seats, this one's included) are read under the target's lock;
    without them (a queue place) the municipality's hold time applies."""
    hold = timedelta(hours=target.municipality.confirmation_hold_hours)
    if capacity is not None and seats_pending * 4 > capacity:
        hold = min(hold, SHORT_HOLD)
    until = at + hold
    return min(until, target.starts_at) if target.starts_at else until


@dataclass(frozen=True)
class Outcome:
    """What a registration request got, and what its answer says.

    For a repeated self-registration `status` is what a new one would have got at
    that moment (see `_take_places_once`), not the existing registration's, and there
    is no `position`: the public answer must not tell whether an address is registered.
    """

    registration: Registration  # the new one, or the one this email already had
    created: bool  # False: this email already had a place (or a queue place) here
    status: RegistrationStatus
    position: int | None  # on the waitlist; for guides (the public answer has none)


@dataclass(frozen=True)
class _Request:
    """One person asking for a place, prepared outside the transaction."""

    target: Target
    registration: Registration  # not yet saved; its status is decided in the batch
    base: dict[str, Any]
    by_guide: bool
    vouched: bool  # by a guide, or through an invitation that reached the address: confirmed
    mail: bool  # False: this address had too many registrations lately; hold its mail back
    # A walk-in at the door: the session whose attendance it takes (None: not a walk-in).
    # It gets a seat or nothing, never a queue place (see `register_walk_in`).
    attends: int | None = None


async def register(
    target: Target,
    data: RegistrationCreate | GuideRegistrationCreate,
    secret_key: str,
    mail: bool = True,
    invited: bool = False,
    attends: int | None = None,
) -> Outcome:
    """Register someone.

    A repeated email for the same target keeps its one place and gets its current
    mail again (at most once per RESEND_WINDOW). The answer to a repeated
    self-registration is the one a new registration would get, so that nobody learns
    from it whether an address is registered; a guide gets the existing registration.

    `mail=False` (the address had too many registrations in this municipality lately)
    changes nothing but the mail: it is written and held back (mail.hold_back), so
    that neither the answer nor the work done tells a stranger about the address.

    `invited`: through a partner's invitation link (invitations.py), the only way into
    an event by invitation. The link came by mail to the address, so the place is
    confirmed at once, and a repeat gets the existing registration, as a guide does.
    """
    by_guide = isinstance(data, GuideRegistrationCreate)
    vouched = by_guide or invited
    at = now()
    if not by_guide:
        _check_open(target, data.seats, at, invited)
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
        source="guide" if by_guide else "invitation" if invited else "self",
        consent_version=None if by_guide else target.municipality.privacy_version,
        consent_at=None if by_guide else at,
        token_salt=salt,
        token_hash=hash_token(registration_token(secret_key, salt)),
        # A guide vouches for the person; a self-registration confirms by link.
        email_confirmed_at=at if vouched else None,
        expires_at=None if vouched else _hold_until(target, at),
        created_at=at,
        updated_at=at,
    )
    request = _Request(
        target, registration, await base_context(target), by_guide, vouched, mail, attends
    )
    return await _places.run((target.tablename, target.row_id), request)


async def register_walk_in(
    target: Target, data: GuideRegistrationCreate, session_id: int, secret_key: str
) -> Outcome:
    """Someone came to the door of `session_id` (one of the target's sessions): they get
    a free seat, confirmed and marked as attended, in one transaction under the
    target's lock, as every registration does.

    Before the session starts, those waiting come first: a walk-in takes a seat only
    while nobody waits. Once it has started the queue no longer moves
    (`promote_waitlist`), and a free seat goes to whoever is at the door. Without a
    seat, the answer is a Conflict and nothing is written: a queue place is no use to
    someone standing at the door (the guide can raise the capacity).

    An email that has a place here already keeps it; a confirmed one is marked
    as attended."""
    session = await Session.objects().where(Session.id == session_id).first()
    if (
        session is None
        or session.event != target.event.id
        or (target.session is not None and target.session.id != session_id)
    ):
        raise InvalidInput("The session is not one of this list.", {"session": "not in this list"})
    if session.status == SessionStatus.cancelled:
        raise Conflict("The session is cancelled.", {"session": "cancelled"})
    return await register(target, data, secret_key, attends=session_id)


async def would_register(target: Target, seats: int) -> RegistrationStatus:
    """The status a self-registration of `seats` for `target` would get now — or the
    Conflict / InvalidInput it would raise — registering nobody (for answering a bot
    exactly as a person would be answered)."""
    _check_open(target, seats, now())
    counters = await read_counters(target)
    capacity = counters["capacity"]
    if counters["waiting"] == 0 and (
        capacity is None or counters["seats_taken"] + seats <= capacity
    ):
        return RegistrationStatus.pending
    if target.event.waitlist:
        return RegistrationStatus.waitlisted
    raise Conflict("No places are left.", {"seats": "fully booked"})


async def _take_places(requests: list[_Request]) -> list[Outcome | BaseException]:
    """Give places to a batch of requests for one target, in arrival order, in one
    transaction: lock the row, read its counters, decide each request, write the
    counters, the registrations and their mails.

    An email that already holds a place (or arrives twice in the batch) keeps it. If
    another process registered the same email meanwhile, the unique index fails the
    batch, and each request is retried on its own.
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
    async with db.write_transaction():
        await lock(target)
        counters = await read_counters(target)
        capacity, seats_taken, seats_pending, waiting = (
            counters["capacity"],
            counters["seats_taken"],
            counters["seats_pending"],
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
        repeated: list[tuple[int, _Request, Registration]] = []  # (answer's index, …)
        for request in requests:
            registration = request.registration
            email = registration.email
            seats = registration.seats
            queue_first = waiting > 0 and not (
                request.attends is not None and _started(target, registration.created_at)
            )
            has_seat = not queue_first and (capacity is None or seats_taken + seats <= capacity)
            if email and email in holders:
                holder = holders[email]
                repeated.append((len(results), request, holder))
                if request.vouched:  # a guide sees the registration as it is (below)
                    results.append(Outcome(holder, False, RegistrationStatus(holder.status), None))
                elif has_seat:  # what a new registration would get; the counters stay
                    results.append(Outcome(holder, False, RegistrationStatus.pending, None))
                elif target.event.waitlist:
                    results.append(Outcome(holder, False, RegistrationStatus.waitlisted, None))
                else:
                    results.append(Conflict("No places are left.", {"seats": "fully booked"}))
                continue
            if request.attends is not None and not has_seat:
                results.append(_no_seat_at_the_door(waiting, capacity, seats_taken, seats))
                continue
            if has_seat:
                seats_taken += seats
                position = None
                if request.vouched:
                    registration.status = RegistrationStatus.confirmed
                else:
                    registration.status = RegistrationStatus.pending
                    seats_pending += seats
                    registration.expires_at = _hold_until(
                        target, registration.created_at, capacity, seats_pending
                    )
            elif target.event.waitlist:
                waiting += 1
                position = waiting
                registration.status = RegistrationStatus.waitlisted
            else:
                results.append(Conflict("No places are left.", {"seats": "fully booked"}))
                continue
            accepted.append((request, position))
            results.append(
                Outcome(registration, True, RegistrationStatus(registration.status), position)
            )
            if email:
                holders[email] = registration
        mails = []
        if accepted or repeated:  # a repeat writes the counters too: it takes as long
            table = target.table
            await table.update(
                {
                    table.seats_taken: seats_taken,
                    table.seats_pending: seats_pending,
                    table.waiting: waiting,
                }
            ).where(table.id == target.row_id)
        if accepted:
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
            mails = [
                _as_allowed(
                    request,
                    mail_row(
                        request.registration,
                        STATE_MAIL[RegistrationStatus(request.registration.status)],
                        request.base,
                        position,
                    ),
                )
                for request, position in accepted
                if request.registration.email
            ]
        # The owner of a repeated email gets their current mail again, in this same
        # transaction, so that a repeat costs what a new registration costs. One made in
        # this batch has its first mail on the way already.
        fresh = {id(request.registration): position for request, position in accepted}
        for index, request, holder in repeated:
            if id(holder) in fresh:
                position = fresh[id(holder)]
            else:
                position = await position_of(holder)
                kind = STATE_MAIL[RegistrationStatus(holder.status)]
                mails.append(
                    _as_allowed(request, mail_row(holder, kind, request.base, position, True))
                )
            if request.vouched:
                results[index] = Outcome(holder, False, RegistrationStatus(holder.status), position)
        await _mark_walk_ins(requests, results)
        await enqueue_all(mails)
    return results


def _started(target: Target, at: datetime) -> bool:
    return target.starts_at is not None and target.starts_at <= at


def _no_seat_at_the_door(
    waiting: int, capacity: int | None, seats_taken: int, seats: int
) -> Conflict:
    if waiting > 0 and capacity is not None and seats_taken + seats <= capacity:
        return Conflict(
            "People are waiting for places; until the session starts, they come first.",
            {"seats": f"{waiting} waiting"},
        )
    free = 0 if capacity is None else max(0, capacity - seats_taken)
    return Conflict(
        f"No places are left for {seats}: {free} free. Raise the capacity to let them in.",
        {"seats": f"{free} free"},
    )


async def _mark_walk_ins(requests: list[_Request], results: list[Outcome | BaseException]) -> None:
    """Walk-ins holding a confirmed place are marked as attended (in the batch's
    transaction, so that a walk-in is never half-written)."""
    for request, result in zip(requests, results, strict=True):
        if request.attends is None or not isinstance(result, Outcome):
            continue
        if result.registration.status != RegistrationStatus.confirmed:
            continue
        await mark_attendance(result.registration, request.attends, AttendanceStatus.attended)


async def mark_attendance(
    registration: Registration, session_id: int, status: AttendanceStatus
) -> None:
    """One mark per registration and session; a new one replaces the old."""
    db.require_transaction("marking attendance")
    await Attendance.delete().where(
        (Attendance.registration == registration.id) & (Attendance.session == session_id)
    )
    await Attendance(
        municipality=registration.municipality,
        registration=registration.id,
        session=session_id,
        status=status,
    ).save()


_places: Combiner[_Request, Outcome] = Combiner(_take_places)


def _as_allowed(request: _Request, row: OutboxMessage) -> OutboxMessage:
    return row if request.mail else hold_back(row)


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
    counters = await read_counters(target)
    if counters["waiting"] == 0:
        return []
    capacity = counters["capacity"]
    free = None if capacity is None else capacity - counters["seats_taken"]
    seats_pending = counters["seats_pending"]
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
        registration.expires_at = None
        if not registration.email_confirmed_at:
            seats_pending += registration.seats
            registration.expires_at = _hold_until(target, at, capacity, seats_pending)
        registration.updated_at = at
        promoted.append(registration)
    if promoted:
        await change_counters(
            target,
            seats=sum(r.seats for r in promoted),
            pending=sum(r.seats for r in promoted if r.status == RegistrationStatus.pending),
            waiting=-len(promoted),
        )
        base = await base_context(target)
        for registration in promoted:
            await registration.save(
                [Registration.status, Registration.expires_at, Registration.updated_at]
            )
            await notify(registration, "promoted", base)
    return promoted


async def _release(
    target: Target, registration: Registration, status: RegistrationStatus
) -> list[Registration]:
    """End a registration (cancelled or expired), free what it held, serve the waitlist;
    returns those the waitlist moved up."""
    at = now()
    if registration.status in HOLDING:
        unconfirmed = registration.status == RegistrationStatus.pending
        await change_counters(
            target, seats=-registration.seats, pending=-registration.seats if unconfirmed else 0
        )
    elif registration.status == RegistrationStatus.waitlisted:
        await change_counters(target, waiting=-1)
    registration.status = status
    registration.expires_at = None
    registration.updated_at = at
    await registration.save([Registration.status, Registration.expires_at, Registration.updated_at])
    await notify(registration, "cancelled" if status == RegistrationStatus.cancelled else "expired")
    return await promote_waitlist(target, at)


async def cancel_registration(registration_id: int) -> Registration:
    """Cancel (idempotent): the seats go to the waitlist at once."""
    return (await cancel_and_promote(registration_id))[0]


async def cancel_and_promote(registration_id: int) -> tuple[Registration, list[Registration]]:
    """Cancel (idempotent); the registration as it is now, and those whom its seats
    moved up from the waitlist (none when it was cancelled before)."""
    registration = await _reload(registration_id)
    target = await target_of(registration)
    promoted: list[Registration] = []
    async with db.write_transaction():
        await lock(target)
        registration = await _reload(registration_id)
        if registration.status in ACTIVE:
            promoted = await _release(target, registration, RegistrationStatus.cancelled)
    return await _reload(registration_id), promoted


async def others_waiting(registration: Registration) -> bool:
    """Whether someone else waits for a place of this registration's target (so that
    cancelling it gives that place to the next person)."""
    if registration.status == RegistrationStatus.waitlisted:
        return False  # it holds no place to give
    return (await read_counters(await target_of(registration)))["waiting"] > 0


async def confirm_registration(registration_id: int) -> Registration:
    """The email is confirmed: a held place becomes confirmed; a waitlisted one stays
    in the queue, now confirmed, so that a later promotion confirms it at once."""
    registration = await _reload(registration_id)
    target = await target_of(registration)
    at = now()
    async with db.write_transaction():
        await lock(target)
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
                await change_counters(target, pending=-registration.seats)
                await notify(registration, "confirmed")
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
        target = await target_of(registration)
        async with db.write_transaction():
            await lock(target)
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
    """A guide changes one session's capacity: it is the session's own from now on
    (a new event capacity leaves it be). More room promotes from the waitlist at once."""
    async with db.write_transaction():
        await lock(target)
        check_capacity(capacity, (await read_counters(target))["seats_taken"])
        if target.session is not None:
            await Session.update({Session.capacity: capacity, Session.own_capacity: True}).where(
                Session.id == target.row_id
            )
        else:
            await Event.update({Event.capacity: capacity}).where(Event.id == target.row_id)
        return await promote_waitlist(target)


async def capacity_changed(event_id: int, session_ids: Collection[int]) -> None:
    """An event's capacity changed (events.hooks): serve the waitlists its new room
    allows — the course's, or those of `session_ids` — in the same transaction."""
    db.require_transaction("serving the waitlist after a capacity change")
    mode = await Event.select(Event.registration_mode).where(Event.id == event_id).first()
    assert mode is not None
    if mode["registration_mode"] == RegistrationMode.whole_event:
        targets = [await any_event_target(event_id)]
    else:
        queues = await Session.select(Session.id).where(
            Session.id.is_in(list(session_ids) or [-1]) & (Session.waiting > 0)
        )
        targets = [await any_session_target(row["id"]) for row in queues]
    for target in targets:
        await lock(target)
        await promote_waitlist(target)


async def registered_sessions(session_ids: Collection[int]) -> set[int]:
    """The sessions that registrations name, cancelled ones too (events.hooks)."""
    rows = await Registration.select(Registration.session).where(
        Registration.session.is_in(list(session_ids))
    )
    return {row["session"] for row in rows}


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
    query = Session.select(
        Session.id, Session.starts_at, Session.ends_at, Session.status, Session.all_day
    )
    if registration.session is not None:
        query = query.where(Session.id == registration.session)
    else:
        query = query.where(Session.event == registration.event)
    return await query.order_by(Session.starts_at)


async def view(registration: Registration) -> RegistrationView:
    event = await visible_event(registration.event, registration.municipality)
    municipality = await municipality_of(registration.municipality)
    zone = ZoneInfo(municipality.time_zone)
    return RegistrationView(
        id=registration.id,
        status=RegistrationStatus(registration.status),
        position=await position_of(registration),
        seats=registration.seats,
        locale=registration.locale,
        event_id=event.id,
        event_title=text_in(event.texts, registration.locale, municipality.default_locale)["title"],  # type: ignore[arg-type]
        municipality=municipality.slug,
        sessions=[
            RegistrationSession(
                id=s["id"],
                starts_at=s["starts_at"].astimezone(zone),
                ends_at=s["ends_at"].astimezone(zone),
                status=s["status"],
                **all_day_fields(s, zone),
            )
            for s in await _sessions_of(registration)
        ],
        expires_at=registration.expires_at.astimezone(zone) if registration.expires_at else None,
    )
