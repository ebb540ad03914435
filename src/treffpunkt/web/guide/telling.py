"""Telling people before a change: how many will get a mail, and the mail itself.

Before a guide saves a change that mails registrants (a moved, cancelled or restored
session, a new series, a cancelled event), the page says how many people will be
told and shows the mail one of them will get, rendered from the real mail kind with
the notifications' templates, in German (the workspace's language), as the change
will make it. The count is the rule registrations apply when the change is made
(registrations.notices.to_tell), so the page and the mails agree.

Use it from any page:

    told = await telling(tenant.municipality_id, event_id, [session_id], CHANGED,
                         proposed={session_id: {"starts_at": …, "ends_at": …}},
                         locale=page_locale, base_url=settings.base_url)
    if told is not None and not confirmed:
        return workspace_page(request, "guide/confirm.html", tenant, section="events",
                              told=told, action=…, hidden={…}, button=…, back=…)

and in templates `{% import "guide/telling.html" as telling with context %}`,
`{{ telling.box(told) }}`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from treffpunkt.events.tables import SessionStatus
from treffpunkt.notifications.rendering import render
from treffpunkt.registrations.mail import base_context, registration_context, text_in
from treffpunkt.registrations.notices import CANCELLED, CHANGED, name_for_mail, to_tell
from treffpunkt.registrations.targets import position_of, target_of
from treffpunkt.translations import languages_named_in

MAIL_LOCALE = "de"  # the sample is shown in the workspace's language
HIDDEN_LINK = "…"  # the sample shows no person's links (they carry their tokens)

__all__ = ["CANCELLED", "CHANGED", "Telling", "telling"]


@dataclass(frozen=True)
class Telling:
    people: int  # who will get a mail
    kind: str  # the mail kind (notifications' event_changed, event_cancelled)
    subject: str  # the sample mail, in German
    text: str
    languages: list[tuple[str, int]]  # other languages some will read it in, with counts


def _after(
    sessions: list[dict[str, Any]], proposed: Mapping[int, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The mail's sessions as they will be once the change is made."""
    changed = []
    for session in sessions:
        new = proposed.get(session["id"], {})
        values = {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in new.items()
        }
        changed.append({**session, **values})
    return changed


async def telling(
    event_id: int,
    session_ids: Collection[int],
    kind: str,
    *,
    locale: str,
    proposed: Mapping[int, Mapping[str, Any]] | None = None,
    event_status: str | None = None,
    base_url: str = "",
) -> Telling | None:
    """Who will be told of a change of these sessions, and the `kind` mail (CHANGED or
    CANCELLED) the first of them will get; None when nobody will be.

    `proposed` maps a session id to what the change makes of it: `starts_at`/`ends_at`
    (aware datetimes) and/or `status`; `event_status` the event's status after it
    (cancelled, for cancelling an event). `locale` names the other languages."""
    people = await to_tell(event_id, session_ids)
    if not people:
        return None
    first = people[0]
    base = await base_context(await target_of(first))
    if event_status is not None:
        base = {**base, "event_status": event_status}
    context = registration_context(first, base, await position_of(first))
    context["event_title"] = text_in(
        base["event_texts"], MAIL_LOCALE, base["municipality"]["default_locale"]
    )["title"]
    context["name"] = name_for_mail(first)
    wanted = set(session_ids)
    sessions = _after([s for s in base["sessions"] if s["id"] in wanted], proposed or {})
    everything = _after(base["sessions"], proposed or {})
    cancelled = SessionStatus.cancelled
    if kind == CANCELLED:
        sessions = [s for s in sessions if s["status"] == cancelled]
    else:
        sessions = [s for s in sessions if s["status"] != cancelled]
    now = datetime.now(UTC)
    context.update(
        {
            "sessions": sessions,
            "remaining": any(
                s["status"] == SessionStatus.scheduled
                and datetime.fromisoformat(s["starts_at"]) > now
                and (event_status or base["event_status"]) != "cancelled"
                for s in everything
            ),
            "manage_url": f"{base_url}/r/{HIDDEN_LINK}",
            "confirm_url": None,
            "can_cancel": True,
            "event_url": None,
            "calendar_url": None,
        }
    )
    mail = render(kind, MAIL_LOCALE, context)
    names = languages_named_in(locale)
    others = Counter(p.locale for p in people if p.locale != MAIL_LOCALE)
    return Telling(
        people=len(people),
        kind=kind,
        subject=mail.subject,
        text=mail.text,
        languages=[(names.get(code, code), n) for code, n in sorted(others.items())],
    )
