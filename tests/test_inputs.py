"""No input makes a 500, hangs the server or half-writes: each class of input that did
on PostgreSQL or SQLite answers 4xx in the one error format, naming the field."""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar

from tests.factories import (
    make_event,
    make_published_event,
    make_venue,
    register_for_session,
    sessions_of,
)
from tests.test_tenancy import Towns, operations, row_counts
from tests.web.workspace import logged_in_client
from treffpunkt import db
from treffpunkt.events.tables import Session

pytestmark = pytest.mark.usefixtures("bensheim")


def assert_invalid(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error", "detail", "fields"}
    assert field in body["fields"], body


# --- bodies -------------------------------------------------------------------------------


async def test_a_body_that_is_not_utf8_is_refused(client: Any, bensheim_headers: Any) -> None:
    before = await row_counts()
    response = await client.post(
        "/api/v1/guide/venues",
        content=b'{"name": "Rathaus \xff\xfe", "street": "M", "postal_code": "64625", "city": "B"}',
        headers={**bensheim_headers, "content-type": "application/json"},
    )
    assert_invalid(response, "body")
    assert await row_counts() == before


@pytest.mark.parametrize("body", [b"", b"\n", b"  ", b'{"name": "Rathaus"', b"{,}", b"nul"])
async def test_a_body_that_is_not_json_is_refused_naming_the_body(
    client: Any, bensheim: Any, bensheim_headers: Any, body: bytes
) -> None:
    [session] = await sessions_of(await make_published_event(bensheim))
    for url, headers in [
        ("/api/v1/guide/venues", bensheim_headers),
        (f"/api/v1/sessions/{session.id}/registrations", {}),
    ]:
        before = await row_counts()
        response = await client.post(
            url, content=body, headers={**headers, "content-type": "application/json"}
        )
        assert_invalid(response, "body")
        assert await row_counts() == before


@pytest.mark.parametrize("body", [b"\n", b"  ", b'{"registration_id": 1'])
async def test_a_body_that_is_no_json_is_refused_naming_it(
    client: Any, bensheim_headers: Any, body: bytes
) -> None:
    """Found by the fuzz run: whitespace alone answered 400 "Input data was truncated"."""
    response = await client.put(
        "/api/v1/guide/sessions/1/attendance",
        content=body,
        headers={**bensheim_headers, "content-type": "application/json"},
    )
    assert_invalid(response, "body")


@pytest.mark.parametrize("nesting", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000])
async def test_json_nested_thousands_deep_is_refused(
    client: Any, bensheim_headers: Any, nesting: str
) -> None:
    response = await client.post(
        "/api/v1/guide/venues",
        content=nesting.encode(),
        headers={**bensheim_headers, "content-type": "application/json"},
    )
    assert_invalid(response, "body")


async def test_body_keys_named_like_dependencies_or_parameters_are_unknown_fields(
    app: Litestar, client: Any, admin_headers: Any, bensheim_headers: Any
) -> None:
    # Every name the app injects, and every path and query parameter name.
    names = {"data", "request", "headers", "state", "scope"}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            names |= set(handler.resolve_dependencies())
            names |= set(handler.parsed_fn_signature.parameters)
    names |= {"from", "to", "slug", "cursor"}
    venue = {"name": "Rathaus", "street": "Markt 1", "postal_code": "64625", "city": "Bensheim"}
    before = await row_counts()
    for name in sorted(names):
        response = await client.post(
            "/api/v1/guide/venues", json={**venue, name: 1}, headers=bensheim_headers
        )
        assert_invalid(response, "body" if name == "data" else name)
        response = await client.patch(
            "/api/v1/municipalities/bensheim", json={name: 1}, headers=admin_headers
        )
        assert_invalid(response, "body" if name == "data" else name)
    assert await row_counts() == before


# --- ids ----------------------------------------------------------------------------------

TOO_LARGE = [2**31, 2**63, 10**30]


