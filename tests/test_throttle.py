"""Rate limits, in memory and shared through Redis (the local server, as in production)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests import serving
from tests.factories import make_published_event, sessions_of
from treffpunkt.errors import TooManyRequests
from treffpunkt.throttle import Throttle


@pytest.mark.parametrize("storage", ["memory://", "redis://127.0.0.1:6379"])
@pytest.mark.counts_to_a_limit
async def test_a_spent_limit_refuses_with_a_retry_time(storage: str) -> None:
    throttle = Throttle(storage)
    key = secrets.token_hex(8)  # the Redis server is shared: a key of this run only
    for _ in range(3):
        await throttle.hit("3/minute", "test", key)
    with pytest.raises(TooManyRequests) as refused:
        await throttle.hit("3/minute", "test", key)
    assert 0 < int(refused.value.headers["Retry-After"]) <= 60
    await throttle.hit("3/minute", "test", "someone-else")  # others are not affected


@pytest.mark.parametrize("storage", ["memory://", "redis://127.0.0.1:6379"])
@pytest.mark.counts_to_a_limit
async def test_notes_last_their_time_and_counts_can_be_forgotten(storage: str) -> None:
    throttle = Throttle(storage)
    key = secrets.token_hex(8)
    assert not await throttle.remembers("known", key)
    await throttle.remember(1, "known", key)
    assert await throttle.remembers("known", key)
    await asyncio.sleep(1.5)
    assert not await throttle.remembers("known", key)

    await throttle.count("1/minute", "failures", key)
    with pytest.raises(TooManyRequests):
        await throttle.check("1/minute", "failures", key)
    await throttle.forget("1/minute", "failures", key)
    await throttle.check("1/minute", "failures", key)


@pytest.mark.parametrize("storage", ["memory://", "redis://127.0.0.1:6379"])
async def test_a_note_noted_again_lasts_from_then_on(storage: str) -> None:
    """Sliding: a client that keeps logging in stays known (login.known_client_for)."""
    throttle = Throttle(storage)
    key = secrets.token_hex(8)
    await throttle.remember(2, "known", key)
    await asyncio.sleep(1.2)
    await throttle.remember(2, "known", key)
    await asyncio.sleep(1.2)  # past the first note's end, within the second's
    assert await throttle.remembers("known", key)
    await asyncio.sleep(1.2)
    assert not await throttle.remembers("known", key)


@pytest.mark.counts_to_a_limit
async def test_two_processes_share_counters_through_redis() -> None:
    key = secrets.token_hex(8)
    first, second = Throttle("redis://127.0.0.1:6379"), Throttle("redis://127.0.0.1:6379")
    await first.hit("2/minute", "test", key)
    await second.hit("2/minute", "test", key)
    with pytest.raises(TooManyRequests):
        await first.hit("2/minute", "test", key)


# --- whose address is counted ------------------------------------------------------------


async def register(client: Any, session_id: int, number: int, forwarded: str) -> int:
    response = await client.post(
        f"/api/v1/sessions/{session_id}/registrations",
        json={"name": "P", "email": f"p{number}@example.org", "consent": True},
        headers={"X-Forwarded-For": forwarded},
    )
    return response.status_code


@asynccontextmanager
async def connected_from(app: Any, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.mark.counts_to_a_limit
async def test_behind_a_trusted_proxy_the_address_it_saw_is_counted(
    app: Any, bensheim: Any
) -> None:
    """The proxy (127.0.0.1, trusted by default) appends the address it saw; whatever a
    client wrote to the left of it is not believed."""
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=500)
    [session] = await sessions_of(event)
    async with connected_from(app, "127.0.0.1") as proxy:
        statuses = [
            await register(proxy, session.id, i, f"10.0.{i}.1, 198.51.100.7") for i in range(31)
        ]
        assert statuses == [201] * 30 + [429]
        # Someone else behind the same proxy has limits of their own.
        assert await register(proxy, session.id, 100, "198.51.100.8") == 201
        assert await register(proxy, session.id, 101, "198.51.100.7, 198.51.100.9") == 201
        # A proxy that adds its own header line after the client's: the same rule.
        response = await proxy.post(
            f"/api/v1/sessions/{session.id}/registrations",
            json={"name": "P", "email": "p102@example.org", "consent": True},
            headers=[("X-Forwarded-For", "10.1.1.1"), ("X-Forwarded-For", "198.51.100.7")],
        )
        assert response.status_code == 429


@pytest.mark.counts_to_a_limit
async def test_a_client_that_is_no_trusted_proxy_cannot_name_its_address(
    app: Any, bensheim: Any
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=500)
    [session] = await sessions_of(event)
    async with connected_from(app, "203.0.113.9") as stranger:
        statuses = [await register(stranger, session.id, i, f"10.0.{i}.1") for i in range(31)]
    assert statuses == [201] * 30 + [429]


@pytest.mark.counts_to_a_limit
async def test_the_served_app_counts_the_right_most_untrusted_address(
    app: Any, bensheim: Any
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=500)
    [session] = await sessions_of(event)
    env = {
        "TREFFPUNKT_TRUSTED_PROXIES": "127.0.0.1, 192.0.2.0/24",
        "TREFFPUNKT_REGISTRATIONS_PER_CLIENT": "3/minute",
    }
    async with serving.served(env) as url, httpx.AsyncClient(base_url=url) as client:
        # Two proxies in a row (192.0.2.10 is trusted too): 198.51.100.7 is the client.
        forged = [f"10.9.{i}.1, 198.51.100.7, 192.0.2.10" for i in range(4)]
        statuses = [await register(client, session.id, i, chain) for i, chain in enumerate(forged)]
        assert statuses == [201, 201, 201, 429]
        assert await register(client, session.id, 9, "198.51.100.8, 192.0.2.10") == 201
