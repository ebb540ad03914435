"""A series in plain words: the guide's form and the SeriesRule it stands for, the
sentence that says a rule in the reader's language, and the preview of its dates.

The form asks as a guide plans ("Tuesdays and Thursdays", "every second Wednesday",
"the first Monday of the month"); `rule_of_form` turns it into the API's SeriesRule
(the one the service checks and stores), `form_of_rule` back, so the form always
shows what is stored. A rule the form cannot say (made through the API, e.g.
FREQ=MONTHLY;BYMONTHDAY=15) is shown and edited as its RRULE text.

The preview expands the rule as the service will (events.recurrence.expand), marks
where the clocks change between two dates (the time stays the local one), and names
the dates the service refuses (a time the clocks skip or repeat that night).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_day_names
from babel.lists import format_list
from pydantic import ValidationError

from treffpunkt.events.recurrence import (
    WEEKDAYS,
    Rule,
    RuleError,
    SeriesDefinition,
    ambiguous,
    canonical,
    expand,
    missing,
    parse_rule,
)
from treffpunkt.events.schemas import SeriesRule
from treffpunkt.translations import N_, translator

PATTERNS = ("weekly", "monthly", "custom")
INTERVALS = (1, 2, 3, 4)
POSITIONS = (1, 2, 3, 4, -1)
PREVIEW_LIMIT = 60  # dates shown; the preview says how many more there are
MAX_DATES_TEXT = 4000  # characters of a field of extra or excluded dates

FIELDS = (
    *("pattern", "weekdays", "interval", "position", "month_weekday", "rule"),
    *("start_date", "start_time", "end_time", "ends", "until", "count"),
    *("extra_dates", "excluded_dates"),
)

# What each field's error says, whatever rule failed (the service's own words are
# English and technical; a guide reads these).
MESSAGES = {
    "pattern": N_("Choose how the dates repeat."),
    "weekdays": N_("Tick at least one weekday."),
    "interval": N_("Choose how many weeks lie between the dates."),
    "position": N_("Choose which week of the month."),
    "month_weekday": N_("Choose a weekday."),
    "rule": N_("The rule cannot be used; for example FREQ=WEEKLY;BYDAY=TU,TH."),
    "start_date": N_("Enter the first date, for example 2027-01-07."),
    "start_time": N_("Enter the start time, for example 18:00."),
    "end_time": N_("Enter an end time after the start time, for example 20:00."),
    "ends": N_("Choose whether the series ends on a date or after a number of dates."),
    "until": N_("Enter the last date, on or after the first date and at most two years later."),
    "count": N_("Enter how many dates, between 1 and 800 within two years."),
    "extra_dates": N_("Enter dates as 2027-01-07 or 7.1.2027, one per line."),
    "excluded_dates": N_("Enter dates as 2027-01-07 or 7.1.2027, one per line."),
}
EMPTY_SERIES = N_("The series gives no date. Check the weekdays, the first and the last date.")
NOTHING_LEFT = N_("Every date of the series is excluded.")
TOO_MANY = N_("The series has too many dates: at most 800, within two years.")
SKIPPED_TIME = N_(
    "%(time)s does not exist on %(date)s: the clocks go forward over it. Choose another time."
)
REPEATED_TIME = N_(
    "%(time)s happens twice on %(date)s: the clocks go back over it. Choose another time."
)

_DATE_SPLIT = re.compile(r"[\s,;]+")
_GERMAN_DATE = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")


def weekday_names(locale: str) -> dict[str, str]:
    """MO … SU → the weekday's name in `locale` ("Dienstag", "الثلاثاء")."""
    names = get_day_names("wide", context="stand-alone", locale=locale)
    return {code: str(names[index]) for index, code in enumerate(WEEKDAYS)}


# --- form → rule ------------------------------------------------------------------------


def _dates(text: str) -> list[date] | None:
    """Dates from a field: ISO (2027-01-07) or German (7.1.2027), split by lines,
    spaces, commas or semicolons; None if one is not a date."""
    found = []
    for item in _DATE_SPLIT.split(text.strip()):
        if not item:
            continue
        german = _GERMAN_DATE.fullmatch(item)
        try:
            if german:
                day, month, year = (int(part) for part in german.groups())
                found.append(date(year, month, day))
            elif re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", item):
                found.append(date.fromisoformat(item))
            else:
                return None
        except ValueError:
            return None
    return sorted(set(found))


def _one_of(value: str, allowed: tuple[Any, ...]) -> Any:
    for option in allowed:
        if value == str(option):
            return option
    return None


