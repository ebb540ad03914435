"""Personal feeds: a person's places, checked by two independent parsers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from icalendar import Calendar

from tests.calendars.parsers import WINDOW, icaljs_occurrences, python_occurrences
from tests.factories import (
    SECRET,
    make_published_event,
    make_venue,
    register_for_course,
    register_for_session,
    sessions_of,
)
from tests.pages import submit
from treffpunkt.calendars import personal
from treffpunkt.events import service as events
from treffpunkt.events.schemas import SessionTimes
from treffpunkt.registrations import service as registrations
from treffpunkt.registrations.service import registration_token

SERIES = {
    "rule": "FREQ=WEEKLY;BYDAY=WE",
    "start_date": "2027-01-06",
    "start_time": "17:00",
    "end_time": "18:30",
    "until": "2027-12-15",
}
EMAIL = "amira@example.org"


def occurrence(start: datetime, end: datetime, status: str) -> tuple[str, str, str]:
    return (start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat(), status)


async def feed_url(municipality: Any, email: str = EMAIL) -> str:
    tokens = await personal.feed_tokens(municipality.id, [email], SECRET)
    return f"/feeds/{tokens[email]}.ics"


async def dialogue_series(municipality: Any) -> list[Any]:
    venue = await make_venue(municipality)
    event = await make_published_event(
        municipality,
        venue_id=venue.id,
        registration_mode="per_session",
        capacity=1,
        sessions=[],
        series=SERIES,
    )
    return await sessions_of(event)


async def test_the_feed_holds_exactly_the_persons_places(client: Any, bensheim: Any) -> None:
    sessions = await dialogue_series(bensheim)
    spring, summer, autumn = sessions[5], sessions[20], sessions[44]  # across both DST changes
    confirmed = await register_for_session(spring.id, EMAIL)
    await registrations.confirm_registration(confirmed.id)
    await register_for_session(summer.id, EMAIL)  # her address unconfirmed here: not shown
    await register_for_session(autumn.id, "first@example.org")
    waiting = await register_for_session(autumn.id, EMAIL)  # full: on the waitlist
    await registrations.confirm_registration(waiting.id)  # confirmed, still waiting: tentative
    later = spring.starts_at + timedelta(hours=1)
    await events.move_session(
        bensheim.id, spring.id, SessionTimes(starts_at=later, ends_at=later + timedelta(hours=1))
    )
    extra_start = datetime(2027, 12, 22, 16, tzinfo=UTC)
    extra = await events.add_session(
        bensheim.id,
        sessions[0].event,
        SessionTimes(starts_at=extra_start, ends_at=extra_start + timedelta(hours=2)),
    )
    await registrations.confirm_registration((await register_for_session(extra.id, EMAIL)).id)
    expected = {
        occurrence(later, later + timedelta(hours=1), "CONFIRMED"),
        occurrence(autumn.starts_at, autumn.ends_at, "TENTATIVE"),
        occurrence(extra_start, extra_start + timedelta(hours=2), "CONFIRMED"),
    }
    response = await client.get(await feed_url(bensheim))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"].startswith("private")
    feed = response.content
    assert python_occurrences(feed) == expected
    assert icaljs_occurrences(feed) == expected
    # No personal data; no METHOD (a feed, not a message).
    for secret in (b"amira", b"Person", b"ATTENDEE", b"ORGANIZER", b"METHOD"):
        assert secret not in feed
    # The public feed's UIDs, so that no client shows a session twice.
    public = Calendar.from_ical((await client.get("/m/bensheim/calendar.ics")).content)
    public_uids = {str(c["uid"]) for c in public.walk("VEVENT")}
    own_uids = {str(c["uid"]) for c in Calendar.from_ical(feed).walk("VEVENT")}
    assert own_uids <= public_uids
    assert len(own_uids) == 2  # the series and the extra date


async def test_a_course_registration_holds_every_session(client: Any, bensheim: Any) -> None:
    event = await make_published_event(
        bensheim, registration_mode="whole_event", capacity=10, sessions=[], series=SERIES
    )
    course = await register_for_course(event.id, EMAIL)
    await registrations.confirm_registration(course.id)
    feed = (await client.get(await feed_url(bensheim))).content
    expected = {
        occurrence(s.starts_at, s.ends_at, "CONFIRMED")
        for s in await sessions_of(event)
        if WINDOW[0] <= s.starts_at < WINDOW[1]
    }
    assert len(expected) == 50
    assert python_occurrences(feed) == expected
    assert icaljs_occurrences(feed) == expected


async def test_a_cancelled_place_leaves_the_feed_and_caching_follows(
    client: Any, bensheim: Any
) -> None:
    sessions = await dialogue_series(bensheim)
    registration = await register_for_session(sessions[3].id, EMAIL)
    await registrations.confirm_registration(registration.id)
    url = await feed_url(bensheim)
    first = await client.get(url)
    assert len(python_occurrences(first.content)) == 1
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    await registrations.cancel_registration(registration.id)
    after = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != first.headers["etag"]
    assert python_occurrences(after.content) == set()


async def test_the_registration_page_links_and_renews_the_feed(client: Any, bensheim: Any) -> None:
    sessions = await dialogue_series(bensheim)
    registration = await register_for_session(sessions[3].id, EMAIL)
    await registrations.confirm_registration(registration.id)  # only then is the feed shown
    page_url = f"/r/{registration_token(SECRET, registration.token_salt)}"
    old = await feed_url(bensheim)
    page = (await client.get(page_url)).text
    assert f"http://127.0.0.1:8000{old}" in page or old in page
    assert "webcal://" in page
    renewed = await submit(client, page_url, f"{page_url}/calendar/renew")
    assert renewed.status_code == 303
    assert (await client.get(old)).status_code == 404
    new = await feed_url(bensheim)
    assert new != old
    assert new in (await client.get(page_url)).text
    assert (await client.get(new)).status_code == 200


async def test_unknown_feed_tokens_are_not_found(client: Any, bensheim: Any) -> None:
    assert (await client.get("/feeds/" + "x" * 43 + ".ics")).status_code == 404
    assert (await client.get("/feeds/short.ics")).status_code == 404


async def test_one_feed_per_person_and_town(bensheim: Any, butzbach: Any) -> None:
    first = await personal.feed_tokens(bensheim.id, [EMAIL, EMAIL.upper()], SECRET)
    again = await personal.feed_tokens(bensheim.id, [EMAIL], SECRET)
    other_town = await personal.feed_tokens(butzbach.id, [EMAIL], SECRET)
    assert first == again
    assert other_town[EMAIL] != first[EMAIL]


async def test_last_modified_moves_on_when_the_only_place_is_cancelled(
    client: Any, bensheim: Any
) -> None:
    sessions = await dialogue_series(bensheim)
    registration = await register_for_session(sessions[3].id, EMAIL)
    await registrations.confirm_registration(registration.id)
    url = await feed_url(bensheim)
    first = await client.get(url)
    await asyncio.sleep(1.1)  # Last-Modified counts whole seconds
    await registrations.cancel_registration(registration.id)
    since = await client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 200
    assert python_occurrences(since.content) == set()
    assert parsedate_to_datetime(since.headers["last-modified"]) > parsedate_to_datetime(
        first.headers["last-modified"]
    )
    # The person's language, whoever asks (it varies by Accept-Encoding alone: gzip).
    assert "Accept-Language" not in since.headers.get("vary", "")


async def test_places_someone_else_registered_stay_out_of_the_persons_feed(
    client: Any, bensheim: Any
) -> None:
    """Anyone can register any address: until its owner confirms it, nothing of it
    appears in their calendar, not even as tentative (calendar spam)."""
    sessions = await dialogue_series(bensheim)
    own = await register_for_session(sessions[2].id, EMAIL, locale="en")
    await registrations.confirm_registration(own.id)
    for session in sessions[5:9]:  # a stranger registers her address, unconfirmed
        await register_for_session(session.id, EMAIL, locale="ar")
    await register_for_session(sessions[10].id, "first@example.org")
    await register_for_session(sessions[10].id, EMAIL)  # on the waitlist, unconfirmed
    feed = (await client.get(await feed_url(bensheim))).content
    expected = {occurrence(sessions[2].starts_at, sessions[2].ends_at, "CONFIRMED")}
    assert python_occurrences(feed) == expected
    assert icaljs_occurrences(feed) == expected
    calendar = Calendar.from_ical(feed)
    assert str(calendar["X-WR-CALNAME"]) == "Stadt Bensheim: My sessions"  # her language
    assert str(calendar["NAME"]) == "Stadt Bensheim: My sessions"


async def test_the_feed_is_named_in_the_persons_language_also_when_empty(
    client: Any, bensheim: Any
) -> None:
    sessions = await dialogue_series(bensheim)
    registration = await register_for_session(sessions[2].id, EMAIL, locale="uk")
    await registrations.confirm_registration(registration.id)
    await registrations.cancel_registration(registration.id)
    calendar = Calendar.from_ical((await client.get(await feed_url(bensheim))).content)
    assert list(calendar.walk("VEVENT")) == []
    assert str(calendar["X-WR-CALNAME"]) == "Stadt Bensheim: Мої зустрічі"
