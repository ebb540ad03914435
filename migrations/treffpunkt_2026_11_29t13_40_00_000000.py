"""Contact people of partners: the partner_contact table (deleted with its partner)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Partner(Table, tablename="partner", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-11-29T13:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partner contact people"


def _params(**special):
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **special,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="treffpunkt", description=DESCRIPTION)
    manager.add_table(
        class_name="PartnerContact", tablename="partner_contact", schema=None, columns=None
    )

    def column(name, column_class, **params):
        manager.add_column(
            table_class_name="PartnerContact",
            tablename="partner_contact",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=_params(**params),
            schema=None,
        )

    column("id", Serial, primary_key=True)
    column(
        "partner",
        ForeignKey,
        default=None,
        references=Partner,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        target_column=None,
        index=True,
    )
    column("name", Varchar, default="", length=200)
    column("role", Varchar, default="", length=200)
    column("email", Varchar, default=None, length=254, null=True)
    column("phone", Varchar, default=None, length=30, null=True)
    column("locale", Varchar, default="de", length=5)
    column("notes", Text, default="")
    column("created_at", Timestamptz, default=TimestamptzNow())
    column("updated_at", Timestamptz, default=TimestamptzNow())
    return manager
