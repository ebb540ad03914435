"""Demo data for a first look: three Hessian KISI municipalities with a guide each.

People and addresses are invented. Every address is under the reserved `.example`
name, which never receives mail: the worker writes such mail into the local maildir
and never hands it to an SMTP server (notifications/delivery.py). The towns and their
programmes follow the municipalities' public pages. Later domains add their data here.

Demo data goes only into an empty database; `treffpunkt demo` refuses production.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt.accounts.service import create_account
from treffpunkt.accounts.tables import Account, Role
from treffpunkt.errors import Conflict
from treffpunkt.events.programmes import create_programme
from treffpunkt.events.schemas import EventCreate, ProgrammeCreate, VenueCreate
from treffpunkt.events.service import create_event, publish_event
from treffpunkt.events.tables import Event, Session
from treffpunkt.events.venues import create_venue
from treffpunkt.municipalities.schemas import MunicipalityCreate
from treffpunkt.municipalities.service import create_municipality
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.registrations.schemas import GuideRegistrationCreate


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
        website="https://www.bensheim.example/integration",
        contact_phone="06251 14-0",
        privacy_url="https://www.bensheim.example/datenschutz",
        imprint_url="https://www.bensheim.example/impressum",
    ),
    MunicipalityCreate(
        slug="butzbach",
        name="Stadt Butzbach",
        offered_locales=["de", "en", "ar", "uk", "tr"],
        contact_email="integration@butzbach.example",
        sender_name="Butzbach – Integration und Gemeinwesenarbeit",
        sender_email="integration@butzbach.example",
        accent_colour="#2e6b30",
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


class NotEmpty(Conflict):
    """The database holds data already: demo data (and its published passwords) stay out."""


async def is_loaded() -> bool:
    return await Account.exists().where(Account.email == ADMIN.email)


async def load_demo(*, secret_key: str, today: date | None = None) -> None:
    """Create the demo municipalities, accounts, events and registrations in an empty
    database; a database with any account or municipality is refused."""
    today = today or datetime.now(ZoneInfo("Europe/Berlin")).date()
    accounts, municipalities = await Account.count(), await Municipality.count()
    if accounts or municipalities:
        raise NotEmpty(
            f"the database is not empty ({accounts} accounts, {municipalities} municipalities):"
            " demo data goes only into an empty one"
        )
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
        await DEMO_EVENTS[town.slug](municipality.id, today)
    await _fill(secret_key)


# --- events -----------------------------------------------------------------------------


def _next(today: date, weekday: int) -> date:
    """The first `weekday` (0 = Monday) after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _series(rule: str, start: date, start_time: str, end_time: str, **end: Any) -> dict[str, Any]:
    return {
        "rule": rule,
        "start_date": start.isoformat(),
        "start_time": start_time,
        "end_time": end_time,
        **{
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in end.items()
        },
    }


def _once(day: date, start: str, end: str) -> list[dict[str, str]]:
    zone = ZoneInfo("Europe/Berlin")
    return [
        {
            "starts_at": datetime.combine(day, time.fromisoformat(start), zone).isoformat(),
            "ends_at": datetime.combine(day, time.fromisoformat(end), zone).isoformat(),
        }
    ]


async def _publish(municipality_id: int, **data: Any) -> None:
    data.setdefault("sessions", [])
    event = await create_event(municipality_id, EventCreate.model_validate(data))
    await publish_event(municipality_id, event.id)


def _interkulturelle_woche_start(today: date) -> date:
    """The Sunday that opens the last full week of September (the usual IKW week)."""
    year = today.year if today < date(today.year, 9, 20) else today.year + 1
    last_sunday = date(year, 9, 30) - timedelta(days=(date(year, 9, 30).weekday() + 1) % 7)
    return last_sunday - timedelta(days=7)


