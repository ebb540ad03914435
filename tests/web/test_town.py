"""A town's pages through HTTP (web/town.py): the list of towns, the town's sessions by
day with filters, paging and the subscribe box, programme pages, the embedded list, and
the Atom feeds of new events, read by feedparser as feed readers read them."""

from __future__ import annotations

import gzip
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser
import httpx
import pytest
from babel.dates import format_date

from tests.factories import (
    BERLIN,
    future_day,
    make_municipality,
    make_published_event,
    make_venue,
    register_for_session,
    sessions_of,
)
from treffpunkt.events.programmes import create_programme
from treffpunkt.events.schemas import ProgrammeCreate
from treffpunkt.events.service import cancel_event, cancel_session
from treffpunkt.registrations.service import confirm_registration
from treffpunkt.web.town import PAGE_SIZE, qr_svg


def at(day: date, hour: int, minute: int = 0, hours: int = 2) -> list[dict[str, str]]:
    start = datetime.combine(day, time(hour, minute), BERLIN)
    return [
        {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}
    ]


def titles(page: httpx.Response) -> list[str]:
    return re.findall(r'class="session-title"><a [^>]*>([^<]+)</a>', page.text)


def days(page: httpx.Response) -> dict[str, list[str]]:
    """Each day heading's date (ISO) with the titles listed under it, in order."""
    found: dict[str, list[str]] = {}
    parts = re.split(r'<h2 id="day-(\d{4}-\d{2}-\d{2})"', page.text)
    for day, section in zip(parts[1::2], parts[2::2], strict=True):
        found[day] = re.findall(r'class="session-title"><a [^>]*>([^<]+)</a>', section)
    return found


def session_item(page: httpx.Response, title: str) -> str:
    """The list item of the session with this title."""
    for item in re.findall(r'<li class="session[^"]*">.*?</li>', page.text, flags=re.S):
        if f">{title}</a>" in item:
            return str(item)
    raise AssertionError(f"{title} is not listed")


async def town_page(client: Any, query: str = "", **headers: str) -> httpx.Response:
    response = await client.get(
        f"/m/bensheim/{query}", headers={"Accept-Language": "de", **headers}
    )
    assert response.status_code == 200, response.text
    return response


# --- the towns ------------------------------------------------------------------------------


async def test_the_only_town_is_where_the_start_page_leads(client: Any, bensheim: Any) -> None:
    response = await client.get("/")
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/m/bensheim/"


