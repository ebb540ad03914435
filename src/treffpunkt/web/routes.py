"""The page behind a registration link: see, confirm, cancel — no account needed.

Confirming and cancelling are POST forms, never GET links: mail scanners open
links to check them, and must not confirm or cancel anyone's place.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_409_CONFLICT

from treffpunkt.calendars import personal
from treffpunkt.calendars.routes import MEDIA_TYPE
from treffpunkt.errors import Conflict, NotFound
from treffpunkt.events.public import get_public_event
from treffpunkt.i18n import Localized
from treffpunkt.links import feed_links, map_link
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.registrations import service
from treffpunkt.registrations.tables import ACTIVE, Registration, RegistrationStatus
from treffpunkt.schemas import TOKEN_PATTERN, PathToken
from treffpunkt.settings import Settings
from treffpunkt.web.pages import page, page_route, reader_locale


def _may_see_feed(registration: Registration) -> TypeGuard[Registration]:
    """The personal feed shows all of an address's places in the town: only a link of a
    live registration whose address is confirmed leads to it (not one that anybody could
    have made with the address, nor one that ended)."""
    return (
        registration.email is not None
        and registration.email_confirmed_at is not None
        and registration.status in ACTIVE
    )


async def _registration(request: Request[Any, Any, Any], token: str) -> Registration | None:
    """The registration behind a link; None when the link is malformed or leads nowhere."""
    if not re.fullmatch(TOKEN_PATTERN, token):
        return None
    try:
        return await service.by_token(token)
    except NotFound:
        return None


# The places that have dates to put into a calendar: a seat held (pending) or confirmed;
# not the waitlist, nor a place that ended.
HOLDS_A_PLACE = (RegistrationStatus.pending, RegistrationStatus.confirmed)


def _unknown_link(request: Request[Any, Any, Any]) -> Template:
    """A link that leads to no registration (mistyped, cut off, or anonymised after the
    event): a page that says so, in the reader's language."""
    return page(request, "registration_unknown.html", municipality=None, status_code=404)


async def _registration_page(
    request: Request[Any, Any, Any],
    token: str,
    found: Registration,
    settings: Settings,
    secret_key: str,
    highlight_confirm: bool = False,
    refused: bool = False,
) -> Template:
    """The registration page; `refused`: a confirmation came after the place ended (409),
    and the page says so plainly."""
    registration = await service.view(found)
    municipality = await get_municipality(registration.municipality)
    # In the language the registrant chose, unless the reader picks another.
    locale = reader_locale(request, municipality.default_locale, registration.locale)
    event = await get_public_event(registration.event_id, locale, None, settings.base_url)
    calendar = None
    if _may_see_feed(found):
        tokens = await personal.feed_tokens(municipality.id, [found.email], secret_key)
        calendar = feed_links(settings.base_url, personal.feed_path(tokens[found.email]))
    held = {session.id for session in registration.sessions}
    venue = event.venue
    address = f"{venue.street}, {venue.postal_code} {venue.city}" if venue else ""
    return page(
        request,
        "registration.html",
        status_code=HTTP_409_CONFLICT if refused else 200,
        municipality=municipality,
        own_locale=registration.locale,
        registration=registration,
        event=event,
        event_title=Localized(event.title, event.locale),
        token=token,
        town_locale=municipality.default_locale,
        map_url=map_link(address, venue.latitude, venue.longitude) if venue else None,
        download_url=f"/r/{token}/calendar.ics",
        calendar_sessions=[s for s in event.sessions if s.id in held],
        holds_a_place=registration.status in HOLDS_A_PLACE,
        can_confirm=registration.status in ("pending", "waitlisted")
        and registration.expires_at is not None,
        highlight_confirm=highlight_confirm,
        refused=refused,
        calendar=calendar,
    )


class RegistrationPageController(Controller):
    path = "/r"
    include_in_schema = False

    @page_route("/{token:str}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        settings: NamedDependency[Settings],
        secret_key: NamedDependency[str],
        confirm: FromQuery[str | None] = None,
    ) -> Template:
        found = await _registration(request, token)
        if found is None:
            return _unknown_link(request)
        return await _registration_page(
            request, token, found, settings, secret_key, highlight_confirm=confirm is not None
        )

    @get("/{token:str}/calendar.ics")
    async def download_calendar(
        self, token: PathToken, settings: NamedDependency[Settings]
    ) -> Response[bytes]:
        """The calendar file of exactly what this registration holds (its session, or the
        whole course), not the event's every date; personal, so never stored."""
        registration = await service.by_token(token)
        if registration.status not in HOLDS_A_PLACE:
            raise NotFound("This registration holds no place to put into a calendar.")
        body = await personal.registration_download(registration, settings.base_url)
        return Response(
            body,
            media_type=MEDIA_TYPE,
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": 'attachment; filename="registration.ics"',
            },
        )

    @post("/{token:str}/confirm", status_code=HTTP_303_SEE_OTHER)
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        token: PathToken,
        settings: NamedDependency[Settings],
        secret_key: NamedDependency[str],
    ) -> Response[Any]:
        registration = await service.by_token(token)
        try:
            await service.confirm_registration(registration.id)
        except Conflict:  # cancelled or expired meanwhile: the page says which
            found = await service.by_token(token)
            return await _registration_page(
                request, token, found, settings, secret_key, refused=True
            )
        return Redirect(f"/r/{token}", status_code=HTTP_303_SEE_OTHER)

    @page_route("/{token:str}/cancel")
    async def ask_to_cancel(
        self, request: Request[Any, Any, Any], token: FromPath[str]
    ) -> Template:
        """The step before cancelling: "Cancel your place?" with the button that does."""
        found = await _registration(request, token)
        if found is None:
            return _unknown_link(request)
        registration = await service.view(found)
        municipality = await get_municipality(registration.municipality)
        return page(
            request,
            "registration_cancel.html",
            municipality=municipality,
            own_locale=registration.locale,
            registration=registration,
            token=token,
            others_waiting=await service.others_waiting(found),
        )

    @post("/{token:str}/cancel", status_code=HTTP_303_SEE_OTHER)
    async def cancel(self, token: PathToken) -> Redirect:
        registration = await service.by_token(token)
        await service.cancel_registration(registration.id)
        return Redirect(f"/r/{token}", status_code=HTTP_303_SEE_OTHER)

    @post("/{token:str}/calendar/renew", status_code=HTTP_303_SEE_OTHER)
    async def renew_calendar(self, token: PathToken) -> Redirect:
        """Revoke the personal feed link (e.g. after sharing it by mistake); the page
        then shows a new one."""
        registration = await service.by_token(token)
        if _may_see_feed(registration):
            await personal.revoke(registration.municipality, registration.email)
        return Redirect(f"/r/{token}", status_code=HTTP_303_SEE_OTHER)
