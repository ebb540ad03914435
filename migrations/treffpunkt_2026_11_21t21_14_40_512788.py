"""Indexes for finding a person's registration by email.

The partial unique indexes enforce one active place per email, but a lookup with the
statuses as bound parameters cannot use them (the planner cannot prove the match),
and would scan every registration of a busy session.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-21T21:14:40:512788"
VERSION = "1.38.0"
DESCRIPTION = "lookup indexes"

STATEMENTS = {
    "registration_session_email": "CREATE INDEX registration_session_email"
    " ON registration (session, email)",
    "registration_event_email": "CREATE INDEX registration_event_email ON registration (event, email)",
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
