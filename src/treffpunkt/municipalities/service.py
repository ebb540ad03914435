"""Municipalities: created and changed by platform admins, read by everyone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from treffpunkt.db import is_unique_violation, write_transaction
from treffpunkt.errors import Conflict, NotFound
from treffpunkt.municipalities.logo import Logo
from treffpunkt.municipalities.schemas import (
    MunicipalityCreate,
    MunicipalityUpdate,
    PrivacyNoticeOut,
    TownSettings,
    TownSettingsOut,
)
from treffpunkt.municipalities.tables import Municipality, MunicipalityLogo, PrivacyNotice


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


# --- the town's settings, as its guides keep them -------------------------------------------


async def current_privacy_notice(municipality_id: int) -> PrivacyNotice | None:
    """The newest version of the town's own privacy notice text, if it has one."""
    return (
        await PrivacyNotice.objects()
        .where(PrivacyNotice.municipality == municipality_id)
        .order_by(PrivacyNotice.id, ascending=False)
        .first()
    )


async def town_settings(municipality_id: int) -> TownSettingsOut:
    municipality = await get_municipality_by_id(municipality_id)
    notice = await current_privacy_notice(municipality_id)
    own = {name: getattr(municipality, name, None) for name in TownSettingsOut.model_fields}
    own["privacy_notice"] = PrivacyNoticeOut.model_validate(notice) if notice else None
    own["logo"] = municipality.logo_digest is not None
    return TownSettingsOut.model_validate(own)


async def _next_version(municipality_id: int, at: datetime) -> str:
    """`YYYY-MM-DD.n`: the day of the change and its number that day (readable, sortable
    within a day, unique per town)."""
    day = at.date().isoformat()
    same_day = await PrivacyNotice.count().where(
        (PrivacyNotice.municipality == municipality_id) & PrivacyNotice.version.like(f"{day}.%")
    )
    return f"{day}.{same_day + 1}"


async def update_settings(municipality_id: int, data: TownSettings) -> Municipality:
    """Save a town's settings; a changed privacy notice text becomes a new version, which
    registrations from now on consent to. All in one transaction."""
    at = datetime.now(UTC)
    values = data.model_dump(exclude={"privacy_notice"})
    async with write_transaction():
        municipality = await get_municipality_by_id(municipality_id)
        notice = await current_privacy_notice(municipality_id)
        text = data.privacy_notice.strip()
        if text != (notice.text if notice else ""):
            version = await _next_version(municipality_id, at)
            await PrivacyNotice(
                municipality=municipality_id, version=version, text=text, created_at=at
            ).save()
            values["privacy_version"] = version
        if values["default_locale"] not in municipality.offered_locales:
            values["offered_locales"] = [values["default_locale"], *municipality.offered_locales]
        for name, value in values.items():
            setattr(municipality, name, value)
        municipality.updated_at = at
        await municipality.save()
    return municipality


async def set_logo(municipality_id: int, logo: Logo) -> None:
    """The town's logo from now on (prepared by logo.prepare_logo)."""
    at = datetime.now(UTC)
    async with write_transaction():
        await MunicipalityLogo.delete().where(MunicipalityLogo.municipality == municipality_id)
        await MunicipalityLogo(
            municipality=municipality_id, digest=logo.digest, data=logo.png, updated_at=at
        ).save()
        await Municipality.update(
            {Municipality.logo_digest: logo.digest, Municipality.updated_at: at}
        ).where(Municipality.id == municipality_id)


async def remove_logo(municipality_id: int) -> None:
    async with write_transaction():
        await MunicipalityLogo.delete().where(MunicipalityLogo.municipality == municipality_id)
        await Municipality.update(
            {Municipality.logo_digest: None, Municipality.updated_at: datetime.now(UTC)}
        ).where(Municipality.id == municipality_id)


async def logo_of(slug: str) -> tuple[bytes, str]:
    """The PNG of a town's logo and its digest, or NotFound."""
    row = (
        await MunicipalityLogo.select(MunicipalityLogo.data, MunicipalityLogo.digest)
        .where(MunicipalityLogo.municipality.slug == slug)
        .first()
    )
    if row is None:
        raise NotFound("This town has no logo.")
    return bytes(row["data"]), row["digest"]
