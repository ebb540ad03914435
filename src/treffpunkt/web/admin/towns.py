"""The platform admin's pages (under /admin, admins only): municipalities (list, create,
settings, deactivate) and their guide accounts (invite, invitation again, password
reset, deactivate, reactivate), and the mail check (a test mail sent now).

Thin handlers: the rules are the services' (municipalities/service.py,
accounts/links.py, notifications/check.py), as for the API.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.response import Response, Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY

from treffpunkt.accounts import links
from treffpunkt.accounts.service import Principal, list_guides
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.i18n import LOCALES
from treffpunkt.municipalities import service as municipalities
from treffpunkt.municipalities.schemas import MunicipalityCreate, MunicipalityUpdate
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.notifications.check import send_test_mail
from treffpunkt.schemas import Email, Input, Name, PathId, PathSlug
from treffpunkt.settings import Settings
from treffpunkt.translations import N_, languages_named_in, translator
from treffpunkt.web.forms import validated
from treffpunkt.web.pages import page_route, reader_locale
from treffpunkt.web.workspace import admin_page, see_other

SECTION = "municipalities"

# Messages by field, for any way a field fails (the catalogue's ids).
MESSAGES = {
    "slug": N_(
        "Choose an address name of 2 to 64 small letters, digits and hyphens, such as bad-vilbel."
    ),
    "name": N_("Enter a name of at most 200 characters, on one line."),
    "display_name": N_("Enter a name of at most 200 characters, on one line."),
    "email": N_("Enter an email address, such as name@example.org."),
    "contact_email": N_("Enter an email address, such as name@example.org."),
    "sender_email": N_("Enter an email address, such as name@example.org."),
    "recipient": N_("Enter an email address, such as name@example.org."),
    "sender_name": N_("Enter a name of at most 200 characters, on one line."),
    "time_zone": N_("Enter a time zone such as Europe/Berlin."),
    "default_locale": N_("Choose one of the languages."),
    "offered_locales": N_("Choose the languages, the default one among them."),
    "retention_days": N_("Enter a number of days from 30 to 3650."),
}
CHECK = N_("Please check this field.")
TAKEN = {
    "slug": N_("This address name is taken."),
    "email": N_("An account with this email address exists."),
}
FIELDS = ("name", "contact_email", "sender_name", "sender_email", "time_zone", "retention_days")


class _Invitation(Input):
    email: Email
    display_name: Name


class _MailCheck(Input):
    recipient: Email
    municipality: str = ""


def _yes_or_no(value: Any) -> bool:
    """The `active` field of the (de)activation forms; anything else is refused."""
    if value not in ("yes", "no"):
        raise InvalidInput("active must be yes or no.", {"active": "must be yes or no"})
    return bool(value == "yes")


def _locale(request: Request[Any, Any, Any]) -> str:
    """The workspace's language for messages made here (the layout chooses the same)."""
    return reader_locale(request, "de")


def _languages(locale: str) -> list[dict[str, str]]:
    names = languages_named_in(locale)
    return [{"code": code, "name": names.get(code, code)} for code in LOCALES]


def _town_form(town: Municipality | None) -> dict[str, Any]:
    if town is None:
        return {
            "slug": "",
            "name": "",
            "contact_email": "",
            "sender_name": "",
            "sender_email": "",
            "time_zone": "Europe/Berlin",
            "retention_days": "365",
            "default_locale": "de",
            "offered_locales": ["de"],
        }
    return {
        "slug": town.slug,
        "name": town.name,
        "contact_email": town.contact_email,
        "sender_name": town.sender_name,
        "sender_email": town.sender_email,
        "time_zone": town.time_zone,
        "retention_days": str(town.retention_days),
        "default_locale": town.default_locale,
        "offered_locales": list(town.offered_locales),
    }


async def _typed(request: Request[Any, Any, Any]) -> dict[str, Any]:
    form = await request.form()
    typed: dict[str, Any] = {
        name: str(form.get(name) or "").strip() for name in ("slug", "default_locale", *FIELDS)
    }
    typed["offered_locales"] = [str(v) for v in form.getall("offered_locales", [])]
    return typed


def _body(typed: dict[str, Any], *, new: bool) -> dict[str, Any]:
    body = {name: typed[name] for name in FIELDS}
    body["default_locale"] = typed["default_locale"]
    body["offered_locales"] = typed["offered_locales"] or [typed["default_locale"]]
    days = typed["retention_days"]
    body["retention_days"] = (
        int(days) if days.isascii() and days.isdigit() and len(days) < 6 else days
    )
    if new:
        body["slug"] = typed["slug"]
    return body


async def _guides(town: Municipality) -> list[dict[str, Any]]:
    rows = await list_guides(town.id)
    invited = await links.invited_ids([row["id"] for row in rows])
    return [{**row, "invited": row["id"] in invited} for row in rows]


