"""Municipalities: created and changed by platform admins, read by everyone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from treffpunkt.db import is_unique_violation, write_transaction
from treffpunkt.errors import Conflict, NotFound
from treffpunkt.municipalities.schemas import MunicipalityCreate, MunicipalityUpdate
from treffpunkt.municipalities.tables import Municipality


async def list_municipalities(*, include_inactive: bool = False) -> list[Municipality]:
    """The active municipalities by name; with `include_inactive` (admins) every one."""
    query = Municipality.objects().order_by(Municipality.name)
    if not include_inactive:
        query = query.where(Municipality.active.eq(True))
    return await query


async def get_municipality(slug: str, *, include_inactive: bool = False) -> Municipality:
    """The active municipality with this slug, or NotFound: a deactivated town is gone
    from the public pages and the API. Admins pass `include_inactive`."""
    query = Municipality.objects().where(Municipality.slug == slug)
    if not include_inactive:
        query = query.where(Municipality.active.eq(True))
    municipality = await query.first()
    if municipality is None:
        raise NotFound(f"No municipality '{slug}'.")
    return municipality


async def get_municipality_by_id(municipality_id: int) -> Municipality:
    municipality = await Municipality.objects().where(Municipality.id == municipality_id).first()
    if municipality is None:
        raise NotFound("No such municipality.")
    return municipality


def _columns(data: MunicipalityCreate | MunicipalityUpdate) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=isinstance(data, MunicipalityUpdate))
    if values.get("website") is not None:
        values["website"] = str(values["website"])
    return values


async def create_municipality(data: MunicipalityCreate) -> Municipality:
    """A new tenant; slugs are unique and never change."""
    municipality = Municipality(**_columns(data))
    try:
        async with write_transaction():
            await municipality.save()
    except Exception as error:
        if is_unique_violation(error):
            raise Conflict("This slug is taken.", {"slug": "already taken"}) from None
        raise
    return municipality


async def update_municipality(slug: str, data: MunicipalityUpdate) -> Municipality:
    values = _columns(data)
    async with write_transaction():
        municipality = await get_municipality(slug, include_inactive=True)
        offered = values.get("offered_locales", municipality.offered_locales)
        default = values.get("default_locale", municipality.default_locale)
        if default not in offered:
            values["offered_locales"] = [default, *offered]
        for name, value in values.items():
            setattr(municipality, name, value)
        municipality.updated_at = datetime.now(UTC)
        await municipality.save()
    return municipality
