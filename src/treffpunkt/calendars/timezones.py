"""VTIMEZONE definitions in RRULE form.

icalendar's add_missing_timezones() writes an RDATE list, which ical.js and vobject
read an hour off in summer and Outlook mishandles (docs/calendars.md rule 16); the
rule form is read alike everywhere. Europe/Berlin has a fixed text, kept byte for
byte; every other zone's is derived from the zone database (see `rule_form`).
The definition is registered before anything else is added, so
add_missing_timezones() adds no duplicate.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone

EUROPE_BERLIN = "\r\n".join(
    [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
        "",
    ]
)

STATIC = {"Europe/Berlin": EUROPE_BERLIN}

# The years whose changes are written out: every date treffpunkt accepts lies in
# 2000–2100 (treffpunkt.schemas), and the year before gives the offset they start with.
FIRST_YEAR, LAST_YEAR = 1999, 2100
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def static_timezone(name: str) -> Timezone:
    """The VTIMEZONE of an IANA zone, in RRULE form."""
    return Timezone.from_ical(STATIC.get(name) or rule_form(name))  # type: ignore[return-value]


# --- the rule form of any zone --------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    at: datetime  # the instant, UTC
    before: timedelta
    after: timedelta
    name: str
    daylight: bool

    @property
    def onset(self) -> datetime:
        """The wall time at which it happens, on the clock before it (RFC 5545 §3.6.5)."""
        return (self.at + self.before).replace(tzinfo=None)

    def kind(self) -> tuple[object, ...]:
        onset = self.onset
        return (self.before, self.after, self.name, self.daylight, onset.month, onset.time())

    def weekday_rules(self) -> set[str]:
        """Every BYDAY/BYMONTHDAY form that names this day among its month's."""
        onset = self.onset
        day, weekday = onset.day, WEEKDAYS[onset.weekday()]
        length = calendar.monthrange(onset.year, onset.month)[1]
        rules = {f"BYDAY={(day - 1) // 7 + 1}{weekday}"} if day <= 28 else set()
        if day + 7 > length:
            rules.add(f"BYDAY=-1{weekday}")
        for first in range(max(1, day - 6), day + 1):  # "the weekday on or after `first`"
            days = ",".join(str(d) for d in range(first, first + 7))
            rules.add(f"BYMONTHDAY={days};BYDAY={weekday}")
        return rules


def _changes(zone: ZoneInfo) -> list[Change]:
    """Every change of offset from FIRST_YEAR to LAST_YEAR: day by day, then to the second."""
    start = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    changes, moment = [], start
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + timedelta(days=1)
        if following.astimezone(zone).utcoffset() != offset:
            low, high = moment, following  # the offset changes in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            at = high.replace(microsecond=0)
            local = at.astimezone(zone)
            after = local.utcoffset()
            assert offset is not None
            assert after is not None
            changes.append(Change(at, offset, after, local.tzname() or "", bool(local.dst())))
            offset = after
        moment = following
    return changes


def _preferred(rules: set[str]) -> str:
    """The plainest form: "2SU" before "-1SU" before a range of month days."""
    return min(rules, key=lambda rule: (rule.startswith("BYMONTHDAY"), "=-" in rule, rule))


def _offset(value: timedelta) -> str:
    minutes = int(value.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _component(first: Change, rrule: str | None) -> list[str]:
    kind = "DAYLIGHT" if first.daylight else "STANDARD"
    lines = [
        f"BEGIN:{kind}",
        f"TZOFFSETFROM:{_offset(first.before)}",
        f"TZOFFSETTO:{_offset(first.after)}",
        f"TZNAME:{first.name}",
        f"DTSTART:{first.onset:%Y%m%dT%H%M%S}",
    ]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    return [*lines, f"END:{kind}"]


@lru_cache(maxsize=64)
def rule_form(name: str) -> str:
    """The zone's VTIMEZONE: each run of yearly changes alike (same month, weekday rule
    and wall time, year after year) is one component with a yearly RRULE, ended by
    UNTIL when the zone's rules changed and open when it lasts to the end; a change
    that fits no run stands alone. A zone without changes has one component."""
    zone = ZoneInfo(name)
    changes = _changes(zone)
    first = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).astimezone(zone)
    offset = first.utcoffset()
    assert offset is not None
    # From 1970 on (as Berlin's): the offset the years start with.
    initial = Change(
        datetime(1970, 1, 1) - offset, offset, offset, first.tzname() or "", bool(first.dst())
    )
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    lines += _component(initial, None)
    by_kind: dict[tuple[object, ...], list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.kind(), []).append(change)
    runs: list[tuple[list[Change], set[str]]] = []
    for same in by_kind.values():
        run, rules = [same[0]], same[0].weekday_rules()
        for change in same[1:]:
            common = rules & change.weekday_rules()
            if change.onset.year == run[-1].onset.year + 1 and common:
                run.append(change)
                rules = common
            else:
                runs.append((run, rules))
                run, rules = [change], change.weekday_rules()
        runs.append((run, rules))
    for run, rules in sorted(runs, key=lambda item: item[0][0].at):
        rrule = None
        if len(run) > 1:
            parts = ["FREQ=YEARLY"]
            if run[-1].onset.year < LAST_YEAR:  # the zone's rules changed after it
                parts.append(f"UNTIL={run[-1].at:%Y%m%dT%H%M%SZ}")
            rrule = ";".join([*parts, f"BYMONTH={run[0].onset.month}", _preferred(rules)])
        lines += _component(run[0], rrule)
    return "\r\n".join([*lines, "END:VTIMEZONE", ""])
