"""The one way a mail is made: a row in the transaction of the change that causes it."""

from __future__ import annotations

from typing import Any

from piccolo.query import Insert

from treffpunkt import db
from treffpunkt.notifications.tables import OutboxMessage


class OutsideTransaction(RuntimeError):
    """enqueue() was called with no transaction open: the mail could outlive a rollback."""


async def enqueue(
    *,
    municipality_id: int,
    kind: str,
    locale: str,
    recipient_email: str,
    recipient_name: str | None,
    dedupe_key: str,
    context: dict[str, Any],
    registration_id: int | None = None,
) -> bool:
    """Queue a mail inside the caller's transaction; False if this cause already has one.

    The unique dedupe key makes a repeated cause a no-op, on both engines, without
    aborting the caller's transaction.
    """
    if db.engine().current_transaction.get() is None:
        raise OutsideTransaction(f"enqueue({kind}) needs the transaction of its cause")
    query: Insert = OutboxMessage.insert(
        OutboxMessage(
            municipality=municipality_id,
            kind=kind,
            locale=locale,
            recipient_email=recipient_email,
            recipient_name=recipient_name,
            registration=registration_id,
            context=context,
            dedupe_key=dedupe_key,
        )
    ).on_conflict(target=OutboxMessage.dedupe_key, action="DO NOTHING")
    inserted = await query.returning(OutboxMessage.id)
    return bool(inserted)