def rule_text(form: Mapping[str, Any]) -> tuple[str | None, set[str]]:
    """The RRULE value the form's pattern says, or the fields at fault."""
    pattern = form.get("pattern", "")
    if pattern == "weekly":
        days = [d for d in WEEKDAYS if d in form.get("weekdays", [])]
        interval = _one_of(str(form.get("interval", "")), INTERVALS)
        failed = ({"weekdays"} if not days else set()) | ({"interval"} if not interval else set())
        if failed:
            return None, failed
        every = f";INTERVAL={interval}" if interval != 1 else ""
        return f"FREQ=WEEKLY{every};BYDAY={','.join(days)}", set()
    if pattern == "monthly":
        position = _one_of(str(form.get("position", "")), POSITIONS)
        weekday = _one_of(str(form.get("month_weekday", "")), WEEKDAYS)
        failed = {"position"} if position is None else set()
        failed |= {"month_weekday"} if weekday is None else set()
        if failed:
            return None, failed
        return f"FREQ=MONTHLY;BYDAY={position}{weekday}", set()
    if pattern == "custom":
        text = str(form.get("rule", "")).strip()
        return (text, set()) if text else (None, {"rule"})
    return None, {"pattern"}


def rule_of_form(form: Mapping[str, Any]) -> tuple[SeriesRule | None, set[str]]:
    """The SeriesRule the form says, or the names of the fields at fault.

    `form` maps names to strings, and `weekdays` to a list of MO … SU."""
    rule, failed = rule_text(form)
    body: dict[str, Any] = {
        "rule": rule or "FREQ=DAILY",
        "start_date": str(form.get("start_date", "")).strip(),
        "start_time": str(form.get("start_time", "")).strip(),
        "end_time": str(form.get("end_time", "")).strip(),
    }
    ends = form.get("ends", "")
    if ends == "until":
        body["until"] = str(form.get("until", "")).strip()
        if not body["until"]:
            failed.add("until")
    elif ends == "count":
        count = str(form.get("count", "")).strip()
        if re.fullmatch("[0-9]{1,4}", count):
            body["count"] = int(count)
        else:
            failed.add("count")
    else:
        failed.add("ends")
    for name in ("extra_dates", "excluded_dates"):
        text = str(form.get(name, ""))
        days = _dates(text) if len(text) <= MAX_DATES_TEXT else None
        if days is None:
            failed.add(name)
        else:
            body[name] = [d.isoformat() for d in days]
    try:
        series = SeriesRule.model_validate(body)
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "rule"
            failed.add(form_field(name, form))
        return None, failed
    # Named with the others at once (the service would name only the first).
    if series.end_time <= series.start_time:
        failed.add("end_time")
    if series.until is not None and series.until < series.start_date:
        failed.add("until")
    return (None, failed) if failed else (series, set())


def form_field(name: str, form: Mapping[str, Any]) -> str:
    """The form field that holds a SeriesRule field (the rule comes from the pattern)."""
    if name != "rule":
        return name if name in FIELDS else "rule"
    pattern = form.get("pattern")
    return {"weekly": "weekdays", "monthly": "position"}.get(str(pattern), "rule")


# --- rule → form ------------------------------------------------------------------------


def default_form(start: date) -> dict[str, Any]:
    """A new series: weekly on the first date's weekday, 18:00–20:00, for three months."""
    return {
        "pattern": "weekly",
        "weekdays": [WEEKDAYS[start.weekday()]],
        "interval": "1",
        "position": "1",
        "month_weekday": WEEKDAYS[start.weekday()],
        "rule": "",
        "start_date": start.isoformat(),
        "start_time": "18:00",
        "end_time": "20:00",
        "ends": "until",
        "until": "",
        "count": "",
        "extra_dates": "",
        "excluded_dates": "",
    }


def _pattern_of(rule: Rule) -> dict[str, Any] | None:
    """The form's pattern fields for a rule it can say, else None."""
    plain = not (rule.month_days or rule.months or rule.year_days or rule.set_positions)
    if not plain or rule.week_start != 0:
        return None
    if rule.freq == "WEEKLY" and rule.weekdays and rule.interval in INTERVALS:
        return {
            "pattern": "weekly",
            "weekdays": [WEEKDAYS[d] for d in sorted(rule.weekdays)],
            "interval": str(rule.interval),
        }
    if rule.freq == "MONTHLY" and rule.interval == 1 and len(rule.nth_weekdays) == 1:
        [(weekday, position)] = rule.nth_weekdays
        if position in POSITIONS:
            return {
                "pattern": "monthly",
                "position": str(position),
                "month_weekday": WEEKDAYS[weekday],
            }
    return None


