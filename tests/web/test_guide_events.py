"""The guide's event editor and venues (web/guide/events.py, web/guide/venues.py), over
HTTP as a browser without JavaScript uses them: forms with their CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.factories import (
    future_day,
    make_event,
    make_published_event,
    make_venue,
    register_for_session,
    sessions_of,
)
from tests.pages import csrf_token, submit
from tests.web.workspace import logged_in_client
from treffpunkt.events.tables import Event, EventStatus, RegistrationMode, Venue
from treffpunkt.outbox import OutboxMessage
from treffpunkt.partners.schemas import PartnerCreate
from treffpunkt.partners.service import create_partner

TEXTS = {
    "texts.de.title": "Dialogrunde Ankommen",
    "texts.de.summary": "Austausch zwischen Neuen und Alteingesessenen",
    "texts.de.description": "Wir sprechen über Wohnen,\r\nArbeit und Nachbarschaft.",
    "texts.ar.title": "جلسة حوار: الوصول",
    "texts.ar.summary": "تبادل بين القادمين الجدد والمقيمين",
}


def form(**fields: Any) -> dict[str, Any]:
    day = future_day(10)
    return {
        **TEXTS,
        "kind": "dialogue",
        "audience": "public",
        "languages": ["de", "ar"],
        "interpretation": "yes",
        "registration_mode": "per_session",
        "capacity": "12",
        "max_seats_per_registration": "2",
        "waitlist": "yes",
        "tags": "Ankommen, erste  Hilfe",
        "first_date": day.isoformat(),
        "first_start": "18:00",
        "first_end": "20:00",
        **fields,
    }


async def post(client: httpx.AsyncClient, page_url: str, action: str, data: Any) -> httpx.Response:
    return await submit(client, page_url, action, data)


def field_error(page: httpx.Response, name: str) -> str:
    found = re.search(
        rf'<small id="error-{re.escape(name)}" class="field-error">([^<]*)</small>', page.text
    )
    assert found, f"no error next to {name}"
    return found.group(1)


def value_of(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page.text)
    assert found, f"no field {name}"
    return found.group(1)


async def stored(event_id: int) -> Event:
    event = await Event.objects().where(Event.id == event_id).output(load_json=True).first()
    assert event is not None
    return event


@pytest.fixture
async def guide(app: Any, bensheim_guide: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_client(app, bensheim_guide["email"]) as client:
        yield client


async def test_guide_creates_an_event_with_german_and_arabic_texts(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    page = await guide.get("/guide/events/new")
    assert page.status_code == 200
    assert 'name="texts.ar.title"' in page.text
    assert 'dir="rtl"' in page.text
    created = await post(guide, "/guide/events/new", "/guide/events/new", form())
    assert created.status_code == 303, created.text
    event_id = int(created.headers["location"].split("/")[3].split("?")[0])
    event = await stored(event_id)
    assert event.municipality == bensheim.id
    assert event.status == EventStatus.draft
    assert event.texts["ar"]["title"] == "جلسة حوار: الوصول"
    assert (
        event.texts["de"]["description"] == "Wir sprechen über Wohnen,\nArbeit und Nachbarschaft."
    )
    assert event.languages == ["de", "ar"]
    assert event.interpretation
    assert event.tags == ["ankommen", "erste-hilfe"]
    assert (event.capacity, event.max_seats_per_registration) == (12, 2)
    (session,) = await sessions_of(event)
    assert session.starts_at.astimezone().hour in range(24)
    shown = await guide.get(created.headers["location"])
    assert shown.status_code == 200
    assert "Dialogrunde Ankommen" in shown.text
    assert f"/guide/events/{event_id}/dates" in shown.text
    assert f"/guide/events/{event_id}/messages" in shown.text
    assert f"/guide/sessions/{session.id}/doors" in shown.text
    listed = await guide.get("/guide/events?q=ankommen")
    assert "Dialogrunde Ankommen" in listed.text
    assert "0 von 12" in listed.text or "0 of 12" in listed.text
    assert "Dialogrunde Ankommen" not in (await guide.get("/guide/events?status=published")).text
    assert "Dialogrunde Ankommen" not in (await guide.get("/guide/events?q=sprechstunde")).text


async def test_errors_are_named_next_to_their_fields_and_what_was_typed_stays(
    guide: httpx.AsyncClient,
) -> None:
    bad = form(
        **{
            "texts.de.title": "",
            "texts.ar.title": "جلسة\nحوار",
            "texts.ar.summary": "Zusammenfassung",
            "capacity": "zwölf",
            "organiser.contact": "not an address",
            "online_url": "ftp://example.org",
            "tags": "Ankommen!",
            "languages": [],
            "registration_opens_at": "2027-03-01T18:00",
            "registration_closes_at": "2027-02-01T18:00",
            "first_end": "17:00",
        }
    )
    answer = await post(guide, "/guide/events/new", "/guide/events/new", bad)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    for name in (
        "texts.de.title",
        "texts.ar.title",
        "capacity",
        "organiser.contact",
        "online_url",
        "tags",
        "languages",
        "registration_closes_at",
        "first_end",
    ):
        assert field_error(answer, name), name
        assert f'href="#field-{name}"' in answer.text  # the summary links to it
    assert value_of(answer, "capacity") == "zwölf"
    assert value_of(answer, "texts.ar.summary") == "Zusammenfassung"
    assert value_of(answer, "organiser.contact") == "not an address"
    assert await Event.count() == 0


async def test_the_default_language_is_required(guide: httpx.AsyncClient) -> None:
    answer = await post(
        guide,
        "/guide/events/new",
        "/guide/events/new",
        form(**{"texts.de.title": "", "texts.de.summary": "", "texts.de.description": ""}),
    )
    assert answer.status_code == 422
    assert "Deutsch" in field_error(answer, "texts.de.title")
    assert value_of(answer, "texts.ar.title") == "جلسة حوار: الوصول"
    assert 'value="ar" checked' in answer.text  # the ticked boxes stay ticked
    assert await Event.count() == 0


async def test_a_new_venue_is_made_with_the_event_or_not_at_all(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    venue = {
        "venue_id": "new",
        "new_venue.name": "Stadtteilzentrum West",
        "new_venue.street": "Weststraße 2",
        "new_venue.postal_code": "64625",
        "new_venue.city": "Bensheim",
        "new_venue.step_free": "yes",
    }
    half = await post(
        guide,
        "/guide/events/new",
        "/guide/events/new",
        form(**{**venue, "new_venue.postal_code": "6"}, capacity="0"),
    )
    assert half.status_code == 422
    assert field_error(half, "new_venue.postal_code")
    assert field_error(half, "capacity")
    assert value_of(half, "new_venue.name") == "Stadtteilzentrum West"
    assert (await Venue.count(), await Event.count()) == (0, 0)
    made = await post(guide, "/guide/events/new", "/guide/events/new", form(**venue))
    assert made.status_code == 303, made.text
    (new,) = await Venue.objects()
    assert (new.municipality, new.name, new.step_free) == (
        bensheim.id,
        "Stadtteilzentrum West",
        True,
    )
    event = await Event.objects().first()
    assert event is not None
    assert event.venue == new.id


async def test_guide_edits_and_publishes_an_event(guide: httpx.AsyncClient, bensheim: Any) -> None:
    event = await make_event(bensheim, texts={"de": {"title": "Dialogrunde"}})
    url = f"/guide/events/{event.id}"
    page = await guide.get(url)
    assert value_of(page, "texts.de.title") == "Dialogrunde"
    saved = await post(guide, url, url, form(**{"texts.de.title": "Dialogrunde Ankommen"}))
    assert saved.status_code == 303, saved.text
    changed = await stored(event.id)
    assert changed.texts["de"]["title"] == "Dialogrunde Ankommen"
    assert changed.texts["ar"]["title"] == "جلسة حوار: الوصول"
    assert len(await sessions_of(event)) == 1  # the first date is only for new events
    published = await post(guide, url, f"{url}/publish", {})
    assert published.status_code == 303
    assert (await stored(event.id)).status == "published"
    shown = await guide.get(url)
    assert f"/m/bensheim/events/{event.id}" in shown.text


async def test_a_draft_is_deleted_after_a_question_and_a_published_event_is_not(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    draft = await make_event(bensheim, texts={"de": {"title": "Entwurf Sprachcafé"}})
    url = f"/guide/events/{draft.id}"
    shown = await guide.get(url)
    assert f'href="{url}/delete"' in shown.text
    assert "Entwurf löschen" in shown.text
    asked = await guide.get(f"{url}/delete")
    assert asked.status_code == 200
    assert "Entwurf Sprachcafé" in asked.text
    assert await Event.count().where(Event.id == draft.id) == 1  # asking deletes nothing
    deleted = await post(guide, f"{url}/delete", f"{url}/delete", {})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/guide/events?done=deleted"
    assert await Event.count().where(Event.id == draft.id) == 0
    listed = await guide.get(deleted.headers["location"])
    assert 'role="status"' in listed.text
    assert "Der Entwurf ist gelöscht." in listed.text
    assert (await guide.get(url)).status_code == 404
    # A published event offers no deleting, and a forged form is refused: 409, kept.
    published = await make_published_event(bensheim)
    purl = f"/guide/events/{published.id}"
    assert f'href="{purl}/delete"' not in (await guide.get(purl)).text
    refused = await post(guide, purl, f"{purl}/delete", {})
    assert refused.status_code == 409
    assert await Event.count().where(Event.id == published.id) == 1


async def test_an_event_without_dates_is_not_published(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_event(bensheim, sessions=[])
    url = f"/guide/events/{event.id}"
    answer = await post(guide, url, f"{url}/publish", {})
    assert answer.status_code == 409
    assert f"{url}/dates" in answer.text
    assert (await stored(event.id)).status == "draft"


async def test_cancelling_says_how_many_are_told_and_shows_their_mail(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_published_event(
        bensheim, registration_mode=RegistrationMode.per_session, capacity=5
    )
    (session,) = await sessions_of(event)
    for number in range(3):
        await register_for_session(session.id, f"person{number}@example.org", locale="uk")
    url = f"/guide/events/{event.id}/cancel"
    page = await guide.get(url)
    assert page.status_code == 200
    assert re.search(r"\b3\b", page.text)
    assert re.search(r"Ukrainisch(</bdi>)? \(3\)", page.text)  # read in their language
    assert "Abgesagt: Dialogrunde Ankommen" in page.text  # the mail's subject
    assert "/r/…" in page.text  # their own link is not shown
    assert await OutboxMessage.count().where(OutboxMessage.kind == "sessions_cancelled") == 0
    done = await post(guide, url, url, {})
    assert done.status_code == 303
    assert (await stored(event.id)).status == "cancelled"
    assert await OutboxMessage.count().where(OutboxMessage.kind == "sessions_cancelled") == 1


async def test_venues_are_listed_made_and_edited(guide: httpx.AsyncClient, bensheim: Any) -> None:
    made = await post(
        guide,
        "/guide/venues/new",
        "/guide/venues/new",
        {"name": "Bürger\r\nhaus", "street": "Markt 1", "postal_code": "x", "city": "B" * 101},
    )
    assert made.status_code == 422
    for name in ("name", "postal_code", "city"):
        assert field_error(made, name), name
    assert await Venue.count() == 0
    assert value_of(made, "street") == "Markt 1"
    values = {
        "name": "Bürgerhaus",
        "street": "Markt 1",
        "postal_code": "64625",
        "city": "Bensheim",
        "capacity": "40",
        "hearing_loop": "yes",
        "accessibility_notes": "Rampe am Hintereingang",
        "notes": "Schlüssel beim Hausmeister",
    }
    made = await post(guide, "/guide/venues/new", "/guide/venues/new", values)
    assert made.status_code == 303, made.text
    (venue,) = await Venue.objects()
    assert (venue.capacity, venue.notes, venue.hearing_loop) == (
        40,
        "Schlüssel beim Hausmeister",
        True,
    )
    listed = await guide.get("/guide/venues")
    assert "Bürgerhaus" in listed.text
    url = f"/guide/venues/{venue.id}"
    edited = await post(guide, url, url, {**values, "capacity": "", "room": "Saal"})
    assert edited.status_code == 303
    venue = await Venue.objects().where(Venue.id == venue.id).first()
    assert venue is not None
    assert (venue.capacity, venue.room) == (None, "Saal")


async def test_another_towns_events_and_venues_are_not_found(
    guide: httpx.AsyncClient, butzbach: Any
) -> None:
    event = await make_published_event(butzbach)
    venue = await make_venue(butzbach)
    for path in (
        f"/guide/events/{event.id}",
        f"/guide/events/{event.id}/cancel",
        f"/guide/venues/{venue.id}",
        "/guide/events/9223372036854775808",
        "/guide/venues/99999999999",
    ):
        assert (await guide.get(path)).status_code == 404, path
    token = csrf_token(await guide.get("/guide/events/new"))
    for action in (
        f"/guide/events/{event.id}",
        f"/guide/events/{event.id}/publish",
        f"/guide/events/{event.id}/cancel",
        f"/guide/venues/{venue.id}",
    ):
        answer = await guide.post(
            action, data={"_csrf_token": token, **form(**{"texts.de.title": "Gekapert"})}
        )
        assert answer.status_code == 404, action
    # Picking another town's venue for one's own event names the field.
    answer = await post(
        guide, "/guide/events/new", "/guide/events/new", form(venue_id=str(venue.id))
    )
    assert answer.status_code == 422
    assert field_error(answer, "venue_id")
    for forged in ("9223372036854775808", "-1", "1e3", "new\n"):
        answer = await post(guide, "/guide/events/new", "/guide/events/new", form(venue_id=forged))
        assert answer.status_code == 422, forged
        assert field_error(answer, "venue_id")
    unchanged = await stored(event.id)
    assert unchanged.status == "published"
    assert unchanged.texts["de"]["title"] == "Dialogrunde Ankommen"
    assert await Event.count().where(Event.municipality != butzbach.id) == 0
    # Another town's draft is not found for deleting either, and stays.
    draft = await make_event(butzbach)
    assert (await guide.get(f"/guide/events/{draft.id}/delete")).status_code == 404
    answer = await guide.post(f"/guide/events/{draft.id}/delete", data={"_csrf_token": token})
    assert answer.status_code == 404
    assert await Event.count().where(Event.id == draft.id) == 1


async def test_forms_without_the_csrf_token_are_refused(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_event(bensheim)
    for action in (
        "/guide/events/new",
        f"/guide/events/{event.id}",
        f"/guide/events/{event.id}/publish",
        f"/guide/events/{event.id}/cancel",
        "/guide/venues/new",
    ):
        assert (await guide.post(action, data=form())).status_code == 403, action
    assert await Event.count() == 1
    assert (await stored(event.id)).status == "draft"


async def test_pages_need_a_login(client: httpx.AsyncClient, bensheim: Any) -> None:
    for path in ("/guide/events", "/guide/events/new", "/guide/venues", "/guide/venues/new"):
        answer = await client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login"), path


async def test_a_partner_picked_as_organiser(
    guide: httpx.AsyncClient, bensheim: Any, butzbach: Any
) -> None:
    ours = await create_partner(
        bensheim.id,
        PartnerCreate(name="Verein Miteinander e. V.", email="kontakt@miteinander.example"),
    )
    theirs = await create_partner(butzbach.id, PartnerCreate(name="Fremder Verein"))
    page = await guide.get("/guide/events/new")
    assert "Verein Miteinander e. V." in page.text
    assert "Fremder Verein" not in page.text
    refused = await post(
        guide, "/guide/events/new", "/guide/events/new", form(partner_id=str(theirs.id))
    )
    assert refused.status_code == 422
    assert field_error(refused, "partner_id")
    made = await post(
        guide, "/guide/events/new", "/guide/events/new", form(partner_id=str(ours.id))
    )
    assert made.status_code == 303, made.text
    event = await Event.objects().first()
    assert event is not None
    assert (event.organiser_name, event.organiser_contact) == (
        "Verein Miteinander e. V.",
        "kontakt@miteinander.example",
    )


async def test_a_venues_capacity_and_notes_are_for_guides_only(
    client: httpx.AsyncClient, bensheim: Any, bensheim_headers: dict[str, str]
) -> None:
    body = {
        "name": "Bürgerhaus",
        "street": "Markt 1",
        "postal_code": "64625",
        "city": "Bensheim",
        "capacity": 40,
        "notes": "Schlüssel beim Hausmeister",
    }
    made = await client.post("/api/v1/guide/venues", json=body, headers=bensheim_headers)
    assert made.status_code == 201, made.text
    assert (made.json()["capacity"], made.json()["notes"]) == (40, "Schlüssel beim Hausmeister")
    too_many = await client.post(
        "/api/v1/guide/venues", json={**body, "capacity": 0}, headers=bensheim_headers
    )
    assert too_many.status_code == 422
    assert "capacity" in too_many.text
    event = await make_published_event(bensheim, venue_id=made.json()["id"])
    public = await client.get(f"/api/v1/events/{event.id}")
    assert public.status_code == 200
    assert "Hausmeister" not in public.text
    assert "Hausmeister" not in (await client.get(f"/m/bensheim/events/{event.id}")).text


async def test_a_change_the_registrations_forbid_is_named_on_its_field(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_published_event(
        bensheim, registration_mode=RegistrationMode.per_session, capacity=5
    )
    (session,) = await sessions_of(event)
    for number in range(3):
        await register_for_session(session.id, f"person{number}@example.org")
    url = f"/guide/events/{event.id}"
    lower = await post(guide, url, url, form(capacity="2"))
    assert lower.status_code == 409
    assert "3" in field_error(lower, "capacity")
    assert value_of(lower, "capacity") == "2"
    mode = await post(guide, url, url, form(registration_mode="whole_event", capacity="5"))
    assert mode.status_code == 409
    assert field_error(mode, "registration_mode")
    kept = await stored(event.id)
    assert (kept.capacity, kept.registration_mode) == (5, "per_session")
