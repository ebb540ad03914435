"""Venues of a municipality."""

from __future__ import annotations

from datetime import UTC, datetime

from treffpunkt.db import write_transaction
from treffpunkt.errors import NotFound
from treffpunkt.events.schemas import VenueCreate, VenueUpdate
from treffpunkt.events.tables import Venue
from treffpunkt.tenancy import owned


async def list_venues(municipality_id: int) -> list[Venue]:
    return await Venue.objects().where(owned(Venue, municipality_id)).order_by(Venue.name)


async def get_venue(municipality_id: int, venue_id: int) -> Venue:
    venue = await Venue.objects().where(owned(Venue, municipality_id, venue_id)).first()
    if venue is None:
        raise NotFound("No such venue.")
    return venue


async def create_venue(municipality_id: int, data: VenueCreate) -> Venue:
    venue = Venue(municipality=municipality_id, **data.model_dump())
    async with write_transaction():
        await venue.save()
    return venue


async def update_venue(municipality_id: int, venue_id: int, data: VenueUpdate) -> Venue:
    async with write_transaction():
        venue = await get_venue(municipality_id, venue_id)
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(venue, name, value)
        venue.updated_at = datetime.now(UTC)
        await venue.save()
    return venue
