"""Group commit for a hot row: concurrent calls for one key are handled together.

Everyone registering for the same session at the same moment needs the same row
lock. Taken once per request, the lock is held across several awaited statements
while the event loop serves everybody else, and the requests form a convoy. Here
the first caller for a key drains the queue: each batch is one transaction, in
arrival order, and every caller gets its own answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

BatchHandler = Callable[[list[Item]], Awaitable[list["Result | BaseException"]]]


class Combiner(Generic[Item, Result]):
    def __init__(
        self,
        handle: Callable[[list[Item]], Awaitable[list[Result | BaseException]]],
        max_batch: int = 200,
    ) -> None:
        self._handle = handle
        self._max_batch = max_batch
        self._queues: dict[Hashable, list[tuple[Item, asyncio.Future[Result]]]] = {}
        self._drains: dict[Hashable, asyncio.Task[None]] = {}

    async def run(self, key: Hashable, item: Item) -> Result:
        """Handle `item` together with whatever else is waiting for `key`."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(key, []).append((item, future))
        if key not in self._drains:
            self._drains[key] = asyncio.create_task(self._drain(key))
        # shield: a caller that goes away must not cancel the batch it belongs to.
        return await asyncio.shield(future)

    async def _drain(self, key: Hashable) -> None:
        try:
            while queue := self._queues.pop(key, None):
                for start in range(0, len(queue), self._max_batch):
                    await self._run_batch(queue[start : start + self._max_batch])
        finally:
            # No await between the empty queue and this line: no caller can slip in between.
            del self._drains[key]

    async def _run_batch(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._handle([item for item, _ in batch])
        except BaseException as error:
            results = [error] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
