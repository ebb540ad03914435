"""Programmes: dated umbrellas such as the Interkulturelle Woche."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from treffpunkt.db import is_unique_violation, write_transaction
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.schemas import ProgrammeCreate, ProgrammeUpdate
from treffpunkt.events.tables import Event, Programme, ProgrammePartner, Session
from treffpunkt.partners.tables import Partner
from treffpunkt.tenancy import owned


async def list_programmes(municipality_id: int) -> list[dict[str, Any]]:
    return (
        await Programme.select()
        .where(owned(Programme, municipality_id))
        .order_by(Programme.starts_on)
        .output(load_json=True)
    )


async def get_programme(municipality_id: int, programme_id: int) -> dict[str, Any]:
    row = (
        await Programme.select()
        .where(owned(Programme, municipality_id, programme_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("No such programme.")
    return row


async def get_programme_by_slug(municipality_id: int, slug: str) -> dict[str, Any]:
    row = (
        await Programme.select()
        .where((Programme.slug == slug) & (owned(Programme, municipality_id)))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound(f"No programme '{slug}'.")
    return row


async def create_programme(municipality_id: int, data: ProgrammeCreate) -> dict[str, Any]:
    """Slugs are unique within a municipality, since feed and page URLs carry them."""
    programme = Programme(municipality=municipality_id, **data.model_dump(mode="json"))
    programme.starts_on, programme.ends_on = data.starts_on, data.ends_on
    programme.submissions_until = data.submissions_until
    try:
        async with write_transaction():
            await programme.save()
    except Exception as error:
        if is_unique_violation(error):
            raise Conflict("This slug is taken.", {"slug": "already taken"}) from None
        raise
    return await get_programme(municipality_id, programme.id)


async def update_programme(
    municipality_id: int, programme_id: int, data: ProgrammeUpdate
) -> dict[str, Any]:
    values: dict[Any, Any] = data.model_dump(exclude_unset=True)
    async with write_transaction():
        current = await get_programme(municipality_id, programme_id)
        starts_on = values.get("starts_on", current["starts_on"])
        ends_on = values.get("ends_on", current["ends_on"])
        if ends_on < starts_on:
            raise InvalidInput(
                "The programme would end before it starts.", {"ends_on": "too early"}
            )
        if data.texts is not None:
            values["texts"] = {k: v.model_dump() for k, v in data.texts.items()}
        values["updated_at"] = datetime.now(UTC)
        await Programme.update(values).where(Programme.id == programme_id)
    return await get_programme(municipality_id, programme_id)


async def programme_events(municipality_id: int, programme_id: int) -> list[dict[str, Any]]:
    """The programme's events, drafts included, each with its first session's start
    (None without sessions), in the order of that start."""
    await get_programme(municipality_id, programme_id)
    rows = (
        await Event.select(Event.id, Event.texts, Event.status, Event.organiser_name, Event.kind)
        .where(owned(Event, municipality_id) & (Event.programme == programme_id))
        .order_by(Event.id)
        .output(load_json=True)
    )
    starts: dict[int, Any] = {}
    for session in await Session.select(Session.event, Session.starts_at).where(
        Session.event.is_in([row["id"] for row in rows] or [-1])
    ):
        first = starts.get(session["event"])
        if first is None or session["starts_at"] < first:
            starts[session["event"]] = session["starts_at"]
    for row in rows:
        row["first_start"] = starts.get(row["id"])
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(rows, key=lambda row: (row["first_start"] or far, row["id"]))


# --- the programme's partner organisations --------------------------------------------------


async def programme_partners(municipality_id: int, programme_id: int) -> list[dict[str, Any]]:
    """The partners taking part, by name (404 for another town's programme)."""
    await get_programme(municipality_id, programme_id)
    ids = [
        row["partner"]
        for row in await ProgrammePartner.select(ProgrammePartner.partner).where(
            owned(ProgrammePartner, municipality_id) & (ProgrammePartner.programme == programme_id)
        )
    ]
    return (
        await Partner.select(
            Partner.id, Partner.name, Partner.kind, Partner.contact_name, Partner.email
        )
        .where(owned(Partner, municipality_id) & Partner.id.is_in(ids or [-1]))
        .order_by(Partner.name)
    )


async def add_partner(municipality_id: int, programme_id: int, partner_id: int) -> None:
    """Make one of the town's partners take part (again: nothing changes); another
    town's programme or partner is not found."""
    async with write_transaction():
        await get_programme(municipality_id, programme_id)
        if not await Partner.exists().where(owned(Partner, municipality_id, partner_id)):
            raise NotFound("No such partner.")
        if await ProgrammePartner.exists().where(
            (ProgrammePartner.programme == programme_id) & (ProgrammePartner.partner == partner_id)
        ):
            return
        await ProgrammePartner(
            municipality=municipality_id, programme=programme_id, partner=partner_id
        ).save()


async def remove_partner(municipality_id: int, programme_id: int, partner_id: int) -> None:
    """The partner no longer takes part (done already: nothing changes); another town's
    programme or partner is not found."""
    async with write_transaction():
        await get_programme(municipality_id, programme_id)
        if not await Partner.exists().where(owned(Partner, municipality_id, partner_id)):
            raise NotFound("No such partner.")
        await ProgrammePartner.delete().where(
            owned(ProgrammePartner, municipality_id)
            & (ProgrammePartner.programme == programme_id)
            & (ProgrammePartner.partner == partner_id)
        )