async def test_ids_out_of_range_name_nothing_on_every_route(
    app: Litestar, client: Any, admin_headers: Any, bensheim_headers: Any, towns: Towns
) -> None:
    own = await towns.own()
    headers = {"tenant": bensheim_headers, "admin": admin_headers, "account": bensheim_headers}
    with_ids = [op for op in operations(app) if any(p.endswith("_id") for p in op.params)]
    assert len(with_ids) >= 20
    # The workspace's pages answer only a live session (else 303 to the login).
    async with (
        logged_in_client(app, "guide@bensheim.example") as guide,
        logged_in_client(app, "admin@platform.example") as admin,
    ):
        sessions = {"guide page": guide, "admin page": admin, "account page": guide}
        await _every_id_out_of_range(with_ids, own, headers, client, sessions)


async def _every_id_out_of_range(
    with_ids: list[Any], own: dict[str, Any], headers: Any, client: Any, sessions: Any
) -> None:
    for op in with_ids:
        if op.method == "POST" and not op.path.startswith("/api/"):
            continue  # a page's form: without its CSRF token, refused first (403)
        for too_large in TOO_LARGE:
            values = {
                **own,
                "outcome": "pending",  # /m/{slug}/events/{event_id}/registered/{outcome}
                **{p: too_large for p in op.params if p.endswith("_id")},
            }
            url = op.path.format(**{p: values[p] for p in op.params})
            caller = sessions.get(op.guard or "", client)
            response = await caller.request(
                op.method, url, json=op.body(own), headers=headers.get(op.guard or "", {})
            )
            assert response.status_code == 404, f"{op} with {too_large}: {response.text}"
            if response.headers["content-type"].startswith("application/json"):
                assert response.json()["error"] == "not_found"
            else:  # a page's address: the error page
                assert response.headers["content-type"].startswith("text/html"), op


@pytest.mark.filterwarnings("ignore:.*Unable to connect to database")
async def test_an_id_out_of_range_is_not_looked_up(client: Any) -> None:
    working = db.engine()
    db.use_engine(db.create_engine("postgresql://postgres@127.0.0.1:9/nothing"))
    try:
        for url in (
            f"/api/v1/events/{2**31}",
            f"/m/bensheim/events/{2**31}/calendar.ics",
            f"/m/bensheim/events/{2**63}/calendar.ics",
            f"/m/bensheim/events/{2**31}.ics",  # the earlier address: no redirect
            f"/m/bensheim/events/{10**11}",
            f"/m/bensheim/events/{2**31}/poster.pdf",
        ):
            assert (await client.get(url)).status_code == 404
        response = await client.post(
            f"/api/v1/sessions/{2**63}/registrations",
            json={"name": "A", "email": "a@example.org", "consent": True},
        )
        assert response.status_code == 404
    finally:
        db.use_engine(working)


async def test_ids_in_bodies_are_bounded(client: Any, bensheim_headers: Any) -> None:
    event = await make_event_over_http(client, bensheim_headers)
    for field in ("venue_id", "programme_id"):
        response = await client.patch(
            f"/api/v1/guide/events/{event}", json={field: 2**31}, headers=bensheim_headers
        )
        assert_invalid(response, field)


async def make_event_over_http(client: Any, headers: Any) -> int:
    response = await client.post(
        "/api/v1/guide/events",
        json={"kind": "dialogue", "texts": {"de": {"title": "Dialog"}}},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("from", "0001-01-01"), ("to", "9999-12-31"), ("from", "1999-12-31"), ("to", "2101-01-01")],
)
async def test_session_lists_refuse_dates_outside_the_range(
    client: Any, name: str, value: str
) -> None:
    response = await client.get("/api/v1/municipalities/bensheim/sessions", params={name: value})
    assert_invalid(response, name)


