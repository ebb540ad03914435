from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import PASSWORD, login_headers, make_guide
from treffpunkt.accounts.dependencies import LOG_IN_FIRST, LOGIN_ENDED
from treffpunkt.accounts.tables import AccessToken, Account


@asynccontextmanager
async def client_from(app: Any, host: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_login_returns_a_bearer_token_that_expires(client: Any, bensheim_guide: Any) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": "Guide@Bensheim.example", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["account"]["municipality"] == "bensheim"
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(hours=11) < expires - datetime.now(UTC) <= timedelta(hours=12)
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["email"] == "guide@bensheim.example"


async def test_tokens_and_passwords_are_stored_only_as_hashes(
    client: Any, bensheim_headers: Any
) -> None:
    token = bensheim_headers["Authorization"].removeprefix("Bearer ")
    stored = await AccessToken.select(AccessToken.token_hash).first()
    assert stored is not None
    assert token not in stored["token_hash"]
    account = await Account.select(Account.password_hash).first()
    assert account is not None
    assert account["password_hash"].startswith("$argon2id$")


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "guide@bensheim.example", "password": "wrong password"},
        {"email": "nobody@bensheim.example", "password": PASSWORD},
    ],
)
async def test_wrong_credentials_answer_401_without_telling_which(
    client: Any, bensheim_guide: Any, credentials: dict[str, str]
) -> None:
    response = await client.post("/api/v1/auth/login", json=credentials)
    assert response.status_code == 401
    assert response.json()["detail"] == "Email or password is wrong."


