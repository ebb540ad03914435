"""Accounts and logins.

Rules: emails are unique and compared lower-case; a guide belongs to exactly one
municipality; passwords are argon2id hashes; a login is a random token stored as
a hash, with an expiry, revoked on logout or when the account is deactivated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from piccolo.query import Select

from treffpunkt.accounts.passwords import hash_password, verify_password
from treffpunkt.accounts.schemas import AccountUpdate, GuideCreate
from treffpunkt.accounts.tables import AccessToken, Account, Role
from treffpunkt.db import is_unique_violation, write_transaction
from treffpunkt.errors import Conflict, NotFound, Unauthorized
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.tenancy import owned
from treffpunkt.throttle import Throttle
from treffpunkt.tokens import hash_token, new_token


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from a bearer token or a session cookie."""

    account_id: int
    role: Role
    municipality_id: int | None
    token_hash: str


class LoginKind(StrEnum):
    """How a login is carried: a bearer token of the API, or a session cookie of pages."""

    api = "api"
    session = "session"


@dataclass(frozen=True)
class LoginPolicy:
    token_ttl: timedelta
    attempts_per_client: str  # every attempt from one address
    failures_per_account_and_client: str  # one address guessing one account
    failures_per_account: str  # all addresses without a recent login guessing one account
    known_client_for: timedelta = timedelta(days=30)


def _account_rows() -> Select:
    return Account.select(
        *Account.all_columns(exclude=[Account.password_hash, Account.municipality]),
        Account.municipality.slug.as_alias("municipality"),
    ).order_by(Account.id)


async def _account_row(account_id: int) -> dict[str, Any]:
    row = await _account_rows().where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such account.")
    return row


async def create_account(
    *,
    email: str,
    display_name: str,
    password: str,
    role: Role,
    municipality_id: int | None = None,
) -> dict[str, Any]:
    if (role is Role.guide) != (municipality_id is not None):
        raise ValueError("guides belong to one municipality; admins to none")
    account = Account(
        email=email.lower(),
        display_name=display_name,
        password_hash=await hash_password(password),
        role=role.value,
        municipality=municipality_id,
    )
    try:
        async with write_transaction():
            await account.save()
    except Exception as error:
        if is_unique_violation(error):
            raise Conflict(
                "An account with this email exists.", {"email": "already taken"}
            ) from None
        raise
    return await _account_row(account.id)


async def create_guide(municipality_slug: str, data: GuideCreate) -> dict[str, Any]:
    municipality = await get_municipality(municipality_slug, include_inactive=True)
    return await create_account(
        email=data.email,
        display_name=data.display_name,
        password=data.password,
        role=Role.guide,
        municipality_id=municipality.id,
    )


async def list_accounts() -> list[dict[str, Any]]:
    return await _account_rows()


async def list_guides(municipality_id: int) -> list[dict[str, Any]]:
    return await _account_rows().where(owned(Account, municipality_id))


async def get_guide(municipality_id: int, account_id: int) -> dict[str, Any]:
    """A guide of this municipality; a guide of any other answers NotFound."""
    row = await _account_rows().where(owned(Account, municipality_id, account_id)).first()
    if row is None:
        raise NotFound("No such guide.")
    return row


async def get_account(account_id: int) -> dict[str, Any]:
    return await _account_row(account_id)


async def update_account(account_id: int, data: AccountUpdate) -> dict[str, Any]:
    """Change an account; deactivating it or setting a new password ends its logins."""
    values: dict[Any, Any] = {}
    if data.display_name is not None:
        values[Account.display_name] = data.display_name
    if data.active is not None:
        values[Account.active] = data.active
    if data.password is not None:
        values[Account.password_hash] = await hash_password(data.password)
    async with write_transaction():
        await _account_row(account_id)
        if values:
            await Account.update(values).where(Account.id == account_id)
        if data.active is False or data.password is not None:
            await _revoke_all(account_id)
    return await _account_row(account_id)


