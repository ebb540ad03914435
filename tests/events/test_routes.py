"""The guide API for venues, programmes, events and sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.factories import future_day
from treffpunkt.events.tables import Event, Programme, Session, Venue

VENUE = {
    "name": "Integrationszentrum",
    "street": "Hauptstraße 53",
    "postal_code": "64625",
    "city": "Bensheim",
    "room": "Raum 2",
    "accessibility_notes": "Aufzug am Seiteneingang",
    "step_free": True,
    "hearing_loop": True,
}


def office_hours_body(**overrides: Any) -> dict[str, Any]:
    start = future_day(7)
    body = {
        "kind": "office_hours",
        "texts": {
            "de": {"title": "Sprechstunde Integration", "summary": "Beratung ohne Termin"},
            "uk": {"title": "Консультації з інтеграції"},
        },
        "languages": ["de", "uk", "ar"],
        "series": {
            "rule": "FREQ=WEEKLY;BYDAY=TU,TH",
            "start_date": start.isoformat(),
            "start_time": "14:00",
            "end_time": "16:00",
            "until": (start + timedelta(weeks=12)).isoformat(),
        },
    }
    body.update(overrides)
    return body


async def test_guide_creates_a_venue_and_an_office_hours_series(
    client: Any, bensheim_headers: Any
) -> None:
    venue = await client.post("/api/v1/guide/venues", json=VENUE, headers=bensheim_headers)
    assert venue.status_code == 201, venue.text
    body = office_hours_body(venue_id=venue.json()["id"])
    response = await client.post("/api/v1/guide/events", json=body, headers=bensheim_headers)
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["status"] == "draft"
    assert event["revision"] == 0
    assert len(event["sessions"]) == 24
    first = event["sessions"][0]
    assert first["starts_at"].endswith(("+01:00", "+02:00"))  # shown in Berlin time
    assert first["starts_at"][11:16] == "14:00"
    assert event["series"]["rule"] == "FREQ=WEEKLY;BYDAY=TU,TH"


async def test_guide_moves_cancels_and_removes_sessions_through_the_api(
    client: Any, bensheim_headers: Any
) -> None:
    created = await client.post(
        "/api/v1/guide/events", json=office_hours_body(), headers=bensheim_headers
    )
    sessions = created.json()["sessions"]
    first, second, third = sessions[0], sessions[1], sessions[2]
    moved = await client.patch(
        f"/api/v1/guide/sessions/{first['id']}",
        json={
            "starts_at": first["starts_at"].replace("14:00", "15:00"),
            "ends_at": first["ends_at"].replace("16:00", "17:00"),
        },
        headers=bensheim_headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["detached"] is True
    assert moved.json()["revision"] == 1
    cancelled = await client.post(
        f"/api/v1/guide/sessions/{second['id']}/cancel", headers=bensheim_headers
    )
    assert cancelled.json()["status"] == "cancelled"
    removed = await client.delete(f"/api/v1/guide/sessions/{third['id']}", headers=bensheim_headers)
    assert removed.status_code == 204
    event = (
        await client.get(f"/api/v1/guide/events/{created.json()['id']}", headers=bensheim_headers)
    ).json()
    assert len(event["sessions"]) == 23
    assert event["series"]["excluded_dates"] == [third["starts_at"][:10]]


async def test_guide_changes_the_series_and_exceptions_survive(
    client: Any, bensheim_headers: Any
) -> None:
    created = (
        await client.post(
            "/api/v1/guide/events", json=office_hours_body(), headers=bensheim_headers
        )
    ).json()
    first = created["sessions"][0]
    await client.post(f"/api/v1/guide/sessions/{first['id']}/cancel", headers=bensheim_headers)
    series = {**created["series"], "start_time": "15:00", "end_time": "17:00"}
    response = await client.put(
        f"/api/v1/guide/events/{created['id']}/series", json=series, headers=bensheim_headers
    )
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["revision"] == created["revision"] + 1
    by_id = {s["id"]: s for s in event["sessions"]}
    assert by_id[first["id"]]["status"] == "cancelled"
    others = [s for s in event["sessions"] if s["id"] != first["id"]]
    assert {s["starts_at"][11:16] for s in others} == {"15:00"}


async def test_guide_adds_a_date_and_publishes_then_cancels(
    client: Any, bensheim_headers: Any
) -> None:
    created = (
        await client.post(
            "/api/v1/guide/events", json=office_hours_body(series=None), headers=bensheim_headers
        )
    ).json()
    assert created["sessions"] == []
    day = future_day(3)
    added = await client.post(
        f"/api/v1/guide/events/{created['id']}/sessions",
        json={"starts_at": f"{day}T18:00:00+01:00", "ends_at": f"{day}T20:00:00+01:00"},
        headers=bensheim_headers,
    )
    assert added.status_code == 201, added.text
    published = await client.post(
        f"/api/v1/guide/events/{created['id']}/publish", headers=bensheim_headers
    )
    assert published.json()["status"] == "published"
    cancelled = await client.post(
        f"/api/v1/guide/events/{created['id']}/cancel", headers=bensheim_headers
    )
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["sessions"][0]["status"] == "cancelled"
    deleted = await client.delete(f"/api/v1/guide/events/{created['id']}", headers=bensheim_headers)
    assert deleted.status_code == 409
    assert deleted.json()["fields"] == {"status": "cancelled"}


async def test_guide_creates_a_programme_and_assigns_events(
    client: Any, bensheim_headers: Any
) -> None:
    programme = await client.post(
        "/api/v1/guide/programmes",
        json={
            "slug": "iwk-2027",
            "texts": {"de": {"title": "Interkulturelle Woche 2027"}},
            "starts_on": "2027-09-19",
            "ends_on": "2027-09-26",
        },
        headers=bensheim_headers,
    )
    assert programme.status_code == 201, programme.text
    again = await client.post(
        "/api/v1/guide/programmes",
        json={
            "slug": "iwk-2027",
            "texts": {"de": {"title": "Doppelt"}},
            "starts_on": "2027-09-19",
            "ends_on": "2027-09-26",
        },
        headers=bensheim_headers,
    )
    assert again.status_code == 409
    assert again.json()["fields"] == {"slug": "already taken"}
    event = await client.post(
        "/api/v1/guide/events",
        json=office_hours_body(kind="programme_item", programme_id=programme.json()["id"]),
        headers=bensheim_headers,
    )
    assert event.json()["programme_id"] == programme.json()["id"]


async def test_another_towns_venue_or_programme_cannot_be_referenced(
    client: Any, bensheim_headers: Any, butzbach_headers: Any
) -> None:
    venue = await client.post("/api/v1/guide/venues", json=VENUE, headers=butzbach_headers)
    response = await client.post(
        "/api/v1/guide/events",
        json=office_hours_body(venue_id=venue.json()["id"]),
        headers=bensheim_headers,
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"venue_id": "no such venue"}
    assert await Event.count() == 0


async def test_guide_lists_only_their_own_events_including_drafts(
    client: Any, bensheim_headers: Any, butzbach_headers: Any
) -> None:
    await client.post("/api/v1/guide/events", json=office_hours_body(), headers=bensheim_headers)
    await client.post("/api/v1/guide/events", json=office_hours_body(), headers=butzbach_headers)
    listed = await client.get("/api/v1/guide/events", headers=bensheim_headers)
    assert len(listed.json()) == 1
    assert listed.json()[0]["status"] == "draft"
    drafts = await client.get("/api/v1/guide/events?status=published", headers=bensheim_headers)
    assert drafts.json() == []


SERIES = office_hours_body()["series"]
NAIVE = {"starts_at": "2027-01-05T18:00:00", "ends_at": "2027-01-05T20:00:00"}
BACKWARDS = {"starts_at": "2027-01-05T20:00:00+01:00", "ends_at": "2027-01-05T18:00:00+01:00"}
WINDOW_BACKWARDS = {
    "registration_opens_at": "2027-01-01T10:00:00+01:00",
    "registration_closes_at": "2026-12-01T10:00:00+01:00",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"texts": {"xx": {"title": "?"}}}, "texts.xx"),
        ({"texts": {"de": {"title": ""}}}, "texts.de.title"),
        ({"languages": ["Deutsch"]}, "languages.0"),
        ({"tags": ["Not A Tag"]}, "tags.0"),
        ({"capacity": 0}, "capacity"),
        ({"registration_mode": "sometimes"}, "registration_mode"),
        ({"audience": "everyone"}, "audience"),
        ({"sessions": [NAIVE]}, "sessions.0.starts_at"),
        ({"sessions": [BACKWARDS]}, "sessions.0.ends_at"),
        ({"series": {"rule": "FREQ=WEEKLY;BYDAY=TU"}}, "series.start_date"),
        ({"series": {**SERIES, "rule": "FREQ=SECONDLY"}}, "series.rule"),
        ({"series": {**SERIES, "start_time": "14:00+01:00"}}, "series.start_time"),
        ({"series": {**SERIES, "end_time": "13:00"}}, "series.end_time"),
        ({"series": {**SERIES, "until": None}}, "series.until"),
        ({"texts": {"en": {"title": "Office hours"}}}, "texts.de"),
        (WINDOW_BACKWARDS, "registration_closes_at"),
    ],
)
async def test_invalid_events_answer_422_naming_the_field_and_write_nothing(
    client: Any, bensheim_headers: Any, change: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/api/v1/guide/events", json=office_hours_body(**change), headers=bensheim_headers
    )
    assert response.status_code == 422, response.text
    fields = response.json()["fields"]
    assert field in fields, fields
    assert await Event.count() == 0
    assert await Session.count() == 0


async def test_naive_times_are_refused_when_moving_a_session(
    client: Any, bensheim_headers: Any
) -> None:
    created = (
        await client.post(
            "/api/v1/guide/events", json=office_hours_body(), headers=bensheim_headers
        )
    ).json()
    session = created["sessions"][0]
    response = await client.patch(
        f"/api/v1/guide/sessions/{session['id']}",
        json={"starts_at": "2027-01-05T18:00:00", "ends_at": "2027-01-05T20:00:00+01:00"},
        headers=bensheim_headers,
    )
    assert response.status_code == 422
    assert "starts_at" in response.json()["fields"]


async def test_invalid_venue_and_programme_answer_422(client: Any, bensheim_headers: Any) -> None:
    response = await client.post(
        "/api/v1/guide/venues", json={**VENUE, "postal_code": "?"}, headers=bensheim_headers
    )
    assert "postal_code" in response.json()["fields"]
    response = await client.post(
        "/api/v1/guide/programmes",
        json={
            "slug": "iwk",
            "texts": {"de": {"title": "IKW"}},
            "starts_on": "2027-09-26",
            "ends_on": "2027-09-19",
        },
        headers=bensheim_headers,
    )
    assert response.status_code == 422
    assert await Venue.count() == 0
    assert await Programme.count() == 0


# --- all-day sessions -------------------------------------------------------------------------

FESTIVAL = {
    "kind": "programme_item",
    "texts": {"de": {"title": "Fest der Kulturen"}},
    "registration_mode": "per_session",
    "capacity": 200,
    # Two days across the end of summer time (31 October 2027): 49 hours, two dates.
    "sessions": [{"first_day": "2027-10-30", "last_day": "2027-10-31"}],
}


async def test_an_all_day_session_is_two_dates_in_the_towns_zone(
    client: Any, bensheim_headers: Any
) -> None:
    created = await client.post("/api/v1/guide/events", json=FESTIVAL, headers=bensheim_headers)
    assert created.status_code == 201, created.text
    [session] = created.json()["sessions"]
    assert (session["all_day"], session["first_day"], session["last_day"]) == (
        True,
        "2027-10-30",
        "2027-10-31",
    )
    assert session["starts_at"] == "2027-10-30T00:00:00+02:00"  # local midnight
    assert session["ends_at"] == "2027-11-01T00:00:00+01:00"  # after the last day
    event_id = created.json()["id"]
    await client.post(f"/api/v1/guide/events/{event_id}/publish", headers=bensheim_headers)
    public = (await client.get(f"/api/v1/events/{event_id}")).json()
    [shown] = public["sessions"]
    assert (shown["all_day"], shown["first_day"], shown["last_day"]) == (
        True,
        "2027-10-30",
        "2027-10-31",
    )
    assert "dates=20271030%2F20271101" in shown["add_to_google"]  # the end exclusive
    assert "allday=true" in shown["add_to_outlook"]
    listed = (
        await client.get("/api/v1/municipalities/bensheim/sessions", params={"from": "2027-10-30"})
    ).json()
    assert listed["items"][0]["all_day"] is True


@pytest.mark.parametrize(
    ("times", "field", "message"),
    [
        ({"first_day": "2027-10-31", "last_day": "2027-10-30"}, "last_day", "before first_day"),
        ({"first_day": "2027-10-30"}, "last_day", "required with first_day"),
        ({"first_day": "2027-10-01", "last_day": "2027-12-01"}, "last_day", "at most 31 days"),
        (
            {"first_day": "2027-10-30", "last_day": "2027-10-31", "starts_at": "2027-10-30T10:00Z"},
            "first_day",
            "not both",
        ),
        ({}, "last_day", "give starts_at and ends_at, or first_day and last_day"),
    ],
)
async def test_all_day_sessions_refuse_days_that_make_no_sense(
    client: Any, bensheim_headers: Any, times: dict[str, Any], field: str, message: str
) -> None:
    body = {**FESTIVAL, "sessions": [times]}
    response = await client.post("/api/v1/guide/events", json=body, headers=bensheim_headers)
    assert response.status_code == 422, response.text
    assert message in response.json()["fields"][f"sessions.0.{field}"], response.json()
    assert await Event.count() == 0


async def test_a_session_can_become_all_day_unless_it_belongs_to_a_series(
    client: Any, bensheim_headers: Any
) -> None:
    single = await client.post(
        "/api/v1/guide/events",
        json={
            **FESTIVAL,
            "sessions": [{"starts_at": "2027-10-30T10:00Z", "ends_at": "2027-10-30T12:00Z"}],
        },
        headers=bensheim_headers,
    )
    [session] = single.json()["sessions"]
    moved = await client.patch(
        f"/api/v1/guide/sessions/{session['id']}",
        json={"first_day": "2027-10-30", "last_day": "2027-10-30"},
        headers=bensheim_headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["all_day"] is True
    assert moved.json()["revision"] == 1
    series = await client.post(
        "/api/v1/guide/events", json=office_hours_body(), headers=bensheim_headers
    )
    first = series.json()["sessions"][0]
    refused = await client.patch(
        f"/api/v1/guide/sessions/{first['id']}",
        json={"first_day": "2027-10-30", "last_day": "2027-10-30"},
        headers=bensheim_headers,
    )
    assert refused.status_code == 422
    assert set(refused.json()["fields"]) == {"first_day"}
    assert (await Session.select(Session.all_day).where(Session.id == first["id"]).first()) == {
        "all_day": False
    }


# --- series rules: one spelling, and every refusal names its field -------------------------


async def test_a_rule_is_stored_and_published_in_its_one_spelling(
    client: Any, bensheim_headers: Any
) -> None:
    loose = {**SERIES, "rule": "byday=th,tu,th;wkst=mo;freq=weekly;interval=1"}
    created = await client.post(
        "/api/v1/guide/events", json=office_hours_body(series=loose), headers=bensheim_headers
    )
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["series"]["rule"] == "FREQ=WEEKLY;BYDAY=TU,TH"
    stored = await Event.select(Event.series).where(Event.id == event["id"]).first()
    assert stored is not None
    assert '"FREQ=WEEKLY;BYDAY=TU,TH"' in str(stored["series"])
    published = await client.post(
        f"/api/v1/guide/events/{event['id']}/publish", headers=bensheim_headers
    )
    assert published.status_code == 200, published.text
    feed = (await client.get("/m/bensheim/calendar.ics")).content.decode()
    [rrule] = [line for line in feed.split("\r\n") if line.startswith("RRULE:FREQ=WEEKLY")]
    assert rrule.startswith("RRULE:FREQ=WEEKLY;UNTIL=")
    assert rrule.endswith(";BYDAY=TU,TH")

    changed = await client.put(
        f"/api/v1/guide/events/{event['id']}/series",
        json={**SERIES, "rule": "BYDAY=WE;FREQ=weekly;INTERVAL=02"},
        headers=bensheim_headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["series"]["rule"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"


# Each change to a valid series, and the field its 422 names. The body of PUT …/series is
# the series itself, so there the path has no "series." in front.
SERIES_REFUSALS = [
    ({"rule": "FREQ=SECONDLY"}, "rule"),
    ({"rule": "FREQ=WEEKLY; BYDAY=TU"}, "rule"),
    ({"rule": "FREQ=WEEKLY;BYDAY=TU;BYDAY=TH"}, "rule"),
    ({"rule": "FREQ=WEEKLY;COUNT=3;UNTIL=20280101"}, "rule"),
    ({"rule": "FREQ=WEEKLY;X-JUNK=1"}, "rule"),
    ({"rule": "FREQ=MONTHLY;BYMONTHDAY=32"}, "rule"),
    ({"rule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "rule"),
    ({"rule": None}, "rule"),
    ({"rule": "F" * 201}, "rule"),
    ({"start_date": "1999-12-31"}, "start_date"),
    ({"start_time": "14:00+01:00"}, "start_time"),
    ({"start_time": "24:00"}, "start_time"),
    ({"end_time": "13:00"}, "end_time"),
    ({"until": None}, "until"),
    ({"count": 3}, "until"),
    ({"until": None, "count": 0}, "count"),
    ({"until": None, "count": 801}, "count"),
    ({"until": "2000-01-01"}, "until"),
    ({"until": (future_day(7) + timedelta(days=800)).isoformat()}, "until"),
    ({"until": None, "count": 400, "rule": "FREQ=MONTHLY"}, "count"),
    ({"extra_dates": ["tomorrow"]}, "extra_dates.0"),
    ({"extra_dates": [(future_day(7) + timedelta(days=800)).isoformat()]}, "extra_dates"),
    ({"excluded_dates": ["2027-13-01"]}, "excluded_dates.0"),
    (
        {"rule": "FREQ=YEARLY", "until": None, "count": 1, "excluded_dates": ["START"]},
        "excluded_dates",
    ),
    ({"surprise": True}, "surprise"),
    (
        {
            "rule": "FREQ=DAILY",
            "until": (future_day(7) + timedelta(days=700)).isoformat(),
            "extra_dates": [(future_day(7) - timedelta(days=n)).isoformat() for n in range(1, 120)],
        },
        "extra_dates",
    ),
]


def _series_with(change: dict[str, Any]) -> dict[str, Any]:
    series = {**SERIES, **change}
    if series.get("excluded_dates") == ["START"]:
        series["excluded_dates"] = [series["start_date"]]
    return series


@pytest.mark.parametrize(("change", "field"), SERIES_REFUSALS)
async def test_every_refused_series_names_its_field_and_writes_nothing(
    client: Any, bensheim_headers: Any, change: dict[str, Any], field: str
) -> None:
    created = await client.post(
        "/api/v1/guide/events", json=office_hours_body(), headers=bensheim_headers
    )
    event = created.json()
    refused = await client.post(
        "/api/v1/guide/events",
        json=office_hours_body(series=_series_with(change)),
        headers=bensheim_headers,
    )
    assert refused.status_code == 422, refused.text
    assert set(refused.json()["fields"]) == {f"series.{field}"}, refused.json()
    assert await Event.count() == 1

    put = await client.put(
        f"/api/v1/guide/events/{event['id']}/series",
        json=_series_with(change),
        headers=bensheim_headers,
    )
    assert put.status_code == 422, put.text
    assert set(put.json()["fields"]) == {field}, put.json()
    after = (
        await client.get(f"/api/v1/guide/events/{event['id']}", headers=bensheim_headers)
    ).json()
    assert (after["series"], after["revision"]) == (event["series"], event["revision"])
    assert [s["starts_at"] for s in after["sessions"]] == [
        s["starts_at"] for s in event["sessions"]
    ]


async def test_a_series_time_the_clocks_skip_is_refused_naming_the_field(
    client: Any, bensheim_headers: Any
) -> None:
    """02:30 on 28 March 2027 does not exist in Berlin: calendars would disagree on when
    it is, so the series is refused, by POST and by PUT alike (docs/calendars.md 18a)."""
    night = {
        "rule": "FREQ=WEEKLY;BYDAY=SU",
        "start_date": "2027-03-21",
        "start_time": "02:30",
        "end_time": "04:00",
        "count": 3,
    }
    refused = await client.post(
        "/api/v1/guide/events", json=office_hours_body(series=night), headers=bensheim_headers
    )
    assert refused.status_code == 422, refused.text
    assert "2027-03-28" in refused.json()["fields"]["series.start_time"]
    assert await Event.count() == 0
    created = (
        await client.post(
            "/api/v1/guide/events", json=office_hours_body(), headers=bensheim_headers
        )
    ).json()
    autumn = {**night, "start_date": "2027-10-24", "start_time": "01:00", "end_time": "02:30"}
    put = await client.put(
        f"/api/v1/guide/events/{created['id']}/series", json=autumn, headers=bensheim_headers
    )
    assert put.status_code == 422, put.text
    assert "2027-10-31" in put.json()["fields"]["end_time"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"null", "Input should be an object"),
        (b"[]", "Input should be an object"),
        (b"{", "not valid JSON"),
        (b'{"rule": "FREQ=DAILY",', "not valid JSON"),
    ],
)
async def test_a_series_body_that_is_no_object_names_the_body(
    client: Any, bensheim_headers: Any, body: bytes, message: str
) -> None:
    created = (
        await client.post(
            "/api/v1/guide/events", json=office_hours_body(), headers=bensheim_headers
        )
    ).json()
    for method, path in (
        ("PUT", f"/api/v1/guide/events/{created['id']}/series"),
        ("POST", "/api/v1/guide/events"),
    ):
        response = await client.request(
            method,
            path,
            content=body,
            headers={**bensheim_headers, "content-type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert message in response.json()["fields"]["body"], response.json()
