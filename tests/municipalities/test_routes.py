from __future__ import annotations

from typing import Any

import pytest

from treffpunkt.municipalities.tables import Municipality

NEW_TOWN = {
    "slug": "oestrich-winkel",
    "name": "Stadt Oestrich-Winkel",
    "offered_locales": ["de", "fa"],
    "contact_email": "soziales@oestrich-winkel.example",
    "sender_name": "Fachgebiet Soziales",
    "sender_email": "soziales@oestrich-winkel.example",
    "retention_days": 180,
    "reminder_hours": 48,
}


async def test_anyone_lists_and_reads_municipalities(
    client: Any, bensheim: Any, butzbach: Any
) -> None:
    listed = (await client.get("/api/v1/municipalities")).json()
    assert [m["slug"] for m in listed] == ["bensheim", "butzbach"]
    one = (await client.get("/api/v1/municipalities/bensheim")).json()
    assert one["time_zone"] == "Europe/Berlin"
    assert one["default_locale"] == "de"
    assert one["retention_days"] == 365
    assert one["reminder_hours"] == 24


async def test_unknown_municipality_answers_404(client: Any) -> None:
    response = await client.get("/api/v1/municipalities/atlantis")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_admin_creates_a_municipality_with_defaults(client: Any, admin_headers: Any) -> None:
    response = await client.post("/api/v1/municipalities", json=NEW_TOWN, headers=admin_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["slug"] == "oestrich-winkel"
    assert body["time_zone"] == "Europe/Berlin"
    assert body["offered_locales"] == ["de", "fa"]
    assert body["retention_days"] == 180
    assert body["reminder_hours"] == 48


async def test_default_locale_is_always_offered(client: Any, admin_headers: Any) -> None:
    data = {**NEW_TOWN, "default_locale": "en", "offered_locales": ["uk", "en", "uk"]}
    response = await client.post("/api/v1/municipalities", json=data, headers=admin_headers)
    assert response.json()["offered_locales"] == ["uk", "en"]


async def test_duplicate_slug_answers_409_naming_the_slug(
    client: Any, admin_headers: Any, bensheim: Any
) -> None:
    data = {**NEW_TOWN, "slug": "bensheim"}
    response = await client.post("/api/v1/municipalities", json=data, headers=admin_headers)
    assert response.status_code == 409
    assert response.json()["fields"] == {"slug": "already taken"}
    assert await Municipality.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "Bad Slug"),
        ("time_zone", "Europe/Bensheim"),
        ("default_locale", "xx"),
        ("offered_locales", ["de", "klingon"]),
        ("contact_email", "not-an-email"),
        ("retention_days", 5),
        ("reminder_hours", 200),
        ("reminder_hours", -1),
        ("website", "not a url"),
        ("colour", "green"),
    ],
)
async def test_invalid_municipality_answers_422_naming_the_field(
    client: Any, admin_headers: Any, field: str, value: Any
) -> None:
    response = await client.post(
        "/api/v1/municipalities", json={**NEW_TOWN, field: value}, headers=admin_headers
    )
    assert response.status_code == 422
    assert any(key.split(".")[0] == field for key in response.json()["fields"]), response.json()
    assert await Municipality.count() == 0


async def test_admin_updates_a_municipality_but_not_its_slug(
    client: Any, admin_headers: Any, bensheim: Any
) -> None:
    response = await client.patch(
        "/api/v1/municipalities/bensheim",
        json={"sender_name": "Team Soziales und Integration", "default_locale": "en"},
        headers=admin_headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["sender_name"] == "Team Soziales und Integration"
    assert "en" in body["offered_locales"]
    response = await client.patch(
        "/api/v1/municipalities/bensheim", json={"slug": "b"}, headers=admin_headers
    )
    assert response.status_code == 422
    assert "slug" in response.json()["fields"]


async def test_guides_cannot_create_or_change_municipalities(
    client: Any, bensheim_headers: Any
) -> None:
    response = await client.post("/api/v1/municipalities", json=NEW_TOWN, headers=bensheim_headers)
    assert response.status_code == 403
    response = await client.patch(
        "/api/v1/municipalities/bensheim", json={"name": "x"}, headers=bensheim_headers
    )
    assert response.status_code == 403


async def test_guide_reads_their_own_municipality(client: Any, bensheim_headers: Any) -> None:
    response = await client.get("/api/v1/guide/municipality", headers=bensheim_headers)
    assert response.status_code == 200
    assert response.json()["slug"] == "bensheim"


async def test_admin_sets_and_reads_the_privacy_notice_and_the_hold(
    client: Any, admin_headers: Any, bensheim: Any
) -> None:
    change = {
        "privacy_url": "https://www.bensheim.example/datenschutz",
        "privacy_version": "2026-11",
        "confirmation_hold_hours": 48,
    }
    response = await client.patch(
        "/api/v1/municipalities/bensheim", json=change, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    read = (await client.get("/api/v1/municipalities/bensheim")).json()
    assert {name: read[name] for name in change} == change
    response = await client.patch(
        "/api/v1/municipalities/bensheim", json={"privacy_url": None}, headers=admin_headers
    )
    assert response.json()["privacy_url"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("privacy_url", "javascript:alert(1)"),
        ("privacy_url", "ftp://files.example/datenschutz"),
        ("privacy_url", "https://" + "a" * 500 + ".example"),
        ("privacy_version", ""),
        ("privacy_version", "v 1"),
        ("privacy_version", "x" * 33),
        ("confirmation_hold_hours", 0),
        ("confirmation_hold_hours", 169),
        ("confirmation_hold_hours", None),
    ],
)
async def test_privacy_and_hold_settings_are_checked(
    client: Any, admin_headers: Any, bensheim: Any, field: str, value: Any
) -> None:
    response = await client.patch(
        "/api/v1/municipalities/bensheim", json={field: value}, headers=admin_headers
    )
    assert response.status_code == 422
    assert field in response.json()["fields"]