async def _town_page(
    request: Request[Any, Any, Any],
    account: Principal,
    town: Municipality,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    invite: dict[str, str] | None = None,
    invite_errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Template:
    return await admin_page(
        request,
        "admin/town.html",
        account,
        section=SECTION,
        status_code=status_code,
        municipality_slug=town.slug,
        municipality_name=town.name,
        municipality_active=town.active,
        form=form or _town_form(town),
        errors=errors or {},
        invite=invite or {"email": "", "display_name": ""},
        invite_errors=invite_errors or {},
        guides=await _guides(town),
        language_choices=_languages(_locale(request)),
        notice=notice,
    )


# --- municipalities ---------------------------------------------------------------------


@page_route("/municipalities")
async def town_list(
    request: Request[Any, Any, Any], account: NamedDependency[Principal]
) -> Template:
    """Every municipality, active or not, with its guides' count."""
    towns = await municipalities.list_municipalities(include_inactive=True)
    counts: dict[int, int] = {}
    for town in towns:
        counts[town.id] = len(await list_guides(town.id))
    return await admin_page(
        request,
        "admin/towns.html",
        account,
        section=SECTION,
        towns=[
            {"slug": t.slug, "name": t.name, "active": t.active, "guides": counts[t.id]}
            for t in towns
        ],
    )


@page_route("/municipalities/new")
async def new_town(
    request: Request[Any, Any, Any], account: NamedDependency[Principal]
) -> Template:
    return await admin_page(
        request,
        "admin/town_new.html",
        account,
        section=SECTION,
        form=_town_form(None),
        errors={},
        language_choices=_languages(_locale(request)),
    )


@post("/municipalities/new", include_in_schema=False)
async def create_town(
    request: Request[Any, Any, Any], account: NamedDependency[Principal]
) -> Response[Any]:
    """Create a municipality: to its page (303), or the form again with its errors."""
    typed = await _typed(request)
    locale = _locale(request)
    data, errors = validated(MunicipalityCreate, _body(typed, new=True), MESSAGES, locale, CHECK)
    if data is not None:
        try:
            town = await municipalities.create_municipality(data)
        except Conflict:
            errors = {"slug": translator(locale).gettext(TAKEN["slug"])}
        else:
            return see_other(f"/admin/municipalities/{town.slug}")
    return await admin_page(
        request,
        "admin/town_new.html",
        account,
        section=SECTION,
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        form=typed,
        errors=errors,
        language_choices=_languages(locale),
    )


@page_route("/municipalities/{slug:str}")
async def show_town(
    request: Request[Any, Any, Any], account: NamedDependency[Principal], slug: PathSlug
) -> Template:
    """A municipality's settings and its guides."""
    town = await municipalities.get_municipality(slug, include_inactive=True)
    notice = request.query_params.get("done")
    return await _town_page(request, account, town, notice=notice)


@post("/municipalities/{slug:str}", include_in_schema=False)
async def update_town(
    request: Request[Any, Any, Any], account: NamedDependency[Principal], slug: PathSlug
) -> Response[Any]:
    town = await municipalities.get_municipality(slug, include_inactive=True)
    typed = await _typed(request)
    typed["slug"] = town.slug
    locale = _locale(request)
    data, errors = validated(MunicipalityUpdate, _body(typed, new=False), MESSAGES, locale, CHECK)
    if data is None:
        return await _town_page(
            request,
            account,
            town,
            form=typed,
            errors=errors,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    await municipalities.update_municipality(slug, data)
    return see_other(f"/admin/municipalities/{slug}?done=saved")


@post("/municipalities/{slug:str}/active", include_in_schema=False)
async def set_town_active(
    request: Request[Any, Any, Any], account: NamedDependency[Principal], slug: PathSlug
) -> Response[Any]:
    """Deactivate (pages and API 404, its guides logged out) or reactivate a town."""
    active = _yes_or_no((await request.form()).get("active"))
    await municipalities.update_municipality(slug, MunicipalityUpdate(active=active))
    return see_other(
        f"/admin/municipalities/{slug}?done={'activated' if active else 'deactivated'}"
    )


# --- guides -----------------------------------------------------------------------------


@post("/municipalities/{slug:str}/guides", include_in_schema=False)
async def invite(
    request: Request[Any, Any, Any],
    account: NamedDependency[Principal],
    slug: PathSlug,
    secret_key: NamedDependency[str],
) -> Response[Any]:
    """Invite a guide: the account without a password, and the mail with its link."""
    town = await municipalities.get_municipality(slug, include_inactive=True)
    form = await request.form()
    typed = {name: str(form.get(name) or "").strip() for name in ("email", "display_name")}
    locale = _locale(request)
    data, errors = validated(_Invitation, typed, MESSAGES, locale, CHECK)
    if data is not None:
        try:
            await links.invite_guide(town.id, data.email, data.display_name, secret_key)
        except Conflict:
            errors = {"email": translator(locale).gettext(TAKEN["email"])}
        else:
            return see_other(f"/admin/municipalities/{slug}?done=invited")
    status = HTTP_409_CONFLICT if "email" in errors and data is not None else 422
    return await _town_page(
        request, account, town, invite=typed, invite_errors=errors, status_code=status
    )


async def _guide_action(
    request: Request[Any, Any, Any], slug: str, account_id: int, action: str, secret_key: str
) -> Response[Any]:
    town = await municipalities.get_municipality(slug, include_inactive=True)
    done = action
    try:
        if action == "invitation":
            await links.resend_invitation(town.id, account_id, secret_key)
        elif action == "reset":
            await links.send_password_reset(town.id, account_id, secret_key)
        else:
            active = _yes_or_no((await request.form()).get("active"))
            await links.set_guide_active(town.id, account_id, active)
            done = "reactivated" if active else "deactivated-guide"
    except Conflict as error:
        done = "has-password" if error.fields.get("account") == "has a password" else "inactive"
    return see_other(f"/admin/municipalities/{slug}?done={done}")


@post("/municipalities/{slug:str}/guides/{account_id:int}/invitation", include_in_schema=False)
async def resend_invitation(
    request: Request[Any, Any, Any],
    account: NamedDependency[Principal],
    slug: PathSlug,
    account_id: PathId,
    secret_key: NamedDependency[str],
) -> Response[Any]:
    """The invitation again, with a new link (the earlier one stops working)."""
    return await _guide_action(request, slug, account_id, "invitation", secret_key)


@post("/municipalities/{slug:str}/guides/{account_id:int}/reset", include_in_schema=False)
async def send_reset(
    request: Request[Any, Any, Any],
    account: NamedDependency[Principal],
    slug: PathSlug,
    account_id: PathId,
    secret_key: NamedDependency[str],
) -> Response[Any]:
    """A password reset link to the guide."""
    return await _guide_action(request, slug, account_id, "reset", secret_key)


@post("/municipalities/{slug:str}/guides/{account_id:int}/active", include_in_schema=False)
async def set_guide_active(
    request: Request[Any, Any, Any],
    account: NamedDependency[Principal],
    slug: PathSlug,
    account_id: PathId,
    secret_key: NamedDependency[str],
) -> Response[Any]:
    """Deactivate a guide (every login of theirs ends at once) or reactivate them."""
    return await _guide_action(request, slug, account_id, "active", secret_key)


# --- the mail check ---------------------------------------------------------------------


async def _mail_page(
    request: Request[Any, Any, Any],
    account: Principal,
    settings: Settings,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    result: Any = None,
    status_code: int = 200,
) -> Template:
    towns = await municipalities.list_municipalities(include_inactive=True)
    return await admin_page(
        request,
        "admin/mail.html",
        account,
        section="mail",
        status_code=status_code,
        towns=[{"slug": t.slug, "name": t.name, "sender": t.sender_email} for t in towns],
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        smtp_tls=settings.smtp_tls,
        form=form or {"recipient": "", "municipality": towns[0].slug if towns else ""},
        errors=errors or {},
        result=result,
    )


@page_route("/mail")
async def mail_check(
    request: Request[Any, Any, Any],
    account: NamedDependency[Principal],
    settings: NamedDependency[Settings],
) -> Template:
    """The platform's mail settings, and a form to send a test mail."""
    return await _mail_page(request, account, settings)


@post("/mail", include_in_schema=False)
async def send_check(
    request: Request[Any, Any, Any],
    account: NamedDependency[Principal],
    settings: NamedDependency[Settings],
) -> Template:
    """Send the test mail now and show what the mail server answered (a check, not a
    change: the answer is this page, not a redirect)."""
    form = await request.form()
    typed = {name: str(form.get(name) or "").strip() for name in ("recipient", "municipality")}
    locale = _locale(request)
    data, errors = validated(_MailCheck, typed, MESSAGES, locale, CHECK)
    town = None
    with suppress(NotFound):
        town = await municipalities.get_municipality(typed["municipality"], include_inactive=True)
    if town is None:
        errors["municipality"] = translator(locale).gettext(N_("Choose a municipality."))
    if data is None or town is None:
        return await _mail_page(
            request,
            account,
            settings,
            form=typed,
            errors=errors,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    result = await send_test_mail(settings, data.recipient, town)
    return await _mail_page(request, account, settings, form=typed, result=result)


ROUTES = [
    town_list,
    new_town,
    create_town,
    show_town,
    update_town,
    set_town_active,
    invite,
    resend_invitation,
    send_reset,
    set_guide_active,
    mail_check,
    send_check,
]