@pytest.mark.parametrize(
    "starts_at",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T22:00:00-05:00",
        "9999-12-31T23:59:59Z",
    ],
)
async def test_sessions_at_the_ends_of_time_are_refused_and_nothing_breaks(
    client: Any, bensheim: Any, bensheim_headers: Any, starts_at: str
) -> None:
    """On PostgreSQL year 1 was saved as -infinity (with a 500), and from then on every
    list, the event page and the town's feed answered 500."""
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    ends_at = starts_at.replace("00:00:00", "01:00:00").replace("22:00:00", "23:00:00")
    times = {"starts_at": starts_at, "ends_at": ends_at}
    for method, url in (
        ("PATCH", f"/api/v1/guide/sessions/{session.id}"),
        ("POST", f"/api/v1/guide/events/{event.id}/sessions"),
    ):
        response = await client.request(method, url, json=times, headers=bensheim_headers)
        assert response.status_code == 422, response.text
        assert {"starts_at", "ends_at"} & set(response.json()["fields"])
    response = await client.post(
        "/api/v1/guide/events",
        json={"kind": "dialogue", "texts": {"de": {"title": "D"}}, "sessions": [times]},
        headers=bensheim_headers,
    )
    assert response.status_code == 422
    assert await Session.count().where(Session.event == event.id) == 1
    for url in (
        "/api/v1/guide/events",
        f"/api/v1/events/{event.id}",
        "/api/v1/municipalities/bensheim/sessions",
        "/m/bensheim/calendar.ics",
    ):
        assert (await client.get(url, headers=bensheim_headers)).status_code == 200, url


# --- cursors ----------------------------------------------------------------------------------


def cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "value",
    [
        "AAAA",
        cursor(b"\xff\xfe|1"),
        cursor(b"2027-01-01T00:00:00|1"),  # no offset
        cursor(b"0001-01-01T00:00:00+00:00|1"),
        cursor(b"9999-12-31T23:59:59+00:00|1"),
        cursor(b"2027-01-01T00:00:00+00:00|99999999999999999999"),
        cursor(b"2027-01-01T00:00:00+00:00|-1"),
        cursor(b"2027-01-01T00:00:00+00:00"),
        cursor(b"|"),
        cursor(bytes(range(40))),
    ],
)
async def test_tampered_cursors_are_refused(client: Any, value: str) -> None:
    response = await client.get(
        "/api/v1/municipalities/bensheim/sessions", params={"cursor": value}
    )
    assert_invalid(response, "cursor")


async def test_a_cursor_we_gave_out_still_pages(client: Any, bensheim: Any) -> None:
    for _ in range(3):
        await make_published_event(bensheim)
    first = (
        await client.get("/api/v1/municipalities/bensheim/sessions", params={"limit": 2})
    ).json()
    second = await client.get(
        "/api/v1/municipalities/bensheim/sessions",
        params={"limit": 2, "cursor": first["next_cursor"]},
    )
    assert second.status_code == 200
    assert len(second.json()["items"]) == 1


# --- explicit null in changes -------------------------------------------------------------

# What each PATCH of an object may clear with null; all other fields refuse it.
CLEARABLE = {
    "venue": {"room", "latitude", "longitude", "capacity"},
    "programme": {"submissions_until"},  # no date: submissions closed
    "event": {
        "programme_id",
        "venue_id",
        "online_url",
        "organiser",
        "capacity",
        "registration_opens_at",
        "registration_closes_at",
    },
    "municipality": {"website", "privacy_url", "imprint_url", "contact_phone", "reply_to_email"},
    "account": set(),
}


async def test_null_clears_what_may_be_empty_and_is_refused_elsewhere(
    app: Litestar, client: Any, bensheim: Any, admin_headers: Any, towns: Towns
) -> None:
    from treffpunkt.accounts.schemas import AccountUpdate
    from treffpunkt.events.schemas import EventUpdate, ProgrammeUpdate, VenueUpdate
    from treffpunkt.municipalities.schemas import MunicipalityUpdate

    guide = await _guide_headers(client, towns)
    own = await towns.own()
    changes = {
        "venue": (VenueUpdate, f"/api/v1/guide/venues/{own['venue_id']}", guide),
        "programme": (ProgrammeUpdate, f"/api/v1/guide/programmes/{own['programme_id']}", guide),
        "event": (EventUpdate, f"/api/v1/guide/events/{own['event_id']}", guide),
        "municipality": (MunicipalityUpdate, "/api/v1/municipalities/bensheim", admin_headers),
        "account": (AccountUpdate, f"/api/v1/accounts/{own['account_id']}", admin_headers),
    }
    for kind, (model, url, headers) in changes.items():
        for field in model.model_fields:
            before = await row_counts()
            response = await client.patch(url, json={field: None}, headers=headers)
            if field in CLEARABLE[kind]:
                assert response.status_code == 200, f"{kind}.{field}: {response.text}"
                assert response.json()[field] is None, f"{kind}.{field}"
            else:
                assert response.status_code == 422, f"{kind}.{field}: {response.status_code}"
                assert field in response.json()["fields"], f"{kind}.{field}"
                assert await row_counts() == before


