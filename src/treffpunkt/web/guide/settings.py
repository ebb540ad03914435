"""/guide/settings: what a town's guides set for it — its mail's sender name and
Reply-To, contact, privacy notice (versioned), imprint, reminder and hold hours,
default language, colour and logo. Thin: the rules are municipalities/service.py and
municipalities/logo.py, as for the API (`PUT /api/v1/guide/settings`)."""

from __future__ import annotations

import asyncio
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.errors import InvalidInput
from treffpunkt.i18n import LOCALES
from treffpunkt.municipalities import service
from treffpunkt.municipalities.logo import MAX_BYTES, prepare_logo
from treffpunkt.municipalities.schemas import TownSettings
from treffpunkt.translations import N_
from treffpunkt.web.guide.forms import blank_to_none, check_form, refused
from treffpunkt.web.pages import AUTONYMS, page_route
from treffpunkt.web.workspace import see_other, workspace_page

FIELDS = (
    *("sender_name", "reply_to_email", "contact_email", "contact_phone"),
    *("privacy_notice", "privacy_url", "imprint_url", "reminder_hours"),
    *("confirmation_hold_hours", "default_locale", "accent_colour"),
)
MESSAGES = {
    "sender_name": N_("Enter the sender's name in one line, at most 200 characters."),
    "reply_to_email": N_("Enter an email address for answers, or leave it empty."),
    "contact_email": N_("Enter the contact email address, for example integration@stadt.de."),
    "contact_phone": N_("Enter a phone number of digits (and + ( ) / -), or leave it empty."),
    "privacy_notice": N_("The privacy notice may have at most 50,000 characters."),
    "privacy_url": N_("Enter an address that starts with https://, or leave it empty."),
    "imprint_url": N_("Enter an address that starts with https://, or leave it empty."),
    "reminder_hours": N_("Enter the hours as a whole number from 0 to 168."),
    "confirmation_hold_hours": N_("Enter the hours as a whole number from 1 to 168."),
    "default_locale": N_("Choose a language from the list."),
    "accent_colour": N_(
        "Choose a colour as #rrggbb that is dark enough to read on white (contrast 4.5:1)."
    ),
}
LOGO_MESSAGES = {
    "logo": N_("Choose a PNG or JPEG file of at most 512 kB that shows a picture."),
}


async def _page(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    logo_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    current = await service.town_settings(tenant.municipality_id)
    values = {
        name: "" if getattr(current, name, None) is None else str(getattr(current, name))
        for name in FIELDS
        if name != "privacy_notice"
    }
    values["privacy_notice"] = current.privacy_notice.text if current.privacy_notice else ""
    municipality = await service.get_municipality_by_id(tenant.municipality_id)
    return await workspace_page(
        request,
        "guide/settings.html",
        tenant,
        section="settings",
        status_code=status_code,
        form={**values, **(form or {})},
        errors=errors or {},
        logo_errors=logo_errors or {},
        current=current,
        notice_at=current.privacy_notice.created_at.astimezone(ZoneInfo(municipality.time_zone))
        if current.privacy_notice
        else None,
        slug=municipality.slug,
        logo_url=f"/m/{municipality.slug}/logo.png?v={municipality.logo_digest[:12]}"
        if municipality.logo_digest
        else None,
        locales=[(code, AUTONYMS[code]) for code in LOCALES],
        max_kilobytes=MAX_BYTES // 1024,
    )


@page_route("/settings")
async def settings_page(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Template:
    """The town's settings as a form."""
    return await _page(request, tenant)


def _body(values: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        name: blank_to_none(values[name])
        for name in ("reply_to_email", "contact_phone", "privacy_url", "imprint_url")
    }
    for name in ("reminder_hours", "confirmation_hold_hours"):
        text = values[name].strip()
        # ASCII digits, a few: anything else is the field's error, never a 500.
        body[name] = int(text) if text.isascii() and text.isdigit() and len(text) < 6 else text
    return {
        **body,
        "sender_name": values["sender_name"],
        "contact_email": values["contact_email"],
        "privacy_notice": values["privacy_notice"],
        "default_locale": values["default_locale"],
        "accent_colour": values["accent_colour"],
    }


@post("/settings", include_in_schema=False)
async def save_settings(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Template | Redirect:
    """Save the settings (303 back), or the form again with its errors (422)."""
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in FIELDS}
    data, errors = check_form(TownSettings, _body(values), MESSAGES)
    if data is None:
        return await _page(
            request, tenant, values, errors, status_code=HTTP_422_UNPROCESSABLE_ENTITY
        )
    await service.update_settings(tenant.municipality_id, data)
    return see_other("/guide/settings?saved=1")


@post("/settings/logo", include_in_schema=False)
async def upload_logo(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Template | Redirect:
    """A new logo (PNG or JPEG, re-encoded as our own PNG), or the page with the error."""
    form = await request.form()
    upload = form.get("logo")
    data = await upload.read(MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        logo = await asyncio.to_thread(prepare_logo, data)
    except InvalidInput as error:
        return await _page(
            request,
            tenant,
            logo_errors=refused(error, LOGO_MESSAGES),
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    await service.set_logo(tenant.municipality_id, logo)
    return see_other("/guide/settings?saved=logo")


@post("/settings/logo/remove", include_in_schema=False)
async def remove_logo(tenant: NamedDependency[Tenant]) -> Redirect:
    await service.remove_logo(tenant.municipality_id)
    return see_other("/guide/settings?saved=logo")


ROUTES = [settings_page, save_settings, upload_logo, remove_logo]
