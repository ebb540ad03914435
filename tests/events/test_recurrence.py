"""Series expansion in wall time (pure functions, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from treffpunkt.events.recurrence import RuleError, SeriesDefinition, expand

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
            "rule",
        ),
        (series("FREQ=DAILY", date(2027, 1, 1), until=date(2029, 6, 1)), "until"),
        (series("FREQ=DAILY", date(2027, 1, 1), count=801), "rule"),
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