def form_of_rule(series: Mapping[str, Any]) -> dict[str, Any]:
    """The form showing a stored series (SeriesOut's fields, as stored in JSON)."""
    start = date.fromisoformat(str(series["start_date"]))
    form = default_form(start)
    rule = parse_rule(str(series["rule"]))
    form.update(_pattern_of(rule) or {"pattern": "custom", "rule": str(series["rule"])})
    form.update(
        {
            "start_date": start.isoformat(),
            "start_time": str(series["start_time"])[:5],
            "end_time": str(series["end_time"])[:5],
            "ends": "count" if series.get("count") else "until",
            "until": str(series.get("until") or ""),
            "count": str(series.get("count") or ""),
            "extra_dates": "\n".join(str(d) for d in series.get("extra_dates") or []),
            "excluded_dates": "\n".join(str(d) for d in series.get("excluded_dates") or []),
        }
    )
    return form


def form_values(data: Any) -> dict[str, Any]:
    """The form's fields from a submitted form (Litestar's FormMultiDict)."""
    values: dict[str, Any] = {name: str(data.get(name) or "") for name in FIELDS}
    values["weekdays"] = [str(v) for v in data.getall("weekdays", []) if str(v) in WEEKDAYS]
    return values


# --- the rule in words ------------------------------------------------------------------

_WEEKLY = {
    1: N_("Every week on %(days)s"),
    2: N_("Every second week on %(days)s"),
    3: N_("Every third week on %(days)s"),
    4: N_("Every fourth week on %(days)s"),
}
_MONTHLY = {
    1: N_("The first %(weekday)s of every month"),
    2: N_("The second %(weekday)s of every month"),
    3: N_("The third %(weekday)s of every month"),
    4: N_("The fourth %(weekday)s of every month"),
    -1: N_("The last %(weekday)s of every month"),
}


def _days_phrase(rule: Rule, start: date, locale: str) -> str:
    t = translator(locale)
    names = weekday_names(locale)
    pattern = _pattern_of(rule)
    if rule.freq == "WEEKLY" and not pattern and not rule.weekdays and rule.interval in INTERVALS:
        pattern = {"pattern": "weekly", "weekdays": [WEEKDAYS[start.weekday()]]}
        pattern["interval"] = str(rule.interval)
    if pattern and pattern["pattern"] == "weekly":
        days = format_list([names[d] for d in pattern["weekdays"]], locale=locale)
        return t.gettext(_WEEKLY[int(pattern["interval"])], days=days)
    if pattern and pattern["pattern"] == "monthly":
        weekday = names[pattern["month_weekday"]]
        return t.gettext(_MONTHLY[int(pattern["position"])], weekday=weekday)
    if rule.freq == "WEEKLY" and rule.weekdays and rule.interval > 4 and not rule.months:
        days = format_list([names[WEEKDAYS[d]] for d in sorted(rule.weekdays)], locale=locale)
        return t.ngettext(
            "Every %(count)s week on %(days)s",
            "Every %(count)s weeks on %(days)s",
            rule.interval,
            count=rule.interval,
            days=days,
        )
    if rule == Rule(freq="DAILY"):
        return t.gettext("Every day")
    return t.gettext("By the rule %(rule)s", rule=canonical(rule))


def _long_dates(days: Sequence[date], locale: str) -> str:
    return format_list([format_date(d, "long", locale=locale) for d in days], locale=locale)


def describe(series: SeriesRule | Mapping[str, Any], locale: str) -> str:
    """The series in one or three sentences in `locale`: "Every second week on
    Wednesday, 18:00–20:00, from 6 January 2027 until 24 March 2027. Also on …"."""
    if not isinstance(series, SeriesRule):
        series = SeriesRule.model_validate(dict(series))
    t = translator(locale)
    days = _days_phrase(parse_rule(series.rule), series.start_date, locale)
    start = format_time(series.start_time, "short", locale=locale)
    end = format_time(series.end_time, "short", locale=locale)
    first = format_date(series.start_date, "long", locale=locale)
    if series.until is not None:
        sentence = t.gettext(
            "%(days)s, %(start)s–%(end)s, from %(first)s until %(last)s.",
            days=days,
            start=start,
            end=end,
            first=first,
            last=format_date(series.until, "long", locale=locale),
        )
    else:
        sentence = t.ngettext(
            "%(days)s, %(start)s–%(end)s, from %(first)s, %(count)s date.",
            "%(days)s, %(start)s–%(end)s, from %(first)s, %(count)s dates.",
            series.count or 0,
            count=series.count or 0,
            days=days,
            start=start,
            end=end,
            first=first,
        )
    sentences = [sentence]
    if series.extra_dates:
        sentences.append(
            t.gettext("Also on %(dates)s.", dates=_long_dates(series.extra_dates, locale))
        )
    if series.excluded_dates:
        sentences.append(
            t.gettext("Not on %(dates)s.", dates=_long_dates(series.excluded_dates, locale))
        )
    return " ".join(sentences)


