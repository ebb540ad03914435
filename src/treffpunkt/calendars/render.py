"""Events as RFC 5545 components, following docs/calendars.md rule by rule.

Pure functions: the same data gives the same bytes (rule 6), so feeds can be cached
and answered with strong ETags. A series is written once: a master VEVENT with the
rule in local time (rules 17–18), EXDATE where a date has no session, and one
override per moved or cancelled session, with the master's UID and RECURRENCE-ID
equal to the original start. Sessions outside the rule are single VEVENTs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, vCalAddress, vCategory, vDuration, vRecur, vText
from icalendar import Event as VEvent

from treffpunkt import __version__
from treffpunkt.calendars.timezones import static_timezone
from treffpunkt.events.recurrence import (
    Occurrence,
    SeriesDefinition,
    ambiguous,
    check_rule,
    expand,
)
from treffpunkt.translations import languages_named_in

PRODID = f"-//treffpunkt//treffpunkt {__version__}//DE"
REFRESH = timedelta(hours=6)


@dataclass(frozen=True)
class CalendarSession:
    id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    occurrence_start: datetime | None
    revision: int
    updated_at: datetime
    all_day: bool = False  # from local midnight to midnight: DATE values (rule 13)


@dataclass(frozen=True)
class CalendarEvent:
    id: int
    kind: str
    status: str
    title: str
    summary: str
    description: str
    languages: tuple[str, ...]
    interpretation: bool
    tags: tuple[str, ...]
    location: str | None
    url: str
    revision: int
    updated_at: datetime
    series: dict[str, Any] | None
    locale: str = "de"  # the language of title and texts
    sessions: tuple[CalendarSession, ...] = field(default_factory=tuple)


def uid(kind: str, number: int, host: str) -> str:
    """Stable identifiers, the same in feeds, downloads and mails (rule 10)."""
    return f"treffpunkt-{kind}-{number}@{host}"


CONFIRMED, TENTATIVE, CANCELLED = "CONFIRMED", "TENTATIVE", "CANCELLED"


def _status(*statuses: str, held: str = CONFIRMED) -> str:
    """CANCELLED when the event or session is; otherwise how the place is held."""
    return CANCELLED if "cancelled" in statuses else held


def _description(event: CalendarEvent, locale: str) -> str:
    names = languages_named_in(locale)
    parts = [text for text in (event.summary, event.description) if text]
    if event.languages:
        spoken = ", ".join(names.get(code, code) for code in event.languages)
        parts.append(f"{_LANGUAGES.get(locale, _LANGUAGES['de'])}: {spoken}")
    if event.interpretation:
        parts.append(_INTERPRETATION.get(locale, _INTERPRETATION["de"]))
    parts.append(event.url)
    return "\n\n".join(parts)


_INTERPRETATION = {
    "de": "Dolmetschen wird angeboten.",
    "en": "Interpretation is offered.",
    "uk": "Надається усний переклад.",
    "ar": "تتوفر ترجمة فورية.",
    "tr": "Sözlü tercüme sunulur.",
    "fa": "ترجمهٔ شفاهی ارائه می‌شود.",
}
_LANGUAGES = {
    "de": "Sprachen",
    "en": "Languages",
    "uk": "Мови",
    "ar": "اللغات",
    "tr": "Diller",
    "fa": "زبان‌ها",
}


def _common(component: VEvent, event: CalendarEvent, locale: str, changed: datetime) -> None:
    component.add("dtstamp", changed.astimezone(UTC))
    component.add("last-modified", changed.astimezone(UTC))
    component.add("summary", event.title)
    component.add("description", _description(event, locale))
    if event.location:
        component.add("location", event.location)
    component.add("url", event.url)
    component.add("categories", vCategory([event.kind, *event.tags]))


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def _when(moment: datetime, zone: ZoneInfo) -> datetime:
    """A session's start or end: in local time, unless that wall time happens twice
    (the autumn change), which parsers read differently; then in UTC (rule 14a).
    Series times never are (events.recurrence refuses them)."""
    local = moment.astimezone(zone)
    return moment.astimezone(UTC) if ambiguous(local) else local


def _instance(
    event: CalendarEvent,
    session: CalendarSession,
    zone: ZoneInfo,
    host: str,
    held: str,
    recurrence_id: datetime | None = None,
) -> VEvent:
    """One session: a single VEVENT, or with `recurrence_id` an instance of the series."""
    component = VEvent()
    if recurrence_id is None:
        component.add("uid", uid("session", session.id, host))
    else:
        component.add("uid", uid("event", event.id, host))
        component.add("recurrence-id", _local(recurrence_id, zone))
    if session.all_day:  # DATE values, the end exclusive, no TZID (rule 13)
        component.add("dtstart", _local(session.starts_at, zone).date())
        component.add("dtend", _local(session.ends_at, zone).date())
    else:
        component.add("dtstart", _when(session.starts_at, zone))
        component.add("dtend", _when(session.ends_at, zone))
    component.add("sequence", event.revision + session.revision)
    component.add("status", _status(event.status, session.status, held=held))
    _common(component, event, event.locale, max(event.updated_at, session.updated_at))
    return component


def _rule_value(series: dict[str, Any], zone: ZoneInfo) -> vRecur:
    # The canonical form, whatever a row from before it says (events.recurrence.canonical).
    rule = vRecur.from_ical(check_rule(series["rule"]))
    if series.get("count"):
        rule["COUNT"] = [series["count"]]
    else:
        # With a TZID start, UNTIL is given in UTC (RFC 5545 §3.3.10).
        until = date.fromisoformat(series["until"])
        last = datetime.combine(until, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
        rule["UNTIL"] = [last]
    return rule


def _occurrences(event: CalendarEvent, zone: ZoneInfo) -> list[Occurrence]:
    series = event.series
    if not series:
        return []
    return expand(
        SeriesDefinition(
            rule=series["rule"],
            start_date=date.fromisoformat(series["start_date"]),
            start_time=time.fromisoformat(series["start_time"]),
            end_time=time.fromisoformat(series["end_time"]),
            until=date.fromisoformat(series["until"]) if series.get("until") else None,
            count=series.get("count"),
        ),
        zone,
        wall_times_must_exist=False,  # checked when it was saved (rule 18a)
    )


def calendar_objects(
    event: CalendarEvent, zone_name: str
) -> dict[int, tuple[str, datetime | None]]:
    """The calendar object each session belongs to, by its UID without the host
    ("event-17": the series; "session-42": a session of its own), and its
    RECURRENCE-ID within the series (None for a session of its own)."""
    in_rule = {o.starts_at for o in _occurrences(event, ZoneInfo(zone_name))}
    return {
        s.id: (f"event-{event.id}", s.occurrence_start)
        if s.occurrence_start in in_rule
        else (f"session-{s.id}", None)
        for s in event.sessions
    }


def full_uid(key: str, host: str) -> str:
    """The UID of a calendar_objects() key, as feeds write it (rule 10)."""
    return f"treffpunkt-{key}@{host}"


def occurrence_component(
    event: CalendarEvent,
    session_id: int,
    zone_name: str,
    host: str,
    recurrence_id: datetime | None,
) -> VEvent:
    """One session as a mail names it: with `recurrence_id` as that instance of the
    series (the master's UID), else as the session's own VEVENT (rules 10, 22)."""
    [session] = [s for s in event.sessions if s.id == session_id]
    return _instance(event, session, ZoneInfo(zone_name), host, CONFIRMED, recurrence_id)


def event_components(
    event: CalendarEvent, zone_name: str, host: str, held: Mapping[int, str] | None = None
) -> list[VEvent]:
    """The VEVENTs of one event, in a stable order.

    `held` narrows them to the sessions a person holds (session id → CONFIRMED or
    TENTATIVE) for a personal feed: the series keeps its UID and rule, and the
    occurrences the person does not hold become EXDATEs.
    """
    zone = ZoneInfo(zone_name)
    sessions = [s for s in event.sessions if held is None or s.id in held]
    status_of = {s.id: (held or {}).get(s.id, CONFIRMED) for s in sessions}
    occurrences = _occurrences(event, zone)
    by_start = {o.starts_at: o for o in occurrences}
    in_rule = {s.occurrence_start: s for s in sessions if s.occurrence_start in by_start}
    components = []
    if in_rule:
        first = occurrences[0]
        master = VEvent()
        master.add("uid", uid("event", event.id, host))
        master.add("dtstart", _local(first.starts_at, zone))
        master.add("dtend", _local(first.ends_at, zone))
        master.add("rrule", _rule_value(event.series or {}, zone))
        missing = [_local(o.starts_at, zone) for o in occurrences if o.starts_at not in in_rule]
        if missing:
            master.add("exdate", missing)
        master.add("sequence", event.revision)
        master.add("status", _status(event.status))
        stamps = [event.updated_at, *(s.updated_at for s in in_rule.values())]
        _common(master, event, event.locale, max(stamps))
        components.append(master)
    for start in sorted(in_rule):
        session, occurrence = in_rule[start], by_start[start]
        moved = (session.starts_at, session.ends_at) != (occurrence.starts_at, occurrence.ends_at)
        if not moved and session.status != "cancelled" and status_of[session.id] == CONFIRMED:
            continue  # an ordinary instance of the rule
        components.append(
            _instance(event, session, zone, host, status_of[session.id], occurrence.starts_at)
        )
    components += [
        _instance(event, s, zone, host, status_of[s.id])
        for s in sessions
        if s.occurrence_start not in by_start
    ]
    return components


def serialise(components: list[VEvent]) -> bytes:
    return b"".join(component.to_ical() for component in components)


def _add_timezone(shell: Calendar, zone_name: str) -> None:
    """The one VTIMEZONE of the municipality's zone, before the events (rule 15)."""
    shell.add_component(static_timezone(zone_name))


def _shell() -> Calendar:
    shell = Calendar()
    shell.add("prodid", PRODID)
    shell.add("version", "2.0")
    shell.add("calscale", "GREGORIAN")
    return shell


def calendar(name: str, description: str, zone_name: str, event_blocks: list[bytes]) -> bytes:
    """A whole VCALENDAR around already serialised events: header, VTIMEZONE, events.

    No METHOD: this is a feed or a download, not a message (rule 4).
    """
    shell = _shell()
    shell.add("name", vText(name))
    shell.add("x-wr-calname", vText(name))
    shell.add("description", vText(description))
    shell.add("x-wr-caldesc", vText(description))
    shell.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    shell.add("x-published-ttl", vDuration(REFRESH))
    _add_timezone(shell, zone_name)
    head, _, tail = shell.to_ical().rpartition(b"END:VCALENDAR\r\n")
    return head + b"".join(event_blocks) + b"END:VCALENDAR\r\n" + tail


@dataclass(frozen=True)
class Mailbox:
    name: str | None
    email: str


def message_calendar(
    method: str,
    components: list[VEvent],
    zone_name: str,
    organizer: Mailbox,
    attendee: Mailbox,
) -> bytes:
    """An iTIP message for one recipient (rules 19–22): METHOD, and on every component
    the municipality as ORGANIZER and the recipient as the one ATTENDEE.

    The recipient already holds the place, so the invitation arrives accepted and
    asks for no reply.
    """
    shell = _shell()
    shell.add("method", method)
    _add_timezone(shell, zone_name)
    for component in components:
        component.add("organizer", vCalAddress.new(organizer.email, cn=organizer.name))
        component.add(
            "attendee",
            vCalAddress.new(
                attendee.email,
                cn=attendee.name,
                role="REQ-PARTICIPANT",
                partstat=None if method == "CANCEL" else "ACCEPTED",
                rsvp=False,
            ),
        )
        shell.add_component(component)
    return shell.to_ical()
