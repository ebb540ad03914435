"""The guide's week: the coming sessions of a municipality with how full each is, who
waits, who has not confirmed, what people need, and what looks wrong.

Three queries whatever the number of sessions: the municipality, the sessions with
their events and venues (the counters live on those rows), and the registrations
that say something (unconfirmed, or with a need).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt.events.service import all_day_fields, local_day_bounds
from treffpunkt.events.tables import EventStatus, RegistrationMode, Session, SessionStatus
from treffpunkt.i18n import translated
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.registrations.tables import HOLDING, Registration, RegistrationStatus

MAX_DAYS = 56  # "more": up to eight weeks
# A waitlist this long, or this share of the capacity, on a full session is worth a look
# (a second date, a bigger room).
LONG_WAITLIST = 5
LONG_WAITLIST_SHARE = 0.25


class WeekWarning(StrEnum):
    no_venue = "no_venue"  # neither a venue nor an online address
    long_waitlist = "long_waitlist"  # full, and many wait
    nobody_tomorrow = "nobody_tomorrow"  # tomorrow, and not one registration
    unpublished = "unpublished"  # still a draft, days before
    registration_not_open = "registration_not_open"  # the window opens later still


@dataclass(frozen=True)
class WeekSession:
    id: int
    event_id: int
    title: str
    title_locale: str
    starts_at: datetime  # in the municipality's zone
    ends_at: datetime
    all_day: bool
    first_day: date | None
    last_day: date | None
    cancelled: bool
    event_status: str
    registration_mode: str
    course: bool  # places count for the whole course (the event's counters)
    venue: str | None
    online: bool
    capacity: int | None
    seats_taken: int
    waiting: int
    pending: int  # unconfirmed registrations
    interpretation: dict[str, int] = field(default_factory=dict)  # language → people
    accessibility: int = 0  # people who wrote an accessibility need
    warnings: list[WeekWarning] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.seats_taken >= self.capacity

    @property
    def with_registration(self) -> bool:
        return self.registration_mode != RegistrationMode.none


@dataclass(frozen=True)
class Week:
    municipality: Municipality
    starts: datetime
    ends: datetime
    days: int
    sessions: list[WeekSession]

    @property
    def warnings(self) -> int:
        return sum(len(s.warnings) for s in self.sessions)


def _long_waitlist(capacity: int | None, waiting: int) -> bool:
    if not capacity or waiting == 0:
        return False
    return waiting >= LONG_WAITLIST or waiting >= capacity * LONG_WAITLIST_SHARE


async def coming_sessions(
    municipality_id: int, locale: str, days: int = 7, at: datetime | None = None
) -> Week:
    """Sessions from now until `days` later (drafts too: a warning says so), in time
    order, each with its figures and warnings; titles in `locale` where there is one."""
    at = at or datetime.now(UTC)
    days = max(1, min(days, MAX_DAYS))
    municipality = await Municipality.objects().where(Municipality.id == municipality_id).first()
    assert municipality is not None
    zone = ZoneInfo(municipality.time_zone)
    today = at.astimezone(zone).date()
    until = local_day_bounds(today + timedelta(days=days + 1), zone)
    tomorrow = today + timedelta(days=1)
    rows = (
        await Session.select(
            Session.id,
            Session.event,
            Session.starts_at,
            Session.ends_at,
            Session.all_day,
            Session.status,
            Session.capacity,
            Session.seats_taken,
            Session.waiting,
            Session.event.texts.as_alias("texts"),
            Session.event.status.as_alias("event_status"),
            Session.event.registration_mode.as_alias("mode"),
            Session.event.registration_opens_at.as_alias("opens_at"),
            Session.event.online_url.as_alias("online_url"),
            Session.event.capacity.as_alias("course_capacity"),
            Session.event.seats_taken.as_alias("course_taken"),
            Session.event.waiting.as_alias("course_waiting"),
            Session.event.venue.name.as_alias("venue_name"),  # type: ignore[union-attr]
        )
        .where(
            (Session.municipality == municipality_id)
            & (Session.ends_at > at)
            & (Session.starts_at < until)
            & (Session.event.status != EventStatus.cancelled)
        )
        .order_by(Session.starts_at)
        .order_by(Session.id)
        .output(load_json=True)
    )
    needs = await _needs(
        [r["id"] for r in rows],
        sorted({r["event"] for r in rows if r["mode"] == RegistrationMode.whole_event}),
    )
    default = municipality.default_locale
    sessions = []
    for row in rows:
        course = row["mode"] == RegistrationMode.whole_event
        key = ("event", row["event"]) if course else ("session", row["id"])
        said = needs.get(key, _Needs())
        capacity = row["course_capacity"] if course else row["capacity"]
        taken = row["course_taken"] if course else row["seats_taken"]
        waiting = row["course_waiting"] if course else row["waiting"]
        title_locale, texts = translated(row["texts"], locale, default)
        starts_at = row["starts_at"].astimezone(zone)
        cancelled = row["status"] == SessionStatus.cancelled
        warnings: list[WeekWarning] = []
        if not cancelled:
            if row["venue_name"] is None and not row["online_url"]:
                warnings.append(WeekWarning.no_venue)
            if capacity is not None and taken >= capacity and _long_waitlist(capacity, waiting):
                warnings.append(WeekWarning.long_waitlist)
            if (
                row["mode"] != RegistrationMode.none
                and starts_at.date() == tomorrow
                and taken + waiting == 0
            ):
                warnings.append(WeekWarning.nobody_tomorrow)
            if row["event_status"] == EventStatus.draft:
                warnings.append(WeekWarning.unpublished)
            elif (
                row["mode"] != RegistrationMode.none
                and row["opens_at"] is not None
                and row["opens_at"] > at
            ):
                warnings.append(WeekWarning.registration_not_open)
        sessions.append(
            WeekSession(
                id=row["id"],
                event_id=row["event"],
                title=texts.get("title", ""),
                title_locale=title_locale,
                starts_at=starts_at,
                ends_at=row["ends_at"].astimezone(zone),
                **all_day_fields(row, zone),
                cancelled=cancelled,
                event_status=row["event_status"],
                registration_mode=row["mode"],
                course=course,
                venue=row["venue_name"],
                online=bool(row["online_url"]),
                capacity=capacity,
                seats_taken=taken,
                waiting=waiting,
                pending=said.pending,
                interpretation=dict(sorted(said.interpretation.items())),
                accessibility=said.accessibility,
                warnings=warnings,
            )
        )
    return Week(
        municipality=municipality,
        starts=at.astimezone(zone),
        ends=until.astimezone(zone),
        days=days,
        sessions=sessions,
    )


@dataclass
class _Needs:
    pending: int = 0
    interpretation: Counter[str] = field(default_factory=Counter)
    accessibility: int = 0


async def _needs(session_ids: list[int], course_ids: list[int]) -> dict[tuple[str, int], _Needs]:
    """Unconfirmed registrations and needs of people holding a place, per target, in
    one query that reads only the registrations that say something."""
    if not session_ids and not course_ids:
        return {}
    of_targets = Registration.session.is_in(session_ids or [-1]) | (
        Registration.event.is_in(course_ids or [-1]) & Registration.session.is_null()
    )
    rows: list[dict[str, Any]] = await Registration.select(
        Registration.event,
        Registration.session,
        Registration.status,
        Registration.needs_interpretation,
        Registration.needs_accessibility,
    ).where(
        of_targets
        & Registration.status.is_in(list(HOLDING))
        & (
            (Registration.status == RegistrationStatus.pending)
            | Registration.needs_interpretation.is_not_null()
            | Registration.needs_accessibility.is_not_null()
        )
    )
    found: dict[tuple[str, int], _Needs] = {}
    for row in rows:
        key = ("session", row["session"]) if row["session"] is not None else ("event", row["event"])
        needs = found.setdefault(key, _Needs())
        if row["status"] == RegistrationStatus.pending:
            needs.pending += 1
        if row["needs_interpretation"]:
            needs.interpretation[row["needs_interpretation"]] += 1
        if row["needs_accessibility"]:
            needs.accessibility += 1
    return found
