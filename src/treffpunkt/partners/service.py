"""Partners of a municipality: every lookup scoped to it (another town's is not found)."""

from __future__ import annotations

from datetime import UTC, datetime

from treffpunkt.db import write_transaction
from treffpunkt.errors import NotFound
from treffpunkt.partners.schemas import PartnerCreate, PartnerUpdate
from treffpunkt.partners.tables import Partner, PartnerKind
from treffpunkt.tenancy import owned


async def list_partners(
    municipality_id: int, kind: PartnerKind | None = None, search: str | None = None
) -> list[Partner]:
    query = Partner.objects().where(owned(Partner, municipality_id))
    if kind is not None:
        query = query.where(Partner.kind == kind.value)
    if search:
        pattern = "%" + search.replace("\\", "").replace("%", "").replace("_", "") + "%"
        query = query.where(Partner.name.ilike(pattern) | Partner.contact_name.ilike(pattern))
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
