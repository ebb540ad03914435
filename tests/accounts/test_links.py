"""One-time password links (accounts/links.py): forgot password, guide invitations,
password changes, deactivation, and inactive municipalities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import (
    PASSWORD,
    SECRET,
    login_headers,
    make_guide,
    make_published_event,
    sessions_of,
)
from treffpunkt.accounts import links
from treffpunkt.accounts.links import LinkNotOpen, LinkState
from treffpunkt.accounts.service import LoginPolicy, authenticate
from treffpunkt.accounts.tables import Account, AccountLink
from treffpunkt.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from treffpunkt.outbox import OutboxMessage
from treffpunkt.throttle import Throttle
from treffpunkt.tokens import hash_token

POLICY = LoginPolicy(
    token_ttl=timedelta(hours=1),
    attempts_per_client="5/minute",
    failures_per_account_and_client="5/15minutes",
    failures_per_account="20/15minutes",
)
NEW_PASSWORD = "a much better passphrase"


def token_of(link: dict[str, Any]) -> str:
    return links.link_token(SECRET, link["token_salt"])


async def last_link(account_id: int) -> dict[str, Any]:
    row = (
        await AccountLink.select()
        .where(AccountLink.account == account_id)
        .order_by(AccountLink.id, ascending=False)
        .first()
    )
    assert row is not None
    return row


async def mails(kind: str) -> list[dict[str, Any]]:
    return await OutboxMessage.select().where(OutboxMessage.kind == kind).output(load_json=True)


@pytest.fixture
def throttle() -> Throttle:
    return Throttle("memory://")


async def test_an_invited_guide_sets_a_password_once_and_can_log_in(
    app: Any, client: Any, bensheim: Any
) -> None:
    guide = await links.invite_guide(bensheim.id, "New@Bensheim.example", "Neu Guide", SECRET)
    assert guide["email"] == "new@bensheim.example"
    # No password works before one is set.
    answer = await client.post(
        "/api/v1/auth/login", json={"email": guide["email"], "password": "!"}
    )
    assert answer.status_code == 401
    [mail] = await mails(links.ACCOUNT_INVITATION)
    assert mail["recipient_email"] == "new@bensheim.example"
    assert mail["locale"] == bensheim.default_locale
    assert "token" not in str(mail["context"])  # the link is made when the mail is sent
    link = await last_link(guide["id"])
    assert link["purpose"] == "invitation"
    assert link["expires_at"] - link["created_at"] == timedelta(days=7)
    token = token_of(link)
    assert link["token_hash"] == hash_token(token)
    opened = await links.open_link(token)
    assert opened.state is LinkState.open
    assert opened.email == "new@bensheim.example"

    await links.set_password_by_link(token, NEW_PASSWORD)
    assert (await links.open_link(token)).state is LinkState.used
    with pytest.raises(LinkNotOpen) as second:
        await links.set_password_by_link(token, "another passphrase here")
    assert second.value.state is LinkState.used
    await login_headers(client, guide["email"], NEW_PASSWORD)


async def test_a_resent_invitation_kills_the_earlier_link(app: Any, bensheim: Any) -> None:
    guide = await links.invite_guide(bensheim.id, "new@bensheim.example", "Neu", SECRET)
    first = token_of(await last_link(guide["id"]))
    await links.resend_invitation(bensheim.id, guide["id"], SECRET)
    second = token_of(await last_link(guide["id"]))
    assert (await links.open_link(first)).state is LinkState.expired
    assert (await links.open_link(second)).state is LinkState.open
    assert len(await mails(links.ACCOUNT_INVITATION)) == 2
    with pytest.raises(LinkNotOpen):
        await links.set_password_by_link(first, NEW_PASSWORD)
    await links.set_password_by_link(second, NEW_PASSWORD)
    with pytest.raises(Conflict):  # has a password now: a reset is what helps
        await links.resend_invitation(bensheim.id, guide["id"], SECRET)


async def test_another_towns_guide_is_not_found(app: Any, bensheim: Any, butzbach: Any) -> None:
    guide = await make_guide(butzbach, "guide@butzbach.example")
    for call in (
        links.resend_invitation(bensheim.id, guide["id"], SECRET),
        links.send_password_reset(bensheim.id, guide["id"], SECRET),
        links.set_guide_active(bensheim.id, guide["id"], False),
    ):
        with pytest.raises(NotFound):
            await call
    assert (await Account.select().where(Account.id == guide["id"]).first())["active"]


async def test_inviting_a_taken_address_is_a_conflict_and_writes_nothing(
    app: Any, bensheim: Any
) -> None:
    await make_guide(bensheim, "guide@bensheim.example")
    with pytest.raises(Conflict):
        await links.invite_guide(bensheim.id, "GUIDE@bensheim.example", "Again", SECRET)
    assert await AccountLink.count() == 0
    assert await OutboxMessage.count() == 0


async def test_forgot_password_mails_a_short_lived_link_only_to_accounts(
    app: Any, bensheim: Any, throttle: Throttle
) -> None:
    guide = await make_guide(bensheim, "guide@bensheim.example")
    await links.request_password_reset("nobody@example.org", "1.2.3.4", throttle, POLICY, SECRET)
    assert await AccountLink.count() == 0
    await links.request_password_reset(
        " Guide@Bensheim.example ", "1.2.3.4", throttle, POLICY, SECRET
    )
    link = await last_link(guide["id"])
    assert link["purpose"] == "reset"
    assert link["expires_at"] - link["created_at"] == timedelta(hours=1)
    [mail] = await mails(links.PASSWORD_RESET)
    assert mail["recipient_email"] == "guide@bensheim.example"


async def test_forgot_password_is_rate_limited_per_client_and_per_address(
    app: Any, bensheim: Any, throttle: Throttle
) -> None:
    await make_guide(bensheim, "guide@bensheim.example")
    for number in range(5):
        await links.request_password_reset(
            "guide@bensheim.example", f"10.0.0.{number}", throttle, POLICY, SECRET
        )
    assert len(await mails(links.PASSWORD_RESET)) == 3  # RESETS_PER_ADDRESS
    for _ in range(5):
        await links.request_password_reset("x@example.org", "1.1.1.1", throttle, POLICY, SECRET)
    with pytest.raises(TooManyRequests):
        await links.request_password_reset("x@example.org", "1.1.1.1", throttle, POLICY, SECRET)


async def test_an_expired_link_is_refused(app: Any, bensheim: Any, throttle: Throttle) -> None:
    guide = await make_guide(bensheim, "guide@bensheim.example")
    await links.request_password_reset(
        "guide@bensheim.example", "1.2.3.4", throttle, POLICY, SECRET
    )
    link = await last_link(guide["id"])
    await AccountLink.update(
        {AccountLink.expires_at: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(AccountLink.id == link["id"])
    assert (await links.open_link(token_of(link))).state is LinkState.expired
    with pytest.raises(LinkNotOpen):
        await links.set_password_by_link(token_of(link), NEW_PASSWORD)
    assert (await links.open_link("x" * 43)).state is LinkState.unknown


async def test_a_reset_ends_every_login_and_a_change_every_other(
    app: Any, client: Any, bensheim: Any, throttle: Throttle
) -> None:
    guide = await make_guide(bensheim, "guide@bensheim.example")
    first = await login_headers(client, guide["email"])
    second = await login_headers(client, guide["email"])
    me = await authenticate(second["Authorization"].split()[1])
    assert me is not None
    with pytest.raises(InvalidInput):
        await links.change_password(me, "wrong password", NEW_PASSWORD)
    await links.change_password(me, PASSWORD, NEW_PASSWORD)
    assert (await client.get("/api/v1/auth/me", headers=first)).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=second)).status_code == 200

    await links.send_password_reset(None, guide["id"], SECRET)
    await links.set_password_by_link(token_of(await last_link(guide["id"])), "third passphrase!")
    assert (await client.get("/api/v1/auth/me", headers=second)).status_code == 401
    await login_headers(client, guide["email"], "third passphrase!")


async def test_deactivating_a_guide_ends_logins_and_links(
    app: Any, client: Any, bensheim: Any
) -> None:
    guide = await make_guide(bensheim, "guide@bensheim.example")
    headers = await login_headers(client, guide["email"])
    await links.send_password_reset(bensheim.id, guide["id"], SECRET)
    token = token_of(await last_link(guide["id"]))
    await links.set_guide_active(bensheim.id, guide["id"], False)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert (await links.open_link(token)).state is LinkState.expired
    with pytest.raises(Conflict):
        await links.send_password_reset(bensheim.id, guide["id"], SECRET)
    await links.set_guide_active(bensheim.id, guide["id"], True)
    await login_headers(client, guide["email"])
    assert (await links.open_link(token)).state is LinkState.expired  # stays ended


async def test_an_inactive_town_is_gone_and_its_guides_cannot_log_in(
    app: Any, client: Any, bensheim: Any, admin_headers: dict[str, str]
) -> None:
    guide = await make_guide(bensheim, "guide@bensheim.example")
    headers = await login_headers(client, guide["email"])
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    answer = await client.patch(
        "/api/v1/municipalities/bensheim", json={"active": False}, headers=admin_headers
    )
    assert answer.status_code == 200
    assert answer.json()["active"] is False
    assert (await client.get("/api/v1/municipalities/bensheim")).status_code == 404
    assert (await client.get("/m/bensheim/")).status_code == 404
    assert (await client.get("/m/bensheim/calendar.ics")).status_code == 404
    assert "bensheim" not in (await client.get("/api/v1/municipalities")).text
    answer = await client.post(
        f"/api/v1/sessions/{session.id}/registrations",
        json={"name": "Amina", "email": "amina@example.org", "consent": True},
    )
    assert answer.status_code == 404
    assert (await client.get(f"/api/v1/events/{event.id}")).status_code == 404
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    login = {"email": guide["email"], "password": PASSWORD}
    assert (await client.post("/api/v1/auth/login", json=login)).status_code == 401
    answer = await client.patch(
        "/api/v1/municipalities/bensheim", json={"active": True}, headers=admin_headers
    )
    assert answer.json()["active"] is True
    assert (await client.get("/m/bensheim/")).status_code == 200
    await login_headers(client, guide["email"])


async def test_admins_get_no_reset_mail_and_the_same_answer(app: Any, throttle: Throttle) -> None:
    from tests.factories import make_admin

    await make_admin("admin@platform.example")
    await links.request_password_reset(
        "admin@platform.example", "1.2.3.4", throttle, POLICY, SECRET
    )
    assert await AccountLink.count() == 0


async def test_the_mail_goes_out_only_while_its_link_is_open(app: Any, bensheim: Any) -> None:
    guide = await links.invite_guide(bensheim.id, "new@bensheim.example", "Neu", SECRET)
    [first] = await mails(links.ACCOUNT_INVITATION)
    still = links.MAILS[links.ACCOUNT_INVITATION]
    assert await still(first, datetime.now(UTC)) is not None
    await links.resend_invitation(bensheim.id, guide["id"], SECRET)
    assert await still(first, datetime.now(UTC)) is None  # replaced: skipped
