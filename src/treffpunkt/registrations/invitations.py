"""Invitations: events by invitation only (e.g. a Runder Tisch der Religionen), where
only the partners a guide invited may register, each through a personal link.

Rules:
- An event by invitation (`Event.access` invitation_only) takes no registration from its
  public page or the public API (service._check_open); only through an invitation.
- A guide invites partners of the own town (`partners`) that have an email address; each
  gets one invitation per event (inviting again changes nothing) and a mail
  (`partner_invitation`) in the partner's language, with the personal link.
- The link's token is derived from the secret key and the invitation's salt, like a
  registration's: never stored, only its hash. It opens the registration form filled in
  for that partner and allows exactly one registration, to the invited address: the
  mail reached it, so the place is confirmed at once. Opened again, it leads to that
  registration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from treffpunkt import db
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.tables import Event, EventAccess, EventStatus
from treffpunkt.i18n import LOCALES
from treffpunkt.outbox import enqueue_all, message
from treffpunkt.partners.tables import Partner
from treffpunkt.registrations import service
from treffpunkt.registrations.mail import base_context, text_in
from treffpunkt.registrations.schemas import RegistrationCreate
from treffpunkt.registrations.tables import Invitation, Registration, RegistrationStatus
from treffpunkt.registrations.targets import Target, any_event_target
from treffpunkt.tenancy import owned
from treffpunkt.tokens import derive_token, hash_token, new_salt

TOKEN_PURPOSE = "invitation"  # noqa: S105 (an HMAC domain label)
MAIL_KIND = "partner_invitation"
MAX_PER_REQUEST = 200  # partners invited at once


def invitation_token(secret_key: str, salt: str) -> str:
    return derive_token(secret_key, TOKEN_PURPOSE, salt)


@dataclass(frozen=True)
class InvitationState:
    """An invitation as guides see it: to whom, when, and what came of it."""

    id: int
    partner_id: int | None
    name: str
    email: str
    locale: str
    created_at: datetime
    registration_id: int | None
    registration_status: RegistrationStatus | None
    partner_name: str | None = None  # the organisation now (empty once the partner is deleted)


async def _own_event(municipality_id: int, event_id: int) -> Event:
    event = await Event.objects().where(owned(Event, municipality_id, event_id)).first()
    if event is None:
        raise NotFound("No such event.")
    return event


async def set_access(municipality_id: int, event_id: int, access: EventAccess) -> Event:
    """Make an event public or by invitation only. Registrations made before stay."""
    async with db.write_transaction():
        event = await _own_event(municipality_id, event_id)
        event.access = access
        event.updated_at = datetime.now(UTC)
        await event.save([Event.access, Event.updated_at])
    return event


async def list_invitations(municipality_id: int, event_id: int) -> list[InvitationState]:
    """Who was invited to the event, oldest first, and who registered."""
    await _own_event(municipality_id, event_id)
    rows = (
        await Invitation.select(
            Invitation.id,
            Invitation.partner,
            Invitation.name,
            Invitation.email,
            Invitation.locale,
            Invitation.created_at,
            Invitation.registration,
            Invitation.registration.status.as_alias("registration_status"),
            Invitation.partner.name.as_alias("partner_name"),
        )
        .where(owned(Invitation, municipality_id) & (Invitation.event == event_id))
        .order_by(Invitation.id)
    )
    return [
        InvitationState(
            id=row["id"],
            partner_id=row["partner"],
            name=row["name"],
            email=row["email"],
            locale=row["locale"],
            created_at=row["created_at"],
            registration_id=row["registration"],
            registration_status=RegistrationStatus(row["registration_status"])
            if row["registration_status"]
            else None,
            partner_name=row["partner_name"],
        )
        for row in rows
    ]


def _mail_context(
    base: dict[str, Any], invitation: Invitation, default_locale: str
) -> dict[str, Any]:
    """What the invitation mail says; the link is added when it is sent (kinds.py)."""
    return {
        **{k: v for k, v in base.items() if k != "event_texts"},
        "event_title": text_in(base["event_texts"], invitation.locale, default_locale)["title"],
        "invitation_id": invitation.id,
        "name": invitation.name,
        "seats": 1,
    }


async def invite(
    municipality_id: int, event_id: int, partner_ids: Sequence[int], secret_key: str
) -> list[InvitationState]:
    """Invite these partners of the town to its event by invitation: one invitation and
    one mail each; a partner invited before is left as it is. All or nothing: an
    unknown partner, or one without email, refuses the whole request, naming it."""
    ids = list(dict.fromkeys(partner_ids))
    if not ids:
        raise InvalidInput("Choose at least one partner.", {"partner_ids": "none chosen"})
    if len(ids) > MAX_PER_REQUEST:
        raise InvalidInput(
            "Too many partners at once.", {"partner_ids": f"at most {MAX_PER_REQUEST}"}
        )
    event = await _own_event(municipality_id, event_id)
    if event.access != EventAccess.invitation_only:
        raise Conflict(
            "Only an event by invitation takes invitations.", {"access": "not invitation only"}
        )
    if event.status != EventStatus.published:
        raise Conflict("Invite once the event is published.", {"event": event.status})
    partners = {
        p.id: p
        for p in await Partner.objects().where(
            owned(Partner, municipality_id) & Partner.id.is_in(ids)
        )
    }
    missing = [i for i in ids if i not in partners]
    if missing:
        raise NotFound(f"No such partner: {missing[0]}.")
    without_email = [partners[i].name for i in ids if not partners[i].email]
    if without_email:
        raise InvalidInput(
            f"{without_email[0]} has no email address to invite.",
            {"partner_ids": f"no email address: {without_email[0]}"},
        )
    target: Target = await any_event_target(event_id)
    base = await base_context(target)
    default_locale = target.municipality.default_locale
    try:
        async with db.write_transaction():
            invited_before = {
                row["partner"]
                for row in await Invitation.select(Invitation.partner).where(
                    (Invitation.event == event_id) & Invitation.partner.is_in(ids)
                )
            }
            new = []
            for partner_id in ids:
                if partner_id in invited_before:
                    continue
                partner = partners[partner_id]
                salt = new_salt()
                locale = getattr(partner, "locale", None) or default_locale
                new.append(
                    Invitation(
                        municipality=municipality_id,
                        event=event_id,
                        partner=partner_id,
                        name=partner.contact_name or partner.name,
                        email=partner.email.lower(),
                        locale=locale if locale in LOCALES else default_locale,
                        token_salt=salt,
                        token_hash=hash_token(invitation_token(secret_key, salt)),
                    )
                )
            if new:
                ids_by_hash = {
                    row["token_hash"]: row["id"]
                    for row in await Invitation.insert(*new).returning(
                        Invitation.id, Invitation.token_hash
                    )
                }
                for invitation in new:
                    invitation.id = ids_by_hash[invitation.token_hash]
                await enqueue_all(
                    [
                        message(
                            municipality_id=municipality_id,
                            kind=MAIL_KIND,
                            locale=invitation.locale,
                            recipient_email=invitation.email,
                            recipient_name=invitation.name,
                            dedupe_key=f"invitation:{invitation.id}",
                            context=_mail_context(base, invitation, default_locale),
                        )
                        for invitation in new
                    ]
                )
    except Exception as error:
        if db.is_unique_violation(error):  # another guide invited one of them meanwhile
            raise Conflict(
                "Someone invited one of these partners just now: please look again.",
                {"partner_ids": "invited meanwhile"},
            ) from None
        raise
    return await list_invitations(municipality_id, event_id)


async def by_token(token: str) -> Invitation:
    """The invitation of a link, or NotFound."""
    invitation = (
        await Invitation.objects().where(Invitation.token_hash == hash_token(token)).first()
    )
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    return invitation


async def registration_of(invitation: Invitation) -> Registration | None:
    """The registration made through this invitation, if any."""
    if invitation.registration is None:
        return None
    return (
        await Registration.objects()
        .where((Registration.id == invitation.registration) & Registration.anonymised_at.is_null())
        .first()
    )


async def register_invited(
    invitation: Invitation, target: Target, data: RegistrationCreate, secret_key: str
) -> tuple[Registration, bool]:
    """Register through an invitation: to the invited address, whatever the form said,
    confirmed at once. Exactly one registration per invitation: once made, this gives
    it back (created False) and registers nobody else."""
    earlier = await registration_of(invitation)
    if earlier is not None:
        return earlier, False
    if target.event.id != invitation.event:
        raise NotFound("No such session.")
    data = data.model_copy(update={"email": invitation.email})
    outcome = await service.register(target, data, secret_key, invited=True)
    async with db.write_transaction():
        # Two quick submits give the one registration of the address (its unique index),
        # so whichever comes second links the same one.
        await Invitation.update({Invitation.registration: outcome.registration.id}).where(
            (Invitation.id == invitation.id) & Invitation.registration.is_null()
        )
    return outcome.registration, outcome.created
