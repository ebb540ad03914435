"""The event page and the registration by form, through HTTP (web/events.py): what the
page shows, what the form does with good and bad input, and that its answers tell
nobody whether an address was registered before."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from tests.factories import (
    SECRET,
    future_day,
    make_municipality,
    make_published_event,
    make_venue,
    register_for_course,
    register_for_session,
    sessions_of,
)
from tests.pages import csrf_token, submit
from treffpunkt.events.schemas import SessionTimes
from treffpunkt.events.service import cancel_session, move_session
from treffpunkt.events.tables import Event
from treffpunkt.registrations.service import registration_token
from treffpunkt.registrations.tables import Registration

PERSON = {
    "name": "Amal Haddad",
    "email": "amal@example.org",
    "phone": "06251 12345",
    "locale": "ar",
    "interpretation": "ar",
    "accessibility": "Rollstuhlplatz",
    "consent": "yes",
}


async def drop_in(town: Any, **fields: Any) -> Any:
    venue = await make_venue(town)
    data = {"registration_mode": "per_session", "capacity": 5, "venue_id": venue.id, **fields}
    return await make_published_event(town, **data)


def path(town: Any, event: Any) -> str:
    return f"/m/{town.slug}/events/{event.id}"


async def register_by_form(
    client: httpx.AsyncClient, town: Any, event: Any, **fields: Any
) -> httpx.Response:
    data = {**PERSON, **fields}
    if "session" not in data and event.registration_mode == "per_session":
        data["session"] = str((await sessions_of(event))[0].id)
    return await submit(client, path(town, event), f"{path(town, event)}/register", data)


# --- the page -------------------------------------------------------------------------------


async def test_the_page_shows_the_event_its_dates_venue_and_ways_to_keep_it(
    client: Any, bensheim: Any
) -> None:
    event = await drop_in(
        bensheim,
        organiser={"name": "Caritas Bensheim", "contact": "info@caritas.example"},
        texts={
            "de": {
                "title": "Dialogrunde Ankommen",
                "summary": "Austausch",
                "description": "Erster Absatz.\n\nZweiter Absatz.",
            }
        },
        sessions=[
            {"starts_at": f"{day}T18:00:00+01:00", "ends_at": f"{day}T20:00:00+01:00"}
            for day in ("2031-03-04", "2031-03-11", "2031-03-18")
        ],
    )
    first, second, third = await sessions_of(event)
    await cancel_session(bensheim.id, second.id)
    await move_session(
        bensheim.id,
        third.id,
        SessionTimes.model_validate(
            {"starts_at": "2031-03-19T18:00:00+01:00", "ends_at": "2031-03-19T20:00:00+01:00"}
        ),
    )
    page = await client.get(path(bensheim, event), headers={"Accept-Language": "de"})
    assert page.status_code == 200
    text = page.text
    assert "<h1>Dialogrunde Ankommen</h1>" in text
    assert "<p>Zweiter Absatz.</p>" in text
    assert "abgesagt" in text
    assert "neue Uhrzeit" in text
    assert "Hauptstraße 53" in text
    assert "Stufenloser Zugang" in text
    assert "https://www.openstreetmap.org/search?query=Hauptstra%C3%9Fe+53" in text
    assert "Caritas Bensheim" in text
    assert "info@caritas.example" in text
    assert f'href="/m/bensheim/events/{event.id}/calendar.ics"' in text
    assert "https://calendar.google.com/calendar/render?" in text
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in text
    assert f'href="/m/bensheim/events/{event.id}/poster.pdf"' in text
    # The form: the open dates to choose from, CSRF token, the honeypot hidden by CSS.
    assert f'name="session" value="{first.id}"' in text
    assert f'value="{second.id}"' not in text
    assert csrf_token(page)
    assert 'class="form-trap"' in text
    assert 'href="https://' not in re.sub(
        r'href="https://(www\.openstreetmap|calendar\.google|outlook\.live)[^"]*"', "", text
    )


async def test_search_engines_read_the_event_from_its_json_ld(client: Any, bensheim: Any) -> None:
    event = await drop_in(
        bensheim, texts={"de": {"title": "Café </script><script>alert(1)</script> & mehr"}}
    )
    text = (await client.get(path(bensheim, event))).text
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert "<" not in block  # nothing in an event's texts can end the element
    [item] = json.loads(block)
    assert item["@type"] == "Event"
    assert item["name"] == "Café </script><script>alert(1)</script> & mehr"
    assert item["url"] == f"http://testserver/m/bensheim/events/{event.id}"
    assert item["location"][0]["address"]["streetAddress"] == "Hauptstraße 53"
    assert item["eventStatus"] == "https://schema.org/EventScheduled"
    assert len(re.findall(r"<script", text)) == 1  # the data block is the only one


async def test_texts_fall_back_field_by_field_and_are_marked(client: Any, bensheim: Any) -> None:
    event = await drop_in(
        bensheim,
        texts={
            "de": {"title": "Dialogrunde", "description": "Nur auf Deutsch."},
            "ar": {"title": "جلسة حوار"},
        },
    )
    page = await client.get(path(bensheim, event) + "?lang=ar")
    assert '<html lang="ar" dir="rtl"' in page.text
    assert "<h1>جلسة حوار</h1>" in page.text
    assert '<div class="description" lang="de" dir="ltr">' in page.text


async def test_the_earlier_download_address_leads_to_the_file(client: Any, bensheim: Any) -> None:
    event = await drop_in(bensheim)
    old = await client.get(f"/m/bensheim/events/{event.id}.ics?locale=ar")
    assert old.status_code == 301
    assert old.headers["location"] == f"/m/bensheim/events/{event.id}/calendar.ics?locale=ar"
    download = await client.get(old.headers["location"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/calendar; charset=utf-8"
    [vevent] = Calendar.from_ical(download.content).walk("VEVENT")
    assert str(vevent["URL"]) == f"http://testserver/m/bensheim/events/{event.id}"


async def test_the_api_and_calendars_lead_people_to_the_page(client: Any, bensheim: Any) -> None:
    event = await drop_in(bensheim)
    page_url = f"http://testserver/m/bensheim/events/{event.id}"
    body = (await client.get(f"/api/v1/events/{event.id}")).json()
    assert body["page_url"] == page_url
    assert page_url in body["sessions"][0]["add_to_google"].replace("%3A", ":").replace("%2F", "/")
    feed = (await client.get("/m/bensheim/calendar.ics")).content
    [vevent] = Calendar.from_ical(feed).walk("VEVENT")
    assert str(vevent["URL"]) == page_url
    assert b"/api/v1/events" not in feed


async def test_another_towns_event_and_other_names_are_not_found(
    client: Any, bensheim: Any
) -> None:
    butzbach = await make_municipality("butzbach", "Stadt Butzbach")
    foreign = await drop_in(butzbach)
    draft = await Event.objects().where(Event.id == foreign.id).first()
    assert draft is not None
    for address in (
        f"/m/bensheim/events/{foreign.id}",
        f"/m/bensheim/events/{foreign.id}/poster.pdf",
        "/m/bensheim/events/abc",
        f"/m/bensheim/events/{2**31}",
        f"/m/bensheim/events/{foreign.id}/registered/pending",
        f"/m/bensheim/events/{foreign.id}/registered/confirmed",
    ):
        answer = await client.get(address, headers={"Accept-Language": "de"})
        assert answer.status_code == 404, address
        assert "Seite nicht gefunden" in answer.text, address


# --- registering by form --------------------------------------------------------------------


async def test_a_resident_registers_by_form_as_through_the_api(client: Any, bensheim: Any) -> None:
    event = await drop_in(bensheim)
    answer = await register_by_form(client, bensheim, event)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{path(bensheim, event)}/registered/pending"
    [registration] = await Registration.objects()
    assert (registration.name, registration.email, registration.phone) == (
        "Amal Haddad",
        "amal@example.org",
        "06251 12345",
    )
    assert registration.locale == "ar"
    assert registration.status == "pending"
    assert (registration.needs_interpretation, registration.needs_accessibility) == (
        "ar",
        "Rollstuhlplatz",
    )
    assert registration.consent_version == bensheim.privacy_version
    assert registration.consent_at is not None
    outcome = await client.get(answer.headers["location"], headers={"Accept-Language": "de"})
    assert outcome.status_code == 200
    assert "Bitte sehen Sie in Ihre E-Mails" in outcome.text


async def test_a_repeated_email_gets_the_same_answer_and_no_second_place(
    client: Any, bensheim: Any
) -> None:
    event = await drop_in(bensheim)
    first = await register_by_form(client, bensheim, event)
    again = await register_by_form(client, bensheim, event, name="Someone Else")
    assert (again.status_code, again.headers["location"]) == (
        first.status_code,
        first.headers["location"],
    )
    assert len(await Registration.objects()) == 1


async def test_a_full_event_waitlists_or_says_it_is_full(client: Any, bensheim: Any) -> None:
    waitlisted = await drop_in(bensheim, capacity=1)
    await register_for_session((await sessions_of(waitlisted))[0].id, "first@example.org")
    answer = await register_by_form(client, bensheim, waitlisted)
    assert answer.headers["location"].endswith("/registered/waitlisted")
    outcome = await client.get(answer.headers["location"], headers={"Accept-Language": "de"})
    assert "Warteliste" in outcome.text
    assert not re.search(r"Platz \d|Position \d", outcome.text)  # the mail says it

    full = await drop_in(bensheim, capacity=1, waitlist=False)
    await register_for_session((await sessions_of(full))[0].id, "first@example.org")
    answer = await register_by_form(client, bensheim, full)
    assert answer.status_code == 409
    assert "Ausgebucht" in answer.text


async def test_registration_outside_its_window_is_closed(client: Any, bensheim: Any) -> None:
    event = await drop_in(bensheim)
    page = await client.get(path(bensheim, event))
    later = (await sessions_of(event))[0].starts_at - timedelta(days=1)
    await Event.update({Event.registration_opens_at: later}).where(Event.id == event.id)
    answer = await client.post(
        f"{path(bensheim, event)}/register",
        data={
            **PERSON,
            "session": str((await sessions_of(event))[0].id),
            "_csrf_token": csrf_token(page),
        },
        headers={"Accept-Language": "de"},
    )
    assert answer.status_code == 409
    assert "Anmeldung ist geschlossen" in answer.text
    assert await Registration.count() == 0
    shown = await client.get(path(bensheim, event), headers={"Accept-Language": "de"})
    assert 'name="session"' not in shown.text


async def test_bad_input_comes_back_with_messages_beside_the_fields(
    client: Any, bensheim: Any
) -> None:
    event = await drop_in(bensheim, max_seats_per_registration=2)
    answer = await register_by_form(
        client,
        bensheim,
        event,
        name=" ",
        email="amal@localhost",
        phone="call me",
        seats="3",
        consent="",
        accessibility="Rollstuhl <b>bitte</b>",
    )
    assert answer.status_code == 422
    text = answer.text
    assert 'class="error-summary"' in text
    for field in ("name", "email", "phone", "seats", "consent"):
        assert f'href="#field-{field}"' in text, field
        assert f'id="error-{field}"' in text, field
    assert 'value="amal@localhost"' in text
    assert 'value="call me"' in text
    assert "Rollstuhl &lt;b&gt;bitte&lt;/b&gt;" in text  # kept, and escaped
    assert '<option value="ar" lang="ar" selected>' in text
    assert await Registration.count() == 0


@pytest.mark.parametrize("seats", ["\u00b2", "\u0663", "9" * 4301, "-1", "1.5"])
async def test_a_number_of_places_that_is_no_number_is_refused_beside_its_field(
    client: Any, bensheim: Any, seats: str
) -> None:
    event = await drop_in(bensheim, max_seats_per_registration=2)
    answer = await register_by_form(client, bensheim, event, seats=seats)
    assert answer.status_code == 422
    assert 'id="error-seats"' in answer.text
    assert await Registration.count() == 0


async def test_a_filled_honeypot_gets_a_persons_answer_and_registers_nobody(
    client: Any, bensheim: Any
) -> None:
    trap = {"homepage": "http://spam.example"}
    event = await drop_in(bensheim, capacity=1)
    answer = await register_by_form(client, bensheim, event, **trap)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/registered/pending")
    assert await Registration.count() == 0
    # Invalid input: the same 422 page a person gets.
    invalid = await register_by_form(client, bensheim, event, email="nope", **trap)
    assert invalid.status_code == 422
    assert 'id="error-email"' in invalid.text
    # Full: the waitlist, as a real registration would be answered.
    await register_for_session((await sessions_of(event))[0].id, "first@example.org")
    answer = await register_by_form(client, bensheim, event, **trap)
    assert answer.headers["location"].endswith("/registered/waitlisted")
    full = await drop_in(bensheim, capacity=1, waitlist=False)
    await register_for_session((await sessions_of(full))[0].id, "first@example.org")
    answer = await register_by_form(client, bensheim, full, **trap)
    assert answer.status_code == 409
    assert await Registration.count() == 2  # only the two people's
    counters = [
        (s.seats_taken, s.waiting) for s in [*await sessions_of(event), *await sessions_of(full)]
    ]
    assert counters == [(1, 0), (1, 0)]


@pytest.mark.counts_to_a_limit
async def test_the_form_needs_its_csrf_token_and_keeps_to_the_rate_limit(
    client: Any, bensheim: Any
) -> None:
    event = await drop_in(bensheim, capacity=100)
    action = f"{path(bensheim, event)}/register"
    session = str((await sessions_of(event))[0].id)
    forged = await client.post(action, data={**PERSON, "session": session})
    assert forged.status_code == 403
    assert await Registration.count() == 0
    token = csrf_token(await client.get(path(bensheim, event)))
    statuses = [
        (
            await client.post(
                action,
                data={
                    **PERSON,
                    "email": f"p{n}@example.org",
                    "session": session,
                    "_csrf_token": token,
                },
            )
        ).status_code
        for n in range(31)
    ]
    assert statuses[:30] == [303] * 30  # TREFFPUNKT_REGISTRATIONS_PER_CLIENT, as the API's
    assert statuses[30] == 429


@pytest.mark.parametrize("locale", ["de", "en", "uk", "ar", "tr", "fa"])
async def test_every_language_in_the_form_has_a_name(
    client: Any, bensheim: Any, locale: str
) -> None:
    event = await drop_in(bensheim, languages=["de", "prs", "ps", "ti"])
    page = await client.get(f"{path(bensheim, event)}?lang={locale}")
    options = re.findall(r'<option value="([a-z]{2,3})"[^>]*>([^<]*)</option>', page.text)
    codes = {code for code, _ in options}
    assert {"prs", "ps", "ti", "ar", "uk"} <= codes
    assert [(code, label) for code, label in options if label.strip() in ("", code)] == []
    dari = {"de": "Dari", "en": "Dari", "uk": "дарі", "ar": "الدارية", "tr": "Darice", "fa": "دری"}
    assert (("prs", dari[locale])) in options


async def test_a_volunteer_registers_for_a_whole_course(client: Any, bensheim: Any) -> None:
    course = await make_published_event(
        bensheim,
        kind="training",
        audience="volunteers",
        registration_mode="whole_event",
        capacity=10,
        max_seats_per_registration=1,
        sessions=[
            {"starts_at": f"{day}T18:00:00+01:00", "ends_at": f"{day}T20:00:00+01:00"}
            for day in ("2031-03-04", "2031-03-11")
        ],
    )
    page = await client.get(path(bensheim, course), headers={"Accept-Language": "de"})
    assert 'name="session"' not in page.text
    assert 'name="seats"' not in page.text
    assert "für Ehrenamtliche" in page.text
    answer = await register_by_form(client, bensheim, course)
    assert answer.headers["location"].endswith("/registered/pending")
    [registration] = await Registration.objects()
    assert (registration.event, registration.session) == (course.id, None)


# --- the registration's own page ---------------------------------------------------------------


async def test_cancelling_asks_first(client: Any, bensheim: Any) -> None:
    event = await drop_in(bensheim)
    registration = await register_for_session((await sessions_of(event))[0].id, "a@example.org")
    link = f"/r/{registration_token(SECRET, registration.token_salt)}"
    page = await client.get(link, headers={"Accept-Language": "de"})
    assert f'href="{link}/cancel"' in page.text
    assert f'action="{link}/cancel"' not in page.text  # no button that cancels at once
    assert f'href="{link}/calendar.ics"' in page.text
    assert "Stufenloser Zugang" in page.text
    ask = await client.get(f"{link}/cancel", headers={"Accept-Language": "de"})
    assert "Platz absagen?" in ask.text
    assert (await Registration.objects().first()).status == "pending"  # type: ignore[union-attr]
    done = await submit(client, f"{link}/cancel", f"{link}/cancel")
    assert done.status_code == 303
    assert (await Registration.objects().first()).status == "cancelled"  # type: ignore[union-attr]


async def test_a_cancelled_registration_says_so_when_confirmed_or_cancelled_again(
    client: Any, bensheim: Any
) -> None:
    event = await drop_in(bensheim)
    registration = await register_for_session((await sessions_of(event))[0].id, "a@example.org")
    link = f"/r/{registration_token(SECRET, registration.token_salt)}"
    # The page, still open in another tab, confirms after the place was cancelled.
    token = csrf_token(await client.get(link))
    await submit(client, f"{link}/cancel", f"{link}/cancel")
    confirmed = await client.post(f"{link}/confirm?lang=en", data={"_csrf_token": token})
    assert confirmed.status_code == 409
    assert "This registration was cancelled, so it cannot be confirmed any more." in confirmed.text
    ask = await client.get(f"{link}/cancel?lang=en")
    assert "Cancel your place?" not in ask.text
    assert "<h1>This registration was cancelled.</h1>" in ask.text
    assert f'action="{link}/cancel"' not in ask.text


async def test_the_cancel_question_names_the_waitlist_only_when_someone_waits(
    client: Any, bensheim: Any
) -> None:
    event = await drop_in(bensheim, capacity=1)
    [session] = await sessions_of(event)
    first = await register_for_session(session.id, "a@example.org")
    link = f"/r/{registration_token(SECRET, first.token_salt)}/cancel?lang=en"
    waitlist = "next person on the waitlist"
    assert waitlist not in (await client.get(link)).text
    await register_for_session(session.id, "b@example.org")
    assert waitlist in (await client.get(link)).text


def dates_in(body: bytes) -> list[datetime]:
    """The start of every occurrence a calendar file holds: its series expanded (less
    their EXDATEs), its single events and overrides by their own start."""
    from dateutil.rrule import rrulestr

    calendar = Calendar.from_ical(body)
    starts: set[datetime] = set()
    for component in calendar.walk("VEVENT"):
        start = component.decoded("DTSTART")
        if "RRULE" in component:
            rule = rrulestr(component["RRULE"].to_ical().decode(), dtstart=start)
            excluded: set[datetime] = set()
            exdates = component.get("EXDATE", [])
            for exdate in exdates if isinstance(exdates, list) else [exdates]:
                excluded |= {moment.dt for moment in exdate.dts}
            starts |= set(rule) - excluded
        elif "RECURRENCE-ID" not in component:
            starts.add(start)
    return sorted(starts)


async def test_the_calendar_file_holds_the_registered_session_of_a_series(
    client: Any, bensheim: Any
) -> None:
    start = future_day(7)
    event = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=5,
        sessions=[],
        series={
            "rule": "FREQ=WEEKLY;BYDAY=TU",
            "start_date": start.isoformat(),
            "start_time": "14:00",
            "end_time": "16:00",
            "until": (start + timedelta(weeks=4)).isoformat(),
        },
    )
    sessions = await sessions_of(event)
    assert len(sessions) > 2
    chosen = sessions[1]
    registration = await register_for_session(chosen.id, "a@example.org")
    link = f"/r/{registration_token(SECRET, registration.token_salt)}"
    page = await client.get(link, headers={"Accept-Language": "de"})
    assert f'href="{link}/calendar.ics"' in page.text
    assert page.text.count("calendar.google.com") == 1  # the registered date's link only
    download = await client.get(f"{link}/calendar.ics")
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/calendar; charset=utf-8"
    assert download.headers["cache-control"] == "no-store"
    assert "VTIMEZONE" in download.text
    assert dates_in(download.content) == [chosen.starts_at]
    schema = (await client.get("/schema/openapi.json")).json()
    assert not [p for p in schema["paths"] if p.startswith("/r/")]


async def test_the_calendar_file_of_a_course_holds_every_session(
    client: Any, bensheim: Any
) -> None:
    course = await make_published_event(
        bensheim,
        registration_mode="whole_event",
        capacity=5,
        sessions=[
            {"starts_at": f"{day}T18:00:00+01:00", "ends_at": f"{day}T20:00:00+01:00"}
            for day in ("2031-03-04", "2031-03-11")
        ],
    )
    registration = await register_for_course(course.id, "a@example.org")
    link = f"/r/{registration_token(SECRET, registration.token_salt)}"
    download = await client.get(f"{link}/calendar.ics")
    assert dates_in(download.content) == [s.starts_at for s in await sessions_of(course)]


async def test_a_waitlisted_place_is_not_held_and_goes_in_no_calendar(
    client: Any, bensheim: Any
) -> None:
    event = await drop_in(bensheim, capacity=1, waitlist=True)
    [session] = await sessions_of(event)
    first = await register_for_session(session.id, "a@example.org")
    waiting = await register_for_session(session.id, "b@example.org")
    assert waiting.status == "waitlisted"
    held = await client.get(f"/r/{registration_token(SECRET, first.token_salt)}?lang=en")
    assert "held for you until" in held.text
    link = f"/r/{registration_token(SECRET, waiting.token_salt)}"
    page = await client.get(f"{link}?lang=en")
    assert "held for you" not in page.text
    assert f"{link}/calendar.ics" not in page.text
    assert 'id="add-to-calendar"' not in page.text
    assert "calendar.google.com" not in page.text
    assert (await client.get(f"{link}/calendar.ics")).status_code == 404


@pytest.mark.parametrize("token", ["x" * 43, "short", "a.b"])
async def test_a_link_that_leads_nowhere_gets_a_friendly_page(client: Any, token: str) -> None:
    for address in (f"/r/{token}", f"/r/{token}/cancel"):
        answer = await client.get(address, headers={"Accept-Language": "uk"})
        assert answer.status_code == 404
        assert '<html lang="uk"' in answer.text
        assert "Посилання не працює" in answer.text


async def test_mails_lead_to_the_event_page(client: Any, bensheim: Any, settings: Any) -> None:
    from treffpunkt.outbox import OutboxMessage
    from treffpunkt.registrations.kinds import registration_links

    event = await drop_in(bensheim)
    await register_by_form(client, bensheim, event)
    rows = await OutboxMessage.select().output(load_json=True)
    assert rows
    links = await registration_links(rows, settings)
    for row in rows:
        assert links[row["id"]]["event_url"] == f"{settings.base_url}{path(bensheim, event)}"
