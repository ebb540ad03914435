"""One invitation per partner and event (piccolo runs a migration's raw steps before
its new tables: hence apart)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T13:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one invitation per partner and event"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)

    async def unique_invitation():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX invitation_event_partner ON invitation (event, partner)"
        )

    manager.add_raw(unique_invitation)
    return manager
