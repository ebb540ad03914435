"""Who may call what. Tenant scoping is decided here, once, for every guide route.

A guide route receives a `Tenant`; services filter every query by its
municipality, so another municipality's objects are simply not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from treffpunkt.accounts.service import Principal, authenticate
from treffpunkt.accounts.tables import Role


@dataclass(frozen=True)
class Tenant:
    """The municipality a guide acts for, and the guide."""

    municipality_id: int
    account_id: int


async def provide_principal(request: Request[Any, Any, Any]) -> Principal | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await authenticate(token.strip())


def _require_login(principal: Principal | None) -> Principal:
    if principal is None:
        raise NotAuthorizedException("Log in first: send 'Authorization: Bearer <token>'.")
    return principal


async def provide_account(principal: NamedDependency[Principal | None]) -> Principal:
    return _require_login(principal)


async def provide_admin(principal: NamedDependency[Principal | None]) -> Principal:
    principal = _require_login(principal)
    if principal.role is not Role.admin:
        raise PermissionDeniedException("This needs a platform admin account.")
    return principal


async def provide_tenant(principal: NamedDependency[Principal | None]) -> Tenant:
    principal = _require_login(principal)
    if principal.role is not Role.guide or principal.municipality_id is None:
        raise PermissionDeniedException("This needs a guide account.")
    return Tenant(municipality_id=principal.municipality_id, account_id=principal.account_id)


AUTH_DEPENDENCIES = {
    "principal": Provide(provide_principal),
    "account": Provide(provide_account),
    "admin": Provide(provide_admin),
    "tenant": Provide(provide_tenant),
}