async def _guide_headers(client: Any, towns: Towns) -> dict[str, str]:
    from tests.factories import login_headers

    return await login_headers(client, towns.own_guide["email"])


# --- strings longer than their column ---------------------------------------------------------


async def test_a_city_longer_than_its_column_is_refused(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    venue = await make_venue(bensheim)
    response = await client.patch(
        f"/api/v1/guide/venues/{venue.id}", json={"city": "C" * 101}, headers=bensheim_headers
    )
    assert_invalid(response, "city")
    response = await client.patch(
        f"/api/v1/guide/venues/{venue.id}", json={"city": "C" * 100}, headers=bensheim_headers
    )
    assert response.status_code == 200


# --- series rules -------------------------------------------------------------------------------

SERIES = {"start_date": "2027-01-04", "start_time": "10:00", "end_time": "11:00", "count": 3}


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=YEARLY;INTERVAL=0;BYMONTH=2;BYMONTHDAY=30",  # hung the server
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # took 20 s
        "FREQ=DAILY;INTERVAL=-1",  # 500
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31;BYSETPOS=1",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=10",
        "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1",
        "FREQ=YEARLY;BYWEEKNO=53",
        "FREQ=WEEKLY;INTERVAL=99999999999",
    ],
)
async def test_series_rules_that_give_no_date_are_refused_at_once(
    client: Any, bensheim: Any, bensheim_headers: Any, rule: str
) -> None:
    event = await make_event(bensheim)
    started = time.perf_counter()
    response = await client.put(
        f"/api/v1/guide/events/{event.id}/series",
        json={**SERIES, "rule": rule},
        headers=bensheim_headers,
    )
    assert time.perf_counter() - started < 1
    assert response.status_code == 422, response.text
    assert any("rule" in field for field in response.json()["fields"])
    assert event.series is None


async def test_a_registration_never_outlives_a_refused_change(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    """An error answer leaves nothing written: the series refused, the places unchanged."""
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    await register_for_session(session.id, "a@example.org")
    before = await row_counts()
    response = await client.put(
        f"/api/v1/guide/events/{event.id}/series",
        json={**SERIES, "rule": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"},
        headers=bensheim_headers,
    )
    assert response.status_code == 422
    assert await row_counts() == before
    later = session.starts_at + timedelta(days=1)
    assert later  # the session is still where it was
    assert (await Session.objects().get(Session.id == session.id)).starts_at == session.starts_at


# --- path and query ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/municipalities/ben%00sheim", "/m/bens%0Aheim/calendar.ics"]
)
async def test_control_characters_in_a_path_name_nothing(client: Any, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "value"),
    [("programme", "a\x00b"), ("tag", "x\x00"), ("lang", "d\x00e"), ("cursor", "\x00")],
)
async def test_control_characters_in_a_query_are_refused_naming_it(
    client: Any, name: str, value: str
) -> None:
    for url in ("/api/v1/municipalities/bensheim/sessions", "/m/bensheim/calendar.ics"):
        if name == "cursor" and url.endswith(".ics"):
            continue
        assert_invalid(await client.get(url, params={name: value}), name)


async def test_a_body_past_a_mebibyte_is_refused_in_the_error_format(
    client: Any, bensheim_headers: Any
) -> None:
    response = await client.post(
        "/api/v1/guide/venues",
        json={"name": "R", "street": "S", "postal_code": "64625", "city": "x" * 1_100_000},
        headers=bensheim_headers,
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
