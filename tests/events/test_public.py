"""What residents see through the public API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from tests.factories import BERLIN, future_day, make_event, make_published_event, make_venue
from treffpunkt.events.programmes import create_programme
from treffpunkt.events.schemas import ProgrammeCreate
from treffpunkt.events.tables import Session


def one_session(day: date, hour: int = 18) -> list[dict[str, str]]:
    start = datetime.combine(day, time(hour), BERLIN)
    return [{"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}]


async def list_sessions(client: Any, town: str = "bensheim", **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/municipalities/{town}/sessions", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_published_sessions_are_listed_with_their_details(client: Any, bensheim: Any) -> None:
    day = future_day(5)
    event = await make_published_event(
        bensheim,
        capacity=20,
        registration_mode="per_session",
        sessions=one_session(day),
        texts={"de": {"title": "Elterncafé"}, "ar": {"title": "مقهى الآباء"}},
    )
    [item] = (await list_sessions(client))["items"]
    assert item["event_id"] == event.id
    assert item["kind"] == "dialogue"
    assert item["title"] == "Elterncafé"
    assert item["starts_at"] == datetime.combine(day, time(18), BERLIN).isoformat()
    assert item["status"] == "scheduled"
    assert item["seats_left"] == 20
    assert item["registration_mode"] == "per_session"
    assert item["registration_open"] is True


async def test_titles_follow_the_readers_language_with_fallback(client: Any, bensheim: Any) -> None:
    await make_published_event(
        bensheim, texts={"de": {"title": "Elterncafé"}, "ar": {"title": "مقهى الآباء"}}
    )
    assert (await list_sessions(client, locale="ar"))["items"][0]["title"] == "مقهى الآباء"
    assert (await list_sessions(client, locale="uk"))["items"][0]["title"] == "Elterncafé"
    response = await client.get(
        "/api/v1/municipalities/bensheim/sessions", headers={"Accept-Language": "ar-SY, de;q=0.5"}
    )
    assert response.json()["items"][0]["title"] == "مقهى الآباء"


async def test_drafts_never_appear(client: Any, bensheim: Any) -> None:
    draft = await make_event(bensheim)
    assert (await list_sessions(client))["items"] == []
    assert (await client.get(f"/api/v1/events/{draft.id}")).status_code == 404


async def test_other_municipalities_sessions_never_appear(
    client: Any, bensheim: Any, butzbach: Any
) -> None:
    await make_published_event(butzbach)
    assert (await list_sessions(client, "bensheim"))["items"] == []
    assert len((await list_sessions(client, "butzbach"))["items"]) == 1


async def test_cancelled_sessions_stay_listed_as_cancelled(client: Any, bensheim: Any) -> None:
    from treffpunkt.events.service import cancel_event

    event = await make_published_event(bensheim, registration_mode="per_session")
    await cancel_event(bensheim.id, event.id)
    [item] = (await list_sessions(client))["items"]
    assert item["status"] == "cancelled"
    assert item["registration_open"] is False


async def test_past_sessions_are_not_upcoming(client: Any, bensheim: Any) -> None:
    event = await make_published_event(bensheim)
    past = datetime.now(BERLIN) - timedelta(days=2)
    await Session.update(
        {Session.starts_at: past, Session.ends_at: past + timedelta(hours=2)}
    ).where(Session.event == event.id)
    assert (await list_sessions(client))["items"] == []
    listed = await list_sessions(client, **{"from": (past - timedelta(days=1)).date().isoformat()})
    assert len(listed["items"]) == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "training"}, ["Schulung"]),
        ({"lang": "ar"}, ["Dialog"]),
        ({"lang": "fa"}, ["Schulung"]),
        ({"audience": "volunteers"}, ["Schulung"]),
        ({"tag": "familie"}, ["Dialog"]),
        ({"tag": "famil"}, []),
        ({"programme": "iwk-2027"}, ["Fest"]),
    ],
)
async def test_filters(
    client: Any, bensheim: Any, params: dict[str, str], expected: list[str]
) -> None:
    programme = await create_programme(
        bensheim.id,
        ProgrammeCreate.model_validate(
            {
                "slug": "iwk-2027",
                "texts": {"de": {"title": "Interkulturelle Woche 2027"}},
                "starts_on": "2027-09-19",
                "ends_on": "2027-09-26",
            }
        ),
    )
    await make_published_event(
        bensheim, texts={"de": {"title": "Dialog"}}, languages=["de", "ar"], tags=["familie"]
    )
    await make_published_event(
        bensheim,
        kind="training",
        audience="volunteers",
        texts={"de": {"title": "Schulung"}},
        languages=["de", "fa"],
    )
    await make_published_event(
        bensheim,
        kind="programme_item",
        texts={"de": {"title": "Fest"}},
        languages=["de"],
        programme_id=programme["id"],
    )
    titles = [item["title"] for item in (await list_sessions(client, **params))["items"]]
    assert titles == expected


async def test_date_range_is_inclusive_in_local_time(client: Any, bensheim: Any) -> None:
    day = future_day(10)
    # 23:30 local is already the next day in UTC: it must count for `day`.
    await make_published_event(bensheim, sessions=one_session(day, hour=23)[:1])
    await make_published_event(bensheim, sessions=one_session(day + timedelta(days=1), hour=9))
    listed = await list_sessions(client, **{"from": day.isoformat(), "to": day.isoformat()})
    assert len(listed["items"]) == 1
    assert listed["items"][0]["starts_at"].startswith(f"{day}T23:00")


async def test_pagination_is_stable_and_complete(client: Any, bensheim: Any) -> None:
    start = future_day(3)
    await make_published_event(
        bensheim,
        sessions=[],
        series={
            "rule": "FREQ=DAILY",
            "start_date": start.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "count": 7,
        },
    )
    # Two events at the same instant: the id breaks the tie.
    await make_published_event(bensheim, sessions=one_session(start, hour=10))
    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = await list_sessions(client, **params)
        seen += [(item["starts_at"], item["id"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 8
    assert seen == sorted(seen)
    assert len(set(seen)) == 8


async def test_pages_lead_back_with_previous_cursor(client: Any, bensheim: Any) -> None:
    await make_published_event(
        bensheim,
        sessions=[],
        series={
            "rule": "FREQ=DAILY",
            "start_date": future_day(3).isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "count": 7,
        },
    )
    first = await list_sessions(client, limit=3)
    assert first["previous_cursor"] is None
    second = await list_sessions(client, limit=3, cursor=first["next_cursor"])
    third = await list_sessions(client, limit=3, cursor=second["next_cursor"])
    assert third["next_cursor"] is None
    back = await list_sessions(client, limit=3, before=third["previous_cursor"])
    assert back["items"] == second["items"]
    assert back["next_cursor"] == second["next_cursor"]
    start = await list_sessions(client, limit=3, before=back["previous_cursor"])
    assert start["items"] == first["items"]
    assert start["previous_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"before": "bm9wZQ=="}, "before"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"kind": "party"}, "kind"),
        ({"from": "yesterday"}, "from"),
        ({"cursor": "bm9wZQ=="}, "cursor"),
        ({"locale": "xx"}, "locale"),
        ({"lang": "Arabic"}, "lang"),
    ],
)
async def test_bad_filters_answer_422_naming_the_parameter(
    client: Any, bensheim: Any, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/api/v1/municipalities/bensheim/sessions", params=params)
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"]


async def test_unknown_municipality_answers_404(client: Any) -> None:
    response = await client.get("/api/v1/municipalities/atlantis/sessions")
    assert response.status_code == 404


async def test_public_event_shows_venue_sessions_and_organiser(client: Any, bensheim: Any) -> None:
    venue = await make_venue(bensheim)
    event = await make_published_event(
        bensheim,
        venue_id=venue.id,
        organiser={"name": "Caritas Bergstraße", "contact": "info@caritas.example"},
        interpretation=True,
    )
    response = await client.get(f"/api/v1/events/{event.id}", params={"locale": "en"})
    assert response.status_code == 200
    body = response.json()
    assert body["municipality"] == "bensheim"
    assert body["locale"] == "de"  # no English text: the default language
    assert body["venue"]["street"] == "Hauptstraße 53"
    assert body["venue"]["step_free"] is True
    assert body["organiser"] == {"name": "Caritas Bergstraße", "contact": "info@caritas.example"}
    assert body["interpretation"] is True
    assert len(body["sessions"]) == 1


async def test_whole_event_course_closes_when_its_first_session_starts(
    client: Any, bensheim: Any
) -> None:
    first = datetime.now(BERLIN) - timedelta(hours=1)
    second = datetime.now(BERLIN) + timedelta(days=7)
    event = await make_published_event(
        bensheim,
        kind="training",
        registration_mode="whole_event",
        sessions=[
            {"starts_at": first.isoformat(), "ends_at": (first + timedelta(hours=3)).isoformat()},
            {"starts_at": second.isoformat(), "ends_at": (second + timedelta(hours=3)).isoformat()},
        ],
    )
    body = (await client.get(f"/api/v1/events/{event.id}")).json()
    assert [s["registration_open"] for s in body["sessions"]] == [False, False]


async def test_registration_window_is_respected(client: Any, bensheim: Any) -> None:
    opens = datetime.now(BERLIN) + timedelta(days=1)
    await make_published_event(
        bensheim, registration_mode="per_session", registration_opens_at=opens.isoformat()
    )
    assert (await list_sessions(client))["items"][0]["registration_open"] is False


async def test_programmes_list_and_detail_with_published_events(client: Any, bensheim: Any) -> None:
    programme = await create_programme(
        bensheim.id,
        ProgrammeCreate.model_validate(
            {
                "slug": "iwk-2027",
                "texts": {
                    "de": {"title": "Interkulturelle Woche 2027", "description": "Programm"},
                    "tr": {"title": "Kültürlerarası Hafta 2027"},
                },
                "starts_on": "2027-09-19",
                "ends_on": "2027-09-26",
            }
        ),
    )
    await make_published_event(bensheim, programme_id=programme["id"])
    await make_event(bensheim, programme_id=programme["id"])  # a draft
    listed = (await client.get("/api/v1/municipalities/bensheim/programmes?locale=tr")).json()
    assert listed[0]["title"] == "Kültürlerarası Hafta 2027"
    detail = await client.get("/api/v1/municipalities/bensheim/programmes/iwk-2027")
    assert detail.status_code == 200
    assert len(detail.json()["events"]) == 1
    assert detail.json()["events"][0]["programme"]["slug"] == "iwk-2027"
    missing = await client.get("/api/v1/municipalities/bensheim/programmes/nope")
    assert missing.status_code == 404


async def test_a_programme_answers_with_its_feed_to_subscribe_to(
    client: Any, bensheim: Any
) -> None:
    programme = await create_programme(
        bensheim.id,
        ProgrammeCreate.model_validate(
            {
                "slug": "iwk-2027",
                "texts": {"de": {"title": "Interkulturelle Woche 2027"}},
                "starts_on": "2027-09-19",
                "ends_on": "2027-09-26",
            }
        ),
    )
    await make_published_event(bensheim, programme_id=programme["id"])
    feed = "testserver/m/bensheim/programmes/iwk-2027/calendar.ics"
    expected = {"https": f"http://{feed}", "webcal": f"webcal://{feed}"}
    [listed] = (await client.get("/api/v1/municipalities/bensheim/programmes")).json()
    detail = (await client.get("/api/v1/municipalities/bensheim/programmes/iwk-2027")).json()
    assert listed["calendar"] == expected
    assert detail["calendar"] == expected
    # The link leads to that programme's feed, which holds its event.
    answer = await client.get(expected["https"].removeprefix("http://testserver"))
    assert answer.status_code == 200
    assert answer.text.count("BEGIN:VEVENT") == 1


PARTLY_TRANSLATED = {
    "de": {
        "title": "Elterncafé",
        "summary": "Austausch für Eltern",
        "description": "Mit Kinderbetreuung im Nebenraum.",
    },
    "en": {"title": "Parents' café"},
}


async def test_each_text_falls_back_on_its_own(client: Any, bensheim: Any) -> None:
    event = await make_published_event(bensheim, texts=PARTLY_TRANSLATED, interpretation=True)
    body = (await client.get(f"/api/v1/events/{event.id}", params={"locale": "en"})).json()
    assert body["locale"] == "en"
    assert body["title"] == "Parents' café"
    assert body["summary"] == "Austausch für Eltern"  # no English summary: the German one
    assert body["description"] == "Mit Kinderbetreuung im Nebenraum."
    assert body["interpretation"] is True
    by_header = await client.get(f"/api/v1/events/{event.id}", headers={"Accept-Language": "en-GB"})
    assert by_header.json()["description"] == "Mit Kinderbetreuung im Nebenraum."
    assert by_header.headers["vary"] == "Accept-Language,Accept-Encoding"  # gzip too


def test_translated_takes_each_field_from_the_reader_then_the_default_then_any() -> None:
    from treffpunkt.i18n import translated

    texts = {
        "de": {"title": "Sprechstunde", "summary": ""},
        "en": {"title": "Office hours", "summary": "Advice"},
        "uk": {"title": "Консультація", "description": "Лише українською"},
    }
    assert translated(texts, "en", "de") == (
        "en",
        {"title": "Office hours", "summary": "Advice", "description": "Лише українською"},
    )
    assert translated(texts, "ar", "de") == (
        "de",
        {"title": "Sprechstunde", "summary": "Advice", "description": "Лише українською"},
    )