async def test_logout_revokes_the_token(client: Any, bensheim_headers: Any) -> None:
    assert (await client.post("/api/v1/auth/logout", headers=bensheim_headers)).status_code == 204
    response = await client.get("/api/v1/auth/me", headers=bensheim_headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == LOGIN_ENDED


async def test_expired_token_is_refused_saying_the_login_has_ended(
    client: Any, bensheim_headers: Any
) -> None:
    await AccessToken.update(
        {AccessToken.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True
    )
    response = await client.get("/api/v1/guide/events", headers=bensheim_headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.json()["detail"] == LOGIN_ENDED


async def test_a_deactivated_accounts_login_has_ended(
    client: Any, admin_headers: Any, bensheim_guide: Any, bensheim_headers: Any
) -> None:
    deactivated = await client.patch(
        f"/api/v1/accounts/{bensheim_guide['id']}", json={"active": False}, headers=admin_headers
    )
    assert deactivated.status_code == 200
    response = await client.get("/api/v1/auth/me", headers=bensheim_headers)
    assert (response.status_code, response.json()["detail"]) == (401, LOGIN_ENDED)


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not-a-token", "Basic Zm9vOmJhcg=="])
async def test_missing_or_unknown_token_answers_401(client: Any, header: str) -> None:
    response = await client.get("/api/v1/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"] == LOG_IN_FIRST  # differs only in words from an ended one


@pytest.mark.counts_to_a_limit
async def test_login_is_limited_per_client(app: Any, bensheim_guide: Any) -> None:
    async with client_from(app, "203.0.113.7") as attacker:
        statuses = [
            (
                await attacker.post(
                    "/api/v1/auth/login",
                    json={"email": f"guess{i}@bensheim.example", "password": "x"},
                )
            ).status_code
            for i in range(21)
        ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429
    async with client_from(app, "198.51.100.1") as guide:
        await login_headers(guide, "guide@bensheim.example")


WRONG = {"email": "guide@bensheim.example", "password": "wrong password"}
RIGHT = {"email": "guide@bensheim.example", "password": PASSWORD}


async def login_from(app: Any, address: str, body: dict[str, str]) -> httpx.Response:
    async with client_from(app, address) as client:
        return await client.post("/api/v1/auth/login", json=body)


@pytest.mark.counts_to_a_limit
async def test_a_strangers_failures_never_lock_the_owner_out(app: Any, bensheim_guide: Any) -> None:
    assert (await login_from(app, "198.51.100.1", RIGHT)).status_code == 200  # the office
    # Someone guesses from one address, then from many: every guess is refused …
    for _ in range(5):
        assert (await login_from(app, "203.0.113.1", WRONG)).status_code == 401
    stranger = await login_from(app, "203.0.113.1", RIGHT)
    assert stranger.status_code == 429  # that address waits, even with the right password
    for i in range(2, 20):  # 5 + 15 failures spend the account's 20, then 429
        assert (await login_from(app, f"203.0.113.{i}", WRONG)).status_code in (401, 429)
    # … and the guide still logs in from the office, with the right password.
    assert (await login_from(app, "198.51.100.1", RIGHT)).status_code == 200


@pytest.mark.counts_to_a_limit
async def test_guessing_one_account_from_many_addresses_stays_limited(
    app: Any, bensheim_guide: Any
) -> None:
    statuses = [(await login_from(app, f"203.0.113.{i}", WRONG)).status_code for i in range(25)]
    assert statuses == [401] * 20 + [429] * 5
    # A new address gets no further guesses, not even the right one.
    response = await login_from(app, "203.0.113.200", RIGHT)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["error"] == "too_many_requests"


@pytest.mark.counts_to_a_limit
async def test_one_address_guessing_one_account_waits_alone(
    app: Any, bensheim: Any, bensheim_guide: Any
) -> None:
    statuses = [(await login_from(app, "203.0.113.1", WRONG)).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    # Another address, and the same address for another account, are not held back.
    assert (await login_from(app, "203.0.113.2", RIGHT)).status_code == 200
    await make_guide(bensheim, "zweite@bensheim.example")
    other = {"email": "zweite@bensheim.example", "password": PASSWORD}
    assert (await login_from(app, "203.0.113.1", other)).status_code == 200


@pytest.mark.counts_to_a_limit
async def test_a_successful_login_clears_the_addresss_failures(
    app: Any, bensheim_guide: Any
) -> None:
    for _ in range(4):
        assert (await login_from(app, "198.51.100.1", WRONG)).status_code == 401
    assert (await login_from(app, "198.51.100.1", RIGHT)).status_code == 200
    statuses = [(await login_from(app, "198.51.100.1", WRONG)).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


async def test_admin_creates_guides_for_a_municipality(
    client: Any, admin_headers: Any, bensheim: Any
) -> None:
    data = {"email": "neu@bensheim.example", "display_name": "Neue Guide", "password": "a" * 12}
    response = await client.post(
        "/api/v1/municipalities/bensheim/guides", json=data, headers=admin_headers
    )
    assert response.status_code == 201
    assert response.json()["role"] == "guide"
    assert response.json()["municipality"] == "bensheim"
    again = await client.post(
        "/api/v1/municipalities/bensheim/guides", json=data, headers=admin_headers
    )
    assert again.status_code == 409
    assert again.json()["fields"] == {"email": "already taken"}
    await login_headers(client, "neu@bensheim.example", "a" * 12)


async def test_guide_for_an_unknown_municipality_answers_404(
    client: Any, admin_headers: Any
) -> None:
    data = {"email": "neu@x.example", "display_name": "X", "password": "a" * 12}
    response = await client.post(
        "/api/v1/municipalities/atlantis/guides", json=data, headers=admin_headers
    )
    assert response.status_code == 404
    assert await Account.count() == 1  # only the admin


@pytest.mark.parametrize(
    "change",
    [{"active": False}, {"password": "a brand new password"}],
    ids=["deactivated", "new-password"],
)
async def test_deactivating_or_resetting_ends_existing_logins(
    client: Any, admin_headers: Any, bensheim_guide: Any, change: dict[str, Any]
) -> None:
    guide_headers = await login_headers(client, "guide@bensheim.example")
    response = await client.patch(
        f"/api/v1/accounts/{bensheim_guide['id']}", json=change, headers=admin_headers
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=guide_headers)).status_code == 401


async def test_deactivated_guide_cannot_log_in(
    client: Any, admin_headers: Any, bensheim_guide: Any
) -> None:
    await client.patch(
        f"/api/v1/accounts/{bensheim_guide['id']}", json={"active": False}, headers=admin_headers
    )
    response = await client.post(
        "/api/v1/auth/login", json={"email": "guide@bensheim.example", "password": PASSWORD}
    )
    assert response.status_code == 401


async def test_guide_lists_the_guides_of_their_own_municipality(
    client: Any, bensheim: Any, bensheim_headers: Any, butzbach_guide: Any
) -> None:
    await make_guide(bensheim, "zweite@bensheim.example")
    response = await client.get("/api/v1/guide/guides", headers=bensheim_headers)
    assert sorted(g["email"] for g in response.json()) == [
        "guide@bensheim.example",
        "zweite@bensheim.example",
    ]


async def test_admins_list_every_account_and_guides_may_not(
    client: Any, admin_headers: Any, bensheim_guide: Any, butzbach_guide: Any
) -> None:
    response = await client.get("/api/v1/accounts", headers=admin_headers)
    assert response.status_code == 200
    listed = {(a["email"], a["role"], a["municipality"]) for a in response.json()}
    assert listed == {
        ("admin@platform.example", "admin", None),
        ("guide@bensheim.example", "guide", "bensheim"),
        ("guide@butzbach.example", "guide", "butzbach"),
    }
    assert all("password_hash" not in a for a in response.json())
    headers = await login_headers(client, bensheim_guide["email"])
    assert (await client.get("/api/v1/accounts", headers=headers)).status_code == 403
    assert (await client.get("/api/v1/accounts")).status_code == 401


async def test_a_failed_login_names_its_scheme(client: Any, bensheim_guide: Any) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": bensheim_guide["email"], "password": "wrong!"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_passwords_are_taken_as_typed_when_set_and_at_login(
    client: Any, admin_headers: Any, bensheim: Any
) -> None:
    typed = " leading and trailing spaces\t "
    created = await client.post(
        "/api/v1/municipalities/bensheim/guides",
        json={"email": "new@bensheim.example", "display_name": "New", "password": typed},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text

    async def login(password: str) -> int:
        body = {"email": "new@bensheim.example", "password": password}
        return (await client.post("/api/v1/auth/login", json=body)).status_code

    assert await login(typed) == 200
    assert await login(typed.strip()) == 401
    changed = await client.patch(
        f"/api/v1/accounts/{created.json()['id']}",
        json={"password": "  another one  "},
        headers=admin_headers,
    )
    assert changed.status_code == 200
    assert await login("another one") == 401
    assert await login("  another one  ") == 200
    # Spaces count towards the length as typed: 12 characters, 10 of them spaces.
    short = await client.patch(
        f"/api/v1/accounts/{created.json()['id']}",
        json={"password": "     ab     "},
        headers=admin_headers,
    )
    assert short.status_code == 200


async def test_an_unknown_address_costs_the_same_work_as_a_known_one(
    app: Any, bensheim_guide: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No timing tells whether an account exists: a wrong password for a guide and any
    password for an address without account do the same work — one argon2 check
    against a hash of the same cost, the same counters — and get the same answer."""
    from treffpunkt.accounts import passwords

    work: list[tuple[str, ...]] = []

    class CountingHasher:
        def __init__(self, hasher: Any) -> None:
            self._hasher = hasher

        def verify(self, hash_: str, password: str) -> bool:
            work.append(("argon2", hash_.split("$")[3]))  # its cost: memory, time, lanes
            return bool(self._hasher.verify(hash_, password))

    monkeypatch.setattr(passwords, "_hasher", CountingHasher(passwords._hasher))
    throttle = app.state.throttle
    for name in ("hit", "check", "count", "forget", "remember", "remembers"):
        method = getattr(throttle, name)

        async def recorded(*args: Any, _name: str = name, _method: Any = method) -> Any:
            work.append((_name, *(str(a).replace("nobody", "guide") for a in args)))
            return await _method(*args)

        monkeypatch.setattr(throttle, name, recorded)

    answers = []
    for email in ("guide@bensheim.example", "nobody@bensheim.example"):
        work.clear()
        response = await login_from(app, "203.0.113.9", {**WRONG, "email": email})
        answers.append((response.status_code, response.json(), list(work)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 401
    [check] = [step for step in answers[0][2] if step[0] == "argon2"]
    [stored] = await Account.select(Account.password_hash)
    assert check == ("argon2", stored["password_hash"].split("$")[3])


@pytest.mark.counts_to_a_limit
async def test_guessing_an_unknown_address_is_held_back_like_a_real_one(
    app: Any, bensheim_guide: Any
) -> None:
    """The account-wide limit counts addresses without account too: being held back
    tells nothing about whether the account exists."""
    for email in ("guide@bensheim.example", "nobody@bensheim.example"):
        body = {**WRONG, "email": email}
        statuses = [(await login_from(app, f"203.0.113.{i}", body)).status_code for i in range(22)]
        assert statuses == [401] * 20 + [429] * 2, email


@pytest.mark.counts_to_a_limit
async def test_a_client_that_keeps_logging_in_stays_known_through_an_attack(
    app: Any, bensheim_guide: Any
) -> None:
    """A distributed attack never locks the owner out of the address they use: each
    success there renews it as known (sliding; see tests/test_throttle.py)."""
    assert (await login_from(app, "198.51.100.1", RIGHT)).status_code == 200
    for round_ in range(3):
        for i in range(25):
            await login_from(app, f"203.0.{113 + round_}.{i}", WRONG)
        assert (await login_from(app, "203.0.113.250", RIGHT)).status_code == 429
        assert (await login_from(app, "198.51.100.1", RIGHT)).status_code == 200
