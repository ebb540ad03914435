from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from treffpunkt.accounts import links, service
from treffpunkt.accounts.dependencies import (
    ACCOUNT,
    BEARER,
    AdminController,
    Tenant,
    logged_in,
)
from treffpunkt.accounts.schemas import (
    AccountOut,
    AccountUpdate,
    GuideCreate,
    GuideInvite,
    LoginIn,
    LoginOut,
    PasswordChange,
    PasswordResetRequest,
)
from treffpunkt.accounts.service import LoginPolicy, Principal
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.openapi import errors
from treffpunkt.schemas import PathId, PathSlug
from treffpunkt.throttle import Throttle, client_of


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", status_code=HTTP_200_OK, operation_id="login", responses=errors(401, 429))
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginIn],
        throttle: NamedDependency[Throttle],
        login_policy: NamedDependency[LoginPolicy],
    ) -> LoginOut:
        """Exchange email and password for a bearer token (rate limited per client and account)."""
        token, expires_at, account = await service.login(
            data.email, data.password, client_of(request), throttle, login_policy
        )
        return LoginOut(
            access_token=token, expires_at=expires_at, account=AccountOut.model_validate(account)
        )

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="logout",
        guards=[logged_in],
        dependencies=ACCOUNT,
        security=BEARER,
    )
    async def logout(self, account: NamedDependency[Principal]) -> None:
        """Revoke the token this request carries."""
        await service.logout(account)

    @post(
        "/password-reset",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="requestPasswordReset",
        responses=errors(429),
    )
    async def request_password_reset(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PasswordResetRequest],
        throttle: NamedDependency[Throttle],
        login_policy: NamedDependency[LoginPolicy],
        secret_key: NamedDependency[str],
    ) -> None:
        """Mail a one-time link (1 hour) to set a new password, if the address belongs to
        an active guide; the answer is the same for any address. Counted like logins."""
        await links.request_password_reset(
            data.email, client_of(request), throttle, login_policy, secret_key
        )

    @post(
        "/password",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="changePassword",
        guards=[logged_in],
        dependencies=ACCOUNT,
        security=BEARER,
    )
    async def change_password(
        self, account: NamedDependency[Principal], data: JSONBody[PasswordChange]
    ) -> None:
        """Change one's own password; every other login of the account ends."""
        await links.change_password(account, data.current_password, data.new_password)

    @get(
        "/me",
        operation_id="getCurrentAccount",
        guards=[logged_in],
        dependencies=ACCOUNT,
        security=BEARER,
    )
    async def me(self, account: NamedDependency[Principal]) -> AccountOut:
        """The account behind the token."""
        return AccountOut.model_validate(await service.get_account(account.account_id))


class AdminAccountController(AdminController):
    """Platform admins manage accounts."""

    path = "/api/v1"

    @get("/accounts", operation_id="listAccounts")
    async def list_accounts(self) -> list[AccountOut]:
        """Every account, admins and guides of all municipalities, by id."""
        return [AccountOut.model_validate(row) for row in await service.list_accounts()]

    @post("/municipalities/{slug:str}/guides", operation_id="createGuide", responses=errors(409))
    async def create_guide(self, slug: PathSlug, data: JSONBody[GuideCreate]) -> AccountOut:
        """Create a guide account for a municipality."""
        return AccountOut.model_validate(await service.create_guide(slug, data))

    @post(
        "/municipalities/{slug:str}/guide-invitations",
        operation_id="inviteGuide",
        responses=errors(409),
    )
    async def invite_guide(
        self, slug: PathSlug, data: JSONBody[GuideInvite], secret_key: NamedDependency[str]
    ) -> AccountOut:
        """Create a guide without a password and mail them a one-time link (7 days) to
        set one."""
        town = await get_municipality(slug, include_inactive=True)
        row = await links.invite_guide(town.id, data.email, data.display_name, secret_key)
        return AccountOut.model_validate(await service.get_account(row["id"]))

    @post(
        "/accounts/{account_id:int}/invitation",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="resendInvitation",
        responses=errors(409),
    )
    async def resend_invitation(self, account_id: PathId, secret_key: NamedDependency[str]) -> None:
        """Send a guide's invitation again with a new link; the earlier link stops working
        (409 once the guide has set a password)."""
        await links.resend_invitation(None, account_id, secret_key)

    @post(
        "/accounts/{account_id:int}/password-reset",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="sendPasswordReset",
        responses=errors(409),
    )
    async def send_password_reset(
        self, account_id: PathId, secret_key: NamedDependency[str]
    ) -> None:
        """Mail a guide a one-time link (1 hour) to set a new password (409 when the
        account is deactivated)."""
        await links.send_password_reset(None, account_id, secret_key)

    @patch("/accounts/{account_id:int}", operation_id="updateAccount")
    async def update_account(self, account_id: PathId, data: JSONBody[AccountUpdate]) -> AccountOut:
        """Rename, deactivate or reset the password of an account; the latter two end its logins."""
        return AccountOut.model_validate(await service.update_account(account_id, data))


class GuideTeamController(Controller):
    """A guide sees the other guides of their own municipality."""

    path = "/guides"
    tags = ["guide"]

    @get("/", operation_id="listGuides")
    async def list_guides(self, tenant: NamedDependency[Tenant]) -> list[AccountOut]:
        """The guides of the caller's municipality."""
        rows = await service.list_guides(tenant.municipality_id)
        return [AccountOut.model_validate(row) for row in rows]

    @get("/{account_id:int}", operation_id="getGuide")
    async def get_guide(self, account_id: PathId, tenant: NamedDependency[Tenant]) -> AccountOut:
        """One guide of the caller's municipality."""
        return AccountOut.model_validate(
            await service.get_guide(tenant.municipality_id, account_id)
        )
