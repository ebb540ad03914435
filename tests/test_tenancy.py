"""Matrices over every route of the app, so that new endpoints are checked automatically.

- every guide/admin/account operation answers 401 without a token;
- every guide operation answers 404 for another municipality's objects (and works for
  the guide's own, so the 404 is not an accident of a wrong URL);
- every write operation answers 422 naming the field on bad input and writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar

from tests.factories import make_guide
from treffpunkt.piccolo_app import APP_CONFIG

WRITE_METHODS = {"POST", "PUT", "PATCH"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    guard: str | None  # "tenant", "admin", "account" or None (public)
    has_body: bool

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def url(self, values: dict[str, Any]) -> str:
        return self.path.format(**{name: values[name] for name in self.params})

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(app: Litestar) -> list[Operation]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            params = set(handler.parsed_fn_signature.parameters)
            guard = next((g for g in ("tenant", "admin", "account") if g in params), None)
            for method in sorted(handler.http_methods):
                if method in {"HEAD", "OPTIONS"}:
                    continue
                found.append(
                    Operation(
                        method=method,
                        path=route.path_format,
                        operation_id=str(handler.operation_id),
                        guard=guard,
                        has_body="data" in params,
                    )
                )
    return found


# A valid body for each write operation; a new write endpoint must add one here.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "login": {"email": "guide@bensheim.example", "password": "correct horse battery"},
    "createMunicipality": {
        "slug": "new-town",
        "name": "Neustadt",
        "contact_email": "a@new-town.example",
        "sender_name": "Neustadt",
        "sender_email": "a@new-town.example",
    },
    "updateMunicipality": {"name": "Stadt Bensheim an der Bergstraße"},
    "createGuide": {"email": "x@bensheim.example", "display_name": "X", "password": "a" * 12},
    "updateAccount": {"display_name": "Renamed"},
}
# Body fields whose wrong type must be named in the 422 (a required one where there is one).
TYPED_FIELD: dict[str, tuple[str, Any]] = {
    "login": ("email", 42),
    "createMunicipality": ("slug", ["not", "a", "slug"]),
    "updateMunicipality": ("retention_days", "forever"),
    "createGuide": ("password", 123),
    "updateAccount": ("active", "perhaps"),
}


async def objects_of(municipality: Any, guide: dict[str, Any]) -> dict[str, Any]:
    """Path parameter values naming objects that belong to `municipality`."""
    return {"slug": municipality.slug, "account_id": guide["id"]}


@pytest.fixture
async def both_towns(
    bensheim: Any, butzbach: Any, bensheim_guide: Any, butzbach_guide: Any
) -> dict[str, dict[str, Any]]:
    second = await make_guide(butzbach, "zweite@butzbach.example")
    return {
        "own": await objects_of(bensheim, bensheim_guide),
        "foreign": await objects_of(butzbach, second),
    }


async def row_counts() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in APP_CONFIG.table_classes}


async def test_every_guarded_operation_answers_401_without_a_token(
    app: Litestar, client: Any, both_towns: Any
) -> None:
    guarded = [op for op in operations(app) if op.guard]
    assert len(guarded) >= 8
    for op in guarded:
        response = await client.request(
            op.method, op.url(both_towns["own"]), json=VALID_BODIES.get(op.operation_id)
        )
        assert response.status_code == 401, f"{op} answered {response.status_code}"
        assert response.json()["error"] == "unauthorized"


async def test_every_guide_operation_answers_404_for_another_municipality(
    app: Litestar, client: Any, both_towns: Any, bensheim_headers: Any
) -> None:
    scoped = [op for op in operations(app) if op.guard == "tenant" and op.params]
    assert scoped, "no guide operation addresses an object"
    for op in scoped:
        body = VALID_BODIES.get(op.operation_id)
        assert body is not None or not op.has_body, f"{op}: add a valid body to VALID_BODIES"
        foreign = await client.request(
            op.method, op.url(both_towns["foreign"]), json=body, headers=bensheim_headers
        )
        assert foreign.status_code == 404, f"{op} answered {foreign.status_code} for Butzbach"
        own = await client.request(
            op.method, op.url(both_towns["own"]), json=body, headers=bensheim_headers
        )
        assert own.status_code < 300, f"{op} answered {own.status_code} for Bensheim's own"


async def test_guide_operations_are_refused_to_admins_and_admin_operations_to_guides(
    app: Litestar, client: Any, both_towns: Any, bensheim_headers: Any, admin_headers: Any
) -> None:
    for op in operations(app):
        headers = {"tenant": admin_headers, "admin": bensheim_headers}.get(op.guard or "")
        if headers is None:
            continue
        response = await client.request(
            op.method,
            op.url(both_towns["own"]),
            json=VALID_BODIES.get(op.operation_id),
            headers=headers,
        )
        assert response.status_code == 403, f"{op} answered {response.status_code}"


async def test_every_write_operation_names_bad_fields_with_422_and_writes_nothing(
    app: Litestar, client: Any, both_towns: Any, admin_headers: Any, bensheim_headers: Any
) -> None:
    writes = [op for op in operations(app) if op.method in WRITE_METHODS and op.has_body]
    assert writes
    headers = {"tenant": bensheim_headers, "admin": admin_headers, "account": bensheim_headers}
    for op in writes:
        assert op.operation_id in VALID_BODIES, f"{op}: add a valid body to VALID_BODIES"
        field, wrong = TYPED_FIELD[op.operation_id]
        bad_bodies = {
            "unknown field": ({**VALID_BODIES[op.operation_id], "surprise": 1}, "surprise"),
            "wrong type": ({**VALID_BODIES[op.operation_id], field: wrong}, field),
        }
        for case, (body, named) in bad_bodies.items():
            before = await row_counts()
            response = await client.request(
                op.method,
                op.url(both_towns["own"]),
                json=body,
                headers=headers.get(op.guard or "", {}),
            )
            assert response.status_code == 422, f"{op} ({case}) answered {response.status_code}"
            assert named in response.json()["fields"], f"{op} ({case}): {response.json()}"
            assert await row_counts() == before, f"{op} ({case}) wrote something"
