"""Pydantic building blocks shared by the domain schemas, and the bounded input types.

Every request body is an `Input`: unknown fields are refused, and every text in it is
checked for control characters, so a field added later is covered without anyone
remembering to. Dates, instants and ids are bounded here, once, so that no value a
client sends can overflow a calendar computation or a database column.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, ClassVar, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from litestar.params import Parameter
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    HttpUrl,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

# --- text ---------------------------------------------------------------------------------

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: none of them
# belongs in a name or a title (they forge mail headers and break CSV, iCalendar and
# pages). Multi-line texts may hold line feeds and tabs.
# Not text in any document: lone surrogates (cannot be encoded as UTF-8) and Unicode's
# noncharacters (U+FDD0–FDEF and the last two of every plane), which XML forbids, so one
# of them in a title would make a town's whole Atom feed unreadable.
_NOT_TEXT = "\ud800-\udfff\ufdd0-\ufdef" + "".join(
    chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(17)
)
_SINGLE_LINE_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_NOT_TEXT}]")
_MULTI_LINE_FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_NOT_TEXT}]")


class MultiLine:
    """Marks a text field that may hold line feeds and tabs (descriptions, notes)."""


class Verbatim:
    """Marks a secret that is only hashed and compared (a password): any characters."""


MULTI_LINE = MultiLine()
VERBATIM = Verbatim()


def check_text(value: str, *, multi_line: bool = False) -> str:
    """The text as stored: CRLF becomes LF in multi-line texts; other controls are refused."""
    if multi_line:
        value = value.replace("\r\n", "\n")
        if _MULTI_LINE_FORBIDDEN.search(value):
            raise ValueError("must not contain control characters other than line feeds and tabs")
        return value
    if _SINGLE_LINE_FORBIDDEN.search(value):
        raise ValueError("must be a single line without control characters")
    return value


def _check_texts(value: Any, multi_line: bool) -> Any:
    """Every string in `value`, also inside lists and as dict keys; nested models check
    themselves (they are `Input`s too)."""
    if isinstance(value, str):
        return check_text(value, multi_line=multi_line)
    if isinstance(value, list):
        return [_check_texts(item, multi_line) for item in value]
    if isinstance(value, dict):
        return {
            _check_texts(key, False): _check_texts(item, multi_line) for key, item in value.items()
        }
    return value


class Input(BaseModel):
    """Request bodies: unknown fields are an error, so typos never pass silently; every
    text is one line without control characters unless its field is marked MULTI_LINE.

    Change bodies (PATCH) leave out what stays as it is. A field given as `null` is
    cleared where its type allows null, and refused (422) where it does not.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        marks = field.metadata if field is not None else []
        if any(isinstance(mark, Verbatim) for mark in marks):
            return value
        return _check_texts(value, any(isinstance(mark, MultiLine) for mark in marks))


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unchanged(**constraints: Any) -> Any:
    """The default of a PATCH field: left out, the value stays as it is."""
    return Field(default=None, json_schema_extra=_drop_default, **constraints)


UNCHANGED: Final[Any] = unchanged()


# --- bounded dates and instants -----------------------------------------------------------

FIRST_YEAR, LAST_YEAR = 2000, 2100
_RANGE = f"between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31"


def _in_range(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"must be {_RANGE}")


class Day(date):
    """A calendar date between 2000 and 2100: every date treffpunkt accepts, in bodies and
    query parameters. In bodies the values are plain dates (what the database drivers
    take); query parameters hold a Day."""

    description: ClassVar[str] = f"a date (YYYY-MM-DD) {_RANGE}"

    @classmethod
    def check(cls, value: date) -> date:
        _in_range(value.year)
        return date(value.year, value.month, value.day)

    @classmethod
    def parse(cls, value: Any) -> Day:
        """For query parameters (Litestar's type decoder)."""
        if isinstance(value, str):
            value = date.fromisoformat(value) if len(value) == 10 else None
        if not isinstance(value, date):
            raise ValueError("must be a date: YYYY-MM-DD")
        day = cls.check(value)
        return cls(day.year, day.month, day.day)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(cls.check, handler(date))

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "date", "description": cls.description}


class Instant(datetime):
    """A moment with its UTC offset, between 2000 and 2100. Used as a type only; the
    values are plain aware datetimes."""

    description: ClassVar[str] = f"a date and time with its UTC offset (RFC 3339), {_RANGE}"

    @classmethod
    def check(cls, value: datetime) -> datetime:
        # The year is checked in the given offset, before any conversion can overflow.
        _in_range(value.year)
        _in_range(value.astimezone(UTC).year)
        return value

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls.check, handler.generate_schema(AwareDatetime)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "date-time", "description": cls.description}


# --- wall times ---------------------------------------------------------------------------

_WALL_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?$")


def _wall_time(value: Any) -> Any:
    if isinstance(value, str):
        match = _WALL_TIME.match(value)
        if match is None:
            raise ValueError("must be a wall time HH:MM, without offset")
        return time(int(match[1]), int(match[2]))
    if isinstance(value, time) and value.tzinfo is None:
        return value.replace(second=0, microsecond=0)
    raise ValueError("must be a wall time HH:MM, without offset")


# A time of day in the municipality's zone, "14:00" (seconds, if sent, are dropped).
WallTime = Annotated[
    time,
    PlainValidator(_wall_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 8,
            "pattern": _WALL_TIME.pattern,
            "description": "a wall time HH:MM in the municipality's zone",
            "examples": ["14:00"],
        }
    ),
]


# --- ids ----------------------------------------------------------------------------------

# Serial ids are 32-bit on PostgreSQL; SQLite's are 64-bit, but no row gets past this.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A path id out of range names nothing: 404, before the database is asked.
PathId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the object's id")]


# --- common fields ------------------------------------------------------------------------


def _known_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("unknown IANA time zone") from None
    return value


TimeZoneName = Annotated[
    str,
    StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*$"),
    AfterValidator(_known_time_zone),
]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(min_length=2, max_length=64, pattern=SLUG_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# RFC 5321 caps an address at 254 characters; the columns hold exactly that.
Email = Annotated[EmailStr, StringConstraints(max_length=254)]


def _raw_text(value: Any) -> Any:
    # The URL parser would quietly drop tabs and line feeds; refuse them instead.
    return check_text(value) if isinstance(value, str) else value


_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)
URL_MAX_LENGTH = 500


def _http_url(value: str) -> str:
    url = str(_HTTP_URL.validate_python(value))
    if len(url) > URL_MAX_LENGTH:
        raise ValueError(f"must have at most {URL_MAX_LENGTH} characters")
    return url


# An http(s) address, kept as the text the parser normalised it to.
Url = Annotated[
    str,
    BeforeValidator(_raw_text),
    StringConstraints(max_length=URL_MAX_LENGTH),
    AfterValidator(_http_url),
    Field(json_schema_extra={"format": "uri"}),
]


# --- path parameters other than ids -------------------------------------------------------

PathSlug = Annotated[
    str, Parameter(pattern=SLUG_PATTERN, min_length=2, max_length=64, description="a slug")
]
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{20,100}$"  # noqa: S105 (a pattern, not a secret)
PathToken = Annotated[
    str, Parameter(pattern=TOKEN_PATTERN, description="the token from a registration mail")
]


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


MailAddress = Annotated[Email, AfterValidator(_reaches_every_server)]
"""An address that mail reaches whatever servers lie between (for registrations)."""
