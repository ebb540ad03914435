"""Accounts in the browser beyond the login: "forgot password" and the one-time links
of reset and invitation mails, where a new password is set (accounts/links.py holds
the rules; the API's password rules apply).

    /password/forgot                 the address; the same answer whether it has an account
    /password/forgot/sent            "if there is an account, a mail is on its way"
    /password/reset/{token}          a reset link: choose a new password
    /password/set/{token}            an invitation link: choose your password
    /password/done                   the password is set: log in
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_404_NOT_FOUND,
    HTTP_410_GONE,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from pydantic import TypeAdapter, ValidationError

from treffpunkt.accounts import links
from treffpunkt.accounts.links import LinkNotOpen, LinkState, OpenLink
from treffpunkt.accounts.schemas import MIN_PASSWORD_LENGTH, NewPassword
from treffpunkt.accounts.service import LoginPolicy
from treffpunkt.schemas import TOKEN_PATTERN, Email
from treffpunkt.throttle import Throttle, client_of
from treffpunkt.translations import N_, translator
from treffpunkt.web.pages import page, page_route, reader_locale

_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
_NEW_PASSWORD: TypeAdapter[str] = TypeAdapter(NewPassword)
NO_INDEX = {"X-Robots-Tag": "noindex"}

PASSWORD_TOO_SHORT = N_("Choose a password of at least %(min)s characters.")
PASSWORD_TOO_LONG = N_("Choose a password of at most 1024 characters.")
PASSWORDS_DIFFER = N_("The two passwords are not the same.")
EMAIL_INVALID = N_("Enter an email address, such as name@example.org.")


def password_errors(password: str, repeat: str, locale: str) -> dict[str, str]:
    """The new password's errors, by field (the API's rules: NewPassword)."""
    t = translator(locale)
    try:
        _NEW_PASSWORD.validate_python(password)
    except ValidationError:
        message = PASSWORD_TOO_SHORT if len(password) < MIN_PASSWORD_LENGTH else PASSWORD_TOO_LONG
        return {"password": t.gettext(message, min=MIN_PASSWORD_LENGTH)}
    if password != repeat:
        return {"password_repeat": t.gettext(PASSWORDS_DIFFER)}
    return {}


# --- forgot password ----------------------------------------------------------------------


@page_route("/password/forgot")
async def forgot_password(request: Request[Any, Any, Any]) -> Template:
    """The form: the address of the account."""
    return page(request, "password_forgot.html", municipality=None, form={"email": ""}, errors={})


@post("/password/forgot", include_in_schema=False)
async def ask_for_reset(
    request: Request[Any, Any, Any],
    throttle: NamedDependency[Throttle],
    login_policy: NamedDependency[LoginPolicy],
    secret_key: NamedDependency[str],
) -> Response[Any]:
    """Send a link if the address has an account; the same answer either way (303)."""
    form = await request.form()
    email = str(form.get("email") or "").strip()
    try:
        _EMAIL.validate_python(email)
    except ValidationError:
        locale = reader_locale(request, "de")
        return page(
            request,
            "password_forgot.html",
            municipality=None,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            form={"email": email},
            errors={"email": translator(locale).gettext(EMAIL_INVALID)},
        )
    await links.request_password_reset(
        email, client_of(request), throttle, login_policy, secret_key
    )
    return Redirect("/password/forgot/sent", status_code=HTTP_303_SEE_OTHER)


@page_route("/password/forgot/sent")
async def reset_requested(request: Request[Any, Any, Any]) -> Template:
    return page(request, "password_forgot_sent.html", municipality=None)


# --- the links ---------------------------------------------------------------------------


async def _link(token: str) -> OpenLink:
    if not re.fullmatch(TOKEN_PATTERN, token):
        return OpenLink(LinkState.unknown)
    return await links.open_link(token)


def _closed(request: Request[Any, Any, Any], found: OpenLink) -> Template:
    """A link that cannot be used (any more), said kindly, with the way on."""
    status = HTTP_404_NOT_FOUND if found.state is LinkState.unknown else HTTP_410_GONE
    return page(
        request,
        "password_link_closed.html",
        municipality=None,
        own_locale=found.locale,
        status_code=status,
        headers=NO_INDEX,
        state=found.state.value,
        purpose=found.purpose.value if found.purpose else None,
    )


def _form(
    request: Request[Any, Any, Any],
    found: OpenLink,
    action: str,
    errors: dict[str, str] | None = None,
) -> Template:
    return page(
        request,
        "password_set.html",
        municipality=None,
        own_locale=found.locale,
        status_code=HTTP_422_UNPROCESSABLE_ENTITY if errors else 200,
        headers=NO_INDEX,
        action=action,
        invitation=found.purpose is links.LinkPurpose.invitation,
        account_email=found.email,
        account_name=found.display_name,
        errors=errors or {},
    )


async def _show(request: Request[Any, Any, Any], token: str) -> Template:
    found = await _link(token)
    if found.state is not LinkState.open:
        return _closed(request, found)
    return _form(request, found, request.url.path)


async def _set(request: Request[Any, Any, Any], token: str) -> Response[Any]:
    found = await _link(token)
    if found.state is not LinkState.open:
        return _closed(request, found)
    form = await request.form()
    password = str(form.get("password") or "")
    repeat = str(form.get("password_repeat") or "")
    locale = reader_locale(request, "de", found.locale)
    errors = password_errors(password, repeat, locale)
    if errors:
        return _form(request, found, request.url.path, errors)
    try:
        await links.set_password_by_link(token, password)
    except LinkNotOpen as closed:  # used or ended meanwhile
        return _closed(request, OpenLink(closed.state, found.purpose, locale=found.locale))
    return Redirect("/password/done", status_code=HTTP_303_SEE_OTHER)


@page_route("/password/reset/{token:str}")
async def reset_link(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    """A reset link: the form for a new password, or why the link no longer works."""
    return await _show(request, token)


@post("/password/reset/{token:str}", include_in_schema=False)
async def reset_password(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    """Set the new password (the link is then used, every login ends): 303 to log in."""
    return await _set(request, token)


@page_route("/password/set/{token:str}")
async def invitation_link(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    """An invitation link: the form for the first password."""
    return await _show(request, token)


@post("/password/set/{token:str}", include_in_schema=False)
async def set_first_password(
    request: Request[Any, Any, Any], token: FromPath[str]
) -> Response[Any]:
    return await _set(request, token)


@page_route("/password/done")
async def password_done(request: Request[Any, Any, Any]) -> Template:
    return page(request, "password_done.html", municipality=None)


PASSWORD_PAGES = [
    forgot_password,
    ask_for_reset,
    reset_requested,
    reset_link,
    reset_password,
    invitation_link,
    set_first_password,
    password_done,
]