async def test_several_towns_are_listed_by_name(client: Any, bensheim: Any, butzbach: Any) -> None:
    response = await client.get("/", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    assert '<a href="/m/bensheim/">Stadt Bensheim</a>' in response.text
    assert '<a href="/m/butzbach/">Stadt Butzbach</a>' in response.text
    assert "Veranstaltungen in Ihrer Stadt" in response.text


async def test_an_unknown_town_is_a_404_page(client: Any, bensheim: Any) -> None:
    response = await client.get("/m/nowhere/", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


# --- sessions by day ------------------------------------------------------------------------


async def test_sessions_are_grouped_by_their_day_in_the_towns_zone(
    client: Any, bensheim: Any
) -> None:
    day = future_day(10)
    # 00:30 in Berlin is the evening before in UTC: it belongs to its local day.
    await make_published_event(
        bensheim, texts={"de": {"title": "Frühcafé"}}, sessions=at(day, 0, 30)
    )
    await make_published_event(
        bensheim, texts={"de": {"title": "Abendrunde"}}, sessions=at(day, 19)
    )
    await make_published_event(
        bensheim,
        texts={"de": {"title": "Fest"}},
        sessions=[
            {
                "first_day": (day + timedelta(days=1)).isoformat(),
                "last_day": (day + timedelta(days=2)).isoformat(),
            }
        ],
    )
    page = await town_page(client)
    assert days(page) == {
        day.isoformat(): ["Frühcafé", "Abendrunde"],
        (day + timedelta(days=1)).isoformat(): ["Fest"],
    }
    # Day headings in the reader's language; times as start–end; all-day as such.
    assert f">{format_date(day, 'full', locale='de')}</time></h2>" in page.text
    assert "00:30</time>–<time" in session_item(page, "Frühcafé")
    assert "Ganztägig, bis" in session_item(page, "Fest")
    arabic = await town_page(client, "?lang=ar")
    assert "طوال اليوم" in session_item(arabic, "Fest")


async def test_a_session_says_when_kind_languages_and_venue(client: Any, bensheim: Any) -> None:
    venue = await make_venue(bensheim, "Bürgerhaus")
    await make_published_event(
        bensheim,
        texts={"de": {"title": "Elterncafé"}},
        languages=["de", "ar"],
        interpretation=True,
        venue_id=venue.id,
    )
    item = session_item(await town_page(client), "Elterncafé")
    assert "Dialogrunde" in item
    assert '<span lang="de">Deutsch</span>, <span lang="ar">Arabisch</span>' in item
    assert "Dolmetschung angeboten" in item
    assert "Bürgerhaus" in item
    assert "18:00</time>–<time" in item
    assert ">20:00</time>" in item


async def test_a_title_that_fell_back_is_marked_with_its_language(
    client: Any, bensheim: Any
) -> None:
    await make_published_event(bensheim, texts={"de": {"title": "Elterncafé"}})
    await make_published_event(
        bensheim, texts={"de": {"title": "Kochabend"}, "ar": {"title": "أمسية طبخ"}}
    )
    page = await town_page(client, "?lang=ar")
    assert re.search(
        r'<a href="/m/bensheim/events/\d+" lang="de" dir="ltr">Elterncafé</a>', page.text
    )
    assert re.search(r'<a href="/m/bensheim/events/\d+">أمسية طبخ</a>', page.text)


# --- what a session says about getting in ---------------------------------------------------


async def full_session(municipality: Any, title: str, **fields: Any) -> None:
    event = await make_published_event(
        municipality,
        texts={"de": {"title": title}},
        registration_mode="per_session",
        capacity=1,
        **fields,
    )
    [session] = await sessions_of(event)
    registration = await register_for_session(session.id, f"{title.lower()}@example.org")
    await confirm_registration(registration.id)


async def test_seats_left_waitlist_full_and_no_registration(client: Any, bensheim: Any) -> None:
    await make_published_event(
        bensheim, texts={"de": {"title": "Offen"}}, registration_mode="per_session", capacity=12
    )
    await make_published_event(
        bensheim, texts={"de": {"title": "Einer"}}, registration_mode="per_session", capacity=1
    )
    await full_session(bensheim, "Warteliste")
    await full_session(bensheim, "Voll", waitlist=False)
    await make_published_event(bensheim, texts={"de": {"title": "Kommen"}})
    await make_published_event(
        bensheim, texts={"de": {"title": "Unbegrenzt"}}, registration_mode="per_session"
    )
    page = await town_page(client)
    assert "12 Plätze frei" in session_item(page, "Offen")
    assert "1 Platz frei" in session_item(page, "Einer")
    assert "Ausgebucht – Warteliste offen" in session_item(page, "Warteliste")
    assert ">Ausgebucht<" in session_item(page, "Voll")
    assert "Keine Anmeldung nötig" in session_item(page, "Kommen")
    assert "Anmeldung möglich" in session_item(page, "Unbegrenzt")
    english = await town_page(client, "?lang=en")
    assert "12 places left" in session_item(english, "Offen")
    assert "1 place left" in session_item(english, "Einer")


async def test_cancelled_sessions_and_events_are_shown_as_cancelled(
    client: Any, bensheim: Any
) -> None:
    day = future_day(4)
    event = await make_published_event(
        bensheim,
        texts={"de": {"title": "Sprachcafé"}},
        sessions=at(day, 10) + at(day + timedelta(days=7), 10),
        registration_mode="per_session",
        capacity=5,
    )
    first, _ = await sessions_of(event)
    await cancel_session(bensheim.id, first.id)
    gone = await make_published_event(bensheim, texts={"de": {"title": "Ausflug"}})
    await cancel_event(bensheim.id, gone.id)
    page = await town_page(client)
    listed = days(page)
    assert listed[day.isoformat()] == ["Sprachcafé"]
    cancelled = [
        item
        for item in re.findall(r'<li class="session[^"]*">.*?</li>', page.text, flags=re.S)
        if "is-cancelled" in item
    ]
    assert len(cancelled) == 2
    assert all("Abgesagt" in item and "(abgesagt)" in item for item in cancelled)
    assert "Plätze frei" not in cancelled[0]
    assert "5 Plätze frei" in page.text  # the second date still takes registrations


# --- filters ------------------------------------------------------------------------------


@pytest.fixture
async def variety(bensheim: Any) -> dict[str, Any]:
    """Events of every filter's kind: a training for volunteers in German, a dialogue
    round in Arabic in a programme, an office hour in Ukrainian for everyone."""
    programme = await create_programme(
        bensheim.id,
        ProgrammeCreate.model_validate(
            {
                "slug": "iwo-2027",
                "texts": {"de": {"title": "Interkulturelle Woche", "description": "Eine Woche."}},
                "starts_on": future_day(1).isoformat(),
                "ends_on": future_day(20).isoformat(),
            }
        ),
    )
    await make_published_event(
        bensheim,
        kind="training",
        audience="volunteers",
        languages=["de"],
        texts={"de": {"title": "Schulung Ehrenamt"}},
    )
    await make_published_event(
        bensheim,
        kind="dialogue",
        languages=["ar", "de"],
        programme_id=programme["id"],
        texts={"de": {"title": "Dialog im Park", "summary": "Austausch"}},
    )
    await make_published_event(
        bensheim,
        kind="office_hours",
        languages=["uk"],
        texts={"de": {"title": "Sprechstunde"}},
    )
    return programme


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("", {"Schulung Ehrenamt", "Dialog im Park", "Sprechstunde"}),
        ("?kind=training", {"Schulung Ehrenamt"}),
        ("?spoken=ar", {"Dialog im Park"}),
        ("?spoken=de", {"Schulung Ehrenamt", "Dialog im Park"}),
        ("?programme=iwo-2027", {"Dialog im Park"}),
        ("?audience=volunteers", {"Schulung Ehrenamt"}),
        ("?audience=public", {"Dialog im Park", "Sprechstunde"}),
        ("?spoken=de&audience=public", {"Dialog im Park"}),
        ("?kind=dialogue&spoken=uk", set()),
        (
            "?kind=&spoken=&programme=&audience=",
            {"Schulung Ehrenamt", "Dialog im Park", "Sprechstunde"},
        ),
    ],
)
async def test_filters_each_and_combined(
    client: Any, variety: Any, query: str, listed: set[str]
) -> None:
    page = await town_page(client, query)
    assert set(titles(page)) == listed
    if not listed:
        assert "Keine kommenden Veranstaltungen passen zu dieser Auswahl." in page.text


