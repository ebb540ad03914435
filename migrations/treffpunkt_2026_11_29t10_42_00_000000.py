"""Events published before `published_at` existed take their last change as that
moment (piccolo runs a migration's raw steps before its new columns: hence apart)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T10:42:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "event published_at for events published before"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)

    async def backfill():
        await engine_finder().run_ddl(
            "UPDATE event SET published_at = updated_at"
            " WHERE status IN ('published', 'cancelled') AND published_at IS NULL"
        )

    manager.add_raw(backfill)
    return manager
