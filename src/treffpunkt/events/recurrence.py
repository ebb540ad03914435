"""Series in local wall time, expanded to UTC instants.

A series is defined as a guide says it: "Tuesdays and Thursdays, 14:00 to 16:00,
until 31 March". Occurrences are computed in the municipality's wall time and only
then converted to UTC, so 14:00 stays 14:00 across the DST changes.

Expansion follows RFC 5545 as python-dateutil reads it (tests/events/test_recurrence.py
compares the two), but it is written here because dateutil cannot be bounded: it looks
for the next occurrence period after period up to the year 9999, so a rule that yields
nothing (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) took seconds and one with INTERVAL=0 never
ended. Here a series looks at the days of its allowed span (two years) and no others:
a few thousand days at most, whatever the rule, so no rule takes more than milliseconds.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

MAX_SPAN = timedelta(days=2 * 366)  # at most two years from the first date
MAX_SESSIONS = 800
MAX_INTERVAL = 366
ALLOWED_FREQ = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# What a series may say. BYHOUR/BYMINUTE/BYSECOND would give several sessions a day;
# UNTIL, COUNT and DTSTART have fields of their own; BYWEEKNO is left out (week numbers
# are not how people plan meetings, and calendar apps disagree on its corner cases).
ALLOWED_PARTS = frozenset(
    ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYYEARDAY", "BYSETPOS", "WKST")
)


class RuleError(ValueError):
    """The series cannot be expanded; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Occurrence:
    local_date: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


@dataclass(frozen=True)
class SeriesDefinition:
    rule: str  # an RRULE value without DTSTART/UNTIL/COUNT, e.g. FREQ=WEEKLY;BYDAY=TU,TH
    start_date: date
    start_time: time
    end_time: time
    until: date | None = None
    count: int | None = None
    extra_dates: tuple[date, ...] = ()
    excluded_dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class Rule:
    """An RRULE value, checked and parsed."""

    freq: str
    interval: int = 1
    weekdays: frozenset[int] = frozenset()  # BYDAY without ordinal: 0 = Monday
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()  # BYDAY=1MO, -1FR: (weekday, n)
    month_days: frozenset[int] = frozenset()  # BYMONTHDAY, negative from the month's end
    months: frozenset[int] = frozenset()
    year_days: frozenset[int] = frozenset()
    set_positions: tuple[int, ...] = ()
    week_start: int = 0


def _numbers(name: str, value: str, high: int, signed: bool = False) -> list[int]:
    """Numbers 1..high, or with `signed` also -high..-1 (counted from the end); only
    `signed` ones may carry a sign (RFC 5545 §3.3.10: INTERVAL and BYMONTH take digits)."""
    numbers = []
    for item in value.split(","):
        digits = item[1:] if signed and item[:1] in ("+", "-") else item
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 3:
            raise RuleError("rule", f"{name} takes numbers, not {item!r}")
        number = -int(digits) if item.startswith("-") else int(digits)
        if not (1 <= abs(number) <= high):
            span = f"±1 and ±{high}" if signed else f"1 and {high}"
            raise RuleError("rule", f"{name} values lie between {span}")
        numbers.append(number)
    return numbers


def _weekday(name: str, value: str) -> int:
    if value not in WEEKDAYS:
        raise RuleError("rule", f"{name}: {value!r} is not a weekday (MO … SU)")
    return WEEKDAYS.index(value)


def _parts(value: str) -> dict[str, str]:
    """NAME=VALUE parts, each at most once (§3.3.10), names and values in capitals
    (they are case-insensitive, §2). Nothing else: no spaces, no empty parts."""
    text = value.strip().upper().removeprefix("RRULE:")
    if any(character.isspace() for character in text):
        raise RuleError("rule", "a rule has no spaces, e.g. FREQ=WEEKLY;BYDAY=TU,TH")
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, equals, part_value = part.partition("=")
        if not equals or not part_value:
            raise RuleError("rule", f"{part!r} is not NAME=VALUE")
        if name in ("UNTIL", "COUNT"):
            raise RuleError(
                "rule", f"{name} is not part of the rule: give the series' {name.lower()}"
            )
        if name not in ALLOWED_PARTS:
            raise RuleError("rule", f"{name} is not allowed here")
        if name in parts:
            raise RuleError("rule", f"{name} is given twice")
        parts[name] = part_value
    return parts


