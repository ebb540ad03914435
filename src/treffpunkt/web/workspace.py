"""The workspace of guides (/guide/…) and admins (/admin/…): logins in the browser, the
guards of both routers, and `workspace_page()`, which their handlers return.

A login in the browser is a session: a random token in an HttpOnly cookie, stored only
as its hash (accounts.AccessToken, kind "session"). It ends on logout, when its account
is deactivated or its password changes (server-side, at once), after
TREFFPUNKT_SESSION_IDLE_MINUTES without a request, and TREFFPUNKT_TOKEN_TTL_HOURS after
the login at the latest. Each login gets a new token and ends the one the browser held
(no session fixation). Every form carries the CSRF token (app-wide, web/pages.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response, Router, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_401_UNAUTHORIZED,
    HTTP_429_TOO_MANY_REQUESTS,
)

from treffpunkt.accounts.dependencies import Tenant, provide_account, provide_tenant
from treffpunkt.accounts.service import (
    LoginKind,
    LoginPolicy,
    Principal,
    authenticate,
    end_login,
    get_account,
    login,
)
from treffpunkt.accounts.tables import Role
from treffpunkt.errors import TooManyRequests, Unauthorized
from treffpunkt.headers import PAGE_POLICY
from treffpunkt.i18n import DEFAULT_LOCALE
from treffpunkt.municipalities.service import get_municipality_by_id
from treffpunkt.settings import Settings
from treffpunkt.throttle import Throttle, client_of
from treffpunkt.tokens import hash_token
from treffpunkt.translations import N_
from treffpunkt.web.pages import page, page_route, secure_cookies, settings_of

# Workspace pages may run scripts from this site (progressive enhancement: live
# previews, search as you type, one-tap attendance); they still run no inline script.
WORKSPACE_POLICY = PAGE_POLICY.replace(
    "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';"
)


@dataclass(frozen=True)
class Section:
    name: str
    path: str
    label: str  # the catalogue's msgid; the layout translates it


GUIDE_SECTIONS = [
    Section("week", "/guide/", N_("This week")),
    Section("events", "/guide/events", N_("Events")),
    Section("programmes", "/guide/programmes", N_("Programmes")),
    Section("partners", "/guide/partners", N_("Partners")),
    Section("venues", "/guide/venues", N_("Venues")),
    Section("settings", "/guide/settings", N_("Settings")),
]
ADMIN_SECTIONS = [
    Section("admin", "/admin/", N_("Administration")),
    Section("municipalities", "/admin/municipalities", N_("Municipalities")),
    Section("mail", "/admin/mail", N_("Mail settings")),
]
HOME = {Role.guide: "/guide/", Role.admin: "/admin/"}


def session_cookie(settings: Settings) -> str:
    """The cookie's name: `__Host-` over https, so that no subdomain can set or widen it."""
    return "__Host-treffpunkt_session" if secure_cookies(settings) else "treffpunkt_session"


class LoginRequired(Exception):
    """No live session: the browser goes to the login page (303), and back after it."""

    def __init__(self, back_to: str | None, ended: bool) -> None:
        super().__init__("log in first")
        self.back_to = back_to
        self.ended = ended  # the browser held a session that has ended


def safe_next(value: str | None) -> str | None:
    """A path of this site to return to after logging in, or None: never another site
    ("//host", "/\\host", "https://…") and never the login itself."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(c in value for c in "\r\n\t\\"):
        return None
    if parts.path in ("/login", "/logout"):
        return None
    return value


def login_required(request: Request[Any, Any, Any], error: LoginRequired) -> Response[Any]:
    values = {"next": error.back_to} if error.back_to else {}
    if error.ended:
        values["notice"] = "expired"
    query = urlencode(values)
    return Redirect("/login" + (f"?{query}" if query else ""), status_code=HTTP_303_SEE_OTHER)


def _idle(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.session_idle_minutes)


async def _session(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    settings: Settings = connection.app.state["settings"]
    token = connection.cookies.get(session_cookie(settings), "")
    principal = None
    if token:
        principal = await authenticate(token, LoginKind.session, _idle(settings))
    if principal is None:
        # Back to the same page after the login, when it is one a link can open.
        method = connection.scope.get("method", "GET")
        back_to = connection.url.path if method in ("GET", "HEAD") else None
        if back_to and connection.url.query:
            back_to += "?" + connection.url.query
        raise LoginRequired(safe_next(back_to), ended=bool(token))
    connection.state.principal = principal
    return principal


async def guide_session(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard of /guide: a guide's live session."""
    principal = await _session(connection)
    if principal.role is not Role.guide or principal.municipality_id is None:
        raise PermissionDeniedException("This needs a guide account.")


