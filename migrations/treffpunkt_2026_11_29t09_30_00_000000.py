"""Series rules in their canonical form (treffpunkt.events.recurrence.canonical).

Rules were stored as typed (in capitals): parts in any order, repeated values, signs
and leading zeros. The same rule now has one spelling, in the database as in every
calendar. A stored rule that no longer parses cannot be rewritten without changing
what it means: it is left as it is and named, for its guide to set the series again.
"""

import logging
import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, Serial
from piccolo.table import Table

from treffpunkt.events.recurrence import RuleError, check_rule

ID = "2026-11-29T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "series rules in canonical form"

log = logging.getLogger(__name__)


def earlier_spelling(rule):
    """What the earlier check took and the strict one does not: a `+` on any number,
    leading zeros (`INTERVAL=+2`, `BYMONTH=0003`). Both meant the plain number."""
    rule = re.sub(r"(?<=[=,])\+", "", rule)
    return re.sub(r"(?<=[=,-])0+(?=\d)", "", rule)


class Event(Table, tablename="event"):
    """The two columns this migration reads and writes, as they are at this point."""

    id = Serial(primary_key=True)
    series = JSON(null=True, default=None)


async def canonicalise_rules():
    rows = (
        await Event.select(Event.id, Event.series)
        .where(Event.series.is_not_null())
        .order_by(Event.id)
        .output(load_json=True)
    )
    for row in rows:
        series = row["series"]
        if not isinstance(series, dict) or not isinstance(series.get("rule"), str):
            continue
        try:
            try:
                rule = check_rule(series["rule"])
            except RuleError:
                rule = check_rule(earlier_spelling(series["rule"]))
        except RuleError as error:
            log.warning(
                "event %s: series rule %r left as it is: %s", row["id"], series["rule"], error
            )
            continue
        if rule != series["rule"]:
            await Event.update({Event.series: {**series, "rule": rule}}).where(
                Event.id == row["id"]
            )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)
    manager.add_raw(canonicalise_rules)
    return manager
