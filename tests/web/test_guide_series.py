"""The series form in plain words (web/guide/series.py): form ↔ SeriesRule, the
sentence that says a rule in each language, and the preview of its dates across the
clock changes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from treffpunkt.events.schemas import SeriesRule
from treffpunkt.i18n import LOCALES
from treffpunkt.translations import translator
from treffpunkt.web.guide import series

BERLIN = ZoneInfo("Europe/Berlin")


def form(**values: Any) -> dict[str, Any]:
    return {
        **series.default_form(date(2027, 1, 6)),
        "until": "2027-03-24",
        **values,
    }


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"weekdays": ["TU", "TH"]}, "FREQ=WEEKLY;BYDAY=TU,TH"),
        ({"weekdays": ["WE"], "interval": "2"}, "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"),
        (
            {"pattern": "monthly", "position": "1", "month_weekday": "MO"},
            "FREQ=MONTHLY;BYDAY=1MO",
        ),
        (
            {"pattern": "monthly", "position": "-1", "month_weekday": "FR"},
            "FREQ=MONTHLY;BYDAY=-1FR",
        ),
        ({"pattern": "custom", "rule": "freq=monthly;bymonthday=15"}, "FREQ=MONTHLY;BYMONTHDAY=15"),
    ],
)
def test_the_form_says_a_rule_and_shows_it_again(values: dict[str, Any], rule: str) -> None:
    found, failed = series.rule_of_form(form(**values))
    assert failed == set()
    assert found is not None
    assert found.rule == rule
    shown = series.form_of_rule(found.model_dump(mode="json"))
    again, _ = series.rule_of_form(shown)
    assert again == found
    assert shown["pattern"] == values.get("pattern", "weekly")


def test_times_ends_and_dates_in_iso_or_german() -> None:
    found, failed = series.rule_of_form(
        form(
            weekdays=["WE"],
            interval="2",
            start_time="18:00",
            end_time="20:00",
            ends="count",
            count="10",
            extra_dates="7.1.2027\n2027-01-08",
            excluded_dates="2027-01-20, 3.2.2027",
        )
    )
    assert failed == set()
    assert found == SeriesRule.model_validate(
        {
            "rule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
            "start_date": "2027-01-06",
            "start_time": "18:00",
            "end_time": "20:00",
            "count": 10,
            "extra_dates": ["2027-01-07", "2027-01-08"],
            "excluded_dates": ["2027-01-20", "2027-02-03"],
        }
    )
    shown = series.form_of_rule(found.model_dump(mode="json"))
    assert (shown["ends"], shown["count"], shown["until"]) == ("count", "10", "")
    assert shown["extra_dates"] == "2027-01-07\n2027-01-08"


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"weekdays": []}, {"weekdays"}),
        ({"interval": "9"}, {"interval"}),
        ({"pattern": "monthly", "position": "7"}, {"position"}),
        ({"pattern": "yearly"}, {"pattern"}),
        ({"pattern": "custom", "rule": "FREQ=HOURLY"}, {"rule"}),
        ({"start_date": "6.1.2027"}, {"start_date"}),
        ({"start_time": "25:00"}, {"start_time"}),
        ({"end_time": "17:00"}, {"end_time"}),
        ({"ends": ""}, {"ends"}),
        ({"until": ""}, {"until"}),
        ({"until": "2026-12-31"}, {"until"}),
        ({"ends": "count", "count": "many"}, {"count"}),
        ({"ends": "count", "count": "900"}, {"count"}),
        ({"extra_dates": "next tuesday"}, {"extra_dates"}),
        ({"excluded_dates": "31.2.2027"}, {"excluded_dates"}),
        ({"excluded_dates": "2027-01-06\n" * 1000}, {"excluded_dates"}),
    ],
)
def test_what_is_wrong_is_named_by_its_field(values: dict[str, Any], fields: set[str]) -> None:
    found, failed = series.rule_of_form(form(**values))
    if not failed:  # the service's check: the preview names it
        assert found is not None
        _, preview = series.preview(form(**values), BERLIN, "de")
        failed = set(preview.errors)
    assert failed == fields
    assert set(series.messages(failed, "de")) == fields


def test_the_sentence_in_german_and_english() -> None:
    rule, _ = series.rule_of_form(form(weekdays=["WE"], interval="2"))
    assert rule is not None
    assert series.describe(rule, "en") == (
        "Every second week on Wednesday, 6:00\u202fPM–8:00\u202fPM,"
        " from January 6, 2027 until March 24, 2027."
    )
    assert series.describe(rule, "de") == (
        "Jede zweite Woche am Mittwoch, 18:00–20:00, vom 6. Januar 2027 bis 24. März 2027."
    )
    both, _ = series.rule_of_form(
        form(
            weekdays=["TU", "TH"],
            ends="count",
            count="12",
            extra_dates="2027-01-09",
            excluded_dates="2027-01-12",
        )
    )
    assert both is not None
    assert series.describe(both, "de") == (
        "Jede Woche am Dienstag und Donnerstag, 18:00–20:00, ab 6. Januar 2027, 12 Termine."
        " Außerdem am 9. Januar 2027. Nicht am 12. Januar 2027."
    )
    monthly, _ = series.rule_of_form(form(pattern="monthly", position="-1", month_weekday="FR"))
    assert monthly is not None
    assert series.describe(monthly, "de").startswith("Am letzten Freitag jedes Monats, 18:00")
    assert series.describe(monthly, "en").startswith("The last Friday of every month, 6:00")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_language_says_every_kind_of_rule(locale: str) -> None:
    names = series.weekday_names(locale)
    for values in (
        {"weekdays": ["WE"], "interval": "2"},
        {"weekdays": ["TU", "TH"]},
        {"pattern": "monthly", "position": "1", "month_weekday": "MO"},
        {"pattern": "custom", "rule": "FREQ=MONTHLY;BYMONTHDAY=15"},
        {"pattern": "custom", "rule": "FREQ=WEEKLY;INTERVAL=6;BYDAY=SA"},
    ):
        rule, _ = series.rule_of_form(form(**values))
        assert rule is not None
        text = series.describe(rule, locale)
        assert "%(" not in text
        assert "2027" in text
        for code in values.get("weekdays", []):
            assert names[code] in text
    assert translator(locale).gettext("Every second week on %(days)s", days="X") != ""


def test_the_preview_marks_the_clock_changes_and_keeps_local_time() -> None:
    rule, preview = series.preview(
        form(weekdays=["WE"], interval="2", until="2027-12-15"), BERLIN, "de"
    )
    assert rule is not None
    assert not preview.errors
    assert preview.total == 25
    assert preview.more == 0
    assert {row.starts_at.strftime("%H:%M") for row in preview.dates} == {"18:00"}
    changes = [(row.day, row.clock_change) for row in preview.dates if row.clock_change]
    # Summer time begins on 28 March 2027, winter time on 31 October.
    assert changes == [(date(2027, 3, 31), "forward"), (date(2027, 11, 10), "back")]
    before, after = preview.dates[5], preview.dates[6]
    assert (before.starts_at.utcoffset(), after.starts_at.utcoffset()) == (
        timedelta(hours=1),
        timedelta(hours=2),
    )
    assert "Jede zweite Woche am Mittwoch" in preview.description


def test_the_preview_names_dates_the_clocks_skip_or_repeat() -> None:
    # Sundays 02:30: on 28 March 2027 the clocks jump from 02:00 to 03:00.
    rule, preview = series.preview(
        form(
            weekdays=["SU"],
            start_date="2027-03-14",
            start_time="02:30",
            end_time="04:00",
            until="2027-04-11",
        ),
        BERLIN,
        "de",
    )
    assert rule is None
    [refused] = [row for row in preview.dates if row.refused]
    assert refused.day == date(2027, 3, 28)
    assert preview.errors == {
        "start_time": "02:30 gibt es am 28. März 2027 nicht: die Uhren werden darüber"
        " vorgestellt. Bitte eine andere Uhrzeit wählen."
    }
    # Excluding the date does not help: the rule still names it (calendars repeat it).
    _, excluded = series.preview(
        form(
            weekdays=["SU"],
            start_date="2027-03-14",
            start_time="02:30",
            end_time="04:00",
            until="2027-04-11",
            excluded_dates="2027-03-28",
        ),
        BERLIN,
        "en",
    )
    assert set(excluded.errors) == {"start_time"}
    assert "twice" not in excluded.errors["start_time"]
    # In autumn 02:30 happens twice.
    _, autumn = series.preview(
        form(
            weekdays=["SU"],
            start_date="2027-10-24",
            start_time="02:30",
            end_time="04:00",
            until="2027-11-07",
        ),
        BERLIN,
        "en",
    )
    assert "happens twice on October 31, 2027" in autumn.errors["start_time"]


def test_the_preview_shows_the_first_dates_and_counts_the_rest() -> None:
    every_day = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    _, preview = series.preview(form(weekdays=every_day, until="2027-06-30"), BERLIN, "de")
    assert len(preview.dates) == series.PREVIEW_LIMIT
    assert preview.total == 176
    assert preview.more == 176 - series.PREVIEW_LIMIT


def test_excluded_dates_stay_in_the_preview_struck_and_extra_ones_are_marked() -> None:
    _, preview = series.preview(
        form(weekdays=["WE"], extra_dates="2027-01-07", excluded_dates="2027-01-13"),
        BERLIN,
        "de",
    )
    marks = {row.day: (row.extra, row.excluded) for row in preview.dates}
    assert marks[date(2027, 1, 7)] == (True, False)
    assert marks[date(2027, 1, 13)] == (False, True)
    assert preview.total == len(preview.dates) - 1


def test_a_series_with_nothing_left_says_so() -> None:
    _, preview = series.preview(
        form(weekdays=["WE"], until="2027-01-06", excluded_dates="2027-01-06"), BERLIN, "en"
    )
    assert preview.errors == {"excluded_dates": "Every date of the series is excluded."}
    _, none = series.preview(
        form(pattern="custom", rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"), BERLIN, "en"
    )
    assert list(none.errors) == ["rule"]
