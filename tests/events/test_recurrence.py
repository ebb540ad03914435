"""Series expansion in wall time (pure functions, no database)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from time import process_time
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from treffpunkt.events.recurrence import (
    RuleError,
    SeriesDefinition,
    check_rule,
    expand,
    parse_rule,
    rule_dates,
)

BERLIN = ZoneInfo("Europe/Berlin")


def series(rule: str, start: date, **fields: object) -> SeriesDefinition:
    values: dict[str, object] = {"start_time": time(14), "end_time": time(16), **fields}
    if "until" not in values and "count" not in values:
        values["count"] = 10
    return SeriesDefinition(rule=rule, start_date=start, **values)  # type: ignore[arg-type]


def local_times(definition: SeriesDefinition) -> list[tuple[date, time, time]]:
    return [
        (o.local_date, o.starts_at.astimezone(BERLIN).time(), o.ends_at.astimezone(BERLIN).time())
        for o in expand(definition, BERLIN)
    ]


def test_office_hours_keep_their_wall_time_across_the_march_change() -> None:
    # Tue and Thu 14–16 around the change on Sunday 28 March 2027.
    definition = series("FREQ=WEEKLY;BYDAY=TU,TH", date(2027, 3, 23), until=date(2027, 4, 1))
    occurrences = expand(definition, BERLIN)
    assert [o.local_date for o in occurrences] == [
        date(2027, 3, 23),
        date(2027, 3, 25),
        date(2027, 3, 30),
        date(2027, 4, 1),
    ]
    assert all(start == time(14) for _, start, _ in local_times(definition))
    # …which is 13:00 UTC in winter and 12:00 UTC in summer.
    assert occurrences[1].starts_at == datetime(2027, 3, 25, 13, tzinfo=UTC)
    assert occurrences[2].starts_at == datetime(2027, 3, 30, 12, tzinfo=UTC)


def test_fortnightly_round_keeps_its_wall_time_across_the_october_change() -> None:
    definition = series(
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
        date(2027, 10, 13),
        count=3,
        start_time=time(18),
        end_time=time(20),
    )
    assert local_times(definition) == [
        (date(2027, 10, 13), time(18), time(20)),
        (date(2027, 10, 27), time(18), time(20)),
        (date(2027, 11, 10), time(18), time(20)),
    ]
    starts = [o.starts_at for o in expand(definition, BERLIN)]
    # The change is on 31 October 2027: CEST (UTC+2) twice, then CET (UTC+1).
    assert [s.hour for s in starts] == [16, 16, 17]


def test_session_spanning_the_night_of_the_change_keeps_its_wall_times() -> None:
    # 00:30–04:00 local on the night of 31 Oct 2027 lasts 4.5 real hours.
    definition = series(
        "FREQ=DAILY", date(2027, 10, 31), count=1, start_time=time(0, 30), end_time=time(4)
    )
    [occurrence] = expand(definition, BERLIN)
    assert (occurrence.ends_at - occurrence.starts_at).total_seconds() == 4.5 * 3600


def test_monthly_on_the_first_monday() -> None:
    definition = series("FREQ=MONTHLY;BYDAY=1MO", date(2027, 1, 1), count=3)
    assert [d for d, _, _ in local_times(definition)] == [
        date(2027, 1, 4),
        date(2027, 2, 1),
        date(2027, 3, 1),
    ]


def test_extra_and_excluded_dates() -> None:
    definition = series(
        "FREQ=WEEKLY;BYDAY=TU",
        date(2027, 1, 5),
        until=date(2027, 1, 26),
        extra_dates=(date(2027, 1, 28),),
        excluded_dates=(date(2027, 1, 12),),
    )
    assert [d for d, _, _ in local_times(definition)] == [
        date(2027, 1, 5),
        date(2027, 1, 19),
        date(2027, 1, 26),
        date(2027, 1, 28),
    ]


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        (
            series(
                "FREQ=WEEKLY;BYDAY=TU",
                date(2027, 1, 5),
                count=1,
                excluded_dates=(date(2027, 1, 5),),
            ),
            "excluded_dates",
        ),
        (series("FREQ=DAILY", date(2027, 1, 1), until=date(2029, 6, 1)), "until"),
        (series("FREQ=DAILY", date(2027, 1, 1), count=801), "count"),
        (
            series(
                "FREQ=DAILY",
                date(2027, 1, 1),
                until=date(2028, 12, 1),
                extra_dates=tuple(date(2026, 12, 31) - timedelta(days=n) for n in range(100)),
            ),
            "extra_dates",
        ),
        (series("FREQ=DAILY;BYHOUR=9,15", date(2027, 1, 1)), "rule"),
        (series("FREQ=HOURLY", date(2027, 1, 1)), "rule"),
        (series("FREQ=WEEKLY;BYDAY=XX", date(2027, 1, 1)), "rule"),
        (series("FREQ=WEEKLY;UNTIL=20270101", date(2027, 1, 1)), "rule"),
        (series("FREQ=DAILY", date(2027, 1, 1), count=2, until=date(2027, 2, 1)), "until"),
        (series("FREQ=DAILY", date(2027, 1, 1), end_time=time(13)), "end_time"),
        (series("FREQ=DAILY", date(2027, 1, 10), until=date(2027, 1, 1)), "until"),
    ],
)
def test_unusable_series_are_rejected_naming_the_field(
    definition: SeriesDefinition, field: str
) -> None:
    with pytest.raises(RuleError) as error:
        expand(definition, BERLIN)
    assert error.value.field == field


# --- rules are checked, and expansion is bounded --------------------------------------------

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def random_rule(rng: random.Random) -> str:
    freq = rng.choice(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])
    parts = [f"FREQ={freq}"]
    if rng.random() < 0.4:
        parts.append(f"INTERVAL={rng.randint(1, 4)}")
    if rng.random() < 0.5:
        if freq in ("MONTHLY", "YEARLY") and rng.random() < 0.5:
            days = [f"{rng.choice([1, 2, 3, 4, -1, -2])}{rng.choice(WEEKDAYS)}" for _ in range(2)]
        else:
            days = rng.sample(WEEKDAYS, rng.randint(1, 3))
        parts.append("BYDAY=" + ",".join(days))
    if freq != "WEEKLY" and rng.random() < 0.3:
        parts.append(f"BYMONTHDAY={rng.choice([1, 5, 13, 28, 29, 30, 31, -1, -2])}")
    if rng.random() < 0.3:
        parts.append("BYMONTH=" + ",".join(str(rng.randint(1, 12)) for _ in range(2)))
    if freq == "YEARLY" and rng.random() < 0.15:
        parts.append(f"BYYEARDAY={rng.choice([1, 100, 365, 366, -1, -100])}")
    if len(parts) > 1 and rng.random() < 0.25:
        parts.append(f"BYSETPOS={rng.choice([1, 2, -1, -2])}")
    if rng.random() < 0.2:
        parts.append(f"WKST={rng.choice(WEEKDAYS)}")
    return ";".join(parts)


def test_expansion_gives_exactly_the_dates_dateutil_gives() -> None:
    """Our bounded scan against python-dateutil, on rules that give dates (dateutil would
    look for ever on the others)."""
    rng = random.Random(20261129)
    compared = 0
    while compared < 400:
        text = random_rule(rng)
        try:
            rule = parse_rule(text)
        except RuleError:
            continue
        first = date(2026, 1, 1) + timedelta(days=rng.randint(0, 800))
        last = first + timedelta(days=rng.randint(0, 700))
        ours = list(rule_dates(rule, first, last))
        if not ours:
            continue
        until = datetime.combine(last, time(23, 59, 59))
        theirs = rrulestr(f"RRULE:{text};UNTIL={until:%Y%m%dT%H%M%S}", dtstart=first_moment(first))
        assert ours == [moment.date() for moment in theirs], (text, first, last)
        compared += 1


def first_moment(day: date) -> datetime:
    return datetime.combine(day, time())


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=YEARLY;INTERVAL=0;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;INTERVAL=-1",
        "FREQ=DAILY;INTERVAL=1;INTERVAL=2",
        "FREQ=DAILY;INTERVAL=x",
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=WEEKLY;BYMONTHDAY=1",
        "FREQ=MONTHLY;BYDAY=6MO",
        "FREQ=MONTHLY;BYYEARDAY=1",
        "FREQ=YEARLY;BYWEEKNO=20",
        "FREQ=MONTHLY;BYSETPOS=1",
        "FREQ=MONTHLY;BYMONTH=13",
        "FREQ=MONTHLY;BYMONTH=-1",
        "FREQ=MONTHLY;BYDAY=MO,1TU",
        "FREQ=DAILY;BYHOUR=9",
        "FREQ=DAILY;BYEASTER=0",
        "FREQ=DAILY;",
    ],
)
def test_rules_a_series_cannot_use_are_refused(rule: str) -> None:
    with pytest.raises(RuleError) as error:
        parse_rule(rule)
    assert error.value.field == "rule"


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31;BYSETPOS=-1",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=10",
        "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1",
        "FREQ=YEARLY;BYMONTH=4;BYDAY=5SU;BYMONTHDAY=1",
        "FREQ=DAILY;INTERVAL=365;BYMONTH=1;BYMONTHDAY=3",
    ],
)
def test_rules_that_give_no_date_are_refused_within_milliseconds(rule: str) -> None:
    started = process_time()
    for definition in (
        series(rule, date(2027, 1, 1), count=3),
        series(rule, date(2027, 1, 1), until=date(2028, 12, 31)),
    ):
        with pytest.raises(RuleError) as error:
            expand(definition, BERLIN)
        assert error.value.field in ("rule", "count")
    assert process_time() - started < 0.2


def test_the_largest_series_expands_within_milliseconds() -> None:
    started = process_time()
    occurrences = expand(series("FREQ=DAILY", date(2027, 1, 1), count=731), BERLIN)
    assert len(occurrences) == 731
    assert process_time() - started < 0.2


# --- one spelling per rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=WEEKLY;BYDAY=TU,TH"),
        ("freq=weekly;byday=th,tu", "FREQ=WEEKLY;BYDAY=TU,TH"),
        ("BYDAY=TH,TU,TH;FREQ=WEEKLY", "FREQ=WEEKLY;BYDAY=TU,TH"),
        ("RRULE:FREQ=WEEKLY;INTERVAL=1;WKST=MO;BYDAY=WE", "FREQ=WEEKLY;BYDAY=WE"),
        (
            "WKST=SU;INTERVAL=02;FREQ=WEEKLY;BYDAY=SU,MO",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=SU",
        ),
        ("FREQ=MONTHLY;BYDAY=-1FR,+1MO", "FREQ=MONTHLY;BYDAY=1MO,-1FR"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1,+15,01", "FREQ=MONTHLY;BYMONTHDAY=1,15,-1"),
        (
            "FREQ=YEARLY;BYSETPOS=-1,1;BYMONTH=10,3;BYDAY=SU",
            "FREQ=YEARLY;BYDAY=SU;BYMONTH=3,10;BYSETPOS=1,-1",
        ),
    ],
)
def test_a_rule_is_stored_in_one_canonical_spelling(typed: str, stored: str) -> None:
    assert check_rule(typed) == stored
    assert check_rule(stored) == stored


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY; BYDAY=TU",
        "FREQ=WEEKLY;BYDAY=TU, TH",
        "FREQ =WEEKLY",
        "FREQ=WEEKLY;BYDAY=TU;BYDAY=TH",
        "FREQ=WEEKLY;FREQ=DAILY",
        "FREQ=WEEKLY;COUNT=3",
        "FREQ=WEEKLY;UNTIL=20270101T000000Z",
        "FREQ=WEEKLY;COUNT=3;UNTIL=20270101",
        "FREQ=WEEKLY;X-TREFFPUNKT=1",
        "FREQ=WEEKLY;junk",
        "FREQ=DAILY;INTERVAL=+2",
        "FREQ=DAILY;INTERVAL=1,2",
        "FREQ=MONTHLY;BYMONTHDAY=0",
        "FREQ=MONTHLY;BYMONTHDAY=32",
        "FREQ=YEARLY;BYYEARDAY=367",
        "FREQ=YEARLY;BYMONTH=+3",
        "FREQ=MONTHLY;BYDAY=--1MO",
        "FREQ=MONTHLY;BYDAY=0MO",
        "FREQ=YEARLY;BYDAY=54MO",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=367",
        "FREQ=DAILY;BYMONTH=٣",
        "FREQ=WEEKLY;WKST=XX",
    ],
)
def test_loosely_written_rules_are_refused(rule: str) -> None:
    with pytest.raises(RuleError) as error:
        parse_rule(rule)
    assert error.value.field == "rule"


def test_the_canonical_spelling_means_what_was_typed() -> None:
    """Random rules, typed in any order and case: what dateutil expands from the typed
    text equals what it expands from the stored one (for rules that give dates: dateutil
    looks for ever on the others), and storing twice changes nothing."""
    rng = random.Random(20261206)
    compared = 0
    while compared < 300:
        parts = random_rule(rng).split(";")
        rng.shuffle(parts)
        typed = ";".join(p.lower() if rng.random() < 0.3 else p for p in parts)
        try:
            stored = check_rule(typed)
        except RuleError:
            continue
        assert check_rule(stored) == stored
        first = datetime(2027, 1, 1) + timedelta(days=rng.randint(0, 400))
        if not list(rule_dates(parse_rule(stored), first.date(), first.date() + timedelta(500))):
            continue  # dateutil would look until the year 9999
        until = f"UNTIL={first + timedelta(days=500):%Y%m%dT%H%M%S}"
        theirs = list(rrulestr(f"RRULE:{typed.upper()};{until}", dtstart=first))
        assert list(rrulestr(f"RRULE:{stored};{until}", dtstart=first)) == theirs, typed
        compared += 1


# --- clock changes: a series' wall time happens once on each of its dates ------------------


@pytest.mark.parametrize(
    ("zone", "definition", "field", "day"),
    [
        # Berlin springs forward over 02:00–03:00 on 28 March 2027 …
        (
            "Europe/Berlin",
            series(
                "FREQ=WEEKLY;BYDAY=SU", date(2027, 3, 21), start_time=time(2, 30), end_time=time(4)
            ),
            "start_time",
            "2027-03-28",
        ),
        # … and goes back over 02:00–03:00 on 31 October 2027.
        (
            "Europe/Berlin",
            series(
                "FREQ=WEEKLY;BYDAY=SU", date(2027, 10, 24), start_time=time(1), end_time=time(2, 30)
            ),
            "end_time",
            "2027-10-31",
        ),
        # The date is excluded, but the RRULE still names it.
        (
            "Europe/Berlin",
            series(
                "FREQ=DAILY",
                date(2027, 3, 27),
                count=3,
                start_time=time(2, 30),
                end_time=time(4),
                excluded_dates=(date(2027, 3, 28),),
            ),
            "start_time",
            "2027-03-28",
        ),
        # An extra date counts as well.
        (
            "Europe/Vienna",
            series(
                "FREQ=WEEKLY;BYDAY=MO",
                date(2027, 3, 1),
                count=2,
                start_time=time(2, 30),
                end_time=time(4),
                extra_dates=(date(2027, 3, 28),),
            ),
            "start_time",
            "2027-03-28",
        ),
        (
            "America/New_York",
            series(
                "FREQ=MONTHLY;BYDAY=2SU",
                date(2027, 1, 1),
                count=4,
                start_time=time(2, 15),
                end_time=time(5),
            ),
            "start_time",
            "2027-03-14",
        ),
        (
            "America/New_York",
            series(
                "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
                date(2027, 1, 1),
                count=1,
                start_time=time(1, 30),
                end_time=time(3),
            ),
            "start_time",
            "2027-11-07",
        ),
        # Southern hemisphere: forward on 3 October, back on 4 April 2027.
        (
            "Australia/Sydney",
            series(
                "FREQ=WEEKLY;BYDAY=SU",
                date(2027, 9, 26),
                count=2,
                start_time=time(2),
                end_time=time(4),
            ),
            "start_time",
            "2027-10-03",
        ),
        (
            "Australia/Sydney",
            series(
                "FREQ=WEEKLY;BYDAY=SU",
                date(2027, 3, 28),
                count=2,
                start_time=time(1),
                end_time=time(2, 59),
            ),
            "end_time",
            "2027-04-04",
        ),
    ],
)
def test_a_series_time_the_clocks_skip_or_repeat_is_refused(
    zone: str, definition: SeriesDefinition, field: str, day: str
) -> None:
    with pytest.raises(RuleError) as error:
        expand(definition, ZoneInfo(zone))
    assert error.value.field == field
    assert day in str(error.value)


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
)
def test_times_next_to_a_clock_change_stay_as_they_are(zone: str) -> None:
    """Every Sunday of 2027 at 00:30–03:30 (or 04:00–05:00): the change days included;
    the session lasts longer or shorter on those nights, at the same wall times."""
    tz = ZoneInfo(zone)
    for start, end in ((time(0, 30), time(3, 30)), (time(4), time(5))):
        definition = series(
            "FREQ=WEEKLY;BYDAY=SU", date(2027, 1, 3), count=52, start_time=start, end_time=end
        )
        occurrences = expand(definition, tz)
        assert len(occurrences) == 52
        assert {o.starts_at.astimezone(tz).time() for o in occurrences} == {start}
        assert {o.ends_at.astimezone(tz).time() for o in occurrences} == {end}
