"""One invitation record per person (email), municipality and calendar UID.

Raw SQL in a migration of its own: Piccolo runs raw steps before the tables of
the same migration exist.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T05:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "calendar invitation per person and UID"

STATEMENTS = {
    "calendar_invitation_owner": "CREATE UNIQUE INDEX calendar_invitation_owner"
    " ON calendar_invitation (municipality, email, uid)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS.values():
            await engine_finder().run_ddl(statement)

    async def drop_indexes():
        for name in STATEMENTS:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
