"""Venues say how many people their room holds, and carry notes for the town's guides
(keys, caretaker, what to bring), which residents never see."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-29T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "venue capacity and guides' notes"


def _params(default: object, null: bool) -> dict[str, object]:
    return {
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Venue",
        tablename="venue",
        column_name="capacity",
        db_column_name="capacity",
        column_class_name="Integer",
        column_class=Integer,
        params=_params(None, True),
        schema=None,
    )
    manager.add_column(
        table_class_name="Venue",
        tablename="venue",
        column_name="notes",
        db_column_name="notes",
        column_class_name="Text",
        column_class=Text,
        params=_params("", False),
        schema=None,
    )
    return manager
