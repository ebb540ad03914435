"""One-time links that set an account's password: "forgot password" and invitations.

Rules:
- A link's token is derived from the secret key and a random salt when its mail goes
  out (tokens.derive_token); only its hash is stored. It works once, until it expires
  (a reset after an hour, an invitation after a week), and only for an active account
  of an active municipality.
- An account has at most one live link: a new one (a reset, an invitation sent again)
  revokes the earlier ones.
- Setting a password through a link, or changing it, ends the account's other logins.
- "Forgot password" answers the same whether the address belongs to an account or not;
  it is rate limited like the login, and an address gets only a few mails an hour.
- The mail is queued in the transaction that made the link, in the account's language:
  its municipality's default language (German for an admin, who has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from treffpunkt.accounts.passwords import UNUSABLE_PASSWORD, hash_password, verify_password
from treffpunkt.accounts.service import LoginPolicy, Principal
from treffpunkt.accounts.tables import AccessToken, Account, AccountLink, LinkPurpose, Role
from treffpunkt.db import is_unique_violation, lock_rows, write_transaction
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.outbox import Row, enqueue_all, message
from treffpunkt.settings import Settings
from treffpunkt.tenancy import owned
from treffpunkt.throttle import Throttle
from treffpunkt.tokens import derive_token, hash_token, new_salt

TOKEN_PURPOSE = "account-link"  # noqa: S105 (the derivation's label, not a secret)
PASSWORD_RESET = "password_reset"  # noqa: S105 (a mail kind)
ACCOUNT_INVITATION = "account_invitation"
LIFETIME = {LinkPurpose.reset: timedelta(hours=1), LinkPurpose.invitation: timedelta(days=7)}
KIND = {LinkPurpose.reset: PASSWORD_RESET, LinkPurpose.invitation: ACCOUNT_INVITATION}
# Where each link leads (web/accounts.py serves both with one page).
PATH = {LinkPurpose.reset: "/password/reset/", LinkPurpose.invitation: "/password/set/"}
# Reset mails one address may be sent, whoever asks: beyond it the answer stays the same.
RESETS_PER_ADDRESS = "3/hour"


def link_token(secret_key: str, salt: str) -> str:
    return derive_token(secret_key, TOKEN_PURPOSE, salt)


def now() -> datetime:
    return datetime.now(UTC)


async def _account_mail_context(account: dict[str, Any]) -> dict[str, Any] | None:
    """What a mail to a guide says about their town, or None for an admin (no town
    to send it from: the outbox sends every mail from a municipality's sender)."""
    if account["municipality"] is None:
        return None
    town = await Municipality.objects().where(Municipality.id == account["municipality"]).first()
    if town is None:
        return None
    return {
        "slug": town.slug,
        "name": town.name,
        "default_locale": town.default_locale,
        "contact_email": town.contact_email,
        "sender_name": town.sender_name,
        "sender_email": town.sender_email,
        "website": town.website,
        "privacy_url": town.privacy_url,
        "time_zone": town.time_zone,
    }


async def _new_link(account: dict[str, Any], purpose: LinkPurpose, secret_key: str) -> bool:
    """Revoke the account's live links, make a new one and queue its mail, inside the
    caller's transaction. False when there is no town to send the mail from."""
    town = await _account_mail_context(account)
    if town is None:
        return False
    at = now()
    await AccountLink.update({AccountLink.revoked_at: at}).where(
        (AccountLink.account == account["id"])
        & AccountLink.used_at.is_null()
        & AccountLink.revoked_at.is_null()
    )
    salt = new_salt()
    link = AccountLink(
        account=account["id"],
        purpose=purpose.value,
        token_hash=hash_token(link_token(secret_key, salt)),
        token_salt=salt,
        created_at=at,
        expires_at=at + LIFETIME[purpose],
    )
    await link.save()
    await enqueue_all(
        [
            message(
                municipality_id=account["municipality"],
                kind=KIND[purpose],
                locale=town["default_locale"],
                recipient_email=account["email"],
                recipient_name=account["display_name"],
                dedupe_key=f"account_link:{link.id}",
                context={
                    "link_id": link.id,
                    "name": account["display_name"],
                    "email": account["email"],
                    "expires_at": link.expires_at.isoformat(),
                    "municipality": town,
                },
            )
        ]
    )
    return True


async def _account(account_id: int) -> dict[str, Any]:
    row = await Account.select().where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such account.")
    return row


async def _guide_of(municipality_id: int | None, account_id: int) -> dict[str, Any]:
    """A guide; with `municipality_id`, only one of that town (another's: NotFound)."""
    query = Account.select().where(Account.role == Role.guide)
    if municipality_id is not None:
        query = query.where(owned(Account, municipality_id, account_id))
    else:
        query = query.where(Account.id == account_id)
    row = await query.first()
    if row is None:
        raise NotFound("No such guide.")
    return row


# --- forgot password --------------------------------------------------------------------


async def request_password_reset(
    email: str,
    client: str,
    throttle: Throttle,
    policy: LoginPolicy,
    secret_key: str,
) -> None:
    """Send a reset link to `email` if it belongs to an active guide of an active town.

    The answer is the same whatever the address, so that nobody learns who has an
    account. Every request counts against the client like a login attempt (429 past
    it); an address gets at most RESETS_PER_ADDRESS mails, however many clients ask.
    """
    email = email.strip().lower()
    await throttle.hit(policy.attempts_per_client, "login-client", client)
    account = (
        await Account.select()
        .where(
            (Account.email == email)
            & Account.active.eq(True)
            & Account.municipality._.active.eq(True)
        )
        .first()
    )
    if account is None:
        return
    if not await throttle.allow(RESETS_PER_ADDRESS, "password-reset", email):
        return
    async with write_transaction():
        await _new_link(account, LinkPurpose.reset, secret_key)


async def send_password_reset(
    municipality_id: int | None, account_id: int, secret_key: str
) -> None:
    """An admin sends a guide a reset link (the guide's live links end)."""
    async with write_transaction():
        await lock_rows(Account, account_id)
        account = await _guide_of(municipality_id, account_id)
        if not account["active"]:
            raise Conflict(
                "This account is deactivated: reactivate it first.", {"account": "inactive"}
            )
        await _new_link(account, LinkPurpose.reset, secret_key)


# --- invitations ------------------------------------------------------------------------


async def invite_guide(
    municipality_id: int, email: str, display_name: str, secret_key: str
) -> dict[str, Any]:
    """A new guide of the municipality, without a usable password, and the invitation
    mail with a link to set one."""
    async with write_transaction():
        town = await Municipality.objects().where(Municipality.id == municipality_id).first()
        if town is None:
            raise NotFound("No such municipality.")
        account = Account(
            email=email.strip().lower(),
            display_name=display_name,
            password_hash=UNUSABLE_PASSWORD,
            role=Role.guide.value,
            municipality=municipality_id,
        )
        try:
            await account.save()
        except Exception as error:
            if is_unique_violation(error):
                raise Conflict(
                    "An account with this email exists.", {"email": "already taken"}
                ) from None
            raise
        row = await _account(account.id)
        await _new_link(row, LinkPurpose.invitation, secret_key)
    return row


async def resend_invitation(municipality_id: int | None, account_id: int, secret_key: str) -> None:
    """The invitation again, with a new link; the earlier link stops working. Only for
    a guide who has not set a password yet (the others get a reset)."""
    async with write_transaction():
        await lock_rows(Account, account_id)  # two at once: one live link stays
        account = await _guide_of(municipality_id, account_id)
        if account["password_hash"] != UNUSABLE_PASSWORD:
            raise Conflict(
                "This guide has set a password already: send a password reset instead.",
                {"account": "has a password"},
            )
        if not account["active"]:
            raise Conflict(
                "This account is deactivated: reactivate it first.", {"account": "inactive"}
            )
        await _new_link(account, LinkPurpose.invitation, secret_key)


def is_invited(account: dict[str, Any]) -> bool:
    """Invited and has not set a password yet."""
    return bool(account.get("password_hash") == UNUSABLE_PASSWORD)


async def invited_ids(account_ids: list[int]) -> set[int]:
    if not account_ids:
        return set()
    rows = await Account.select(Account.id).where(
        Account.id.is_in(account_ids) & (Account.password_hash == UNUSABLE_PASSWORD)
    )
    return {row["id"] for row in rows}


# --- using a link -----------------------------------------------------------------------


class LinkState(StrEnum):
    open = "open"
    used = "used"
    expired = "expired"  # also: replaced by a newer link, or its account deactivated
    unknown = "unknown"


@dataclass(frozen=True)
class OpenLink:
    state: LinkState
    purpose: LinkPurpose | None = None
    email: str | None = None
    display_name: str | None = None
    account_id: int | None = None
    locale: str | None = None  # the account's language (its town's)


async def open_link(token: str) -> OpenLink:
    """What a link is now: open (with whose account), used, expired or unknown."""
    row = (
        await AccountLink.select(
            AccountLink.id,
            AccountLink.purpose,
            AccountLink.expires_at,
            AccountLink.used_at,
            AccountLink.revoked_at,
            AccountLink.account.id.as_alias("account_id"),
            AccountLink.account.email.as_alias("email"),
            AccountLink.account.display_name.as_alias("display_name"),
            AccountLink.account.active.as_alias("active"),
            AccountLink.account._.municipality._.active.as_alias("town_active"),
            AccountLink.account._.municipality._.default_locale.as_alias("locale"),
        )
        .where(AccountLink.token_hash == hash_token(token))
        .first()
    )
    if row is None:
        return OpenLink(LinkState.unknown)
    purpose = LinkPurpose(row["purpose"])
    if row["used_at"] is not None:
        return OpenLink(LinkState.used, purpose, locale=row["locale"])
    if (
        row["revoked_at"] is not None
        or row["expires_at"] <= now()
        or not row["active"]
        or row["town_active"] is False
    ):
        return OpenLink(LinkState.expired, purpose, locale=row["locale"])
    return OpenLink(
        LinkState.open,
        purpose,
        email=row["email"],
        display_name=row["display_name"],
        account_id=row["account_id"],
        locale=row["locale"],
    )


class LinkNotOpen(Exception):
    def __init__(self, state: LinkState) -> None:
        super().__init__(state.value)
        self.state = state


async def set_password_by_link(token: str, password: str) -> int:
    """Set the password through a link, which is then used; every login of the
    account ends (whoever had it). Raises LinkNotOpen when the link is not open (a
    second use, or two uses at once: exactly one wins). Returns the account's id."""
    password_hash = await hash_password(password)  # slow: outside the transaction
    at = now()
    async with write_transaction():
        found = await open_link(token)
        if found.state is not LinkState.open:
            raise LinkNotOpen(found.state)
        claimed = (
            await AccountLink.update({AccountLink.used_at: at})
            .where(
                (AccountLink.token_hash == hash_token(token))
                & AccountLink.used_at.is_null()
                & AccountLink.revoked_at.is_null()
            )
            .returning(AccountLink.id)
        )
        if not claimed:
            raise LinkNotOpen(LinkState.used)
        assert found.account_id is not None
        await Account.update({Account.password_hash: password_hash}).where(
            Account.id == found.account_id
        )
        await AccountLink.update({AccountLink.revoked_at: at}).where(
            (AccountLink.account == found.account_id)
            & AccountLink.used_at.is_null()
            & AccountLink.revoked_at.is_null()
        )
        await end_logins(found.account_id)
    return found.account_id


# --- logged in --------------------------------------------------------------------------


async def change_password(principal: Principal, current: str, new: str) -> None:
    """Change one's own password, knowing the current one; every other login of the
    account ends, the one making the change stays."""
    account = await _account(principal.account_id)
    if not await verify_password(account["password_hash"], current):
        raise InvalidInput(
            "The current password is wrong.", {"current_password": "is not your password"}
        )
    password_hash = await hash_password(new)
    async with write_transaction():
        await lock_rows(Account, principal.account_id)
        await Account.update({Account.password_hash: password_hash}).where(
            Account.id == principal.account_id
        )
        await end_logins(principal.account_id, keep=principal.token_hash)


async def end_logins(account_id: int, keep: str | None = None) -> None:
    """End every login of the account (bearer tokens and page sessions alike), except
    the one whose hash is `keep`."""
    at = now()
    query = AccessToken.update({AccessToken.revoked_at: at}).where(
        (AccessToken.account == account_id) & AccessToken.revoked_at.is_null()
    )
    if keep is not None:
        query = query.where(AccessToken.token_hash != keep)
    await query


async def set_guide_active(municipality_id: int | None, account_id: int, active: bool) -> None:
    """Deactivate a guide (their logins and unused links end at once) or reactivate
    them (they log in with their password again, or get a reset)."""
    async with write_transaction():
        await _guide_of(municipality_id, account_id)
        await Account.update({Account.active: active}).where(Account.id == account_id)
        if not active:
            await end_logins(account_id)
            await AccountLink.update({AccountLink.revoked_at: now()}).where(
                (AccountLink.account == account_id)
                & AccountLink.used_at.is_null()
                & AccountLink.revoked_at.is_null()
            )


# --- what the worker needs --------------------------------------------------------------


async def _link_still_open(row: Row, at: datetime) -> dict[str, Any] | None:
    """A link's mail goes out only while the link can still be used."""
    link = (
        await AccountLink.select(
            AccountLink.used_at, AccountLink.revoked_at, AccountLink.expires_at
        )
        .where(AccountLink.id == row["context"]["link_id"])
        .first()
    )
    if link is None or link["used_at"] or link["revoked_at"] or link["expires_at"] <= at:
        return None
    context: dict[str, Any] = row["context"]
    return context


MAILS = {PASSWORD_RESET: _link_still_open, ACCOUNT_INVITATION: _link_still_open}


async def account_links(rows: list[Row], settings: Settings) -> dict[int, dict[str, Any]]:
    """The link of each reset or invitation mail, its token derived now (never stored)."""
    ids = {row["context"]["link_id"] for row in rows if row["kind"] in MAILS}
    if not ids:
        return {}
    found = {
        link["id"]: link
        for link in await AccountLink.select(
            AccountLink.id, AccountLink.token_salt, AccountLink.purpose
        ).where(AccountLink.id.is_in(list(ids)))
    }
    secret_key = settings.resolved_secret_key()
    links: dict[int, dict[str, Any]] = {}
    for row in rows:
        link = found.get(row["context"]["link_id"]) if row["kind"] in MAILS else None
        if link is None:
            continue
        path = PATH[LinkPurpose(link["purpose"])]
        token = link_token(secret_key, link["token_salt"])
        links[row["id"]] = {"link_url": f"{settings.base_url}{path}{token}"}
    return links
