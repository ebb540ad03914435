"""Who may call what, decided where routes are grouped, never per handler: the guide
API is a Router carrying its guard (app.py), the admin API is made of `AdminController`s,
which carry theirs. No route can be added to either unguarded.

A guide route receives a `Tenant`; services scope every query to its municipality
(see tenancy.py), so another municipality's objects are simply not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from treffpunkt.accounts.service import Principal, authenticate, has_ended
from treffpunkt.accounts.tables import Role

# The OpenAPI security requirement of every guarded route.
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


@dataclass(frozen=True)
class Tenant:
    """The municipality a guide acts for, and the guide."""

    municipality_id: int
    account_id: int


LOG_IN_FIRST = "Log in first: send 'Authorization: Bearer <token>'."
LOGIN_ENDED = "Your login has ended (it expired, or was logged out or revoked); log in again."


async def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException(LOG_IN_FIRST)
    principal = await authenticate(token)
    if principal is None:
        raise NotAuthorizedException(LOGIN_ENDED if await has_ended(token) else LOG_IN_FIRST)
    connection.state.principal = principal
    return principal


async def logged_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: any live login."""
    await _principal(connection)


async def admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: a platform admin."""
    if (await _principal(connection)).role is not Role.admin:
        raise PermissionDeniedException("This needs a platform admin account.")


async def guides_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: a guide of a municipality."""
    principal = await _principal(connection)
    if principal.role is not Role.guide or principal.municipality_id is None:
        raise PermissionDeniedException("This needs a guide account.")


def _guarded(request: Request[Any, Any, Any]) -> Principal:
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise RuntimeError(f"{request.url.path} has no guard: put it under a guarded router")
    return principal


async def provide_account(request: Request[Any, Any, Any]) -> Principal:
    return _guarded(request)


async def provide_tenant(request: Request[Any, Any, Any]) -> Tenant:
    principal = _guarded(request)
    assert principal.municipality_id is not None  # guides_only made sure
    return Tenant(municipality_id=principal.municipality_id, account_id=principal.account_id)


class AdminController(Controller):
    """Base of the admin API's controllers: platform admins only.

    Admin routes that share their path with public ones (POST and PATCH of
    /api/v1/municipalities) live in the public controller with ADMINS_ONLY: Litestar
    allows one controller per path. tests/test_tenancy.py checks that every admin
    operation has the guard and that every unguarded operation is meant to be public.
    """

    guards = [admins_only]
    security = BEARER
    tags = ["admin"]


ADMINS_ONLY: dict[str, Any] = {"guards": [admins_only], "security": BEARER, "tags": ["admin"]}


ACCOUNT = {"account": Provide(provide_account)}
TENANT = {"tenant": Provide(provide_tenant)}
