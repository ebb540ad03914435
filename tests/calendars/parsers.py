"""Two independent calendar parsers, expanding occurrences as clients would."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import recurring_ical_events
from icalendar import Calendar

JS = Path(__file__).resolve().parents[1] / "js"
# Both clock changes of 2027 (28 March, 31 October) fall inside this window.
WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def _moment(value: date | datetime) -> str:
    """An instant in UTC; an all-day DATE as the date itself."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def python_occurrences(feed: bytes) -> set[tuple[str, str, str]]:
    calendar = Calendar.from_ical(feed)
    return {
        (
            _moment(component.decoded("dtstart")),
            _moment(component.decoded("dtend")),
            str(component.get("status")),
        )
        for component in recurring_ical_events.of(calendar).between(*WINDOW)
    }


def occurrences(feed: bytes) -> set[tuple[str, str, str]]:
    """What both parsers expand, after checking that they agree."""
    ours = python_occurrences(feed)
    assert icaljs_occurrences(feed) == ours
    return ours


def icaljs_occurrences(feed: bytes) -> set[tuple[str, str, str]]:
    result = subprocess.run(
        ["node", str(JS / "expand.mjs"), WINDOW[0].isoformat(), WINDOW[1].isoformat()],
        input=feed,
        capture_output=True,
        check=True,
        cwd=JS,
    )
    return {
        (_js_moment(o["start"]), _js_moment(o["end"]), o["status"])
        for o in json.loads(result.stdout)
    }


def _js_moment(value: str) -> str:
    if len(value) == 10:  # a date
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