def parse_rule(value: str) -> Rule:
    """Parse and check an RRULE value; RuleError (field "rule") names what is wrong.

    What passes has one meaning, and Rule.canonical() writes it one way."""
    parts = _parts(value)
    freq = parts.get("FREQ")
    if freq not in ALLOWED_FREQ:
        raise RuleError("rule", f"FREQ must be one of {', '.join(ALLOWED_FREQ)}")
    intervals = _numbers("INTERVAL", parts.get("INTERVAL", "1"), MAX_INTERVAL)
    if len(intervals) != 1:
        raise RuleError("rule", "INTERVAL is one number")
    weekdays, nth = set(), set()
    for item in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else ():
        day = _weekday("BYDAY", item[-2:])
        if len(item) == 2:
            weekdays.add(day)
            continue
        if freq not in ("MONTHLY", "YEARLY"):
            raise RuleError("rule", "BYDAY with a number (1MO) needs FREQ=MONTHLY or YEARLY")
        within_month = freq == "MONTHLY" or "BYMONTH" in parts
        [n] = _numbers("BYDAY", item[:-2], 5 if within_month else 53, signed=True)
        nth.add((day, n))
    if weekdays and nth:
        raise RuleError("rule", "BYDAY takes either weekdays (MO) or numbered ones (1MO)")
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise RuleError("rule", "BYMONTHDAY cannot be used with FREQ=WEEKLY")
    if "BYYEARDAY" in parts and freq != "YEARLY":
        raise RuleError("rule", "BYYEARDAY needs FREQ=YEARLY")
    if "BYSETPOS" in parts and len(parts.keys() - {"FREQ", "INTERVAL", "WKST", "BYSETPOS"}) == 0:
        raise RuleError("rule", "BYSETPOS needs another BY… part")
    return Rule(
        freq=freq,
        interval=intervals[0],
        weekdays=frozenset(weekdays),
        nth_weekdays=frozenset(nth),
        month_days=frozenset(_numbers("BYMONTHDAY", parts["BYMONTHDAY"], 31, signed=True))
        if "BYMONTHDAY" in parts
        else frozenset(),
        months=frozenset(_numbers("BYMONTH", parts["BYMONTH"], 12))
        if "BYMONTH" in parts
        else frozenset(),
        year_days=frozenset(_numbers("BYYEARDAY", parts["BYYEARDAY"], 366, signed=True))
        if "BYYEARDAY" in parts
        else frozenset(),
        set_positions=tuple(
            sorted(set(_numbers("BYSETPOS", parts["BYSETPOS"], 366, signed=True)), key=_order)
        )
        if "BYSETPOS" in parts
        else (),
        week_start=_weekday("WKST", parts["WKST"]) if "WKST" in parts else 0,
    )


def _order(number: int) -> tuple[bool, int]:
    """1, 2, … before -1, -2, …: from the start first, then from the end."""
    return (number < 0, abs(number))


def _numbers_text(numbers: frozenset[int] | tuple[int, ...]) -> str:
    return ",".join(str(number) for number in sorted(numbers, key=_order))


def canonical(rule: Rule) -> str:
    """The one way a rule is stored and written into calendars: parts in the order of
    RFC 5545's grammar (§3.3.10), which is also the order icalendar writes them in, each
    list sorted and without repeats, no sign on positive numbers, and no part that only
    says the default (INTERVAL=1, WKST=MO)."""
    parts = [f"FREQ={rule.freq}"]
    if rule.interval != 1:
        parts.append(f"INTERVAL={rule.interval}")
    if rule.weekdays:
        parts.append("BYDAY=" + ",".join(WEEKDAYS[day] for day in sorted(rule.weekdays)))
    if rule.nth_weekdays:
        ordered = sorted(rule.nth_weekdays, key=lambda item: (*_order(item[1]), item[0]))
        parts.append("BYDAY=" + ",".join(f"{n}{WEEKDAYS[day]}" for day, n in ordered))
    for name, numbers in (
        ("BYMONTHDAY", rule.month_days),
        ("BYYEARDAY", rule.year_days),
        ("BYMONTH", rule.months),
        ("BYSETPOS", rule.set_positions),
    ):
        if numbers:
            parts.append(f"{name}={_numbers_text(numbers)}")
    if rule.week_start != 0:
        parts.append(f"WKST={WEEKDAYS[rule.week_start]}")
    return ";".join(parts)


