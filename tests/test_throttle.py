"""Rate limits, in memory and shared through Redis (the local server, as in production)."""

from __future__ import annotations

import secrets

import pytest

from treffpunkt.errors import TooManyRequests
from treffpunkt.throttle import Throttle


@pytest.mark.parametrize("storage", ["memory://", "redis://127.0.0.1:6379"])
async def test_a_spent_limit_refuses_with_a_retry_time(storage: str) -> None:
    throttle = Throttle(storage)
    key = secrets.token_hex(8)  # the Redis server is shared: a key of this run only
    for _ in range(3):
        await throttle.hit("3/minute", "test", key)
    with pytest.raises(TooManyRequests) as refused:
        await throttle.hit("3/minute", "test", key)
    assert 0 < int(refused.value.headers["Retry-After"]) <= 60
    await throttle.hit("3/minute", "test", "someone-else")  # others are not affected


async def test_two_processes_share_counters_through_redis() -> None:
    key = secrets.token_hex(8)
    first, second = Throttle("redis://127.0.0.1:6379"), Throttle("redis://127.0.0.1:6379")
    await first.hit("2/minute", "test", key)
    await second.hit("2/minute", "test", key)
    with pytest.raises(TooManyRequests):
        await first.hit("2/minute", "test", key)
