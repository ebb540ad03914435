"""What a guide's change would tell the people registered, before it is made: how many
get a mail, and the mail's context for one of them, as it would be after the change.

The same rules as the mails that go out (notices.to_tell for who,
mail.told_context for what); nothing is written. Rendering is the adapters' part.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from treffpunkt.events.tables import EventStatus, Session, SessionStatus
from treffpunkt.registrations import notices
from treffpunkt.registrations.mail import base_context, told_context
from treffpunkt.registrations.targets import target_of


@dataclass(frozen=True)
class Telling:
    """`count` people would get a mail of `kind`; `context` (None when nobody would) is
    that mail's for one of them, in their `locale`, without its links."""

    count: int
    kind: str
    locale: str | None = None
    context: dict[str, Any] | None = None


async def event_cancellation(event_id: int, at: datetime | None = None) -> Telling:
    """What cancelling the event would tell: the people holding a place or a queue place
    in its sessions still to come (events.service.cancel_event cancels those)."""
    at = at or datetime.now(UTC)
    upcoming = [
        row["id"]
        for row in await Session.select(Session.id).where(
            (Session.event == event_id)
            & (Session.status == SessionStatus.scheduled)
            & (Session.ends_at > at)
        )
    ]
    return await sessions_cancelled(event_id, upcoming, at, event_status=EventStatus.cancelled)


async def sessions_cancelled(
    event_id: int,
    session_ids: Collection[int],
    at: datetime,
    event_status: str | None = None,
) -> Telling:
    """What cancelling these sessions (and, with `event_status`, setting the event's)
    would tell."""
    kind = notices.CANCELLED
    ids = set(session_ids)
    if not ids:
        return Telling(0, kind)
    registrants = await notices.to_tell(event_id, ids, at)
    if not registrants:
        return Telling(0, kind)
    first = registrants[0]
    base = await base_context(await target_of(first))
    base["sessions"] = [
        {**s, "status": SessionStatus.cancelled} if s["id"] in ids else s for s in base["sessions"]
    ]
    if event_status is not None:
        base["event_status"] = event_status
    affected = [first.session] if first.session is not None else sorted(ids)
    context = await told_context(kind, first, base, {"session_ids": affected}, at)
    return Telling(len(registrants), kind, first.locale, context)
