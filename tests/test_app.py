"""The app as a whole: health, OpenAPI, the one error format."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

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