def check_rule(rule: str) -> str:
    """A rule in its canonical form; RuleError if a series may not use it."""
    return canonical(parse_rule(rule))


# --- which days a rule gives -------------------------------------------------------------


def _with_defaults(rule: Rule, first: date) -> Rule:
    """Parts a rule leaves out come from its first date, as RFC 5545 and dateutil say:
    FREQ=MONTHLY alone repeats the first date's day of the month, and so on."""
    if rule.weekdays or rule.nth_weekdays or rule.month_days or rule.year_days:
        return rule
    if rule.freq == "YEARLY":
        months = rule.months or frozenset({first.month})
        return replace(rule, months=months, month_days=frozenset({first.day}))
    if rule.freq == "MONTHLY":
        return replace(rule, month_days=frozenset({first.day}))
    if rule.freq == "WEEKLY":
        return replace(rule, weekdays=frozenset({first.weekday()}))
    return rule


def _week_start(day: date, week_start: int) -> date:
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def _period(rule: Rule, first: date, day: date) -> int:
    """The number of the FREQ period `day` lies in, counted from the first date's."""
    if rule.freq == "YEARLY":
        return day.year - first.year
    if rule.freq == "MONTHLY":
        return (day.year - first.year) * 12 + day.month - first.month
    if rule.freq == "WEEKLY":
        return (_week_start(day, rule.week_start) - _week_start(first, rule.week_start)).days // 7
    return (day - first).days


def _scan_bounds(rule: Rule, first: date, last: date) -> tuple[date, date]:
    """The whole periods from the first date's to the last date's (BYSETPOS counts within
    whole periods; a weekly one starts at the first date, as in dateutil)."""
    if rule.freq == "YEARLY":
        return date(first.year, 1, 1), date(last.year, 12, 31)
    if rule.freq == "MONTHLY":
        month_end = calendar.monthrange(last.year, last.month)[1]
        return first.replace(day=1), last.replace(day=month_end)
    if rule.freq == "WEEKLY":
        return first, _week_start(last, rule.week_start) + timedelta(days=6)
    return first, last


