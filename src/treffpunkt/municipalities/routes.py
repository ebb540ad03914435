from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.accounts.service import Principal
from treffpunkt.municipalities import service
from treffpunkt.municipalities.schemas import (
    MunicipalityCreate,
    MunicipalityOut,
    MunicipalityUpdate,
)


class MunicipalityController(Controller):
    path = "/api/v1/municipalities"
    tags = ["municipalities"]

    @get("/", operation_id="listMunicipalities")
    async def list_municipalities(self) -> list[MunicipalityOut]:
        """Every municipality on this installation."""
        return [MunicipalityOut.model_validate(m) for m in await service.list_municipalities()]

    @get("/{slug:str}", operation_id="getMunicipality")
    async def get_municipality(self, slug: FromPath[str]) -> MunicipalityOut:
        """One municipality by its slug."""
        return MunicipalityOut.model_validate(await service.get_municipality(slug))

    @post("/", operation_id="createMunicipality", tags=["admin"])
    async def create_municipality(
        self, data: JSONBody[MunicipalityCreate], admin: NamedDependency[Principal]
    ) -> MunicipalityOut:
        """Create a municipality (platform admins)."""
        return MunicipalityOut.model_validate(await service.create_municipality(data))

    @patch("/{slug:str}", operation_id="updateMunicipality", tags=["admin"])
    async def update_municipality(
        self,
        slug: FromPath[str],
        data: JSONBody[MunicipalityUpdate],
        admin: NamedDependency[Principal],
    ) -> MunicipalityOut:
        """Change a municipality's settings (platform admins); the slug stays."""
        return MunicipalityOut.model_validate(await service.update_municipality(slug, data))


class OwnMunicipalityController(Controller):
    path = "/api/v1/guide/municipality"
    tags = ["guide"]

    @get("/", operation_id="getOwnMunicipality")
    async def get_own(self, tenant: NamedDependency[Tenant]) -> MunicipalityOut:
        """The caller's own municipality."""
        return MunicipalityOut.model_validate(
            await service.get_municipality_by_id(tenant.municipality_id)
        )