async def _bensheim(municipality_id: int, today: date) -> None:
    centre = await create_venue(
        municipality_id,
        VenueCreate(
            name="Integrationszentrum",
            street="Hauptstraße 53",
            postal_code="64625",
            city="Bensheim",
            room="Beratungsraum",
        ),
    )
    hall = await create_venue(
        municipality_id,
        VenueCreate(
            name="Bürgerhaus (Demo)",
            street="Beispielweg 1",
            postal_code="64625",
            city="Bensheim",
            room="Großer Saal",
            accessibility_notes="Stufenloser Eingang, Aufzug, barrierefreies WC.",
            step_free=True,
            hearing_loop=True,
        ),
    )
    await _publish(
        municipality_id,
        kind="office_hours",
        venue_id=centre.id,
        texts={
            "de": {
                "title": "Sprechstunde Integration",
                "summary": "Beratung ohne Termin: Ankommen, Behörden, Sprache, Arbeit.",
            },
            "en": {
                "title": "Integration office hours",
                "summary": "Advice without appointment: arrival, authorities, language, work.",
            },
            "uk": {"title": "Консультації з питань інтеграції"},
            "ar": {"title": "ساعات استشارة الاندماج"},
            "tr": {"title": "Entegrasyon danışma saatleri"},
            "fa": {"title": "ساعات مشاوره ادغام"},
        },
        languages=["de", "en"],
        tags=["beratung"],
        series=_series(
            "FREQ=WEEKLY;BYDAY=TU,TH",
            _next(today, 0),
            "14:00",
            "16:00",
            until=_next(today, 0) + timedelta(weeks=13),
        ),
    )
    await _publish(
        municipality_id,
        kind="dialogue",
        venue_id=hall.id,
        texts={
            "de": {
                "title": "Dialogrunde Ankommen",
                "summary": "Neu Zugewanderte, Ehrenamtliche und Verwaltung im Gespräch.",
                "description": "Mit Verdolmetschung Deutsch – Arabisch – Ukrainisch.",
            },
            "en": {"title": "Dialogue round: Arriving"},
            "uk": {"title": "Діалогова зустріч «Прибуття»"},
            "ar": {"title": "حلقة حوار: الوصول"},
        },
        languages=["de", "ar", "uk"],
        interpretation=True,
        capacity=25,
        registration_mode="per_session",
        tags=["dialog"],
        series=_series(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", _next(today, 2), "18:00", "20:00", count=8
        ),
    )
    training_start = _next(today, 0) + timedelta(weeks=2)
    await _publish(
        municipality_id,
        kind="training",
        venue_id=centre.id,
        audience="volunteers",
        texts={
            "de": {
                "title": "Basisschulung für Ehrenamtliche",
                "summary": "Drei Abende: Rolle und Grenzen, interkulturelle Kommunikation, "
                "Grundlagen Asyl- und Aufenthaltsrecht, Selbstfürsorge.",
            },
            "en": {"title": "Basic training for volunteers"},
        },
        languages=["de"],
        capacity=16,
        registration_mode="whole_event",
        tags=["schulung", "ehrenamt"],
        series=_series("FREQ=WEEKLY;BYDAY=MO", training_start, "18:00", "21:00", count=3),
    )
    week = _interkulturelle_woche_start(today)
    programme = await create_programme(
        municipality_id,
        ProgrammeCreate.model_validate(
            {
                "slug": f"interkulturelle-woche-{week.year}",
                "texts": {
                    "de": {
                        "title": f"Interkulturelle Woche {week.year}",
                        "description": "Eine Woche Begegnung mit Vereinen, Gemeinden "
                        "und Initiativen.",
                    },
                    "en": {"title": f"Intercultural Week {week.year}"},
                    "tr": {"title": f"Kültürlerarası Hafta {week.year}"},
                },
                "starts_on": week.isoformat(),
                "ends_on": (week + timedelta(days=7)).isoformat(),
            }
        ),
    )
    partner_events = [
        (0, "15:00", "18:00", "Eröffnungsfest auf dem Marktplatz", "Begegnungsverein Mosaik e.V."),
        (1, "17:00", "19:00", "Interreligiöser Spaziergang", "Runder Tisch der Religionen (Demo)"),
        (2, "18:30", "21:30", "Küchen der Welt – gemeinsamer Kochabend", "Familientreff Demo"),
        (3, "19:00", "20:30", "Mehrsprachige Lesung", "Leseinitiative Bergstraße (Demo)"),
        (5, "10:00", "16:00", "Fußballturnier „Anstoß Vielfalt“", "Sportverein Demo 1920"),
        (6, "18:00", "20:30", "Filmabend mit Gespräch", "Kinoinitiative Demo"),
    ]
    for offset, start, end, title, organiser in partner_events:
        await _publish(
            municipality_id,
            kind="programme_item",
            programme_id=programme["id"],
            venue_id=hall.id,
            texts={"de": {"title": title}},
            languages=["de"],
            organiser={"name": organiser},
            tags=["iwk"],
            sessions=_once(week + timedelta(days=offset), start, end),
        )