async def test_the_filter_form_keeps_the_choice_and_offers_what_exists(
    client: Any, variety: Any
) -> None:
    page = await town_page(client, "?kind=training&spoken=de&audience=volunteers")
    assert '<option value="training" selected>' in page.text
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page.text
    assert '<option value="volunteers" selected>' in page.text
    # Spoken languages offered: those of upcoming events, named in the reader's language.
    offered = re.findall(r'<option value="([a-z]{2,3})" lang=', page.text)
    assert offered == ["ar", "de", "uk"]
    assert '<option value="iwo-2027">Interkulturelle Woche</option>' in page.text
    # The language switch keeps the filters.
    arabic = re.search(r'<a href="([^"]+)" hreflang="ar"', page.text)
    assert arabic
    chosen = parse_qs(urlsplit(arabic.group(1).replace("&amp;", "&")).query)
    assert chosen == {
        "kind": ["training"],
        "spoken": ["de"],
        "audience": ["volunteers"],
        "lang": ["ar"],
    }


async def test_bad_filter_values_answer_a_page_naming_nothing_broken(
    client: Any, bensheim: Any
) -> None:
    for query in ("?kind=party", "?spoken=Arabic", "?cursor=bm9wZQ==", "?programme=Not%20a%20slug"):
        response = await client.get(f"/m/bensheim/{query}", headers={"Accept": "text/html"})
        assert 400 <= response.status_code < 500, query
        assert response.headers["content-type"].startswith("text/html"), query


