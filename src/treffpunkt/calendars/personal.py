"""Personal feeds: the sessions a person holds a place for, as a calendar to subscribe to.

A person is an email address within one municipality. The feed shows the public
UIDs (rule 9) so that no client shows a session twice, confirmed places as
CONFIRMED and waitlist places as TENTATIVE, and nothing about the person: no names,
no addresses, no ATTENDEE. Only registrations whose address was confirmed count:
anyone can register any address, and what a stranger registered must not appear in
that person's calendar. The feed is named in the person's language (the locale of
their latest confirmed registration).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from treffpunkt import db
from treffpunkt.calendars.render import CONFIRMED, TENTATIVE, calendar, event_components, serialise
from treffpunkt.calendars.service import (
    Feed,
    FeedCache,
    Publication,
    calendar_events,
    etag_of,
    event_stamps,
    feed_key,
    last_modified,
    stamp_of,
    stamp_query,
)
from treffpunkt.calendars.tables import PersonalFeed
from treffpunkt.errors import NotFound
from treffpunkt.events.public import Reader
from treffpunkt.events.tables import Event, Session
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.outbox import Row
from treffpunkt.registrations.tables import ACTIVE, Registration, RegistrationStatus
from treffpunkt.settings import Settings
from treffpunkt.tokens import derive_token, hash_token, new_salt

TOKEN_PURPOSE = "feed"  # noqa: S105 (a label for the HMAC, not a secret)

TITLES = {
    "de": "Meine Termine",
    "en": "My sessions",
    "uk": "Мої зустрічі",
    "ar": "مواعيدي",
    "tr": "Etkinliklerim",
    "fa": "قرارهای من",
}


def feed_token(secret_key: str, salt: str) -> str:
    return derive_token(secret_key, TOKEN_PURPOSE, salt)


def feed_path(token: str) -> str:
    return f"/feeds/{token}.ics"


async def feed_tokens(
    municipality_id: int, emails: Collection[str], secret_key: str
) -> dict[str, str]:
    """The feed token of each person, making a feed for those who have none yet."""
    wanted = {email.lower() for email in emails}
    if not wanted:
        return {}
    salts = await _salts(municipality_id, wanted)
    if missing := wanted - salts.keys():
        async with db.write_transaction():
            rows = []
            for email in sorted(missing):
                salt = new_salt()
                rows.append(
                    PersonalFeed(
                        municipality=municipality_id,
                        email=email,
                        token_salt=salt,
                        token_hash=hash_token(feed_token(secret_key, salt)),
                    )
                )
            # Another request may have made the same person's feed meanwhile: theirs stays.
            await PersonalFeed.insert(*rows).on_conflict(
                target=(PersonalFeed.municipality, PersonalFeed.email), action="DO NOTHING"
            )
        salts = await _salts(municipality_id, wanted)
    return {email: feed_token(secret_key, salt) for email, salt in salts.items()}


async def _salts(municipality_id: int, emails: set[str]) -> dict[str, str]:
    rows = await PersonalFeed.select(PersonalFeed.email, PersonalFeed.token_salt).where(
        (PersonalFeed.municipality == municipality_id) & PersonalFeed.email.is_in(list(emails))
    )
    return {row["email"]: row["token_salt"] for row in rows}


async def revoke(municipality_id: int, email: str) -> None:
    """The old link stops working; the next one asked for is new."""
    async with db.write_transaction():
        await PersonalFeed.delete().where(
            (PersonalFeed.municipality == municipality_id) & (PersonalFeed.email == email.lower())
        )


async def _owner(token: str) -> tuple[Municipality, str]:
    row = (
        await PersonalFeed.select(PersonalFeed.municipality, PersonalFeed.email)
        .where(PersonalFeed.token_hash == hash_token(token))
        .first()
    )
    if row is None:
        raise NotFound("This calendar link is not valid (any more).")
    municipality = (
        await Municipality.objects().where(Municipality.id == row["municipality"]).first()
    )
    assert municipality is not None  # the feed row cascades with its municipality
    return municipality, row["email"]


async def personal_feed(token: str, base_url: str, cache: FeedCache) -> Feed:
    municipality, email = await _owner(token)
    confirmed_by_owner = (
        await Registration.select(
            Registration.id,
            Registration.event,
            Registration.session,
            Registration.status,
            Registration.locale,
            Registration.updated_at,
        )
        .where(
            (Registration.municipality == municipality.id)
            & (Registration.email == email)
            & Registration.email_confirmed_at.is_not_null()
            & Registration.anonymised_at.is_null()
        )
        .order_by(Registration.id)
    )
    registrations = [r for r in confirmed_by_owner if r["status"] in ACTIVE]
    event_ids = sorted({r["event"] for r in registrations})
    events = await event_stamps(
        stamp_query(municipality.id).where(Event.id.is_in(event_ids or [-1]))
    )
    stamp = (
        municipality.updated_at,
        tuple((r["id"], r["status"], r["updated_at"]) for r in confirmed_by_owner),
        stamp_of(events),
    )
    # Their language, also once nothing is left in the feed.
    locale = confirmed_by_owner[-1]["locale"] if confirmed_by_owner else municipality.default_locale
    key = ("personal", hash_token(token), base_url)
    cached = cache.feed(key, stamp)
    if cached is not None:
        return cached
    held = await _held(registrations, [e["id"] for e in events])
    publication = Publication(Reader(municipality, locale, None, base_url), base_url)
    blocks = [
        serialise(event_components(event, municipality.time_zone, publication.host, held[event.id]))
        for event in await calendar_events([e["id"] for e in events], publication)
        if held[event.id]
    ]
    title = f"{municipality.name}: {TITLES.get(locale, TITLES['de'])}"
    body = calendar(title, title, municipality.time_zone, blocks)
    etag = etag_of(body)
    modified = await last_modified(feed_key(*key), municipality.id, etag, bool(blocks))
    feed = Feed(body, etag, modified)
    cache.keep_feed(key, stamp, feed)
    return feed


async def _held(
    registrations: list[dict[str, Any]], event_ids: list[int]
) -> dict[int, dict[int, str]]:
    """For each event, the sessions held and how: a confirmed place beats a tentative one."""
    held: dict[int, dict[int, str]] = {event_id: {} for event_id in event_ids}
    whole = [r for r in registrations if r["session"] is None and r["event"] in held]
    sessions_of: dict[int, list[int]] = {r["event"]: [] for r in whole}
    if whole:
        for row in await Session.select(Session.id, Session.event).where(
            Session.event.is_in(list(sessions_of))
        ):
            sessions_of[row["event"]].append(row["id"])
    for registration in registrations:
        if registration["event"] not in held:
            continue
        how = CONFIRMED if registration["status"] == RegistrationStatus.confirmed else TENTATIVE
        ids = (
            [registration["session"]]
            if registration["session"] is not None
            else sessions_of[registration["event"]]
        )
        for session_id in ids:
            if held[registration["event"]].get(session_id) != CONFIRMED:
                held[registration["event"]][session_id] = how
    return held


async def calendar_links(rows: list[Row], settings: Settings) -> dict[int, dict[str, Any]]:
    """For the worker (treffpunkt.app.wire): each mail links its reader's calendar feed,
    making the feed for people who have none yet."""
    ids = {row["registration"] for row in rows if row["registration"] is not None}
    people = {
        r["id"]: (r["municipality"], r["email"])
        for r in await Registration.select(
            Registration.id, Registration.municipality, Registration.email
        ).where(Registration.id.is_in(list(ids) or [-1]) & Registration.email.is_not_null())
    }
    emails: dict[int, set[str]] = {}
    for municipality, email in people.values():
        emails.setdefault(municipality, set()).add(email)
    secret_key = settings.resolved_secret_key()
    tokens = {
        municipality: await feed_tokens(municipality, wanted, secret_key)
        for municipality, wanted in emails.items()
    }
    links: dict[int, dict[str, Any]] = {}
    for row in rows:
        municipality, email = people.get(row["registration"], (None, ""))
        token = tokens.get(municipality, {}).get(email.lower()) if municipality else None
        links[row["id"]] = {
            "calendar_url": f"{settings.base_url}{feed_path(token)}" if token else None
        }
    return links


async def registration_download(registration: Registration, base_url: str) -> bytes:
    """The calendar file of one registration: exactly what it holds — its session, or
    every session of a course — as the public UIDs (a series keeps its rule, the
    occurrences not held become EXDATEs), CONFIRMED once confirmed, else TENTATIVE.
    Only a place that is pending or confirmed has one (the caller checks)."""
    municipality = (
        await Municipality.objects().where(Municipality.id == registration.municipality).first()
    )
    assert municipality is not None
    publication = Publication(Reader(municipality, registration.locale, None, base_url), base_url)
    [event] = await calendar_events([registration.event], publication)
    how = CONFIRMED if registration.status == RegistrationStatus.confirmed else TENTATIVE
    held = (
        [registration.session]
        if registration.session is not None
        else [s.id for s in event.sessions]
    )
    components = event_components(
        event, municipality.time_zone, publication.host, dict.fromkeys(held, how)
    )
    title = f"{municipality.name}: {event.title}"
    return calendar(title, title, municipality.time_zone, [serialise(components)])
