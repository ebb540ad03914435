"""What the pages' layout shows of a municipality: its phone, imprint and colour."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-29T09:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "municipality contact phone, imprint and accent colour"

COLUMNS = {
    "contact_phone": {"length": 30, "default": None, "null": True},
    "imprint_url": {"length": 500, "default": None, "null": True},
    "accent_colour": {"length": 7, "default": "#005a8c", "null": False},
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)
    for name, params in COLUMNS.items():
        manager.add_column(
            table_class_name="Municipality",
            tablename="municipality",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params={
                **params,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
