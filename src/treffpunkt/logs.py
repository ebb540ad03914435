"""Logs name no secret and no person: tokens and email addresses are cut out of every
log record, in one place, before any handler sees it.

Registration, feed and login tokens travel in paths (`/r/<token>`, `/feeds/<token>.ics`,
`/api/v1/registrations/<token>/…`), which the access log and error messages repeat;
addresses appear in mail servers' answers and database errors. Logs end up in
places (journald, a hosting provider's log store) kept longer and read by more people
than the database, so the record itself is rewritten when it is made: the log record
factory is the one hook every logger passes through — ours, uvicorn's access log,
libraries' — whatever handlers are configured now or later.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

# A path segment after these prefixes is a token (ids of guides' routes live elsewhere).
_TOKEN_IN_PATH = re.compile(r"(/(?:r|feeds|api/v1/registrations)/)[A-Za-z0-9_-]{8,}")
_TOKEN_PARAMETER = re.compile(r"((?:access_)?token=)[^&\s\"']+", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# Any address-like word: local part, @, a domain with a dot (Unicode letters included).
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")

TOKEN = "<token>"  # noqa: S105 (what a token is replaced with)
EMAIL = "<email>"


def redact(text: str) -> str:
    """`text` without tokens and email addresses."""
    text = _TOKEN_IN_PATH.sub(rf"\1{TOKEN}", text)
    text = _TOKEN_PARAMETER.sub(rf"\1{TOKEN}", text)
    text = _BEARER.sub(rf"\1{TOKEN}", text)
    return _EMAIL.sub(EMAIL, text)


class _Redacted:
    """A log argument that is neither text nor a number (an exception, a dict), shown
    redacted by %s and %r alike."""

    def __init__(self, value: object) -> None:
        self._value = value

    def __str__(self) -> str:
        return redact(str(self._value))

    def __repr__(self) -> str:
        return redact(repr(self._value))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _redacted(value: Any) -> Any:
    if value is None or isinstance(value, int | float):  # bools, enums of numbers too
        return value
    if isinstance(value, str):
        return redact(value)
    return _Redacted(value)


def redact_record(record: logging.LogRecord) -> None:
    """Rewrite a record's message, arguments, traceback and stack in place. The
    arguments keep their shape: uvicorn's access formatter unpacks them."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redacted(value) for value in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {key: _redacted(value) for key, value in record.args.items()}
    if record.exc_info and not record.exc_text:
        # Formatters use exc_text when it is set: the traceback is only ever shown redacted.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install() -> None:
    """Redact every log record of this process from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        redact_record(record)
        return record

    make_record.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
