"""What every request passes before a handler sees it: no input, however malformed,
reaches a service as anything but a clean value or a 4xx in the one error format.

- bodies: JSON that is not UTF-8 or nested past any sense is refused (422 `body`);
- path and query: no control characters (a path with one names nothing: 404; a
  query parameter with one is refused: 422 naming it);
- dates in query parameters are `Day`s (see schemas.py), like those in bodies.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar._signature.model import SignatureModel
from litestar._signature.types import ExtendedMsgSpecValidationError
from litestar.connection import ASGIConnection
from litestar.datastructures import URL
from litestar.exceptions import InternalServerException, ValidationException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.plugins.pydantic import PydanticInitPlugin
from litestar.serialization import encode_json
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.typing import FieldDefinition
from pydantic import ValidationError

from treffpunkt.errors import InvalidInput, NotFound
from treffpunkt.schemas import Day, Input

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class TreffpunktRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        """The body as JSON. Litestar lets a decoder's RecursionError (JSON nested
        thousands deep) and UnicodeDecodeError (bytes that are not UTF-8) through as 500s."""
        try:
            return await super().json()
        except RecursionError:
            raise InvalidInput(
                "The request body is nested too deeply.", {"body": "nested too deeply"}
            ) from None
        except UnicodeDecodeError:
            raise InvalidInput(
                "The request body is not UTF-8.", {"body": "not valid UTF-8"}
            ) from None

    async def form(self) -> Any:
        """The body as a form. Litestar decodes each multipart part with the charset it
        names: bytes that are not in it (UnicodeDecodeError), or a charset that does not
        exist (LookupError), would be 500s — before any handler, since the CSRF check
        reads every form first."""
        try:
            return await super().form()
        except (UnicodeDecodeError, LookupError):
            raise InvalidInput(
                "The form is not readable: its text is not in the character set it names.",
                {"body": "not valid UTF-8 (or not in the charset named)"},
            ) from None


def refuse_control_characters(app: ASGIApp) -> ASGIApp:
    """Middleware: control characters (NUL above all: PostgreSQL refuses it in text) never
    reach a handler through the path or the query string."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if _CONTROL.search(scope["path"]):
                raise NotFound("Not Found")
            query = scope.get("query_string", b"")
            if query:
                for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                    if _CONTROL.search(name) or _CONTROL.search(value):
                        raise InvalidInput(
                            "The request has invalid fields.",
                            {name: "must not contain control characters"},
                        )
        await app(scope, receive, send)

    return middleware


# --- query parameters typed `Day` -----------------------------------------------------------


def _is_day(annotation: Any) -> bool:
    return annotation is Day


def _decode_day(annotation: Any, value: Any) -> Any:
    return Day.parse(value)


TYPE_DECODERS = [(_is_day, _decode_day)]


class DaySchemaPlugin(OpenAPISchemaPlugin):
    """`Day` query parameters are dates in the OpenAPI description."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is Day

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        return Schema(
            type=OpenAPIType.STRING, format=OpenAPIFormat.DATE, description=Day.description
        )


# --- body errors are the client's, and named as the body's fields ----------------------------


def _is_body(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Input)


def _decode_body(model: type[Input], value: Any) -> Input:
    """The body as its model, validated as JSON in strict mode: a value the schema does
    not allow is refused (no `false` for a number, no `"5"` for an integer)."""
    try:
        return model.model_validate_json(encode_json(value), strict=True)
    except ValidationError as error:
        # Litestar reads a location that starts with "data" as the body's ("source":
        # "body"); without it, a body field named like a path parameter (`slug`) counted
        # as the path's, and one named like a dependency (`admin`) as a server error.
        errors = [{**e, "loc": ("data", *e["loc"])} for e in error.errors(include_input=False)]
        raise ExtendedMsgSpecValidationError(errors=errors) from error


class BodyPlugin(PydanticInitPlugin):
    """Litestar's pydantic support, with request bodies (`Input`s) decoded by `_decode_body`."""

    @classmethod
    def decoders(cls, validate_strict: bool = False) -> list[Any]:
        return [(_is_body, _decode_body), *super().decoders(validate_strict)]


def _create_exception(
    cls: type[SignatureModel], connection: ASGIConnection[Any, Any, Any, Any], messages: list[Any]
) -> Exception:
    """Litestar's own rule, with one correction: an error in the request body is the
    client's. Litestar 2.25 takes any error whose key equals a dependency's name for a
    failed dependency (500), and a body field's key is its bare name: `{"admin": 1}`
    sent to a guarded route answered 500."""
    client_errors = [
        message
        for message in messages
        if message.get("source") == "body"
        or "key" not in message
        or message["key"] not in cls._dependency_name_set
    ]
    if not client_errors:
        return InternalServerException()
    method = getattr(connection, "method", "WEBSOCKET")
    path = URL.from_components(path=connection.url.path, query=connection.url.query)
    return ValidationException(detail=f"Validation failed for {method} {path}", extra=client_errors)


SignatureModel._create_exception = classmethod(_create_exception)  # type: ignore[method-assign,assignment]
