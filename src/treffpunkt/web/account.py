"""/account/…: what anyone logged in to the workspace does for their own account, a
guide or an admin alike (behind the session guard of either): changing the password.
The layout links it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, post
from litestar.di import NamedDependency, Provide
from litestar.response import Response, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from treffpunkt.accounts import links
from treffpunkt.accounts.dependencies import Tenant, provide_account
from treffpunkt.accounts.service import Principal
from treffpunkt.accounts.tables import Role
from treffpunkt.errors import InvalidInput
from treffpunkt.translations import N_, translator
from treffpunkt.web.accounts import password_errors
from treffpunkt.web.pages import page_route, reader_locale
from treffpunkt.web.workspace import (
    WORKSPACE_POLICY,
    account_session,
    admin_page,
    see_other,
    workspace_page,
)

WRONG_CURRENT = N_("This is not your current password.")


async def _page(
    request: Request[Any, Any, Any],
    account: Principal,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    context: dict[str, Any] = {
        "action": "/account/password",
        "errors": errors or {},
        "changed": request.query_params.get("done") == "changed",
    }
    if account.role is Role.guide and account.municipality_id is not None:
        tenant = Tenant(municipality_id=account.municipality_id, account_id=account.account_id)
        return await workspace_page(
            request,
            "account_password.html",
            tenant,
            section="settings",
            status_code=status_code,
            **context,
        )
    return await admin_page(
        request,
        "account_password.html",
        account,
        section="",
        status_code=status_code,
        **context,
    )


@page_route("/password")
async def password_form(
    request: Request[Any, Any, Any], account: NamedDependency[Principal]
) -> Template:
    """The form: the current password and the new one twice."""
    return await _page(request, account)


@post("/password", include_in_schema=False)
async def change_password(
    request: Request[Any, Any, Any], account: NamedDependency[Principal]
) -> Response[Any]:
    """Change the password (the API's rules); this session stays, every other login of
    the account ends. 303 to the form with a notice, or the form with its errors (422)."""
    form = await request.form()
    current = str(form.get("current_password") or "")
    password = str(form.get("password") or "")
    repeat = str(form.get("password_repeat") or "")
    locale = reader_locale(request, "de")
    errors = password_errors(password, repeat, locale)
    if not errors:
        try:
            await links.change_password(account, current, password)
        except InvalidInput:
            errors = {"current_password": translator(locale).gettext(WRONG_CURRENT)}
    if errors:
        return await _page(
            request, account, errors=errors, status_code=HTTP_422_UNPROCESSABLE_ENTITY
        )
    return see_other("/account/password?done=changed")


ACCOUNT_ROUTER = Router(
    "/account",
    guards=[account_session],
    dependencies={"account": Provide(provide_account)},
    opt={"csp": WORKSPACE_POLICY},
    include_in_schema=False,
    route_handlers=[password_form, change_password],
)
