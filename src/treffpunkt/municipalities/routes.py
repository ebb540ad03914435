from __future__ import annotations

from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from treffpunkt.accounts.dependencies import ADMINS_ONLY, Tenant
from treffpunkt.links import feed_links
from treffpunkt.municipalities import service
from treffpunkt.municipalities.schemas import (
    MunicipalityCreate,
    MunicipalityOut,
    MunicipalityUpdate,
    TownSettings,
    TownSettingsOut,
)
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.openapi import errors
from treffpunkt.schemas import PathSlug
from treffpunkt.settings import Settings


class MunicipalityController(Controller):
    path = "/api/v1/municipalities"
    tags = ["municipalities"]

    @get("/", operation_id="listMunicipalities")
    async def list_municipalities(
        self, settings: NamedDependency[Settings]
    ) -> list[MunicipalityOut]:
        """Every municipality on this installation, with its calendar feed."""
        return [_public(m, settings) for m in await service.list_municipalities()]

    @get("/{slug:str}", operation_id="getMunicipality")
    async def get_municipality(
        self, slug: PathSlug, settings: NamedDependency[Settings]
    ) -> MunicipalityOut:
        """One municipality by its slug, with its calendar feed."""
        return _public(await service.get_municipality(slug), settings)

    @post("/", operation_id="createMunicipality", responses=errors(409), **ADMINS_ONLY)
    async def create_municipality(self, data: JSONBody[MunicipalityCreate]) -> MunicipalityOut:
        """Create a municipality (platform admins)."""
        return MunicipalityOut.model_validate(await service.create_municipality(data))

    @patch("/{slug:str}", operation_id="updateMunicipality", **ADMINS_ONLY)
    async def update_municipality(
        self, slug: PathSlug, data: JSONBody[MunicipalityUpdate]
    ) -> MunicipalityOut:
        """Change a municipality's settings (platform admins); the slug stays."""
        return MunicipalityOut.model_validate(await service.update_municipality(slug, data))


def _public(municipality: Municipality, settings: Settings) -> MunicipalityOut:
    out = MunicipalityOut.model_validate(municipality)
    out.calendar = feed_links(settings.base_url, f"/m/{municipality.slug}/calendar.ics")
    return out


class OwnMunicipalityController(Controller):
    path = "/municipality"
    tags = ["guide"]

    @get("/", operation_id="getOwnMunicipality")
    async def get_own(self, tenant: NamedDependency[Tenant]) -> MunicipalityOut:
        """The caller's own municipality."""
        return MunicipalityOut.model_validate(
            await service.get_municipality_by_id(tenant.municipality_id)
        )


class TownSettingsController(Controller):
    path = "/settings"
    tags = ["guide"]

    @get("/", operation_id="getTownSettings")
    async def get_settings(self, tenant: NamedDependency[Tenant]) -> TownSettingsOut:
        """The settings of the caller's town that its guides keep."""
        return await service.town_settings(tenant.municipality_id)

    @put("/", operation_id="updateTownSettings")
    async def update_settings(
        self, data: JSONBody[TownSettings], tenant: NamedDependency[Tenant]
    ) -> TownSettingsOut:
        """Set the town's settings, all at once: sender name and Reply-To of its mail,
        contact, privacy notice (a changed text is a new version, which registrations
        consent to from then on), imprint, reminder and hold hours, default language and
        accent colour. The logo is set on the settings page."""
        await service.update_settings(tenant.municipality_id, data)
        return await service.town_settings(tenant.municipality_id)
