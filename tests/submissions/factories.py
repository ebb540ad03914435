"""Programmes that take proposals, and proposals, made through the services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.factories import future_day
from treffpunkt.events.programmes import create_programme
from treffpunkt.events.schemas import ProgrammeCreate
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.submissions.schemas import SubmissionCreate
from treffpunkt.submissions.service import submit

WOCHE = {
    "de": {
        "title": "Interkulturelle Woche 2027",
        "description": "Eine Woche Begegnung, Musik und Gespräche in der ganzen Stadt.",
    },
    "en": {"title": "Intercultural Week 2027"},
}


async def make_programme(
    town: Municipality,
    slug: str = "interkulturelle-woche-2027",
    until: date | None = None,
    **fields: Any,
) -> dict[str, Any]:
    data = {
        "slug": slug,
        "texts": WOCHE,
        "starts_on": str(future_day(30)),
        "ends_on": str(future_day(37)),
        "submissions_until": str(until or future_day(20)),
        **fields,
    }
    return await create_programme(town.id, ProgrammeCreate.model_validate(data))


def proposal(**fields: Any) -> dict[str, Any]:
    day = future_day(32)
    return {
        "organisation": "Deutsch-Syrischer Kulturverein",
        "contact_name": "Rania Khalil",
        "email": "rania@kulturverein.example",
        "phone": "06251 98765",
        "locale": "ar",
        "texts": {
            "de": {"title": "Syrischer Abend", "description": "Musik und Essen aus Aleppo."},
            "ar": {"title": "أمسية سورية"},
        },
        "dates": [
            {"day": str(day), "start": "18:00", "end": "21:00"},
            {"day": str(day + timedelta(days=2)), "start": "15:00", "end": "17:00"},
        ],
        "languages": ["de", "ar"],
        "venue_wish": "Unser Vereinsheim, Rodensteinstraße 10",
        "accessibility": "Stufenlos erreichbar",
        "consent": True,
        **fields,
    }


async def make_submission(town: Municipality, programme: dict[str, Any], **fields: Any) -> int:
    data = SubmissionCreate.model_validate(proposal(**fields))
    return await submit(town, programme["slug"], data)
