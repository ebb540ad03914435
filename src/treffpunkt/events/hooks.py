"""Rules of a later domain that an events change must run inside its own transaction.

Events come before registrations (docs/contributing.md: municipalities <- accounts <-
events <- registrations), so they cannot call registrations. Yet more room must serve the
waitlist in the transaction that made it, and a session people registered for must
never be deleted. Registrations connects those rules here when the app is wired
(`treffpunkt.app.wire`); unwired, a hook refuses to run rather than skip its rule.

Effects that may follow the commit, such as mails about moved sessions, do not come
here: they are outbox tasks (`treffpunkt.outbox.task`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class NotWired(RuntimeError):
    """A hook ran before the app connected its rule (treffpunkt.app.wire)."""


class Hook(Generic[P, R]):
    """One rule, connected by a later domain, called in the caller's transaction."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._rule: Callable[P, Awaitable[R]] | None = None

    def connect(self, rule: Callable[P, Awaitable[R]]) -> None:
        self._rule = rule

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._rule is None:
            raise NotWired(f"no rule is connected to {self.name}: call treffpunkt.app.wire()")
        return await self._rule(*args, **kwargs)


# The capacity of these sessions (or of the course, when empty) rose or fell: serve the
# waitlists. Called under the event's row lock, with the new capacities written.
capacity_changed: Hook[[int, Collection[int]], None] = Hook("events.hooks.capacity_changed")

# Of these sessions, the ones that registrations name (cancelled ones too: their history).
registered_sessions: Hook[[Collection[int]], set[int]] = Hook("events.hooks.registered_sessions")