async def test_error_pages_of_a_towns_addresses_show_the_town(client: Any, bensheim: Any) -> None:
    german = {"Accept": "text/html", "Accept-Language": "de"}
    answers = [
        await client.get("/m/bensheim/?kind=party", headers=german),
        await client.post("/m/bensheim/", headers=german),
        await client.get("/m/bensheim/events/999999", headers=german),
        await client.put("/m/bensheim/theme.css", headers=german),
    ]
    for answer in answers:
        assert answer.status_code in (404, 405, 422), answer.request.url
        assert answer.headers["content-type"].startswith("text/html")
        assert '<a href="/m/bensheim/">Stadt Bensheim</a>' in answer.text  # the header
        assert '<a href="/m/bensheim/">Alle Veranstaltungen</a>' in answer.text  # the way back
        assert "integration@bensheim.example" in answer.text  # the town's contact
        assert "<title>" in answer.text
        assert " – Stadt Bensheim</title>" in answer.text
    assert answers[1].status_code == 405
    assert "Hier nicht möglich" in answers[1].text
    # No town, or one that does not exist: the installation's layout.
    for path in ("/m/atlantis/", "/nowhere"):
        answer = await client.get(path, headers=german)
        assert answer.status_code == 404
        assert "Stadt Bensheim" not in answer.text
        assert '<a href="/">Zur Startseite</a>' in answer.text


async def test_the_towns_name_stands_alone_in_sentences(client: Any, bensheim: Any) -> None:
    """Names like "Stadt Bensheim" take no preposition or article in German: the pages
    put them beside the words, not into a sentence."""
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=3)
    town = await town_page(client)
    assert "<h1>Stadt Bensheim: Veranstaltungen</h1>" in town.text
    assert ">Kalender abonnieren – Stadt Bensheim</a>" in town.text
    embedded = await client.get("/m/bensheim/embed", headers={"Accept-Language": "de"})
    assert ">Alle Veranstaltungen – Stadt Bensheim</a>" in embedded.text
    event_page = await client.get(
        f"/m/bensheim/events/{event.id}", headers={"Accept-Language": "de"}
    )
    assert "wie in der Datenschutzerklärung beschrieben (Stadt Bensheim)." in event_page.text
    for page in (town, embedded, event_page):
        for wrong in ("in Stadt", "von Stadt", "dass Stadt"):
            assert wrong not in page.text, wrong


# --- paging -------------------------------------------------------------------------------


async def test_later_and_earlier_pages_keep_the_filters(client: Any, bensheim: Any) -> None:
    start = future_day(2)
    count = PAGE_SIZE + 5
    await make_published_event(
        bensheim,
        kind="training",
        texts={"de": {"title": "Kurs"}},
        sessions=[],
        series={
            "rule": "FREQ=DAILY",
            "start_date": start.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "count": count,
        },
    )
    await make_published_event(bensheim, texts={"de": {"title": "Anderes"}})
    first = await town_page(client, "?kind=training")
    assert titles(first) == ["Kurs"] * PAGE_SIZE
    assert 'rel="prev"' not in first.text
    later = re.search(r'<a href="([^"]+)" rel="next">Spätere Termine</a>', first.text)
    assert later
    query = parse_qs(urlsplit(later.group(1).replace("&amp;", "&")).query)
    assert query["kind"] == ["training"]
    second = await client.get(later.group(1).replace("&amp;", "&"))
    assert titles(second) == ["Kurs"] * 5
    assert 'rel="next"' not in second.text
    last_day = (start + timedelta(days=count - 1)).isoformat()
    assert list(days(second))[-1] == last_day
    earlier = re.search(r'<a href="([^"]+)" rel="prev">Frühere Termine</a>', second.text)
    assert earlier
    back = await client.get(earlier.group(1).replace("&amp;", "&"))
    assert days(back) == days(first)
    assert "Spätere Termine" in back.text


# --- subscribing --------------------------------------------------------------------------


