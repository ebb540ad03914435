"""A partner takes part in a programme once (piccolo runs a migration's raw steps
before its new tables: hence apart from the table's migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T13:10:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "programme partner unique pair"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)

    async def unique_pair():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX programme_partner_pair"
            " ON programme_partner (programme, partner)"
        )

    manager.add_raw(unique_pair)
    return manager
