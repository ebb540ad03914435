"""Rate limits on the few actions that invite abuse (login, registration).

Built on `limits`: counters live in memory per process by default, or in Redis
when TREFFPUNKT_RATE_LIMIT_STORAGE points there, so several processes share them.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from treffpunkt.errors import TooManyRequests

if TYPE_CHECKING:
    from litestar import Request


def client_of(request: Request[Any, Any, Any]) -> str:
    """The caller's address, as rate limits count it: the connection's peer, or behind
    a trusted reverse proxy the address that proxy saw (see `middleware` in app.py)."""
    return request.client.host if request.client else "unknown"


class Throttle:
    def __init__(self, storage_uri: str) -> None:
        # `limits` picks its asyncio storages by the "async+" scheme prefix.
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        # A sliding window of two counters per key, not a list of every hit: the memory
        # storage sweeps hit lists key by key (a thread hop each), so with one key per
        # address registered, every request paid for all addresses of the last day.
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(uri))

    async def hit(self, limit: str, *key: str) -> None:
        """Count one action against `limit`; raise TooManyRequests once it is spent."""
        item = parse(limit)
        if not await self._limiter.hit(item, *key):
            raise await self._too_many(item, key)

    async def check(self, limit: str, *key: str) -> None:
        """Raise TooManyRequests if `limit` is already spent, without counting."""
        item = parse(limit)
        if not await self._limiter.test(item, *key):
            raise await self._too_many(item, key)

    async def allow(self, limit: str, *key: str) -> bool:
        """Count one action against `limit` and say whether it was within it; the
        caller decides what happens beyond (e.g. no mail), and nobody is refused."""
        return await self._limiter.hit(parse(limit), *key)

    async def count(self, limit: str, *key: str) -> None:
        """Count one action without refusing it (e.g. a failed login)."""
        await self._limiter.hit(parse(limit), *key)

    async def forget(self, limit: str, *key: str) -> None:
        """Drop what was counted against `limit` for this key."""
        await self._limiter.clear(parse(limit), *key)

    async def remember(self, seconds: int, *key: str) -> None:
        """Note that something happened, for `seconds` from now (e.g. a successful
        login). Sliding: noting it again starts the time anew (the storages' `incr`
        keeps a key's first expiry, so the note is dropped and made again)."""
        note = self._note(key)
        await self._limiter.storage.clear(note)
        await self._limiter.storage.incr(note, seconds)

    async def remembers(self, *key: str) -> bool:
        return await self._limiter.storage.get(self._note(key)) > 0

    @staticmethod
    def _note(key: tuple[str, ...]) -> str:
        return "treffpunkt/" + "/".join(key)

    async def _too_many(self, item: RateLimitItem, key: tuple[str, ...]) -> TooManyRequests:
        stats = await self._limiter.get_window_stats(item, *key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return TooManyRequests(
            "Too many attempts. Please wait and try again.",
            headers={"Retry-After": str(retry_after)},
        )

    async def reset(self) -> None:
        """Forget every counter (tests, or an operator lifting a lock-out)."""
        await self._limiter.storage.reset()
