"""The outbox: what a change leaves to be done after it commits.

Mostly mails; also tasks, work one domain leaves for a later one (events record that
sessions moved; registrations turn that into their people's mails). Every row is
written in the transaction of its cause, with a `dedupe_key` naming that cause, and
a worker (notifications) does it once.

The table and the functions that write it live here, beside db.py, and not in
notifications: every domain queues rows, and domains never import the outer
adapters (notifications, calendars, web). Only the worker reads the rows, and it
knows what a kind means only from what the domains wired into its registry.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from piccolo.columns import JSON, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.query import Insert
from piccolo.table import Table

from treffpunkt import db
from treffpunkt.municipalities.tables import Municipality

Row = dict[str, Any]  # an outbox row as the worker claimed it, its context loaded


class Undeliverable(Exception):
    """What a row asks for cannot be made from its data: the same data fails the same
    way every time (a calendar that cannot be rendered), so the worker ends the row as
    failed instead of trying it again. Raised by a domain's or an adapter's part of a
    mail, from code that reads nothing: a database that fails for now is no reason."""


class OutboxStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"  # a task: done
    failed = "failed"
    # A later change made it wrong (e.g. a reminder for a cancelled place), or it was held
    # back (see registrations.mail.hold_back); `last_error` then says why.
    skipped = "skipped"


class OutboxMessage(Table, tablename="outbox_message"):
    """A mail to send, or a task to do, written in the same transaction as its cause.

    `dedupe_key` names the cause (e.g. "registration:17:confirmed"): a unique index
    on it makes one cause give one row, however often the change is retried.
    Tasks have no recipient (empty `recipient_email` and `locale`).
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


def message(
    *,
    municipality_id: int,
    kind: str,
    locale: str,
    recipient_email: str,
    recipient_name: str | None,
    dedupe_key: str,
    context: dict[str, Any],
    registration_id: int | None = None,
    send_after: datetime | None = None,
) -> OutboxMessage:
    row = OutboxMessage(
        municipality=municipality_id,
        kind=kind,
        locale=locale,
        recipient_email=recipient_email,
        recipient_name=recipient_name,
        registration=registration_id,
        context=context,
        dedupe_key=dedupe_key,
    )
    if send_after is not None:  # e.g. to gather several quick changes into one mail
        row.next_attempt_at = send_after
    return row


def task(
    *,
    municipality_id: int,
    kind: str,
    dedupe_key: str,
    context: dict[str, Any],
    send_after: datetime | None = None,
) -> OutboxMessage:
    """A task for the worker: the domain that registered `kind` does it, once."""
    return message(
        municipality_id=municipality_id,
        kind=kind,
        locale="",
        recipient_email="",
        recipient_name=None,
        dedupe_key=dedupe_key,
        context=context,
        send_after=send_after,
    )


async def enqueue_all(messages: list[OutboxMessage]) -> int:
    """Queue rows inside the caller's transaction; a cause that has its row is skipped.

    The unique dedupe key makes a repeated cause a no-op, on both engines, without
    aborting the caller's transaction. Returns how many were new.
    """
    db.require_transaction("queuing mail")
    if not messages:
        return 0
    query: Insert = OutboxMessage.insert(*messages).on_conflict(
        target=OutboxMessage.dedupe_key, action="DO NOTHING"
    )
    return len(await query.returning(OutboxMessage.id))
