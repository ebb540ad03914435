"""An event's page, the registration by form, its outcome pages, and the poster.

Thin as the API's handlers: the page shows `events.public.event_page` (what the API
says of the event, each text with its language), the form goes through the same
self-registration as the API (`registrations.public`), and its answer, like the API's,
does not tell whether the address was registered before.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_301_MOVED_PERMANENTLY,
    HTTP_303_SEE_OTHER,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from markupsafe import Markup
from pydantic import ValidationError

from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.public import EventPage, event_page
from treffpunkt.events.schemas import PublicEvent, PublicEventSession
from treffpunkt.events.tables import RegistrationMode
from treffpunkt.i18n import LOCALES
from treffpunkt.links import event_calendar_path, event_page_path, event_poster_path, map_link
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.registrations import public, targets
from treffpunkt.registrations.schemas import RegistrationCreate
from treffpunkt.schemas import MAX_ID, PathId, PathSlug
from treffpunkt.settings import Settings
from treffpunkt.throttle import Throttle, client_of
from treffpunkt.translations import N_, languages_named_in, translator
from treffpunkt.web import poster
from treffpunkt.web.pages import AUTONYMS, page, page_route, reader_locale

# `…/events/12` is the page; `…/events/12.ics` the earlier address of the download,
# sent in mails before the download moved to `…/events/12/calendar.ics`.
PAGE = re.compile(r"^(?P<id>[0-9]{1,10})(?P<ics>\.ics)?$")

# Languages people ask interpretation into most here (besides the event's own).
INTERPRETATION = ("ar", "fa", "prs", "ps", "ku", "tr", "uk", "ru", "ti", "so", "sq", "en", "fr")

# The form's fields; a filled HONEYPOT (hidden by site.css) gives a bot away.
FIELDS = (
    *("session", "name", "email", "phone", "locale", "seats"),
    *("interpretation", "accessibility", "consent"),
)
HONEYPOT = "homepage"

# What each field's error says (in the reader's language), whatever the rule that failed.
MESSAGES = {
    "session": N_("Choose a date."),
    "name": N_("Enter your name."),
    "email": N_("Enter your email address, for example name@example.org."),
    "phone": N_("Enter a phone number of digits (and + ( ) / -), or leave it empty."),
    "locale": N_("Choose a language from the list."),
    "seats": N_("Choose between 1 and %(max)s places."),
    "interpretation": N_("Choose a language from the list."),
    "accessibility": N_("Please write at most 500 characters."),
    "consent": N_("Please agree to the privacy notice; without it we cannot register you."),
}

Outcome = Literal["pending", "waitlisted"]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    locale: str | None = None  # the label's own language (language names in their script)


def _event_id(text: str) -> tuple[int, bool]:
    """The id in `12` or `12.ics`, and whether it was the old download's address."""
    found = PAGE.fullmatch(text)
    if found is None or not 1 <= int(found["id"]) <= MAX_ID:
        raise NotFound("No such event.")
    return int(found["id"]), found["ics"] is not None