async def login(
    email: str,
    password: str,
    client: str,
    throttle: Throttle,
    policy: LoginPolicy,
    kind: LoginKind = LoginKind.api,
) -> tuple[str, datetime, dict[str, Any]]:
    """Check the password and open a login.

    Every attempt counts against the client address. Failures count against the
    account from that address, which then has to wait, and against the account as a
    whole, so that guessing one guide's password from many addresses is limited too.
    That account-wide limit holds back only addresses without a recent successful
    login to the account: a stranger's failures never lock the owner out of the
    address they usually log in from.
    """
    email = email.lower()
    pair = ("login-failures", email, client)
    await throttle.hit(policy.attempts_per_client, "login-client", client)
    await throttle.check(policy.failures_per_account_and_client, *pair)
    if not await throttle.remembers("login-known", email, client):
        await throttle.check(policy.failures_per_account, "login-account", email)
    account = await Account.objects().where(Account.email == email).first()
    valid = await verify_password(account.password_hash if account else None, password)
    if account is None or not valid or not account.active or not await _town_active(account):
        await throttle.count(policy.failures_per_account_and_client, *pair)
        await throttle.count(policy.failures_per_account, "login-account", email)
        raise Unauthorized("Email or password is wrong.")
    await throttle.forget(policy.failures_per_account_and_client, *pair)
    known_for = int(policy.known_client_for.total_seconds())
    await throttle.remember(known_for, "login-known", email, client)
    token, token_hash = new_token()
    now = datetime.now(UTC)
    expires_at = now + policy.token_ttl
    async with write_transaction():
        await AccessToken(
            account=account.id,
            token_hash=token_hash,
            kind=kind.value,
            expires_at=expires_at,
            last_seen_at=now,
        ).save()
        await Account.update({Account.last_login_at: now}).where(Account.id == account.id)
    return token, expires_at, await _account_row(account.id)


# A session's last request is written at most this often: one write a minute per guide,
# not one per page.
SEEN_EVERY = timedelta(minutes=1)


async def authenticate(
    token: str, kind: LoginKind = LoginKind.api, idle: timedelta | None = None
) -> Principal | None:
    """The principal behind a live token of `kind`, or None for unknown, expired or
    revoked ones, and for a session idle for longer than `idle`. A bearer token is never
    a session cookie, nor the reverse."""
    token_hash = hash_token(token)
    now = datetime.now(UTC)
    row = (
        await AccessToken.select(
            AccessToken.id,
            AccessToken.last_seen_at,
            AccessToken.account.id,
            AccessToken.account.role,
            AccessToken.account.municipality,
            AccessToken.account.active,
            AccessToken.account._.municipality._.active,
        )
        .where(
            (AccessToken.token_hash == token_hash)
            & (AccessToken.kind == kind.value)
            & AccessToken.revoked_at.is_null()
            & (AccessToken.expires_at > now)
        )
        .first()
    )
    # A guide of a deactivated municipality is logged out with it (an admin has none).
    if row is None or not row["account.active"] or row["account.municipality.active"] is False:
        return None
    if idle is not None:
        seen = row["last_seen_at"]
        if seen is None or seen + idle <= now:
            return None
        if seen + SEEN_EVERY <= now:
            await AccessToken.update({AccessToken.last_seen_at: now}).where(
                AccessToken.id == row["id"]
            )
    return Principal(
        account_id=row["account.id"],
        role=Role(row["account.role"]),
        municipality_id=row["account.municipality"],
        token_hash=token_hash,
    )


async def _town_active(account: Account) -> bool:
    """Whether the account's municipality is active (an admin, of none, always is)."""
    if account.municipality is None:
        return True
    return await Municipality.exists().where(
        (Municipality.id == account.municipality) & Municipality.active.eq(True)
    )


async def has_ended(token: str) -> bool:
    """Whether `token` was a login that has ended (expired, logged out, revoked, or its
    account deactivated), as opposed to one that never was: only the words of the
    401 differ, so a client can tell its user to log in again."""
    return await AccessToken.exists().where(AccessToken.token_hash == hash_token(token))


async def logout(principal: Principal) -> None:
    await end_login(principal.token_hash)


async def end_login(token_hash: str) -> None:
    """End the login whose token hashes to `token_hash` (nothing if there is none)."""
    async with write_transaction():
        await AccessToken.update({AccessToken.revoked_at: datetime.now(UTC)}).where(
            (AccessToken.token_hash == token_hash) & AccessToken.revoked_at.is_null()
        )


async def _revoke_all(account_id: int) -> None:
    await AccessToken.update({AccessToken.revoked_at: datetime.now(UTC)}).where(
        (AccessToken.account == account_id) & AccessToken.revoked_at.is_null()
    )