async def account_session(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard of /account: anyone's live session, a guide's or an admin's."""
    await _session(connection)


async def admin_session(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard of /admin: a platform admin's live session."""
    if (await _session(connection)).role is not Role.admin:
        raise PermissionDeniedException("This needs a platform admin account.")


def see_other(path: str) -> Redirect:
    """After a form did its work: the next page, by GET (post/redirect/get)."""
    return Redirect(path, status_code=HTTP_303_SEE_OTHER)


async def workspace_page(
    request: Request[Any, Any, Any],
    template_name: str,
    tenant: Tenant,
    *,
    section: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A page of a guide's workspace: German unless the guide chose another language
    (the switch), with the town, the guide, and the sections to move between."""
    municipality = await get_municipality_by_id(tenant.municipality_id)
    account = await get_account(tenant.account_id)
    return page(
        request,
        template_name,
        municipality=municipality,
        default_locale=DEFAULT_LOCALE,
        status_code=status_code,
        account=account,
        sections=GUIDE_SECTIONS,
        section=section,
        **context,
    )


async def admin_page(
    request: Request[Any, Any, Any],
    template_name: str,
    account: Principal,
    *,
    section: str = "admin",
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A page of the platform admin's workspace (no town of its own)."""
    return page(
        request,
        template_name,
        municipality=None,
        status_code=status_code,
        account=await get_account(account.account_id),
        sections=ADMIN_SECTIONS,
        section=section,
        **context,
    )


# --- logging in and out -------------------------------------------------------------------


async def _current(request: Request[Any, Any, Any]) -> Principal | None:
    settings = settings_of(request)
    token = request.cookies.get(session_cookie(settings), "")
    return await authenticate(token, LoginKind.session, _idle(settings)) if token else None


def _login_page(
    request: Request[Any, Any, Any],
    *,
    status_code: int = 200,
    email: str = "",
    back_to: str | None = None,
    error: str | None = None,
    notice: str | None = None,
    current: dict[str, Any] | None = None,
    home: str | None = None,
) -> Template:
    return page(
        request,
        "login.html",
        municipality=None,
        status_code=status_code,
        email=email,
        back_to=back_to or "",
        error=error,
        notice=notice,
        current=current,
        home=home,
    )


NOTICES = {
    "ended": N_("You are logged out."),
    "expired": N_("Your login has ended. Please log in again."),
}


@page_route("/login")
async def login_form(request: Request[Any, Any, Any]) -> Template:
    """The login form, always: a browser that holds a session is offered the way back
    to it, never taken there unasked (the session may be one a stranger planted)."""
    back_to = safe_next(request.query_params.get("next"))
    notice = NOTICES.get(request.query_params.get("notice") or "")
    principal = await _current(request)
    return _login_page(
        request,
        back_to=back_to,
        notice=notice,
        current=await get_account(principal.account_id) if principal else None,
        home=HOME[principal.role] if principal else None,
    )


@post("/login", include_in_schema=False)
async def login_submit(
    request: Request[Any, Any, Any],
    throttle: NamedDependency[Throttle],
    login_policy: NamedDependency[LoginPolicy],
) -> Response[Any]:
    """Check the password (the API's rate limits apply), open a new session and end the
    one the browser held before, then on to the page that asked for the login."""
    settings = settings_of(request)
    form = await request.form()
    email = str(form.get("email") or "").strip()
    password = str(form.get("password") or "")
    back_to = safe_next(str(form.get("next") or ""))
    try:
        token, _, account = await login(
            email, password, client_of(request), throttle, login_policy, LoginKind.session
        )
    except Unauthorized:
        return _login_page(
            request,
            status_code=HTTP_401_UNAUTHORIZED,
            email=email,
            back_to=back_to,
            error=N_("Email or password is wrong."),
        )
    except TooManyRequests as error:
        refused = _login_page(
            request,
            status_code=HTTP_429_TOO_MANY_REQUESTS,
            email=email,
            back_to=back_to,
            error=N_("Too many attempts. Please wait a few minutes, then try again."),
        )
        refused.headers.update(error.headers or {})
        return refused
    name = session_cookie(settings)
    held = request.cookies.get(name)
    if held:
        await end_login(hash_token(held))
    role = Role(account["role"])
    if back_to and not back_to.startswith(HOME[role].rstrip("/")):
        back_to = None  # a guide is not sent on to /admin, nor an admin to /guide
    answer = see_other(back_to or HOME[role])
    answer.cookies.append(
        Cookie(
            key=name,
            value=token,
            path="/",
            max_age=int(login_policy.token_ttl.total_seconds()),
            httponly=True,
            secure=secure_cookies(settings),
            samesite="lax",
        )
    )
    return answer


@post("/logout", include_in_schema=False)
async def logout_submit(request: Request[Any, Any, Any]) -> Redirect:
    """End the session server-side and forget the cookie."""
    name = session_cookie(settings_of(request))
    held = request.cookies.get(name)
    if held:
        await end_login(hash_token(held))
    answer = see_other("/login?notice=ended")
    # Browsers drop a `__Host-` cookie only by a Set-Cookie that is Secure too.
    answer.cookies.append(
        Cookie(
            key=name,
            value="",
            path="/",
            max_age=0,
            httponly=True,
            secure=secure_cookies(settings_of(request)),
            samesite="lax",
        )
    )
    return answer


LOGIN_ROUTES = [login_form, login_submit, logout_submit]


def workspace_routers(guide_routes: list[Any], admin_routes: list[Any]) -> list[Router]:
    """/guide and /admin: every route under them behind its session guard, the guide's
    scoped to the guide's town (`tenant`), with the workspace's script policy."""
    return [
        Router(
            "/guide",
            guards=[guide_session],
            dependencies={"tenant": Provide(provide_tenant), "account": Provide(provide_account)},
            opt={"csp": WORKSPACE_POLICY},
            include_in_schema=False,
            route_handlers=guide_routes,
        ),
        Router(
            "/admin",
            guards=[admin_session],
            dependencies={"account": Provide(provide_account)},
            opt={"csp": WORKSPACE_POLICY},
            include_in_schema=False,
            route_handlers=admin_routes,
        ),
    ]
