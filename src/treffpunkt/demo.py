"""Demo data for a first look: three Hessian KISI municipalities with a guide each.

People and addresses are invented (.example domains); the towns and their
programmes follow the municipalities' public pages. Later domains add their data here.
"""

from __future__ import annotations

from dataclasses import dataclass

from treffpunkt.accounts.service import create_account
from treffpunkt.accounts.tables import Account, Role
from treffpunkt.municipalities.schemas import MunicipalityCreate
from treffpunkt.municipalities.service import create_municipality
from treffpunkt.municipalities.tables import Municipality


@dataclass(frozen=True)
class DemoLogin:
    role: str
    municipality: str | None
    email: str
    password: str


# Demo-only credentials; they are printed by `make run` and listed in the README.
ADMIN = DemoLogin("admin", None, "admin@treffpunkt.example", "demo-admin-2026")
TOWNS = [
    MunicipalityCreate(
        slug="bensheim",
        name="Stadt Bensheim",
        offered_locales=["de", "en", "uk", "ar", "tr", "fa"],
        contact_email="integration@bensheim.example",
        sender_name="Integrationszentrum Bensheim",
        sender_email="integration@bensheim.example",
        website="https://www.bensheim.example/integration",  # type: ignore[arg-type]
    ),
    MunicipalityCreate(
        slug="butzbach",
        name="Stadt Butzbach",
        offered_locales=["de", "en", "ar", "uk", "tr"],
        contact_email="integration@butzbach.example",
        sender_name="Butzbach – Integration und Gemeinwesenarbeit",
        sender_email="integration@butzbach.example",
    ),
    MunicipalityCreate(
        slug="oestrich-winkel",
        name="Stadt Oestrich-Winkel",
        offered_locales=["de", "en", "fa", "ar"],
        contact_email="soziales@oestrich-winkel.example",
        sender_name="Oestrich-Winkel – Fachgebiet Soziales",
        sender_email="soziales@oestrich-winkel.example",
        retention_days=180,
    ),
]
GUIDES = {
    "bensheim": DemoLogin("guide", "bensheim", "guide@bensheim.example", "demo-bensheim-2026"),
    "butzbach": DemoLogin("guide", "butzbach", "guide@butzbach.example", "demo-butzbach-2026"),
    "oestrich-winkel": DemoLogin(
        "guide", "oestrich-winkel", "guide@oestrich-winkel.example", "demo-oestrich-winkel-2026"
    ),
}
GUIDE_NAMES = {
    "bensheim": "Leyla Demo (Integrationsguide)",
    "butzbach": "Jonas Beispiel (Integrationsguide)",
    "oestrich-winkel": "Mariam Muster (Integrationsguide)",
}
LOGINS = [ADMIN, *GUIDES.values()]


async def is_loaded() -> bool:
    return await Municipality.exists().where(Municipality.slug == TOWNS[0].slug)


async def load_demo() -> None:
    """Create the demo municipalities, accounts and their data."""
    if not await Account.exists().where(Account.email == ADMIN.email):
        await create_account(
            email=ADMIN.email, display_name="Demo Admin", password=ADMIN.password, role=Role.admin
        )
    for town in TOWNS:
        municipality = await create_municipality(town)
        login = GUIDES[town.slug]
        await create_account(
            email=login.email,
            display_name=GUIDE_NAMES[town.slug],
            password=login.password,
            role=Role.guide,
            municipality_id=municipality.id,
        )
