from enum import StrEnum

from piccolo.columns import JSON, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from treffpunkt.municipalities.tables import Municipality


class OutboxStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"  # a later change made it wrong, e.g. a reminder for a cancelled place


class OutboxMessage(Table, tablename="outbox_message"):
    """A mail to send, written in the same transaction as the change that causes it.

    `dedupe_key` names the cause (e.g. "registration:17:confirmed"): a unique index
    on it makes one cause give one mail, however often the change is retried.
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.cascade, index=True, null=False)
    kind = Varchar(length=64)
    locale = Varchar(length=8)
    recipient_email = Varchar(length=254)
    recipient_name = Varchar(length=200, null=True, default=None)
    registration = Integer(null=True, default=None, index=True)
    context = JSON()
    dedupe_key = Varchar(length=200, unique=True)
    status = Varchar(length=16, choices=OutboxStatus, default=OutboxStatus.queued)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    claimed_at = Timestamptz(null=True, default=None)
    claimed_by = Varchar(length=64, null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
