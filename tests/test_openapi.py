"""The OpenAPI description says what the API does (tests/test_contract.py fuzzes it), and
its page at /schema works offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.test_tenancy import PUBLIC_OPERATIONS


@pytest.fixture
async def document(client: Any) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def each_operation(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


async def test_only_operations_that_need_a_login_ask_for_one(document: dict[str, Any]) -> None:
    assert "security" not in document
    for path, method, operation in each_operation(document):
        if operation["operationId"] in PUBLIC_OPERATIONS:
            assert "security" not in operation, f"{method} {path}"
        else:
            assert operation["security"] == [{"bearer": []}], f"{method} {path}"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_errors_are_documented_in_the_one_error_format(document: dict[str, Any]) -> None:
    error = document["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error", "detail", "fields"}
    assert error["properties"]["fields"]["additionalProperties"] == {"type": "string"}
    for path, method, operation in each_operation(document):
        responses = operation["responses"]
        codes = {int(code) for code in responses}
        assert 400 not in codes, f"{method} {path}: bad input is 422 here"
        for code in codes - {200, 201, 204, 304} - ({503} if path == "/health" else set()):
            assert code >= 400, f"{method} {path} {code}"
            schema = responses[str(code)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {code}"
        if "security" in operation:
            assert {401, 403} <= codes, f"{method} {path}"
            assert "WWW-Authenticate" in responses["401"]["headers"]
        if "{" in path:
            assert 404 in codes, f"{method} {path}"
        parameters = operation.get("parameters", [])
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            assert 422 in codes, f"{method} {path}"
    conflicts = {
        op["operationId"] for _, _, op in each_operation(document) if "409" in op["responses"]
    }
    assert {"publishEvent", "deleteEvent", "createProgramme", "registerForSession"} <= conflicts
    limited = {
        op["operationId"] for _, _, op in each_operation(document) if "429" in op["responses"]
    }
    assert limited == {"login", "requestPasswordReset", "registerForSession", "registerForEvent"}


async def test_texts_are_objects_keyed_by_locale_and_times_are_wall_times(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    for name in ("EventCreate", "EventUpdate", "ProgrammeCreate"):
        texts = schemas[name]["properties"]["texts"]
        assert texts["type"] == "object", name
        assert texts["propertyNames"]["enum"] == ["de", "en", "uk", "ar", "tr", "fa"]
    for name in ("SeriesRule", "SeriesOut"):
        for field in ("start_time", "end_time"):
            schema = schemas[name]["properties"][field]
            assert schema["type"] == "string"
            assert "format" not in schema  # not a duration, not an RFC 3339 time with offset
            assert re.fullmatch(schema["pattern"], "14:00")
            assert not re.fullmatch(schema["pattern"], "14:00+01:00")


async def test_every_reference_resolves(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    found = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', str(document).replace("'", '"'))
    assert found
    assert set(found) <= names


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        self._in_script = tag == "script" and "src" not in values

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


async def test_the_schema_page_loads_nothing_from_elsewhere(client: Any) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = Links()
    page.feed(response.text)
    assert page.urls, "the page loads its renderer"
    for url in page.urls:
        assert url.startswith("/"), f"{url} is on another host"
        assert not url.startswith("//"), f"{url} is on another host"
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content
    assert page.inline_scripts == 0  # a strict Content-Security-Policy may apply
