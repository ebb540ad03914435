"""Test data made through the services, as a guide or admin would make it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt.accounts.service import create_account
from treffpunkt.accounts.tables import Role
from treffpunkt.events.schemas import EventCreate, VenueCreate
from treffpunkt.events.service import create_event, publish_event
from treffpunkt.events.tables import Event, Session, Venue
from treffpunkt.events.venues import create_venue
from treffpunkt.municipalities.schemas import MunicipalityCreate
from treffpunkt.municipalities.service import create_municipality
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.registrations.schemas import RegistrationCreate
from treffpunkt.registrations.service import register
from treffpunkt.registrations.tables import Registration
from treffpunkt.registrations.targets import event_target, session_target
from treffpunkt.settings import load_settings

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


# --- events ------------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall time in Europe/Berlin."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def future_day(days: int = 14) -> date:
    return (datetime.now(BERLIN) + timedelta(days=days)).date()


async def make_venue(municipality: Municipality, name: str = "Integrationszentrum") -> Venue:
    return await create_venue(
        municipality.id,
        VenueCreate(
            name=name,
            street="Hauptstraße 53",
            postal_code="64625",
            city="Bensheim",
            step_free=True,
        ),
    )


async def make_event(municipality: Municipality, **fields: Any) -> Event:
    """A draft event; by default one session two weeks ahead, 18:00–20:00 local."""
    day = future_day()
    data: dict[str, Any] = {
        "kind": "dialogue",
        "texts": {"de": {"title": "Dialogrunde Ankommen", "summary": "Austausch"}},
        "languages": ["de", "ar", "uk"],
        "sessions": [
            {
                "starts_at": datetime.combine(day, time(18), BERLIN).isoformat(),
                "ends_at": datetime.combine(day, time(20), BERLIN).isoformat(),
            }
        ],
        **fields,
    }
    return await create_event(municipality.id, EventCreate.model_validate(data))


async def make_published_event(municipality: Municipality, **fields: Any) -> Event:
    event = await make_event(municipality, **fields)
    return await publish_event(municipality.id, event.id)


async def sessions_of(event: Event) -> list[Session]:
    return await Session.objects().where(Session.event == event.id).order_by(Session.starts_at)


# --- registrations -------------------------------------------------------------------------

SECRET = load_settings().resolved_secret_key()  # the key the app and the worker use


def _person(email: str, seats: int, locale: str | None) -> RegistrationCreate:
    return RegistrationCreate(
        name=f"Person {email.split('@')[0]}",
        email=email,
        seats=seats,
        locale=locale,  # type: ignore[arg-type]
        consent=True,
    )


async def register_for_session(
    session_id: int, email: str, seats: int = 1, locale: str | None = None
) -> Registration:
    target = await session_target(session_id)
    return (await register(target, _person(email, seats, locale), SECRET)).registration


async def register_for_course(
    event_id: int, email: str, seats: int = 1, locale: str | None = None
) -> Registration:
    """A place in every session of a whole-event course."""
    target = await event_target(event_id)
    return (await register(target, _person(email, seats, locale), SECRET)).registration
