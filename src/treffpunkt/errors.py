"""Domain errors, and the one place that turns every error into an HTTP answer.

API answers share one shape: {"error": code, "detail": text, "fields": {field: message}}.
Services raise the domain errors below; no controller builds an error response itself.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any, ClassVar

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE

log = logging.getLogger(__name__)


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        detail: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or {}
        self.headers = headers or {}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    422: "invalid_input",
    429: "too_many_requests",
    503: "unavailable",
}


def _answer(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    error_page: ErrorPage | None = request.app.state.get(ERROR_PAGE)
    if error_page is not None and not answers_json(request):
        return error_page(request, status, detail, headers or {})
    body = {"error": code, "detail": detail, "fields": fields or {}}
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


# An error of a page is a page (web/errors.py, set by create_app under this name in the
# app's state); an error of the API, a feed or the health check is the JSON error format.
ERROR_PAGE = "error_page"
ErrorPage = Callable[[Request[Any, Any, Any], int, str, dict[str, str]], Response[Any]]


def is_api_path(path: str) -> bool:
    """Whether `path` is read by programs (JSON errors) rather than by people (pages)."""
    return path.startswith(("/api/", "/schema", "/health", "/feeds/")) or path.endswith(".ics")


def answers_json(request: Request[Any, Any, Any]) -> bool:
    """An error of an operation in the OpenAPI description (which promises the JSON error
    format, e.g. a calendar download under /m/) or of an API path is JSON; any other
    error, also of a path that no route serves, is a page."""
    handler = request.scope.get("route_handler")
    documented = getattr(handler, "resolve_include_in_schema", None)
    return bool(documented and documented()) or is_api_path(request.scope.get("path", ""))


def _validation_fields(extra: Any, aliases: dict[str, str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, dict):
            # pydantic marks a bad dict key as "texts.xx.[key]": the field is "texts.xx".
            key = str(item.get("key") or item.get("source") or "body").replace(".[key]", "")
            if item.get("source") == "body":
                key = "body" if key == "data" else key  # the body as a whole
            else:
                key = aliases.get(key, key)  # a parameter's public name: `start` → `from`
            message = str(item.get("message", "invalid")).removeprefix("Value error, ")
            if key == "body" and message == "'data'":  # a body of `null`: the model is missing
                message = "Input should be an object"
            fields.setdefault(key, message)
    return fields


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    headers = dict(exc.headers)
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")  # RFC 9110 §15.5.2: every 401
    return _answer(request, exc.status_code, exc.code, exc.detail, exc.fields, headers)


def _public_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Python parameter names → the names clients use (`start` → `from`)."""
    names: dict[str, str] = {}
    handler = request.scope.get("route_handler")
    parameters = getattr(getattr(handler, "parsed_fn_signature", None), "parameters", {})
    for name, parameter in parameters.items():
        alias = getattr(parameter.kwarg_definition, "name", None)
        if alias and alias != name:
            names[name] = alias
    return names


def handle_validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Any]:
    items = exc.extra if isinstance(exc.extra, list) else []
    if any(isinstance(item, dict) and item.get("source") == "path" for item in items):
        # A path that names no possible object (an id out of range, a malformed token).
        return _answer(request, 404, "not_found", "Not Found")
    fields = _validation_fields(exc.extra, _public_names(request))
    if not fields:
        # Litestar reports unparseable bodies without a key: name the body itself.
        fields = {"body": exc.detail}
    return _answer(request, 422, "invalid_input", "The request has invalid fields.", fields)


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if isinstance(exc, NotAuthorizedException):
        headers.setdefault("WWW-Authenticate", "Bearer")
    # A body that is no JSON at all ("Input data was truncated" says nothing of JSON).
    if status == 400 and (
        "JSON" in exc.detail or isinstance(exc.__cause__, SerializationException)
    ):
        detail = exc.detail if "JSON" in exc.detail else f"not valid JSON: {exc.detail}"
        return _answer(request, 422, "invalid_input", detail, {"body": detail}, headers)
    return _answer(request, status, _CODES.get(status, "error"), exc.detail, None, headers)


# Connection-level failures of either driver: the database is down, restarting or out of
# connections. Each one passes; the client should try again shortly.
_POSTGRES_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or was lost
    asyncpg.CannotConnectNowError,  # the server is starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")
RETRY_AFTER_S = 5


def database_unavailable(error: BaseException) -> bool:
    """True when `error` says the database cannot be reached now, rather than that the
    request or the code is wrong."""
    if isinstance(error, (*_POSTGRES_UNAVAILABLE, OSError)):  # OSError: refused, reset, timeout
        return True
    if isinstance(error, asyncpg.InterfaceError):
        return "connection is closed" in str(error)
    if isinstance(error, asyncpg.InternalClientError):
        # A connection the server ended a moment ago, taken from the pool before the
        # driver saw it close: its protocol is still busy with the server's last error.
        return "another operation" in str(error)
    if isinstance(error, sqlite3.OperationalError):
        return str(error).lower() in _SQLITE_UNAVAILABLE
    return False


def handle_unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return _answer(
            request,
            HTTP_503_SERVICE_UNAVAILABLE,
            "unavailable",
            "The service cannot reach its database right now; try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _answer(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Something went wrong on our side.",
    )


EXCEPTION_HANDLERS: Any = {
    DomainError: handle_domain_error,
    ValidationException: handle_validation_error,
    HTTPException: handle_http_error,
    Exception: handle_unexpected_error,
}