async def test_the_subscribe_box_carries_the_filters_and_the_feed_answers(
    client: Any, variety: Any
) -> None:
    page = await town_page(client, "?kind=dialogue&spoken=ar")
    feed = "http://testserver/m/bensheim/calendar.ics?kind=dialogue&amp;lang=ar&amp;locale=de"
    assert f'value="{feed}"' in page.text
    assert (
        'href="webcal://testserver/m/bensheim/calendar.ics?kind=dialogue&amp;lang=ar&amp;locale=de"'
        in page.text
    )
    assert '<svg aria-hidden="true" focusable="false" viewBox=' in page.text
    calendar = await client.get(feed.replace("&amp;", "&").removeprefix("http://testserver"))
    assert calendar.status_code == 200
    assert b"Dialog im Park" in calendar.content
    assert b"Schulung Ehrenamt" not in calendar.content
    for platform in ("iPhone und iPad", "Android und Google Kalender", "Outlook"):
        assert f"<summary>{platform}</summary>" in page.text
    # The Atom feed beside it has the page's filters too.
    atom = "/m/bensheim/events.atom?kind=dialogue&amp;lang=ar&amp;locale=de"
    assert f'<link rel="alternate" type="application/atom+xml" href="{atom}"' in page.text
    parsed = feedparser.parse((await client.get(atom.replace("&amp;", "&"))).content)
    assert [e.title for e in parsed.entries] == ["Dialog im Park"]


async def test_the_feeds_of_a_page_in_another_language_come_in_that_language(
    client: Any, variety: Any
) -> None:
    # Calendar apps and feed readers send no Accept-Language: the URL carries it.
    page = await client.get("/m/bensheim/?lang=uk")
    assert 'value="http://testserver/m/bensheim/calendar.ics?locale=uk"' in page.text
    assert 'href="webcal://testserver/m/bensheim/calendar.ics?locale=uk"' in page.text
    qr = re.search(r'<svg aria-hidden="true".*?</svg>', page.text, flags=re.S)
    assert qr
    assert qr.group(0) == str(qr_svg("http://testserver/m/bensheim/calendar.ics?locale=uk"))
    assert 'href="/m/bensheim/events.atom?locale=uk"' in page.text
    assert 'href="webcal://testserver/m/bensheim/calendar.ics?locale=uk">' in page.text  # footer
    atom = feedparser.parse((await client.get("/m/bensheim/events.atom?locale=uk")).content)
    assert atom.feed.language == "uk"
    programme = await client.get("/m/bensheim/programmes/iwo-2027?lang=tr")
    assert "programmes/iwo-2027/calendar.ics?locale=tr" in programme.text
    assert 'href="/m/bensheim/programmes/iwo-2027/events.atom?locale=tr"' in programme.text


async def test_atom_entries_say_the_next_date_and_the_place_in_the_feeds_language(
    client: Any, bensheim: Any
) -> None:
    venue = await make_venue(bensheim, "Bürgerhaus")
    day = future_day(3)
    await make_published_event(
        bensheim,
        venue_id=venue.id,
        texts={"de": {"title": "Kochabend", "summary": "Gemeinsam kochen"}},
        sessions=at(day, 18, 30),
    )
    await make_published_event(
        bensheim, online_url="https://meet.example/x", texts={"de": {"title": "Online-Runde"}}
    )
    parsed = feedparser.parse((await client.get("/m/bensheim/events.atom?locale=de")).content)
    entries = {entry.title: entry for entry in parsed.entries}
    cooking = entries["Kochabend"].content[0].value
    when = format_date(day, "full", locale="de")
    assert cooking == f"Nächster Termin: {when}, 18:30\nOrt: Bürgerhaus\n\nGemeinsam kochen"
    assert entries["Kochabend"].summary == "Gemeinsam kochen"
    assert "Ort: Online" in entries["Online-Runde"].content[0].value
    english = feedparser.parse((await client.get("/m/bensheim/events.atom?locale=en")).content)
    content = english.entries[-1].content[0].value
    assert content.startswith("Next date: ")
    assert "Place: Bürgerhaus" in content


# --- programme ----------------------------------------------------------------------------


