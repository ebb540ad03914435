"""What each outbox kind means to the worker, as the app wired it (treffpunkt.app.wire).

The worker knows no domain. It looks a row's kind up here: a mail is rendered from
its stored context, or from the context its domain builds when it is sent (kinds
that must say what is true then); a task is handed to the domain that does it. Mails
also get their links (one call per batch) and may get a calendar part. Timed rules,
such as expiring held places, run here too, on their own schedule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from treffpunkt.outbox import Row
from treffpunkt.settings import Settings

# The context of a mail as things are when it is sent; None: a later change made it wrong.
LiveContext = Callable[[Row, datetime], Awaitable[dict[str, Any] | None]]
# Work a change left for a domain, done in a transaction of its own.
Task = Callable[[Row], Awaitable[None]]
# Values for the contexts of a batch of mails (links with tokens derived now), by row id.
Links = Callable[[list[Row], Settings], Awaitable[dict[int, dict[str, Any]]]]


class CalendarPart(Protocol):
    """A text/calendar part of a mail (RFC 6047): its METHOD and bytes.

    A message may carry one calendar object only; when a cause concerns several, the
    first rides with the mail of its kind and each further one goes out in a short mail
    of its own (worker.CALENDAR_ENTRY), its context extended by `entry`.
    """

    @property
    def method(self) -> str: ...
    @property
    def body(self) -> bytes: ...
    @property
    def key(self) -> str:  # names the calendar object: each further mail has its own cause
        ...
    @property
    def entry(self) -> dict[str, Any]: ...

    async def sent(self) -> None:
        """The mail went out: what the person's calendar now holds."""


# The calendar parts for a mail (none for most kinds).
CalendarParts = Callable[[Row, dict[str, Any], Settings], Awaitable[Sequence[CalendarPart]]]


@dataclass(frozen=True)
class TimedRule:
    name: str
    every: float  # seconds between runs
    run: Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Registry:
    mails: Mapping[str, LiveContext | None] = field(default_factory=dict)
    tasks: Mapping[str, Task] = field(default_factory=dict)
    links: Sequence[Links] = ()
    calendar: CalendarParts | None = None
    timed: Sequence[TimedRule] = ()


class NotWired(RuntimeError):
    """The worker ran before the app wired its registry (treffpunkt.app.wire)."""


_registry: Registry | None = None


def use_registry(registry: Registry) -> None:
    """Make `registry` the one this process's workers use."""
    global _registry
    _registry = registry


def current_registry() -> Registry:
    if _registry is None:
        raise NotWired("no outbox kinds are wired: call treffpunkt.app.wire()")
    return _registry
