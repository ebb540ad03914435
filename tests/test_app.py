"""The app as a whole: health, OpenAPI, the one error format."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from tests.factories import make_published_event, sessions_of
from treffpunkt import db


async def test_health_answers_ok_with_the_database_checked(client: Any) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.filterwarnings("ignore:.*Unable to connect to database")
async def test_health_answers_503_when_the_database_is_down(client: Any) -> None:
    working = db.engine()
    # A PostgreSQL port where nothing listens: a real refused connection, on either run.
    db.use_engine(db.create_engine("postgresql://postgres@127.0.0.1:9/nothing"))
    try:
        response = await client.get("/health")
    finally:
        db.use_engine(working)
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


@pytest.mark.filterwarnings("ignore:.*Unable to connect to database")
async def test_an_unreachable_database_answers_503_with_retry_after(client: Any) -> None:
    working = db.engine()
    db.use_engine(db.create_engine("postgresql://postgres@127.0.0.1:9/nothing"))
    try:
        response = await client.get("/api/v1/municipalities")
    finally:
        db.use_engine(working)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"] == "unavailable"
    assert set(response.json()) == {"error", "detail", "fields"}


@pytest.mark.sqlite_only
async def test_a_database_another_process_keeps_locked_answers_503(
    client: Any, bensheim: Any
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=5)
    [session] = await sessions_of(event)
    other = sqlite3.connect(str(db.engine().path))  # type: ignore[attr-defined]
    other.execute("BEGIN IMMEDIATE")  # e.g. a long command of an operator
    try:
        response = await client.post(
            f"/api/v1/sessions/{session.id}/registrations",
            json={"name": "Olena", "email": "olena@example.org", "consent": True},
        )
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


async def test_openapi_lists_the_endpoints(client: Any) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/health",
        "/api/v1/auth/login",
        "/api/v1/municipalities",
        "/api/v1/municipalities/{slug}",
        "/api/v1/municipalities/{slug}/guides",
        "/api/v1/guide/guides/{account_id}",
    ):
        assert path in paths
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


async def test_schema_page_is_served(client: Any) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


async def test_unknown_path_answers_404_in_the_error_format(client: Any) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found", "fields": {}}


async def test_wrong_method_answers_405_in_the_error_format(client: Any) -> None:
    response = await client.delete("/api/v1/municipalities")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


async def test_unknown_page_for_a_browser_is_an_html_page(client: Any) -> None:
    response = await client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


async def test_malformed_json_answers_422_naming_the_body(client: Any) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=b"{bad", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "body" in response.json()["fields"]


async def test_head_answers_headers_without_a_body_from_a_served_app(
    app: Any, bensheim: Any
) -> None:
    """Over a real socket: the server sends the GET's headers and not one byte more."""
    from tests import serving
    from tests.factories import make_published_event

    await make_published_event(bensheim)
    async with serving.served() as url:
        host, port = url.removeprefix("http://").split(":")
        for path in ("/health", "/m/bensheim/calendar.ics"):
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(f"HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            answer = await reader.read()  # until the server closes
            writer.close()
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), (path, head)
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
            )
            assert length > 0
            assert body == b""


def test_no_route_names_a_charset_litestar_adds_itself(app: Any) -> None:
    """Litestar appends "; charset=utf-8" to every text/* media type: a route that named
    one too would send it twice (it did, on the CSV exports)."""
    doubled = [
        f"{route.path}: {handler.media_type}"
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if str(handler.media_type).startswith("text/") and "charset" in str(handler.media_type)
    ]
    assert not doubled, doubled
