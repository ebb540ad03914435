"""Two independent calendar parsers, expanding occurrences as clients would."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import recurring_ical_events
from icalendar import Calendar

JS = Path(__file__).resolve().parents[1] / "js"
# Both clock changes of 2027 (28 March, 31 October) fall inside this window.
WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def python_occurrences(feed: bytes) -> set[tuple[str, str, str]]:
    calendar = Calendar.from_ical(feed)
    return {
        (
            component.decoded("dtstart").astimezone(UTC).isoformat(),
            component.decoded("dtend").astimezone(UTC).isoformat(),
            str(component.get("status")),
        )
        for component in recurring_ical_events.of(calendar).between(*WINDOW)
    }


def icaljs_occurrences(feed: bytes) -> set[tuple[str, str, str]]:
    result = subprocess.run(
        ["node", str(JS / "expand.mjs"), WINDOW[0].isoformat(), WINDOW[1].isoformat()],
        input=feed,
        capture_output=True,
        check=True,
        cwd=JS,
    )
    return {
        (
            datetime.fromisoformat(o["start"].replace("Z", "+00:00")).isoformat(),
            datetime.fromisoformat(o["end"].replace("Z", "+00:00")).isoformat(),
            o["status"],
        )
        for o in json.loads(result.stdout)
    }
