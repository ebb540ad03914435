"""What registrations' outbox rows mean to the worker; treffpunkt.app.wire hands these
to its registry (notifications/registry.py).

MAILS: every kind of mail registrations queue, and for those that must say what is
true when they go out, how their context is written then. TASKS: what registrations
do when events record that sessions moved or were cancelled. `registration_links`:
the links every mail about a registration carries, with the token derived when sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from treffpunkt import db
from treffpunkt.events.service import SESSIONS_CANCELLED, SESSIONS_MOVED
from treffpunkt.events.tables import Event
from treffpunkt.links import event_page_path
from treffpunkt.outbox import Row
from treffpunkt.registrations import invitations, messages, notices
from treffpunkt.registrations.mail import current_context
from treffpunkt.registrations.service import registration_token
from treffpunkt.registrations.tables import ACTIVE, Invitation, Registration
from treffpunkt.settings import Settings


async def _as_it_is_now(row: Row, at: datetime) -> dict[str, Any] | None:
    registration = None
    if row["registration"] is not None:
        registration = (
            await Registration.objects().where(Registration.id == row["registration"]).first()
        )
    return await current_context(row["kind"], registration, row["context"], at)


_STATES = ("confirm_request", "confirmed", "waitlisted", "promoted", "cancelled", "expired")

MAILS = {
    **{f"registration_{state}": None for state in _STATES},  # written at their cause
    notices.CHANGED: _as_it_is_now,
    notices.CANCELLED: _as_it_is_now,
    notices.REMINDER: _as_it_is_now,
    invitations.MAIL_KIND: None,  # written when the guide invites
    messages.GUIDE_MESSAGE: messages.as_it_is_now,  # a guide's message
}


async def tell_registrants(row: Row) -> None:
    """Events recorded that sessions moved or were cancelled: each person who holds a
    place there gets one mail (joined with one of the same kind still waiting)."""
    context = row["context"]
    await db.lock_rows(Event, context["event_id"])  # one event's tasks one after another
    kind = notices.CHANGED if row["kind"] == SESSIONS_MOVED else notices.CANCELLED
    await notices.sessions_changed(
        context["event_id"],
        context["session_ids"],
        kind,
        datetime.fromisoformat(context["changed_at"]),
    )


TASKS = {SESSIONS_MOVED: tell_registrants, SESSIONS_CANCELLED: tell_registrants}


async def registration_links(rows: list[Row], settings: Settings) -> dict[int, dict[str, Any]]:
    """The registration page of each mail's registration, by a token derived now (never
    stored), and the event's page ("more info"). A registration anonymised meanwhile
    gets no registration links."""
    ids = {row["registration"] for row in rows if row["registration"] is not None}
    if not ids:
        return {}
    found = {
        r["id"]: r
        for r in await Registration.select(
            Registration.id,
            Registration.token_salt,
            Registration.status,
            Registration.event,
            Registration.municipality.slug.as_alias("slug"),
        ).where(Registration.id.is_in(list(ids)) & Registration.token_salt.is_not_null())
    }
    secret_key = settings.resolved_secret_key()
    links: dict[int, dict[str, Any]] = {}
    for row in rows:
        registration = found.get(row["registration"])
        salt = registration["token_salt"] if registration else None
        manage = f"{settings.base_url}/r/{registration_token(secret_key, salt)}" if salt else None
        links[row["id"]] = {
            "manage_url": manage,
            "confirm_url": f"{manage}?confirm=1" if manage else None,
            # The footer offers to cancel only what can still be cancelled.
            "can_cancel": registration is not None and registration["status"] in ACTIVE,
            "event_url": settings.base_url
            + event_page_path(registration["slug"], registration["event"])
            if registration
            else None,
        }
    return links


async def invitation_links(rows: list[Row], settings: Settings) -> dict[int, dict[str, Any]]:
    """The personal link of each invitation mail, by a token derived now (never stored),
    and the event's page."""
    wanted = {
        row["context"]["invitation_id"]: row for row in rows if row["kind"] == invitations.MAIL_KIND
    }
    if not wanted:
        return {}
    secret_key = settings.resolved_secret_key()
    links: dict[int, dict[str, Any]] = {}
    for found in await Invitation.select(
        Invitation.id,
        Invitation.token_salt,
        Invitation.event,
        Invitation.municipality.slug.as_alias("slug"),
    ).where(Invitation.id.is_in(list(wanted))):
        token = invitations.invitation_token(secret_key, found["token_salt"])
        links[wanted[found["id"]]["id"]] = {
            "invitation_url": f"{settings.base_url}/m/{found['slug']}/invitations/{token}",
            "event_url": settings.base_url + event_page_path(found["slug"], found["event"]),
        }
    return links