def _matches(rule: Rule, day: date) -> bool:
    if rule.months and day.month not in rule.months:
        return False
    if rule.weekdays and day.weekday() not in rule.weekdays:
        return False
    if rule.nth_weekdays:
        if rule.freq == "MONTHLY" or rule.months:  # counted within the month
            position, length = day.day, calendar.monthrange(day.year, day.month)[1]
        else:  # within the year
            position, length = day.timetuple().tm_yday, 365 + calendar.isleap(day.year)
        numbers = {(position - 1) // 7 + 1, -((length - position) // 7 + 1)}
        if not any((day.weekday(), n) in rule.nth_weekdays for n in numbers):
            return False
    if rule.month_days:
        length = calendar.monthrange(day.year, day.month)[1]
        if day.day not in rule.month_days and day.day - length - 1 not in rule.month_days:
            return False
    if rule.year_days:
        position, length = day.timetuple().tm_yday, 365 + calendar.isleap(day.year)
        if position not in rule.year_days and position - length - 1 not in rule.year_days:
            return False
    return True


def rule_dates(rule: Rule, first: date, last: date) -> Iterator[date]:
    """The rule's dates from `first` (the series' first date) to `last`, in order; only
    the days of the periods between them are looked at."""
    rule = _with_defaults(rule, first)
    scan_from, scan_to = _scan_bounds(rule, first, last)
    days = (scan_from + timedelta(days=n) for n in range((scan_to - scan_from).days + 1))
    for period, period_days in groupby(days, key=lambda day: _period(rule, first, day)):
        if period % rule.interval:
            continue
        chosen = [day for day in period_days if _matches(rule, day)]
        if rule.set_positions:
            chosen = sorted(
                {
                    chosen[position - 1 if position > 0 else position]
                    for position in rule.set_positions
                    if -len(chosen) <= position <= len(chosen) and position != 0
                }
            )
        yield from (day for day in chosen if first <= day <= last)


def expand(
    series: SeriesDefinition, zone: ZoneInfo, wall_times_must_exist: bool = True
) -> list[Occurrence]:
    """Every occurrence of the series, sorted, in UTC; RuleError if none or too many, or
    if its times fall into a clock change. Calendars of a stored series pass False for
    `wall_times_must_exist`: a series saved before that check was made must still render."""
    if series.end_time <= series.start_time:
        raise RuleError("end_time", "must be after start_time")
    if (series.until is None) == (series.count is None):
        raise RuleError("until", "give either until or count")
    rule = parse_rule(series.rule)
    if (series.count or 0) > MAX_SESSIONS:
        raise RuleError("count", f"the series has more than {MAX_SESSIONS} sessions")
    horizon = series.start_date + MAX_SPAN
    if series.until is not None:
        if series.until < series.start_date:
            raise RuleError("until", "must not be before start_date")
        if series.until > horizon:
            raise RuleError("until", "a series may reach at most two years ahead")
        dates = set(rule_dates(rule, series.start_date, series.until))
    else:
        found = list(rule_dates(rule, series.start_date, horizon))
        if found and len(found) < (series.count or 0):
            raise RuleError("count", "the series would reach more than two years ahead")
        dates = set(found[: series.count])
    if not dates and not series.extra_dates:
        raise RuleError("rule", "the rule gives no date in the series' span")
    for day in sorted(dates | set(series.extra_dates)) if wall_times_must_exist else ():
        _check_wall_time("start_time", day, series.start_time, zone)
        _check_wall_time("end_time", day, series.end_time, zone)
    dates |= set(series.extra_dates)
    dates -= set(series.excluded_dates)
    if not dates:
        raise RuleError("excluded_dates", "the series has no session left")
    if len(dates) > MAX_SESSIONS:  # the rule alone gives fewer (two years, one a day)
        raise RuleError("extra_dates", f"the series has more than {MAX_SESSIONS} sessions")
    if max(dates) > horizon or min(dates) < series.start_date - MAX_SPAN:
        raise RuleError("extra_dates", "a series may reach at most two years ahead")
    return [_occurrence(day, series.start_time, series.end_time, zone) for day in sorted(dates)]


# --- clock changes -------------------------------------------------------------------------


def missing(local: datetime) -> bool:
    """The wall time does not exist: the clocks jump over it (spring forward)."""
    there_and_back = local.astimezone(UTC).astimezone(local.tzinfo)
    return there_and_back.replace(tzinfo=None) != local.replace(tzinfo=None)


def ambiguous(local: datetime) -> bool:
    """The wall time happens twice: the clocks go back over it (autumn)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _check_wall_time(field: str, day: date, wall: time, zone: ZoneInfo) -> None:
    """A series' time must happen exactly once on each of its dates (docs/calendars.md,
    rule 18a): calendar apps do not agree when a wall time the clocks skip or repeat
    is, so no answer we could give would be the one every calendar shows. The rule's
    dates are checked even where excluded: the RRULE still names them."""
    local = datetime.combine(day, wall, tzinfo=zone)
    if missing(local):
        raise RuleError(
            field,
            f"{wall:%H:%M} does not exist on {day} in {zone.key}: the clocks go forward"
            " over it; choose another time",
        )
    if ambiguous(local):
        raise RuleError(
            field,
            f"{wall:%H:%M} happens twice on {day} in {zone.key}: the clocks go back"
            " over it; choose another time",
        )


def _occurrence(day: date, start: time, end: time, zone: ZoneInfo) -> Occurrence:
    return Occurrence(
        local_date=day,
        starts_at=datetime.combine(day, start, tzinfo=zone).astimezone(UTC),
        ends_at=datetime.combine(day, end, tzinfo=zone).astimezone(UTC),
    )
