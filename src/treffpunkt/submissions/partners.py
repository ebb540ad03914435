"""The organisation behind an approved submission, as one of the town's partners: found
by its email address (case does not matter), else by its name (nor case, nor spaces),
else added; a partner found keeps what the guides wrote, and only gains what it
lacked (contact person, email, phone)."""

from __future__ import annotations

from typing import Any

from treffpunkt.partners.schemas import PartnerCreate
from treffpunkt.partners.tables import Partner, PartnerKind
from treffpunkt.submissions.tables import Submission
from treffpunkt.tenancy import owned


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


async def find_or_add(
    municipality_id: int,
    *,
    name: str,
    contact_name: str,
    email: str,
    phone: str | None,
    locale: str,
) -> int:
    """The partner's id; runs inside the approval's transaction."""
    partners = await Partner.objects().where(owned(Partner, municipality_id))
    found = next(
        (p for p in partners if p.email and p.email.casefold() == email.casefold()), None
    ) or next((p for p in partners if _same_name(p.name, name)), None)
    if found is None:
        data = PartnerCreate(
            name=name,
            kind=PartnerKind.other,
            contact_name=contact_name,
            email=email,
            phone=phone,
            locale=locale,  # type: ignore[arg-type]  # a Locale, checked at the form
        )
        partner = Partner(municipality=municipality_id, **data.model_dump(mode="json"))
        await partner.save()
        return int(partner.id)
    gained: dict[Any, Any] = {}
    if not found.contact_name:
        gained[Partner.contact_name] = contact_name
    if not found.email:
        gained[Partner.email] = email
    if not found.phone and phone:
        gained[Partner.phone] = phone
    if gained:
        await Partner.update(gained).where(Partner.id == found.id)
    return int(found.id)


def submission_columns(partner_id: int) -> dict[Any, Any]:
    return {Submission.partner: partner_id}
