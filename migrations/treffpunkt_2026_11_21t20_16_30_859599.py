"""Indexes the ORM cannot declare portably (SQLite has no ALTER TABLE … ADD CONSTRAINT)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-21T20:16:30:859599"
VERSION = "1.38.0"
DESCRIPTION = "indexes for programmes and sessions"

STATEMENTS = [
    # Programme slugs are unique within a municipality: feed and page URLs carry them.
    "CREATE UNIQUE INDEX programme_municipality_slug ON programme (municipality, slug)",
    # The public session list filters by municipality and orders by start.
    "CREATE INDEX event_session_municipality_starts_at ON event_session (municipality, starts_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    async def drop_indexes():
        for name in ("programme_municipality_slug", "event_session_municipality_starts_at"):
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
