"""The page behind a registration link: see, confirm, cancel — no account needed.

Confirming and cancelling are POST forms, never GET links: mail scanners open
links to check them, and must not confirm or cancel anyone's place.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from treffpunkt.calendars import personal
from treffpunkt.errors import NotFound
from treffpunkt.events.public import get_public_event
from treffpunkt.i18n import Localized
from treffpunkt.links import event_calendar_path, feed_links, map_link
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.registrations import service
from treffpunkt.registrations.tables import ACTIVE, Registration
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


def _unknown_link(request: Request[Any, Any, Any]) -> Template:
    """A link that leads to no registration (mistyped, cut off, or anonymised after the
    event): a page that says so, in the reader's language."""
    return page(request, "registration_unknown.html", municipality=None, status_code=404)


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
            municipality=municipality,
            own_locale=registration.locale,
            registration=registration,
            event=event,
            event_title=Localized(event.title, event.locale),
            token=token,
            town_locale=municipality.default_locale,
            map_url=map_link(address, venue.latitude, venue.longitude) if venue else None,
            download_url=event_calendar_path(municipality.slug, event.id),
            calendar_sessions=[s for s in event.sessions if s.id in held],
            can_confirm=registration.status in ("pending", "waitlisted")
            and registration.expires_at is not None,
            highlight_confirm=confirm is not None,
            calendar=calendar,
        )

    @post("/{token:str}/confirm", status_code=HTTP_303_SEE_OTHER)
    async def confirm(self, token: PathToken) -> Redirect:
        registration = await service.by_token(token)
        await service.confirm_registration(registration.id)
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
