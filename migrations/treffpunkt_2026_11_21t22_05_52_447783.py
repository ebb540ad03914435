from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-11-21T22:05:52:447783"
VERSION = "1.38.0"
DESCRIPTION = "skipped mail status"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="treffpunkt", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="OutboxMessage",
        tablename="outbox_message",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "OutboxStatus",
                {
                    "queued": "queued",
                    "sending": "sending",
                    "sent": "sent",
                    "failed": "failed",
                    "skipped": "skipped",
                },
            )
        },
        old_params={
            "choices": Enum(
                "OutboxStatus",
                {
                    "queued": "queued",
                    "sending": "sending",
                    "sent": "sent",
                    "failed": "failed",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
