"""Indexes for registrations and the outbox (partial indexes work on both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-21T20:24:05:473957"
VERSION = "1.38.0"
DESCRIPTION = "registration indexes"

ACTIVE = "status IN ('pending', 'confirmed', 'waitlisted')"
STATEMENTS = {
    # One email holds at most one active place per session, and per whole course.
    "registration_one_per_session": "CREATE UNIQUE INDEX registration_one_per_session"
    f" ON registration (session, email) WHERE session IS NOT NULL AND {ACTIVE}",
    "registration_one_per_course": "CREATE UNIQUE INDEX registration_one_per_course"
    f" ON registration (event, email) WHERE session IS NULL AND {ACTIVE}",
    # Promotion walks the waitlist of one session or course in arrival order.
    "registration_queue": "CREATE INDEX registration_queue ON registration (event, session, status, id)",
    # The worker claims due messages.
    "outbox_message_due": "CREATE INDEX outbox_message_due ON outbox_message (status, next_attempt_at)",
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
