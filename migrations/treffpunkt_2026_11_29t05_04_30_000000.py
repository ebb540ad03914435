"""Count the seats that unconfirmed (pending) registrations hold today.

Raw SQL in a migration of its own: Piccolo runs raw steps before the columns of
the same migration exist.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T05:04:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "count seats held by unconfirmed registrations"

STATEMENTS = [
    "UPDATE event_session SET seats_pending = COALESCE((SELECT SUM(r.seats) FROM registration r"
    " WHERE r.session = event_session.id AND r.status = 'pending'), 0)",
    "UPDATE event SET seats_pending = COALESCE((SELECT SUM(r.seats) FROM registration r"
    " WHERE r.event = event.id AND r.session IS NULL AND r.status = 'pending'), 0)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)

    async def count_pending_seats():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(count_pending_seats)
    return manager
