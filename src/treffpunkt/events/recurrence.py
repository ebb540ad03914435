"""Series in local wall time, expanded to UTC instants with python-dateutil.

A series is defined as a guide says it: "Tuesdays and Thursdays, 14:00 to 16:00,
until 31 March". Occurrences are computed in the municipality's wall time and only
then converted to UTC, so 14:00 stays 14:00 across the DST changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

MAX_SPAN = timedelta(days=2 * 366)  # at most two years from the first date
MAX_SESSIONS = 800
ALLOWED_FREQ = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Parts that would give several sessions a day, or that belong in separate fields.
FORBIDDEN_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND", "UNTIL", "COUNT", "DTSTART")


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


def check_rule(rule: str) -> str:
    """Normalise an RRULE value, rejecting parts a series may not use."""
    value = rule.strip().removeprefix("RRULE:").upper()
    parts = dict(part.split("=", 1) for part in value.split(";") if "=" in part)
    if parts.get("FREQ") not in ALLOWED_FREQ:
        raise RuleError("rule", f"FREQ must be one of {', '.join(ALLOWED_FREQ)}")
    for name in FORBIDDEN_PARTS:
        if name in parts:
            raise RuleError("rule", f"{name} is not allowed here")
    try:
        rrulestr(f"RRULE:{value}", dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as error:
        raise RuleError("rule", f"not a valid RRULE: {error}") from None
    return value


def expand(series: SeriesDefinition, zone: ZoneInfo) -> list[Occurrence]:
    """Every occurrence of the series, sorted, in UTC; RuleError if none or too many."""
    if series.end_time <= series.start_time:
        raise RuleError("end_time", "must be after start_time")
    if (series.until is None) == (series.count is None):
        raise RuleError("until", "give either until or count")
    first = datetime.combine(series.start_date, series.start_time)
    horizon = first + MAX_SPAN
    rule = check_rule(series.rule)
    if series.until is not None:
        if series.until < series.start_date:
            raise RuleError("until", "must not be before start_date")
        if datetime.combine(series.until, time.max) > horizon:
            raise RuleError("until", "a series may reach at most two years ahead")
        rule += f";UNTIL={series.until:%Y%m%d}T235959"
    else:
        rule += f";COUNT={series.count}"
    dates = {
        start.date()
        for start in rrulestr(f"RRULE:{rule}", dtstart=first, cache=False).xafter(
            first - timedelta(seconds=1), count=MAX_SESSIONS + 1, inc=True
        )
    }
    dates |= set(series.extra_dates)
    dates -= set(series.excluded_dates)
    if not dates:
        raise RuleError("rule", "the series has no session")
    if len(dates) > MAX_SESSIONS:
        raise RuleError("rule", f"the series has more than {MAX_SESSIONS} sessions")
    if max(dates) > horizon.date():
        raise RuleError("rule", "a series may reach at most two years ahead")
    return [_occurrence(day, series.start_time, series.end_time, zone) for day in sorted(dates)]


def _occurrence(day: date, start: time, end: time, zone: ZoneInfo) -> Occurrence:
    return Occurrence(
        local_date=day,
        starts_at=datetime.combine(day, start, tzinfo=zone).astimezone(UTC),
        ends_at=datetime.combine(day, end, tzinfo=zone).astimezone(UTC),
    )
