"""The page behind a registration link: see, confirm, cancel — no account needed.

Confirming and cancelling are POST forms, never GET links: mail scanners open
links to check them, and must not confirm or cancel anyone's place.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeGuard

from babel.dates import format_date
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from treffpunkt.calendars import personal
from treffpunkt.i18n import DEFAULT_LOCALE, RTL_LOCALES, format_when
from treffpunkt.links import feed_links
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.registrations import service
from treffpunkt.registrations.tables import ACTIVE, Registration
from treffpunkt.schemas import PathToken
from treffpunkt.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@lru_cache(maxsize=8)
def strings(locale: str) -> dict[str, Any]:
    folder = Path(__file__).parent / "strings"
    merged = json.loads((folder / f"{DEFAULT_LOCALE}.json").read_text("utf-8"))
    own = folder / f"{locale}.json"
    if own.exists():
        merged.update(json.loads(own.read_text("utf-8")))
    return merged


def _may_see_feed(registration: Registration) -> TypeGuard[Registration]:
    """The personal feed shows all of an address's places in the town: only a link of a
    live registration whose address is confirmed leads to it (not one that anybody could
    have made with the address, nor one that ended)."""
    return (
        registration.email is not None
        and registration.email_confirmed_at is not None
        and registration.status in ACTIVE
    )


class RegistrationPageController(Controller):
    path = "/r"
    include_in_schema = False

    @get("/{token:str}")
    async def show(
        self,
        token: PathToken,
        settings: NamedDependency[Settings],
        secret_key: NamedDependency[str],
        confirm: FromQuery[str | None] = None,
    ) -> Template:
        found = await service.by_token(token)
        registration = await service.view(found)
        municipality = await get_municipality(registration.municipality)
        locale = registration.locale
        calendar = None
        if _may_see_feed(found):
            tokens = await personal.feed_tokens(municipality.id, [found.email], secret_key)
            calendar = feed_links(settings.base_url, personal.feed_path(tokens[found.email]))
        return Template(
            template_name="registration.html",
            context={
                "registration": registration,
                "token": token,
                "locale": locale,
                "direction": "rtl" if locale in RTL_LOCALES else "ltr",
                "t": strings(locale),
                "municipality_name": municipality.name,
                "can_confirm": registration.status in ("pending", "waitlisted")
                and registration.expires_at is not None,
                "highlight_confirm": confirm is not None,
                "format_datetime": lambda value: format_when(value, locale),
                "format_day": lambda value: format_date(value, "full", locale=locale),
                "calendar": calendar,
            },
        )

    @post("/{token:str}/confirm", status_code=HTTP_303_SEE_OTHER)
    async def confirm(self, token: PathToken) -> Redirect:
        registration = await service.by_token(token)
        await service.confirm_registration(registration.id)
        return Redirect(f"/r/{token}", status_code=HTTP_303_SEE_OTHER)

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