def json_ld(event: PublicEvent, organiser: str) -> Markup:
    """schema.org `Event`s, one per session, for search engines: a data block that is
    never executed (the CSP allows no script). `<`, `>` and `&` are escaped so that no
    text of the event can close the element."""
    status = "https://schema.org/EventCancelled"
    place: dict[str, Any] | None = None
    if event.venue:
        venue = event.venue
        place = {
            "@type": "Place",
            "name": venue.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": venue.street,
                "postalCode": venue.postal_code,
                "addressLocality": venue.city,
                "addressCountry": "DE",
            },
        }
    online = {"@type": "VirtualLocation", "url": event.online_url} if event.online_url else None
    mode = "Mixed" if place and online else "Online" if online else "Offline"
    items = []
    for session in event.sessions:
        cancelled = event.status == "cancelled" or session.status == "cancelled"
        item = {
            "@context": "https://schema.org",
            "@type": "Event",
            "name": event.title,
            "description": event.summary or event.description,
            "url": event.page_url,
            "startDate": (session.first_day or session.starts_at).isoformat(),
            "endDate": (session.last_day or session.ends_at).isoformat(),
            "eventStatus": status
            if cancelled
            else "https://schema.org/EventRescheduled"
            if session.moved
            else "https://schema.org/EventScheduled",
            "eventAttendanceMode": f"https://schema.org/{mode}EventAttendanceMode",
            "location": [x for x in (place, online) if x],
            "inLanguage": event.languages,
            "organizer": {"@type": "Organization", "name": organiser},
            "isAccessibleForFree": True,
        }
        items.append(item)
    text = json.dumps(items, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 (JSON with every markup character escaped)


def _open_sessions(event: PublicEvent) -> list[PublicEventSession]:
    return [s for s in event.sessions if s.registration_open]


def _interpretation_choices(event: PublicEvent, locale: str) -> list[Choice]:
    names = languages_named_in(locale)
    codes = dict.fromkeys([*(c for c in event.languages if c != "de"), *INTERPRETATION])
    return [Choice(code, names.get(code, code)) for code in codes]


def _form_context(
    request: Request[Any, Any, Any],
    found: EventPage,
    locale: str,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    event, municipality = found.event, found.municipality
    settings: Settings = request.app.state["settings"]
    venue = event.venue
    address = f"{venue.street}, {venue.postal_code} {venue.city}" if venue else ""
    return {
        "event": event,
        "texts": found.texts,
        "page_url": event.page_url,
        "download_url": event_calendar_path(municipality.slug, event.id),
        "poster_url": event_poster_path(municipality.slug, event.id),
        "action": event_page_path(municipality.slug, event.id) + "/register",
        "map_url": map_link(address, venue.latitude, venue.longitude) if venue else None,
        "structured_data": json_ld(
            event, event.organiser.name if event.organiser else municipality.name
        ),
        "open_sessions": _open_sessions(event),
        "per_session": event.registration_mode == RegistrationMode.per_session,
        "mail_languages": [
            Choice(code, AUTONYMS[code], code)
            for code in LOCALES
            if code in (municipality.offered_locales or LOCALES) or code == locale
        ],
        "interpretation_languages": _interpretation_choices(event, locale),
        "spoken_languages": [languages_named_in(locale).get(c, c) for c in event.languages],
        "town_locale": municipality.default_locale,
        "form": {"locale": locale, "seats": "1", **(form or {})},
        "errors": errors or {},
        "honeypot": HONEYPOT,
        "privacy_version": municipality.privacy_version,
        "base_url": settings.base_url,
    }


async def _found(
    request: Request[Any, Any, Any], slug: str, event_id: int
) -> tuple[Municipality, str, EventPage]:
    municipality = await get_municipality(slug)
    locale = reader_locale(request, municipality.default_locale)
    base_url = request.app.state["settings"].base_url
    return municipality, locale, await event_page(municipality, event_id, locale, base_url)


@page_route("/m/{slug:str}/events/{event:str}")
async def show_event(
    request: Request[Any, Any, Any], slug: PathSlug, event: FromPath[str]
) -> Response[Any]:
    """The event's page; the earlier download address (`…/12.ics`) leads to the file."""
    event_id, old_download = _event_id(event)
    if old_download:
        query = f"?{request.url.query}" if request.url.query else ""
        return Redirect(
            event_calendar_path(slug, event_id) + query, status_code=HTTP_301_MOVED_PERMANENTLY
        )
    municipality, locale, found = await _found(request, slug, event_id)
    return page(
        request, "event.html", municipality=municipality, **_form_context(request, found, locale)
    )


def _registration_data(values: dict[str, str], max_seats: int) -> tuple[Any, dict[str, str]]:
    """The form's values as the API's body; the fields that fail, by form name."""
    interpretation = values["interpretation"] or None
    accessibility = values["accessibility"].strip() or None
    body = {
        "name": values["name"].strip(),
        "email": values["email"].strip(),
        "phone": values["phone"].strip() or None,
        "locale": values["locale"] or None,
        "seats": values["seats"] or "1",
        "needs": {"interpretation": interpretation, "accessibility": accessibility}
        if interpretation or accessibility
        else None,
        "consent": values["consent"] == "yes",
    }
    failed: set[str] = set()
    data = None
    try:
        data = RegistrationCreate.model_validate(body)
    except ValidationError as error:
        failed = {
            str(e["loc"][-1] if e["loc"][0] == "needs" else e["loc"][0]) for e in error.errors()
        }
    # ASCII digits only ("²".isdigit() is true) and few of them: int() would raise.
    if re.fullmatch("[0-9]{1,6}", values["seats"]) and int(values["seats"]) > max_seats:
        failed.add("seats")  # the service says so too; here with the other fields
    if failed:
        return None, {name: "" for name in FIELDS if name in failed}
    return data, {}


def _messages(failed: dict[str, str], locale: str, max_seats: int) -> dict[str, str]:
    t = translator(locale)
    return {
        name: t.gettext(MESSAGES[name], max=max_seats)
        if name == "seats"
        else t.gettext(MESSAGES[name])
        for name in FIELDS
        if name in failed
    }


@post("/m/{slug:str}/events/{event_id:int}/register", include_in_schema=False)
async def register(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    event_id: PathId,
    settings: NamedDependency[Settings],
    secret_key: NamedDependency[str],
    throttle: NamedDependency[Throttle],
) -> Response[Any]:
    """Register by the form: to the outcome page (303), or the form again with its
    errors (422), or why no place can be had (409: full, closed)."""
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in FIELDS}
    await public.count_attempt(throttle, settings, client_of(request))
    municipality, locale, found = await _found(request, slug, event_id)
    event = found.event
    done = event_page_path(slug, event_id) + "/registered/"
    data, failed = _registration_data(values, event.max_seats_per_registration)
    per_session = event.registration_mode == RegistrationMode.per_session
    if per_session and values["session"] not in {str(s.id) for s in event.sessions}:
        failed["session"] = ""
    if data is None or failed:
        return _again(request, municipality, found, locale, values, failed)
    if per_session:
        target = await targets.session_target(int(values["session"]))
    else:
        target = await targets.event_target(event_id)
    try:
        if form.get(HONEYPOT):  # a bot: the answer a person would get now, nobody registered
            received = await public.answer_without_registering(target, data)
        else:
            received = await public.register_self(target, data, secret_key, throttle, settings)
    except InvalidInput as error:  # more seats than one registration may take
        return _again(request, municipality, found, locale, values, dict(error.fields))
    except Conflict as error:
        outcome = (
            "full"
            if error.fields.get("seats") == "fully booked"
            else "invitation"
            if error.fields.get("event") == "invitation only"
            else "closed"
        )
        return page(
            request,
            "registration_outcome.html",
            municipality=municipality,
            status_code=HTTP_409_CONFLICT,
            outcome=outcome,
            event=event,
            texts=found.texts,
        )
    return Redirect(done + received.status, status_code=HTTP_303_SEE_OTHER)


def _again(
    request: Request[Any, Any, Any],
    municipality: Municipality,
    found: EventPage,
    locale: str,
    values: dict[str, str],
    failed: dict[str, str],
) -> Template:
    errors = _messages(failed, locale, found.event.max_seats_per_registration)
    return page(
        request,
        "event.html",
        municipality=municipality,
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        **_form_context(request, found, locale, values, errors),
    )


@page_route("/m/{slug:str}/events/{event_id:int}/registered/{outcome:str}")
async def registered(
    request: Request[Any, Any, Any], slug: PathSlug, event_id: PathId, outcome: FromPath[str]
) -> Template:
    """What happens next: "check your mail", or "on the waitlist" — the same page for
    an address registered before (it got its link again)."""
    if outcome not in ("pending", "waitlisted"):
        raise NotFound("No such page.")
    municipality, _, found = await _found(request, slug, event_id)
    return page(
        request,
        "registration_outcome.html",
        municipality=municipality,
        outcome=outcome,
        event=found.event,
        texts=found.texts,
    )


@page_route("/m/{slug:str}/events/{event_id:int}/poster.pdf")
async def event_poster(
    request: Request[Any, Any, Any], slug: PathSlug, event_id: PathId
) -> Response[bytes]:
    """An A4 poster to print: German and the event's languages, a QR code to the page."""
    municipality = await get_municipality(slug)
    base_url = request.app.state["settings"].base_url
    pdf = await poster.render(municipality, event_id, base_url)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{slug}-{event_id}.pdf"',
            "Cache-Control": "public, max-age=300",
        },
    )


EVENT_PAGES = [show_event, register, registered, event_poster]
