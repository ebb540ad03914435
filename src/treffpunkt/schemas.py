"""Pydantic building blocks shared by the domain schemas."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, StringConstraints


class Input(BaseModel):
    """Request bodies: unknown fields are an error, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _known_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown IANA time zone") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]
Slug = Annotated[
    str, StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _reaches_every_server(value: str) -> str:
    # An IDN domain (user@bücher.example) is sent in its ASCII form and reaches every
    # server; a local part beyond ASCII (jürgen@…) passes only servers that offer
    # SMTPUTF8, and where one does not, the confirmation link never arrives.
    if not value.rpartition("@")[0].isascii():
        raise ValueError(
            "the part before the @ must be written without accents or other scripts "
            "(ASCII): mail to such addresses does not reach every mailbox, so the "
            "confirmation might never arrive"
        )
    return value


MailAddress = Annotated[EmailStr, AfterValidator(_reaches_every_server)]
"""An address that mail reaches whatever servers lie between (for registrations)."""