async def _butzbach(municipality_id: int, today: date) -> None:
    venue = await create_venue(
        municipality_id,
        VenueCreate(
            name="Gemeinwesenzentrum (Demo)",
            street="Musterstraße 5",
            postal_code="35510",
            city="Butzbach",
            step_free=True,
        ),
    )
    await _publish(
        municipality_id,
        kind="dialogue",
        venue_id=venue.id,
        texts={
            "de": {
                "title": "Butzbacher Dialog",
                "summary": "Regelmäßiger Austausch mit der Stadt.",
            },
            "en": {"title": "Butzbach dialogue"},
            "ar": {"title": "حوار بوتسباخ"},
        },
        languages=["de", "ar", "tr"],
        interpretation=True,
        capacity=30,
        registration_mode="per_session",
        series=_series("FREQ=MONTHLY;BYDAY=1MO", today, "18:30", "20:00", count=6),
    )
    await _publish(
        municipality_id,
        kind="other",
        venue_id=venue.id,
        texts={"de": {"title": "Sprachcafé"}, "uk": {"title": "Мовне кафе"}},
        languages=["de", "uk", "ar"],
        tags=["sprache"],
        series=_series(
            "FREQ=WEEKLY;BYDAY=FR",
            _next(today, 4),
            "16:00",
            "17:30",
            until=_next(today, 4) + timedelta(weeks=10),
        ),
    )
    await _publish(
        municipality_id,
        kind="training",
        venue_id=venue.id,
        audience="volunteers",
        texts={"de": {"title": "Schulung für neue Ehrenamtliche"}},
        capacity=12,
        registration_mode="whole_event",
        series=_series("FREQ=WEEKLY;BYDAY=TH", _next(today, 3), "18:00", "20:30", count=2),
    )


async def _oestrich_winkel(municipality_id: int, today: date) -> None:
    venue = await create_venue(
        municipality_id,
        VenueCreate(
            name="Rathaus (Demo)",
            street="Beispielplatz 2",
            postal_code="65375",
            city="Oestrich-Winkel",
            room="Sitzungssaal",
        ),
    )
    await _publish(
        municipality_id,
        kind="office_hours",
        venue_id=venue.id,
        texts={
            "de": {"title": "Sprechstunde Fachgebiet Soziales"},
            "fa": {"title": "ساعات مشاوره"},
        },
        languages=["de", "fa"],
        series=_series(
            "FREQ=WEEKLY;BYDAY=WE",
            _next(today, 2),
            "10:00",
            "12:00",
            until=_next(today, 2) + timedelta(weeks=8),
        ),
    )
    await _publish(
        municipality_id,
        kind="info",
        venue_id=venue.id,
        texts={
            "de": {
                "title": "Infoabend Ankommens-Begleitung",
                "summary": "Wie Ehrenamtliche Neuzugewanderte in den ersten Monaten begleiten.",
            }
        },
        capacity=40,
        registration_mode="per_session",
        sessions=_once(_next(today, 1) + timedelta(weeks=1), "19:00", "20:30"),
    )


# --- registrations: some sessions nearly full, some with a waitlist -------------------------

FIRST_NAMES = [
    "Olena", "Ahmad", "Mariam", "Yusuf", "Daria", "Samir", "Aylin", "Hamid", "Natalia",
    "Fatima", "Tesfay", "Zeynep", "Bashir", "Iryna", "Layla", "Omid", "Semhar", "Kerem",
]  # fmt: skip


def _person(number: int) -> GuideRegistrationCreate:
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    initial = "ABDEFGHKLMNPRST"[number % 15]
    with_email = number % 3 == 0  # some people leave only a phone number
    return GuideRegistrationCreate(
        name=f"{first} {initial}.",
        email=f"{first.lower()}.{number}@mail.example" if with_email else None,
        phone=None if with_email else f"0151 {1000000 + number}",
        locale=("uk", "ar", "fa", "tr", "de")[number % 5],
    )


async def _fill(secret_key: str) -> None:
    """Places as a guide would have entered them (phone calls, walk-ins)."""
    from treffpunkt.registrations.service import register
    from treffpunkt.registrations.targets import event_target, session_target

    number = 0

    async def add(target: Any, count: int) -> None:
        nonlocal number
        for _ in range(count):
            await register(target, _person(number), secret_key)
            number += 1

    dialogue = await Event.objects().where(Event.capacity == 25).first()
    if dialogue is not None:
        first, second = (
            await Session.objects().where(Session.event == dialogue.id).order_by(Session.starts_at)
        )[:2]
        await add(await session_target(first.id), 23)  # two places left
        await add(await session_target(second.id), 28)  # full, three waiting
    for course in await Event.objects().where(Event.registration_mode == "whole_event"):
        await add(await event_target(course.id), (course.capacity or 10) - 1)  # one left
    evening = await Event.objects().where(Event.capacity == 40).first()
    if evening is not None:
        [session] = await Session.objects().where(Session.event == evening.id)
        await add(await session_target(session.id), 44)  # full, four waiting


DEMO_EVENTS: dict[str, Callable[[int, date], Awaitable[None]]] = {
    "bensheim": _bensheim,
    "butzbach": _butzbach,
    "oestrich-winkel": _oestrich_winkel,
}
