"""What registration mails say: the outbox rows for a registration's changes.

The context fixes the mail's content at the moment of its cause and holds no secret;
the worker adds the links, deriving the token then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt.events.service import all_day_fields
from treffpunkt.events.tables import EventStatus, Session, SessionStatus
from treffpunkt.i18n import translated
from treffpunkt.outbox import OutboxMessage, OutboxStatus, enqueue_all
from treffpunkt.registrations import notices
from treffpunkt.registrations.tables import ACTIVE, Registration, RegistrationStatus
from treffpunkt.registrations.targets import Target, position_of, target_of

RESEND_WINDOW = timedelta(minutes=10)  # at most one repeated mail per registration and window
# Why a mail was not sent: anyone can register anyone's address, so past a number of
# self-registrations per address and municipality (TREFFPUNKT_REGISTRATIONS_PER_EMAIL)
# their mails are written, as ever, but held back; so are the later mails of such a
# registration until its address is confirmed (it cannot be: no link went out).
HELD_BACK = "held back: too many registrations for this address lately"


def text_in(texts: dict[str, Any], locale: str, default: str) -> dict[str, Any]:
    return translated(texts, locale, default)[1]


async def base_context(target: Target) -> dict[str, Any]:
    """What every mail about this target says (no secrets, no personal data)."""
    event, municipality = target.event, target.municipality
    venue = target.venue
    if venue is not None:
        venue = {k: venue[k] for k in ("name", "street", "postal_code", "city", "room")}
    sessions: list[dict[str, Any]]
    if target.session is not None:
        session = target.session
        sessions = [
            {
                "id": session.id,
                "starts_at": session.starts_at,
                "ends_at": session.ends_at,
                "status": session.status,
                "all_day": session.all_day,
            }
        ]
    else:
        sessions = (
            await Session.select(
                Session.id, Session.starts_at, Session.ends_at, Session.status, Session.all_day
            )
            .where(Session.event == event.id)
            .order_by(Session.starts_at)
        )
    zone = ZoneInfo(municipality.time_zone)
    return {
        "event_id": event.id,
        "event_status": event.status,
        "event_texts": event.texts,
        "interpretation": event.interpretation,
        "online_url": event.online_url,
        "venue": venue,
        "sessions": [
            {
                "id": s["id"],
                "starts_at": s["starts_at"].isoformat(),
                "ends_at": s["ends_at"].isoformat(),
                "status": s["status"],
                # All day: told by its days, without times.
                **{k: str(v) if v else v for k, v in all_day_fields(s, zone).items()},
            }
            for s in sessions
        ],
        "municipality": {
            "slug": municipality.slug,
            "name": municipality.name,
            "default_locale": municipality.default_locale,
            "contact_email": municipality.contact_email,
            "sender_name": municipality.sender_name,
            "sender_email": municipality.sender_email,
            "website": municipality.website,
            "privacy_url": municipality.privacy_url,
            "time_zone": municipality.time_zone,
        },
    }


async def notify(
    registration: Registration,
    kind: str,
    base: dict[str, Any] | None = None,
    position: int | None = None,
    resend: bool = False,
) -> None:
    """Queue the mail for this registration's change (none without an email)."""
    if not registration.email:
        return
    if base is None:
        base = await base_context(await target_of(registration))
    row = mail_row(registration, kind, base, position, resend)
    if registration.email_confirmed_at is None and await was_held_back(registration.id):
        hold_back(row)
    await enqueue_all([row])


def hold_back(row: OutboxMessage) -> OutboxMessage:
    """Write the mail as it would be, but never send it (see HELD_BACK)."""
    row.status = OutboxStatus.skipped
    row.last_error = HELD_BACK
    return row


async def was_held_back(registration_id: int) -> bool:
    """Whether this registration's last mail was held back: then so are its later
    ones, until a repeated registration within the limit sends its link after all."""
    last = (
        await OutboxMessage.select(OutboxMessage.last_error)
        .where(
            (OutboxMessage.registration == registration_id)
            & (OutboxMessage.kind.like("registration_%"))
        )
        .order_by(OutboxMessage.id, ascending=False)
        .first()
    )
    return last is not None and last["last_error"] == HELD_BACK


def registration_context(
    registration: Registration, base: dict[str, Any], position: int | None = None
) -> dict[str, Any]:
    """What a mail says about this registration, on top of its target's context."""
    texts = base["event_texts"]
    default = base["municipality"]["default_locale"]
    return {
        **{k: v for k, v in base.items() if k != "event_texts"},
        "event_title": text_in(texts, registration.locale, default)["title"],
        "registration_id": registration.id,
        "name": notices.name_for_mail(registration),  # greets neutrally until confirmed
        "seats": registration.seats,
        "status": registration.status,
        "position": position,
        "email_confirmed": registration.email_confirmed_at is not None,
        "expires_at": registration.expires_at.isoformat() if registration.expires_at else None,
    }


def mail_row(
    registration: Registration,
    kind: str,
    base: dict[str, Any],
    position: int | None = None,
    resend: bool = False,
) -> OutboxMessage:
    """The outbox row for a registration's change.

    The context fixes what the mail says at the moment of its cause; the worker
    adds the links, deriving the token, so no token is ever stored.
    """
    dedupe = f"registration:{registration.id}:{kind}"
    if resend:
        window = int(datetime.now(UTC).timestamp() // RESEND_WINDOW.total_seconds())
        dedupe += f":resend:{window}"
    return notices.registration_message(
        registration,
        f"registration_{kind}",
        dedupe,
        registration_context(registration, base, position),
    )


async def current_context(
    kind: str, registration: Registration | None, stored: dict[str, Any], at: datetime
) -> dict[str, Any] | None:
    """A change or reminder mail's context as things are now; None: it should not go out."""
    if registration is None or registration.anonymised_at is not None or not registration.email:
        return None
    if registration.status not in ACTIVE:
        return None
    if registration.email_confirmed_at is None and await was_held_back(registration.id):
        return None
    base = await base_context(await target_of(registration))
    wanted = set(stored["session_ids"])
    sessions = [s for s in base["sessions"] if s["id"] in wanted]
    if kind == notices.CHANGED:
        sessions = [s for s in sessions if s["status"] != SessionStatus.cancelled]
    elif kind == notices.CANCELLED:
        sessions = [s for s in sessions if s["status"] == SessionStatus.cancelled]
    elif kind == notices.REMINDER:
        starts_at = datetime.fromisoformat(stored["starts_at"])  # when it was queued
        still = (
            registration.status == RegistrationStatus.confirmed
            and base["event_status"] == EventStatus.published
            and len(sessions) == 1
            and sessions[0]["status"] == SessionStatus.scheduled
            and datetime.fromisoformat(sessions[0]["starts_at"]) == starts_at
            and starts_at > at
        )
        if not still:
            return None
    if not sessions:
        return None
    # What is true for this reader: a place, a held place, or a waitlist place (and
    # where), and whether any of their sessions still takes place after a cancellation.
    remaining = any(
        s["status"] == SessionStatus.scheduled and datetime.fromisoformat(s["starts_at"]) > at
        for s in base["sessions"]
    )
    position = await position_of(registration)
    return {
        **registration_context(registration, base, position),
        "sessions": sessions,
        "remaining": remaining,
    }


STATE_MAIL = {
    RegistrationStatus.pending: "confirm_request",
    RegistrationStatus.waitlisted: "waitlisted",
    RegistrationStatus.confirmed: "confirmed",
}