# --- the preview ------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewDate:
    day: date
    starts_at: datetime  # local wall time
    ends_at: datetime
    extra: bool = False  # added by hand to the rule's dates
    excluded: bool = False  # the rule gives it, and it is taken out
    clock_change: str | None = None  # "forward" or "back": the clocks changed since the last
    refused: str | None = None  # why the service refuses the series on this date


@dataclass(frozen=True)
class Preview:
    dates: list[PreviewDate] = field(default_factory=list)  # at most PREVIEW_LIMIT
    total: int = 0  # sessions the series gives (excluded dates not counted)
    description: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # form field → message
    more: int = 0  # sessions past the ones shown


def _wall_problem(day: date, wall: time, zone: ZoneInfo, locale: str) -> str | None:
    local = datetime.combine(day, wall, tzinfo=zone)
    t = translator(locale)
    values = {
        "time": format_time(wall, "short", locale=locale),
        "date": format_date(day, "long", locale=locale),
    }
    if missing(local):
        return t.gettext(SKIPPED_TIME, **values)
    if ambiguous(local):
        return t.gettext(REPEATED_TIME, **values)
    return None


def _rule_error(error: RuleError, form: Mapping[str, Any], locale: str) -> dict[str, str]:
    t = translator(locale)
    name = form_field(error.field, form)
    text = str(error)
    if name == "rule" and "no date" in text:
        return {form_field("rule", form): t.gettext(EMPTY_SERIES)}
    if name == "excluded_dates" and "no session left" in text:
        return {"excluded_dates": t.gettext(NOTHING_LEFT)}
    if "more than" in text and name in ("count", "extra_dates"):
        return {name: t.gettext(TOO_MANY)}
    return {name: t.gettext(MESSAGES.get(name, MESSAGES["rule"]))}


def messages(failed: set[str], locale: str) -> dict[str, str]:
    """The form's error messages in `locale`, in the form's order."""
    t = translator(locale)
    return {name: t.gettext(MESSAGES[name]) for name in FIELDS if name in failed}


def preview(
    form: Mapping[str, Any], zone: ZoneInfo, locale: str, limit: int = PREVIEW_LIMIT
) -> tuple[SeriesRule | None, Preview]:
    """The rule the form says, and what it gives: its dates (the first `limit`), the
    clock changes between them, the dates the service refuses, and the errors by field.
    The SeriesRule is None when the service would refuse it."""
    rule, failed = rule_of_form(form)
    if rule is None:
        return None, Preview(errors=messages(failed, locale))
    definition = rule.definition()
    everything = SeriesDefinition(
        **{**definition.__dict__, "excluded_dates": ()}  # excluded ones are shown, struck
    )
    try:
        occurrences = expand(everything, zone, wall_times_must_exist=False)
    except RuleError as error:
        return None, Preview(errors=_rule_error(error, form, locale))
    excluded, extra = set(rule.excluded_dates), set(rule.extra_dates)
    rows: list[PreviewDate] = []
    previous_offset = None
    for occurrence in occurrences:
        starts = occurrence.starts_at.astimezone(zone)
        offset = starts.utcoffset()
        change = None
        if previous_offset is not None and offset != previous_offset:
            change = "forward" if offset and offset > previous_offset else "back"
        previous_offset = offset
        refused = _wall_problem(occurrence.local_date, rule.start_time, zone, locale)
        refused = refused or _wall_problem(occurrence.local_date, rule.end_time, zone, locale)
        rows.append(
            PreviewDate(
                day=occurrence.local_date,
                starts_at=starts,
                ends_at=occurrence.ends_at.astimezone(zone),
                extra=occurrence.local_date in extra,
                excluded=occurrence.local_date in excluded,
                clock_change=change,
                refused=refused,
            )
        )
    errors: dict[str, str] = {}
    try:
        expand(definition, zone)
    except RuleError as error:
        first_refused = next((row.refused for row in rows if row.refused), None)
        if error.field in ("start_time", "end_time") and first_refused:
            errors = {error.field: first_refused}
        else:
            errors = _rule_error(error, form, locale)
    shown = rows[:limit]
    return (None if errors else rule), Preview(
        dates=shown,
        total=len([row for row in rows if not row.excluded]),
        description="" if errors else describe(rule, locale),
        errors=errors,
        more=len([row for row in rows[limit:] if not row.excluded]),
    )
