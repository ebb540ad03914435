"""Data migrations, run against rows as earlier versions wrote them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.factories import make_event
from treffpunkt.events.tables import Event

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def migration(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, MIGRATIONS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SERIES = {
    "start_date": "2027-03-02",
    "start_time": "14:00",
    "end_time": "16:00",
    "until": "2027-06-01",
    "extra_dates": [],
    "excluded_dates": [],
}


async def test_stored_rules_are_rewritten_in_their_one_spelling(bensheim: Any) -> None:
    typed = {
        "BYDAY=TH,TU;FREQ=WEEKLY": "FREQ=WEEKLY;BYDAY=TU,TH",
        "FREQ=MONTHLY;WKST=MO;INTERVAL=1;BYDAY=+1MO": "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=WEEKLY;BYDAY=WE": "FREQ=WEEKLY;BYDAY=WE",
        # What the earlier, looser check let through:
        "FREQ=DAILY;INTERVAL=+2": "FREQ=DAILY;INTERVAL=2",
        "FREQ=YEARLY;BYMONTH=0003,+10;BYMONTHDAY=-01": "FREQ=YEARLY;BYMONTHDAY=-1;BYMONTH=3,10",
        "FREQ=HOURLY": "FREQ=HOURLY",  # cannot be read: left for its guide, not guessed
    }
    ids = {}
    for rule in typed:
        event = await make_event(bensheim, sessions=[])
        await Event.update({Event.series: {**SERIES, "rule": rule}}).where(Event.id == event.id)
        ids[event.id] = rule
    plain = await make_event(bensheim)

    module = migration("treffpunkt_2026_11_29t09_30_00_000000")
    await module.canonicalise_rules()
    await module.canonicalise_rules()  # a second run changes nothing

    rows = await Event.select(Event.id, Event.series).output(load_json=True)
    stored = {row["id"]: row["series"] for row in rows}
    for event_id, rule in ids.items():
        assert stored[event_id] == {**SERIES, "rule": typed[rule]}
    assert stored[plain.id] is None


async def test_events_published_before_take_their_last_change_as_published_at(
    bensheim: Any,
) -> None:
    from tests.factories import make_published_event

    published = await make_published_event(bensheim)
    draft = await make_event(bensheim)
    await Event.update({Event.published_at: None}).where(Event.id == published.id)

    manager = await migration("treffpunkt_2026_11_29t10_42_00_000000").forwards()
    for step in manager.raw:
        await step()

    rows = await Event.select(Event.id, Event.published_at, Event.updated_at)
    stored = {row["id"]: row for row in rows}
    assert stored[published.id]["published_at"] == stored[published.id]["updated_at"]
    assert stored[draft.id]["published_at"] is None
