"""Feeds that real clients trust: checked rule by rule (docs/calendars.md), and
expanded by two independent parsers whose occurrences must match our sessions."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from tests.calendars.parsers import WINDOW, icaljs_occurrences, python_occurrences
from tests.factories import (
    SECRET,
    make_event,
    make_published_event,
    make_venue,
    register_for_session,
    sessions_of,
)
from treffpunkt.calendars import personal
from treffpunkt.calendars.service import FeedCache, Publication, municipality_feed
from treffpunkt.events import service as events
from treffpunkt.events.programmes import create_programme
from treffpunkt.events.public import EventFilters, Reader
from treffpunkt.events.schemas import EventUpdate, ProgrammeCreate, SessionTimes

SERIES = {
    "rule": "FREQ=WEEKLY;BYDAY=TU,TH",
    "start_date": "2027-03-02",
    "start_time": "14:00",
    "end_time": "16:00",
    "until": "2027-11-30",
}


async def feed_bytes(client: Any, path: str = "/m/bensheim/calendar.ics", **params: Any) -> bytes:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return bytes(response.content)


async def busy_series(municipality: Any) -> Any:
    """Office hours across both clock changes, with every kind of exception."""
    venue = await make_venue(municipality)
    event = await make_published_event(
        municipality,
        kind="office_hours",
        venue_id=venue.id,
        texts={
            "de": {
                "title": "Sprechstunde, Beratung; Hilfe \\ ohne Termin",
                "description": "Erste Zeile;\nzweite, mit Zeilenumbruch",
            }
        },
        sessions=[],
        series=SERIES,
    )
    sessions = await sessions_of(event)
    moved, cancelled, removed = sessions[3], sessions[10], sessions[20]
    later = moved.starts_at + timedelta(hours=2)
    await events.move_session(
        municipality.id,
        moved.id,
        SessionTimes(starts_at=later, ends_at=later + timedelta(hours=2)),
    )
    await events.cancel_session(municipality.id, cancelled.id)
    await events.remove_session(municipality.id, removed.id)
    extra = datetime(2027, 12, 20, 17, tzinfo=UTC)
    await events.add_session(
        municipality.id, event.id, SessionTimes(starts_at=extra, ends_at=extra + timedelta(hours=1))
    )
    # Two whole days across the end of summer time: DATE values, no times.
    await events.add_session(
        municipality.id,
        event.id,
        SessionTimes(first_day=date(2027, 10, 30), last_day=date(2027, 10, 31)),
    )
    return event


async def api_occurrences(client: Any, event_id: int) -> set[tuple[str, str, str]]:
    """The API's sessions as the parsers give them: instants in UTC, all-day sessions as
    their first day and the day after their last (iCalendar's exclusive end)."""
    body = (await client.get(f"/api/v1/events/{event_id}")).json()
    return {
        (
            s["first_day"]
            if s["all_day"]
            else datetime.fromisoformat(s["starts_at"]).astimezone(UTC).isoformat(),
            (date.fromisoformat(s["last_day"]) + timedelta(days=1)).isoformat()
            if s["all_day"]
            else datetime.fromisoformat(s["ends_at"]).astimezone(UTC).isoformat(),
            "CANCELLED" if s["status"] == "cancelled" else "CONFIRMED",
        )
        for s in body["sessions"]
        if WINDOW[0] <= datetime.fromisoformat(s["starts_at"]) < WINDOW[1]
    }


async def test_two_independent_parsers_see_exactly_our_sessions(client: Any, bensheim: Any) -> None:
    event = await busy_series(bensheim)
    expected = await api_occurrences(client, event.id)
    assert len(expected) > 70
    assert sum(1 for _, _, status in expected if status == "CANCELLED") == 1
    feed = await feed_bytes(client)
    assert python_occurrences(feed) == expected
    assert icaljs_occurrences(feed) == expected


async def test_wall_time_stays_across_both_clock_changes(client: Any, bensheim: Any) -> None:
    await make_published_event(bensheim, sessions=[], series=SERIES)
    starts = sorted(start for start, _, _ in icaljs_occurrences(await feed_bytes(client)))
    berlin_hours = {datetime.fromisoformat(s).astimezone(_berlin()).hour for s in starts}
    assert berlin_hours == {14}
    utc_hours = {datetime.fromisoformat(s).hour for s in starts}
    assert utc_hours == {12, 13}  # summer and winter


def _berlin() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Berlin")


async def test_feed_bytes_follow_the_rules(client: Any, bensheim: Any) -> None:
    await busy_series(bensheim)
    feed = await feed_bytes(client)
    text = feed.decode("utf-8")
    assert not feed.startswith(b"\xef\xbb\xbf")  # no BOM (rule 3)
    assert b"\n" not in feed.replace(b"\r\n", b"")  # CRLF only (rule 1)
    for line in feed.split(b"\r\n"):
        assert len(line) <= 75, line  # folded at 75 octets (rule 1)
        line.decode("utf-8")  # never folded inside a UTF-8 sequence
    unfolded = text.replace("\r\n ", "")
    assert "METHOD" not in unfolded  # no METHOD in a feed (rule 4)
    assert unfolded.count("\r\nVERSION:2.0\r\n") == 1
    assert unfolded.count("\r\nPRODID:") == 1
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in unfolded  # rule 5
    assert "\r\nX-PUBLISHED-TTL:PT6H\r\n" in unfolded
    assert "\r\nX-WR-CALNAME:Integration Stadt Bensheim" not in unfolded
    assert "\r\nNAME:Stadt Bensheim\r\n" in unfolded
    # Escaping of , ; \ and newlines in titles (rule 2); nothing unescaped slips through.
    assert "SUMMARY:Sprechstunde\\, Beratung\\; Hilfe \\\\ ohne Termin" in unfolded
    assert "Erste Zeile\\;\\nzweite\\, mit Zeilenumbruch" in unfolded
    # One VTIMEZONE in RRULE form, before the events (rules 15–16).
    assert unfolded.count("BEGIN:VTIMEZONE") == 1
    assert unfolded.index("BEGIN:VTIMEZONE") < unfolded.index("BEGIN:VEVENT")
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in unfolded
    assert "RDATE" not in unfolded.split("END:VTIMEZONE")[0]
    # No floating times (rule 14): every date-time has a TZID or is UTC.
    events_part = unfolded.split("END:VTIMEZONE")[1]  # VTIMEZONE's own DTSTARTs are local
    pattern = r"\r\n(DTSTART|DTEND|RECURRENCE-ID|EXDATE)([^:]*):([^\r]*)"
    for name, params, value in re.findall(pattern, events_part):
        all_day = params == ";VALUE=DATE" and re.fullmatch(r"\d{8}", value)  # rule 13
        assert all_day or "TZID=Europe/Berlin" in params or value.endswith("Z"), (name, value)
    # A series is written once: one master, overrides with its UID, EXDATE for the gap.
    calendar = Calendar.from_ical(feed)
    vevents = list(calendar.walk("VEVENT"))
    masters = [e for e in vevents if "RRULE" in e]
    assert len(masters) == 1
    overrides = [e for e in vevents if "RECURRENCE-ID" in e]
    assert {str(e["UID"]) for e in overrides} == {str(masters[0]["UID"])}
    assert len(overrides) == 2  # the moved and the cancelled session
    assert "EXDATE" in masters[0]
    assert re.search(r"UNTIL=\d{8}T\d{6}Z", unfolded)  # UNTIL in UTC with a TZID start
    for vevent in vevents:
        assert not ("DTEND" in vevent and "DURATION" in vevent)  # rule 12
        assert vevent.decoded("dtend") > vevent.decoded("dtstart")
        assert str(vevent["URL"]).startswith("http://testserver/")
        assert str(vevent["STATUS"]) in {"CONFIRMED", "CANCELLED"}


async def test_same_data_gives_the_same_bytes(bensheim: Any) -> None:
    await busy_series(bensheim)
    publication = Publication(Reader(bensheim), "http://testserver")
    first = await municipality_feed(publication, EventFilters(), FeedCache())
    second = await municipality_feed(publication, EventFilters(), FeedCache())
    assert first.body == second.body
    assert first.etag == second.etag


async def test_etag_and_last_modified_answer_304_until_something_changes(
    client: Any, bensheim: Any
) -> None:
    event = await make_published_event(bensheim)
    first = await client.get("/m/bensheim/calendar.ics")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert etag.startswith('"')
    again = await client.get("/m/bensheim/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    since = await client.get("/m/bensheim/calendar.ics", headers={"If-Modified-Since": modified})
    assert since.status_code == 304

    [session] = await sessions_of(event)
    later = session.starts_at + timedelta(hours=1)
    await events.move_session(
        bensheim.id, session.id, SessionTimes(starts_at=later, ends_at=later + timedelta(hours=2))
    )
    changed = await client.get("/m/bensheim/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_sequence_rises_with_every_reschedule_and_cancellation(
    client: Any, bensheim: Any
) -> None:
    event = await make_published_event(bensheim)
    [session] = await sessions_of(event)

    def sequence(feed: bytes) -> int:
        [vevent] = Calendar.from_ical(feed).walk("VEVENT")
        return int(vevent["SEQUENCE"])

    first = sequence(await feed_bytes(client))
    later = session.starts_at + timedelta(hours=1)
    await events.move_session(
        bensheim.id, session.id, SessionTimes(starts_at=later, ends_at=later + timedelta(hours=2))
    )
    moved = sequence(await feed_bytes(client))
    await events.cancel_event(bensheim.id, event.id)
    feed = await feed_bytes(client)
    assert first < moved < sequence(feed)
    [vevent] = Calendar.from_ical(feed).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"  # stays in the feed, cancelled


async def test_filters_and_programme_feeds(client: Any, bensheim: Any) -> None:
    await make_published_event(bensheim, texts={"de": {"title": "Dialog"}}, languages=["de", "ar"])
    await make_published_event(
        bensheim, kind="training", texts={"de": {"title": "Schulung"}}, languages=["de"]
    )

    def titles(feed: bytes) -> list[str]:
        return sorted(str(e["SUMMARY"]) for e in Calendar.from_ical(feed).walk("VEVENT"))

    assert titles(await feed_bytes(client)) == ["Dialog", "Schulung"]
    assert titles(await feed_bytes(client, kind="training")) == ["Schulung"]
    assert titles(await feed_bytes(client, lang="ar")) == ["Dialog"]
    missing = await client.get("/m/bensheim/programmes/nope/calendar.ics")
    assert missing.status_code == 404


async def test_drafts_and_other_towns_never_appear(
    client: Any, bensheim: Any, butzbach: Any
) -> None:
    draft = await make_event(bensheim)
    foreign = await make_published_event(butzbach)
    assert b"BEGIN:VEVENT" not in await feed_bytes(client)
    assert (await client.get(f"/m/bensheim/events/{draft.id}/calendar.ics")).status_code == 404
    assert (await client.get(f"/m/bensheim/events/{foreign.id}/calendar.ics")).status_code == 404
    assert (await client.get("/m/atlantis/calendar.ics")).status_code == 404


async def test_single_event_download(client: Any, bensheim: Any) -> None:
    event = await make_published_event(bensheim)
    response = await client.get(f"/m/bensheim/events/{event.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="bensheim-{event.id}.ics"'
    )
    assert b"METHOD" not in response.content
    assert (await client.get("/m/bensheim/events/readme.txt")).status_code == 404


@pytest.mark.parametrize("day", [date(2027, 3, 28), date(2027, 10, 31)])
async def test_sessions_on_the_day_of_the_change_keep_their_wall_time(
    client: Any, bensheim: Any, day: date
) -> None:
    series = {
        **SERIES,
        "rule": "FREQ=DAILY",
        "start_date": day.isoformat(),
        "until": None,
        "count": 2,
    }
    await make_published_event(bensheim, sessions=[], series=series)
    starts = icaljs_occurrences(await feed_bytes(client))
    assert {datetime.fromisoformat(s).astimezone(_berlin()).hour for s, _, _ in starts} == {14}


async def test_answers_carry_subscribe_and_add_to_calendar_links(
    client: Any, bensheim: Any
) -> None:
    event = await make_published_event(bensheim, texts={"de": {"title": "Elterncafé & mehr"}})
    town = (await client.get("/api/v1/municipalities/bensheim")).json()
    assert town["calendar"] == {
        "https": "http://testserver/m/bensheim/calendar.ics",
        "webcal": "webcal://testserver/m/bensheim/calendar.ics",
    }
    body = (await client.get(f"/api/v1/events/{event.id}")).json()
    assert (
        body["calendar"]["https"] == f"http://testserver/m/bensheim/events/{event.id}/calendar.ics"
    )
    assert (await client.get(body["calendar"]["https"])).status_code == 200
    [session] = body["sessions"]
    google = urlsplit(session["add_to_google"])
    query = parse_qs(google.query)
    assert google.netloc == "calendar.google.com"
    assert query["text"] == ["Elterncafé & mehr"]
    start = datetime.fromisoformat(session["starts_at"]).astimezone(UTC)
    assert query["dates"][0].startswith(start.strftime("%Y%m%dT%H%M%SZ") + "/")
    outlook = parse_qs(urlsplit(session["add_to_outlook"]).query)
    assert outlook["subject"] == ["Elterncafé & mehr"]
    assert datetime.fromisoformat(outlook["startdt"][0].replace("Z", "+00:00")) == start


# --- validators, Vary, HEAD ------------------------------------------------------------------


def http_date(value: str) -> datetime:
    return parsedate_to_datetime(value)


async def test_feeds_chosen_by_accept_language_say_so_and_share_a_cache_entry(
    client: Any, bensheim: Any
) -> None:
    await make_published_event(
        bensheim, texts={"de": {"title": "Elterncafé"}, "ar": {"title": "مقهى الآباء"}}
    )
    arabic = await client.get("/m/bensheim/calendar.ics", headers={"Accept-Language": "ar"})
    assert "مقهى الآباء" in arabic.text
    assert arabic.headers["vary"] == "Accept-Language,Accept-Encoding"  # gzip too
    assert arabic.headers["cache-control"].startswith("public")
    german = await client.get("/m/bensheim/calendar.ics", headers={"Accept-Language": "de-DE"})
    assert "Elterncafé" in german.text
    assert german.headers["etag"] != arabic.headers["etag"]
    # An explicit choice does not depend on the header.
    chosen = await client.get("/m/bensheim/calendar.ics?locale=ar")
    assert "Accept-Language" not in chosen.headers.get("vary", "")
    assert chosen.headers["etag"] == arabic.headers["etag"]

    # The cache is keyed by the language chosen, not by the header's wording.
    cache = FeedCache()
    for header in ("ar", "ar-SY, ar;q=0.9", "ar-EG,fr;q=0.5", "fr, ar;q=0.1"):
        reader = Reader(bensheim, None, header)
        await municipality_feed(Publication(reader, "http://testserver"), EventFilters(), cache)
    assert len([key for key in cache._entries if key[0] == "feed"]) == 1


async def test_last_modified_never_goes_back_when_an_event_leaves_a_programme(
    client: Any, bensheim: Any, bensheim_headers: dict[str, str]
) -> None:
    programme = await create_programme(
        bensheim.id,
        ProgrammeCreate.model_validate(
            {
                "slug": "iwk",
                "texts": {"de": {"title": "Interkulturelle Woche"}},
                "starts_on": "2027-09-19",
                "ends_on": "2027-09-26",
            }
        ),
    )
    await make_published_event(bensheim, programme_id=programme["id"])
    await asyncio.sleep(1.1)
    later = await make_published_event(bensheim, programme_id=programme["id"])
    path = "/m/bensheim/programmes/iwk/calendar.ics"
    first = await client.get(path)
    await asyncio.sleep(1.1)
    moved_out = await client.patch(
        f"/api/v1/guide/events/{later.id}", json={"programme_id": None}, headers=bensheim_headers
    )
    assert moved_out.status_code == 200, moved_out.text
    second = await client.get(path)
    assert second.content != first.content
    assert http_date(second.headers["last-modified"]) > http_date(first.headers["last-modified"])
    since = await client.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 200
    assert since.content == second.content


async def test_if_modified_since_never_hides_a_change_made_in_the_same_second(
    client: Any, bensheim: Any
) -> None:
    event = await make_published_event(bensheim)
    [session] = await sessions_of(event)
    first = await client.get("/m/bensheim/calendar.ics")
    later = session.starts_at + timedelta(hours=1)
    await events.move_session(
        bensheim.id, session.id, SessionTimes(starts_at=later, ends_at=later + timedelta(hours=1))
    )
    again = await client.get(
        "/m/bensheim/calendar.ics", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert again.status_code == 200
    assert http_date(again.headers["last-modified"]) > http_date(first.headers["last-modified"])


async def test_last_modified_is_kept_for_every_process_and_after_a_restart(
    bensheim: Any,
) -> None:
    """Two events; the newer leaves the municipality's `lang=ar` feed. A process that
    starts afterwards (a fresh cache) still dates the feed after what clients hold."""
    await make_published_event(bensheim, languages=["de", "ar"])
    await asyncio.sleep(1.1)
    newer = await make_published_event(bensheim, languages=["de", "ar"])
    publication = Publication(Reader(bensheim), "http://testserver")
    arabic = EventFilters(language="ar")
    first = await municipality_feed(publication, arabic, FeedCache())
    same = await municipality_feed(publication, arabic, FeedCache())  # another process
    assert (same.etag, same.last_modified) == (first.etag, first.last_modified)
    await asyncio.sleep(1.1)
    await events.update_event(bensheim.id, newer.id, EventUpdate(languages=["de"]))
    restarted = await municipality_feed(publication, arabic, FeedCache())
    assert restarted.etag != first.etag
    assert first.last_modified is not None
    assert restarted.last_modified is not None
    assert restarted.last_modified > first.last_modified


async def test_a_new_town_name_time_zone_or_programme_title_changes_the_feeds(
    client: Any, bensheim: Any, admin_headers: dict[str, str], bensheim_headers: dict[str, str]
) -> None:
    programme = await create_programme(
        bensheim.id,
        ProgrammeCreate.model_validate(
            {
                "slug": "iwk",
                "texts": {"de": {"title": "Interkulturelle Woche"}},
                "starts_on": "2027-09-19",
                "ends_on": "2027-09-26",
            }
        ),
    )
    await make_published_event(bensheim, programme_id=programme["id"])
    town, week = "/m/bensheim/calendar.ics", "/m/bensheim/programmes/iwk/calendar.ics"
    before = {path: (await client.get(path)).headers["etag"] for path in (town, week)}

    renamed = await client.patch(
        "/api/v1/municipalities/bensheim",
        json={"name": "Stadt Bensheim a. d. Bergstraße"},
        headers=admin_headers,
    )
    assert renamed.status_code == 200, renamed.text
    for path in (town, week):
        response = await client.get(path, headers={"If-None-Match": before[path]})
        assert response.status_code == 200
        assert "Bergstraße" in response.text

    etag = (await client.get(town)).headers["etag"]
    moved = await client.patch(
        "/api/v1/municipalities/bensheim",
        json={"time_zone": "Europe/Vienna"},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    response = await client.get(town, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "TZID=Europe/Vienna" in response.text

    etag = (await client.get(week)).headers["etag"]
    retitled = await client.patch(
        f"/api/v1/guide/programmes/{programme['id']}",
        json={"texts": {"de": {"title": "Woche der Vielfalt"}}},
        headers=bensheim_headers,
    )
    assert retitled.status_code == 200, retitled.text
    response = await client.get(week, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Woche der Vielfalt" in response.text


async def test_every_feed_download_and_health_answer_head(client: Any, bensheim: Any) -> None:
    programme = await create_programme(
        bensheim.id,
        ProgrammeCreate.model_validate(
            {
                "slug": "iwk",
                "texts": {"de": {"title": "Interkulturelle Woche"}},
                "starts_on": "2027-09-19",
                "ends_on": "2027-09-26",
            }
        ),
    )
    event = await make_published_event(
        bensheim, programme_id=programme["id"], registration_mode="per_session"
    )
    [session] = await sessions_of(event)
    await register_for_session(session.id, "amira@example.org")
    tokens = await personal.feed_tokens(bensheim.id, ["amira@example.org"], SECRET)
    for path in (
        "/m/bensheim/calendar.ics",
        "/m/bensheim/calendar.ics?kind=dialogue",
        "/m/bensheim/programmes/iwk/calendar.ics",
        f"/m/bensheim/events/{event.id}/calendar.ics",
        f"/feeds/{tokens['amira@example.org']}.ics",
        "/health",
    ):
        get = await client.get(path)
        head = await client.head(path)
        assert (path, head.status_code) == (path, 200)
        assert head.content == b""
        for name in ("content-type", "content-length", "etag", "last-modified", "vary"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)
        if path != "/health":
            etag = get.headers["etag"]
            assert (await client.head(path, headers={"If-None-Match": etag})).status_code == 304
    assert (await client.head("/m/atlantis/calendar.ics")).status_code == 404


async def test_feed_texts_fall_back_field_by_field_and_say_interpretation_is_offered(
    client: Any, bensheim: Any
) -> None:
    await make_published_event(
        bensheim,
        texts={
            "de": {"title": "Elterncafé", "description": "Mit Kinderbetreuung im Nebenraum."},
            "en": {"title": "Parents' café"},
        },
        interpretation=True,
    )
    [vevent] = Calendar.from_ical(await feed_bytes(client, locale="en")).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Parents' café"
    description = str(vevent["DESCRIPTION"])
    assert "Mit Kinderbetreuung im Nebenraum." in description
    assert "Interpretation is offered." in description


async def test_an_all_day_session_is_written_with_dates_only(client: Any, bensheim: Any) -> None:
    event = await make_published_event(
        bensheim, sessions=[{"first_day": "2027-09-25", "last_day": "2027-09-26"}]
    )
    feed = await feed_bytes(client)
    unfolded = feed.decode().replace("\r\n ", "")
    assert "\r\nDTSTART;VALUE=DATE:20270925\r\n" in unfolded  # rule 13
    assert "\r\nDTEND;VALUE=DATE:20270927\r\n" in unfolded  # the day after the last
    expected = await api_occurrences(client, event.id)
    assert expected == {("2027-09-25", "2027-09-27", "CONFIRMED")}
    assert python_occurrences(feed) == expected
    assert icaljs_occurrences(feed) == expected


# --- time zones and clock changes (rules 14a, 16, 18a) --------------------------------------

BERLIN_VTIMEZONE = (
    b"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\n"
    b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZNAME:CEST\r\nTZOFFSETFROM:+0100\r\n"
    b"TZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZNAME:CET\r\nTZOFFSETFROM:+0200\r\n"
    b"TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)


async def test_berlin_keeps_its_vtimezone_byte_for_byte(client: Any, bensheim: Any) -> None:
    await make_published_event(bensheim, sessions=[], series=SERIES)
    assert BERLIN_VTIMEZONE in await feed_bytes(client)


def _changes_in_2027(zone: str) -> list[Any]:
    from zoneinfo import ZoneInfo

    from treffpunkt.calendars.timezones import _changes

    return [c for c in _changes(ZoneInfo(zone)) if c.at.year == 2027]


@pytest.mark.parametrize(
    "zone",
    ["Europe/Berlin", "Europe/Vienna", "America/New_York", "Asia/Kolkata", "Australia/Sydney"],
)
async def test_every_parser_reads_every_zone_alike_across_both_clock_changes(
    client: Any, zone: str
) -> None:
    """A town in another zone: a weekly series through every Sunday of 2027 (both changes
    fall on Sundays), at night and by day, and single sessions on either side of each
    change, the wall time of autumn's repeated hour included (written in UTC, rule 14a).
    Both parsers give exactly the instants of the API."""
    from tests.factories import make_municipality

    town = await make_municipality("elsewhere", "Elsewhere", time_zone=zone)
    night = {
        "rule": "FREQ=WEEKLY;BYDAY=SU",
        "start_date": "2027-01-03",
        "start_time": "00:30",
        "end_time": "03:30",
        "count": 52,
    }
    day = {**SERIES, "start_date": "2027-01-05", "until": "2027-12-21"}
    singles = []
    for change in _changes_in_2027(zone):
        for before, after in ((-90, -30), (-30, 30), (30, 90), (-60, 120)):
            start = change.at + timedelta(minutes=before)
            singles.append(
                {
                    "starts_at": start.isoformat(),
                    "ends_at": (change.at + timedelta(minutes=after)).isoformat(),
                }
            )
    if not singles:  # Kolkata: no change; one session on Berlin's autumn night anyway
        start = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
        singles.append(
            {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}
        )
    events_made = [
        await make_published_event(town, sessions=[], series=night),
        await make_published_event(town, sessions=[], series=day),
        await make_published_event(town, sessions=singles),
    ]
    expected: set[tuple[str, str, str]] = set()
    for event in events_made:
        expected |= await api_occurrences(client, event.id)
    assert len(expected) == 52 + 101 + len(singles)  # Sundays; Tuesdays and Thursdays
    feed = await feed_bytes(client, "/m/elsewhere/calendar.ics")
    calendar = Calendar.from_ical(feed)
    [timezone] = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == zone
    assert b"RDATE" not in feed
    assert python_occurrences(feed) == expected
    assert icaljs_occurrences(feed) == expected
    if zone != "Asia/Kolkata":
        assert len(_changes_in_2027(zone)) == 2
        assert b"Z\r\n" in feed.split(b"END:VTIMEZONE")[1]  # the repeated hour, in UTC


# --- the feed cache is bounded in bytes ------------------------------------------------------


def _feed_of(size: int) -> Any:
    from treffpunkt.calendars.service import Feed

    return Feed(b"x" * size, '"etag"', None)


def test_the_feed_cache_holds_at_most_its_bytes_and_drops_the_least_recently_used() -> None:
    from treffpunkt.calendars.service import ENTRY_OVERHEAD

    cache = FeedCache(max_bytes=10_000)
    cache.keep_block(("a",), b"a" * 3000)
    cache.keep_feed(("b",), "stamp", _feed_of(3000))
    assert cache.block(("a",)) is not None  # "a" used last: "b" is the oldest now
    cache.keep_block(("c",), b"c" * 3000)
    assert cache.feed(("b",), "stamp") is None
    assert cache.block(("a",)) == b"a" * 3000
    assert cache.block(("c",)) == b"c" * 3000
    assert cache.size == 2 * (3000 + ENTRY_OVERHEAD) <= cache.max_bytes
    # A new version of an entry replaces it, its bytes counted once.
    cache.keep_block(("c",), b"C" * 1000)
    assert cache.size == 3000 + 1000 + 2 * ENTRY_OVERHEAD
    # One entry larger than the whole budget is not kept, and pushes nothing out.
    cache.keep_feed(("huge",), "stamp", _feed_of(50_000))
    assert cache.feed(("huge",), "stamp") is None
    assert len(cache) == 2
    # Many tiny entries cannot outgrow it either.
    for number in range(1000):
        cache.keep_block(("tiny", number), b"")
    assert cache.size <= cache.max_bytes
    assert len(cache) == cache.max_bytes // ENTRY_OVERHEAD


async def test_a_small_feed_cache_serves_the_same_feeds_within_its_bytes(bensheim: Any) -> None:
    """Huge feeds through a cache smaller than they are: the same bytes as an ample
    cache gives, and never more memory than the budget."""
    for kind in ("office_hours", "dialogue", "training"):
        long = {"de": {"title": kind, "description": "Lang. " * 3000}}
        await make_published_event(bensheim, kind=kind, texts=long, sessions=[], series=SERIES)
    publication = Publication(Reader(bensheim), "http://testserver")
    ample = await municipality_feed(publication, EventFilters(), FeedCache())
    assert len(ample.body) > 40_000
    small = FeedCache(max_bytes=len(ample.body) // 2)
    for kind in (None, "office_hours", "dialogue", None):
        filters = EventFilters(kind=kind)  # type: ignore[arg-type]
        served = await municipality_feed(publication, filters, small)
        assert served.body == (await municipality_feed(publication, filters, FeedCache())).body
        assert small.size <= small.max_bytes
    assert (await municipality_feed(publication, EventFilters(), small)).body == ample.body


def test_the_feed_cache_budget_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from treffpunkt.settings import load_settings

    assert load_settings().feed_cache_megabytes == 64
    monkeypatch.setenv("TREFFPUNKT_FEED_CACHE_MEGABYTES", "8")
    assert load_settings().feed_cache_megabytes == 8


@pytest.mark.parametrize(
    "rule",
    [
        "byday=th,tu;freq=weekly",
        "FREQ=WEEKLY;WKST=SU;INTERVAL=2;BYDAY=SU,MO",
        "FREQ=MONTHLY;BYDAY=-1FR,+1MO",
        "FREQ=MONTHLY;BYMONTHDAY=-1,+15,01",
        "BYSETPOS=-1;BYMONTH=10,3;BYDAY=SU;FREQ=YEARLY",
        "FREQ=DAILY;INTERVAL=03;BYMONTH=4,3",
    ],
)
async def test_rules_however_typed_are_read_alike_by_both_parsers(
    client: Any, bensheim: Any, rule: str
) -> None:
    event = await make_published_event(
        bensheim, sessions=[], series={**SERIES, "start_date": "2027-01-03", "rule": rule}
    )
    expected = await api_occurrences(client, event.id)
    feed = await feed_bytes(client)
    assert python_occurrences(feed) == expected
    assert icaljs_occurrences(feed) == expected


async def test_a_series_saved_before_clock_changes_were_checked_still_renders(
    client: Any, bensheim: Any
) -> None:
    """Rule 18a refuses new series at 02:30 on a Sunday; one saved before stays in the
    feed (as it always was) instead of breaking the town's calendar."""
    from treffpunkt.events.tables import Event

    event = await make_published_event(bensheim, sessions=[], series=SERIES)
    night = {**SERIES, "rule": "FREQ=WEEKLY;BYDAY=SU", "start_time": "02:30", "end_time": "04:00"}
    await Event.update({Event.series: night}).where(Event.id == event.id)
    feed = await feed_bytes(client)  # 200
    assert python_occurrences(feed) == await api_occurrences(client, event.id)