async def test_a_programme_shows_its_description_days_and_feeds(client: Any, variety: Any) -> None:
    response = await client.get(
        "/m/bensheim/programmes/iwo-2027", headers={"Accept-Language": "de"}
    )
    assert response.status_code == 200
    assert "<h1>Interkulturelle Woche</h1>" in response.text
    assert "<p>Eine Woche.</p>" in response.text
    assert set(titles(response)) == {"Dialog im Park"}
    assert list(days(response)) == [future_day().isoformat()]
    assert (
        'value="http://testserver/m/bensheim/programmes/iwo-2027/calendar.ics?locale=de"'
        in response.text
    )
    assert 'href="/m/bensheim/programmes/iwo-2027/events.atom?locale=de"' in response.text
    missing = await client.get("/m/bensheim/programmes/nope", headers={"Accept": "text/html"})
    assert missing.status_code == 404


# --- Atom ---------------------------------------------------------------------------------


async def test_the_atom_feed_lists_new_events_for_feed_readers(
    client: Any, bensheim: Any, variety: Any
) -> None:
    gone = await make_published_event(bensheim, texts={"de": {"title": "Ausflug"}})
    await cancel_event(bensheim.id, gone.id)
    response = await client.get("/m/bensheim/events.atom?locale=de")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Stadt Bensheim: neue Veranstaltungen"
    assert parsed.feed.id == "http://testserver/m/bensheim/events.atom?locale=de"
    assert parsed.feed.updated_parsed is not None
    entries = {entry.title: entry for entry in parsed.entries}
    assert set(entries) == {
        "Abgesagt: Ausflug",
        "Sprechstunde",
        "Dialog im Park",
        "Schulung Ehrenamt",
    }
    assert parsed.entries[0].title == "Abgesagt: Ausflug"  # the newest first
    entry = entries["Dialog im Park"]
    assert re.fullmatch(r"http://testserver/m/bensheim/events/\d+", entry.link)
    assert entry.id == entry.link
    assert entry.summary == "Austausch"
    assert entry.published_parsed
    assert entry.updated_parsed
    # Filters as in the calendar feed; a programme has its own feed.
    volunteers = feedparser.parse(
        (await client.get("/m/bensheim/events.atom?audience=volunteers")).content
    )
    assert [e.title for e in volunteers.entries] == ["Schulung Ehrenamt"]
    programme = await client.get("/m/bensheim/programmes/iwo-2027/events.atom?locale=de")
    parsed_programme = feedparser.parse(programme.content)
    assert not parsed_programme.bozo
    assert parsed_programme.feed.title == "Interkulturelle Woche – Stadt Bensheim"
    assert [e.title for e in parsed_programme.entries] == ["Dialog im Park"]


async def test_the_atom_feed_follows_the_readers_language_and_marks_fallbacks(
    client: Any, bensheim: Any
) -> None:
    await make_published_event(
        bensheim,
        texts={
            "de": {"title": "Kochabend", "summary": "Gemeinsam kochen"},
            "ar": {"title": "أمسية طبخ"},
        },
    )
    response = await client.get("/m/bensheim/events.atom", headers={"Accept-Language": "ar"})
    assert "Accept-Language" in response.headers["vary"]
    parsed = feedparser.parse(response.content)
    assert parsed.feed.title == "Stadt Bensheim: فعاليات جديدة"
    [entry] = parsed.entries
    assert entry.title == "أمسية طبخ"
    assert entry.summary == "Gemeinsam kochen"
    assert '<summary xml:lang="de">Gemeinsam kochen</summary>' in response.text


