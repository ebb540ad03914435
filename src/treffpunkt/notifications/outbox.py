"""The one way a mail is made: a row in the transaction of the change that causes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.query import Insert

from treffpunkt import db
from treffpunkt.notifications.tables import OutboxMessage


class OutsideTransaction(RuntimeError):
    """Mail queued with no transaction open: it could outlive a rolled-back change."""


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


async def enqueue_all(messages: list[OutboxMessage]) -> int:
    """Queue mails inside the caller's transaction; a cause that has its mail is skipped.

    The unique dedupe key makes a repeated cause a no-op, on both engines, without
    aborting the caller's transaction. Returns how many were new.
    """
    if db.engine().current_transaction.get() is None:
        raise OutsideTransaction("mail must be queued in the transaction of its cause")
    if not messages:
        return 0
    query: Insert = OutboxMessage.insert(*messages).on_conflict(
        target=OutboxMessage.dedupe_key, action="DO NOTHING"
    )
    return len(await query.returning(OutboxMessage.id))
