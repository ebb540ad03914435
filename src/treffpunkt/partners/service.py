"""Partners of a municipality: every lookup scoped to it (another town's is not found)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from treffpunkt.db import write_transaction
from treffpunkt.errors import NotFound
from treffpunkt.partners.schemas import (
    ContactCreate,
    ContactUpdate,
    PartnerCreate,
    PartnerUpdate,
)
from treffpunkt.partners.tables import Partner, PartnerContact, PartnerKind
from treffpunkt.tenancy import owned


async def list_partners(
    municipality_id: int, kind: PartnerKind | None = None, search: str | None = None
) -> list[Partner]:
    query = Partner.objects().where(owned(Partner, municipality_id))
    if kind is not None:
        query = query.where(Partner.kind == kind.value)
    if search:
        pattern = "%" + search.replace("\\", "").replace("%", "").replace("_", "") + "%"
        # a partner is found by its name, its contact name, or one of its contact people's
        people = await (
            PartnerContact.select(PartnerContact.partner)
            .where(PartnerContact.partner.municipality == municipality_id)
            .where(PartnerContact.name.ilike(pattern))
        )
        match = Partner.name.ilike(pattern) | Partner.contact_name.ilike(pattern)
        ids = sorted({row["partner"] for row in people})
        if ids:
            match = match | Partner.id.is_in(ids)
        query = query.where(match)
    return await query.order_by(Partner.name)


async def get_partner(municipality_id: int, partner_id: int) -> Partner:
    partner = await Partner.objects().where(owned(Partner, municipality_id, partner_id)).first()
    if partner is None:
        raise NotFound("No such partner.")
    return partner


async def create_partner(municipality_id: int, data: PartnerCreate) -> Partner:
    partner = Partner(municipality=municipality_id, **data.model_dump(mode="json"))
    async with write_transaction():
        await partner.save()
    return partner


async def update_partner(municipality_id: int, partner_id: int, data: PartnerUpdate) -> Partner:
    async with write_transaction():
        partner = await get_partner(municipality_id, partner_id)
        for name, value in data.model_dump(mode="json", exclude_unset=True).items():
            setattr(partner, name, value)
        partner.updated_at = datetime.now(UTC)
        await partner.save()
    return partner


def _contact_of(municipality_id: int, partner_id: int, contact_id: int | None = None) -> Any:
    """Where-clause: contact people of the town's partner (with an id: that one)."""
    clause = (PartnerContact.partner == partner_id) & (
        PartnerContact.partner.municipality == municipality_id
    )
    return clause if contact_id is None else clause & (PartnerContact.id == contact_id)


async def list_contacts(municipality_id: int, partner_id: int) -> list[PartnerContact]:
    """The partner's contact people by name; another town's partner is not found."""
    await get_partner(municipality_id, partner_id)
    return await (
        PartnerContact.objects()
        .where(_contact_of(municipality_id, partner_id))
        .order_by(PartnerContact.name)
        .order_by(PartnerContact.id)
    )


async def get_contact(municipality_id: int, partner_id: int, contact_id: int) -> PartnerContact:
    contact = (
        await PartnerContact.objects()
        .where(_contact_of(municipality_id, partner_id, contact_id))
        .first()
    )
    if contact is None:
        raise NotFound("No such contact person.")
    return contact


async def create_contact(
    municipality_id: int, partner_id: int, data: ContactCreate
) -> PartnerContact:
    async with write_transaction():
        await get_partner(municipality_id, partner_id)
        contact = PartnerContact(partner=partner_id, **data.model_dump(mode="json"))
        await contact.save()
    return contact


async def update_contact(
    municipality_id: int, partner_id: int, contact_id: int, data: ContactUpdate
) -> PartnerContact:
    async with write_transaction():
        contact = await get_contact(municipality_id, partner_id, contact_id)
        for name, value in data.model_dump(mode="json", exclude_unset=True).items():
            setattr(contact, name, value)
        contact.updated_at = datetime.now(UTC)
        await contact.save()
    return contact


async def delete_contact(municipality_id: int, partner_id: int, contact_id: int) -> None:
    async with write_transaction():
        contact = await get_contact(municipality_id, partner_id, contact_id)
        await PartnerContact.delete().where(PartnerContact.id == contact.id)