async def test_feeds_answer_304_to_their_etag_with_and_without_gzip(
    client: Any, variety: Any
) -> None:
    for path in ("/m/bensheim/events.atom?locale=de", "/m/bensheim/calendar.ics?locale=de"):
        plain = await client.get(path, headers={"Accept-Encoding": "identity"})
        zipped = await client.get(path, headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in plain.headers, path
        assert zipped.headers["content-encoding"] == "gzip", path
        assert "Accept-Encoding" in zipped.headers["vary"], path
        assert zipped.content == plain.content  # httpx decompressed it
        assert zipped.headers["etag"] == plain.headers["etag"], path
        assert "public" in zipped.headers["cache-control"], path
        for encoding in ("gzip", "identity"):
            again = await client.get(
                path,
                headers={"If-None-Match": plain.headers["etag"], "Accept-Encoding": encoding},
            )
            assert again.status_code == 304, path
            assert again.content == b""
            assert again.headers["etag"] == plain.headers["etag"]


async def test_pages_and_styles_are_sent_compressed(client: Any, variety: Any) -> None:
    page = await client.get("/m/bensheim/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page.text)
    for href in stylesheets[:2]:  # Pico and ours (the town's colour is a few bytes)
        css = await client.get(href, headers={"Accept-Encoding": "gzip"})
        assert css.headers["content-encoding"] == "gzip", href
    raw = await client.send(
        client.build_request("GET", "/m/bensheim/", headers={"Accept-Encoding": "gzip"}),
        stream=True,
    )
    body = b"".join([chunk async for chunk in raw.aiter_raw()])
    assert gzip.decompress(body).decode() == page.text


# --- embedding ----------------------------------------------------------------------------


async def test_only_the_embedded_list_may_be_framed(client: Any, variety: Any) -> None:
    embedded = await client.get(
        "/m/bensheim/embed?kind=training", headers={"Accept-Language": "de"}
    )
    assert embedded.status_code == 200
    policy = embedded.headers["content-security-policy"]
    assert "frame-ancestors *" in policy
    assert "script-src 'self'" in policy
    assert "x-frame-options" not in embedded.headers
    assert "set-cookie" not in embedded.headers or "csrftoken" not in embedded.headers["set-cookie"]
    assert titles(embedded) == ["Schulung Ehrenamt"]
    assert re.search(
        r'<a href="/m/bensheim/events/\d+" target="_top">Schulung Ehrenamt</a>', embedded.text
    )
    assert re.search(
        r'<script src="/assets/[0-9a-f]+/embed-frame.js" defer></script>', embedded.text
    )
    for path in ("/", "/m/bensheim/", "/m/bensheim/programmes/iwo-2027"):
        response = await client.get(path, follow_redirects=True)
        assert response.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path


async def test_the_embedded_list_in_another_language_sets_no_cookie(
    client: Any, variety: Any
) -> None:
    # The host site chose the language: the reader's own pages must not follow it.
    embedded = await client.get("/m/bensheim/embed?lang=ar", headers={"Accept-Language": "de"})
    assert embedded.status_code == 200
    assert '<html lang="ar" dir="rtl"' in embedded.text
    assert "set-cookie" not in embedded.headers
    assert "lang" not in client.cookies
    town = await client.get("/m/bensheim/", headers={"Accept-Language": "de"})
    assert '<html lang="de"' in town.text
    # On the town's own pages choosing a language is remembered.
    chosen = await client.get("/m/bensheim/?lang=ar")
    assert "lang=ar" in chosen.headers["set-cookie"]


async def test_the_embedding_scripts_are_served_from_this_site(client: Any, bensheim: Any) -> None:
    host = await client.get("/static/embed-host.js")
    assert host.status_code == 200
    assert "javascript" in host.headers["content-type"]
    assert "postMessage" not in host.text  # it only listens
    assert 'addEventListener("message"' in host.text
    embedded = await client.get("/m/bensheim/embed")
    frame = re.search(r'<script src="([^"]+)"', embedded.text)
    assert frame
    script = await client.get(frame.group(1))
    assert script.status_code == 200
    assert "postMessage" in script.text


async def test_another_towns_events_never_appear(client: Any, bensheim: Any) -> None:
    other = await make_municipality("lorsch", "Stadt Lorsch")
    await make_published_event(other, texts={"de": {"title": "Fremd"}})
    await make_published_event(bensheim, texts={"de": {"title": "Eigen"}})
    assert titles(await town_page(client)) == ["Eigen"]
    assert titles(await client.get("/m/bensheim/embed")) == ["Eigen"]
    parsed = feedparser.parse((await client.get("/m/bensheim/events.atom")).content)
    assert [e.title for e in parsed.entries] == ["Eigen"]
