"""Test data made through the services, as a guide or admin would make it."""

from __future__ import annotations

from typing import Any

from treffpunkt.accounts.service import create_account
from treffpunkt.accounts.tables import Role
from treffpunkt.municipalities.schemas import MunicipalityCreate
from treffpunkt.municipalities.service import create_municipality
from treffpunkt.municipalities.tables import Municipality

PASSWORD = "correct horse battery"


async def make_municipality(slug: str, name: str, **fields: Any) -> Municipality:
    data = {
        "slug": slug,
        "name": name,
        "contact_email": f"integration@{slug}.example",
        "sender_name": f"Integration {name}",
        "sender_email": f"integration@{slug}.example",
        "offered_locales": ["de", "en", "uk", "ar"],
        **fields,
    }
    return await create_municipality(MunicipalityCreate(**data))


async def make_admin(email: str) -> dict[str, Any]:
    return await create_account(
        email=email, display_name="Admin", password=PASSWORD, role=Role.admin
    )


async def make_guide(municipality: Municipality, email: str) -> dict[str, Any]:
    return await create_account(
        email=email,
        display_name=f"Guide {municipality.name}",
        password=PASSWORD,
        role=Role.guide,
        municipality_id=municipality.id,
    )


async def login_headers(client: Any, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
