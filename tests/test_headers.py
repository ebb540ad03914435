"""Every answer of every route carries the security headers; pages run no inline code.

The walk covers each route and method of the app (a new route is checked without being
added here), with the objects and bodies of the tenancy matrix, as the caller that the
route needs: nobody, a guide, or an admin. Whatever the status, the headers are there.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar import Litestar, MediaType, get

from tests.factories import (
    SECRET,
    login_headers,
    make_published_event,
    register_for_session,
    sessions_of,
)
from tests.test_tenancy import OBJECTS_FOR, VALID_BODIES, _operation_id, objects_of
from treffpunkt.calendars.personal import feed_tokens
from treffpunkt.events.tables import Programme
from treffpunkt.headers import PAGE_POLICY, security_headers
from treffpunkt.registrations.service import registration_token
from treffpunkt.web.town import EMBED_POLICY
from treffpunkt.web.workspace import WORKSPACE_POLICY

# Answers that may be kept: public feeds and files by anyone, a personal feed by its
# owner's calendar app. Everything else must not be stored anywhere.
CACHEABLE = {
    "/m/{slug}/calendar.ics": "public",
    "/m/{slug}/programmes/{programme_slug}/calendar.ics": "public",
    "/m/{slug}/events/{event_id}/calendar.ics": "public",
    "/m/{slug}/events/{event_id}/poster.pdf": "public",
    "/m/{slug}/programmes/{programme_slug}/poster.pdf": "public",
    "/static/{file_path}": "public",
    "/m/{slug}/theme.css": "public",
    "/m/{slug}/logo.png": "public",
    "/m/{slug}/events.atom": "public",
    "/m/{slug}/programmes/{programme_slug}/events.atom": "public",
    "/feeds/{file_name}": "private",
}


def cacheable(path: str) -> str | None:
    # /assets/<version or digest>/…: the pages' stylesheets (web/assets.py).
    return CACHEABLE.get(path) or ("public" if path.startswith("/assets/") else None)


async def path_values(municipality: Any, guide: Any) -> dict[str, Any]:
    """Values for every path parameter of the app, naming real objects of the town."""
    own = await objects_of(municipality, guide)
    person = await register_for_session(own["open_session_id"], "olena@example.org")
    programme = (
        await Programme.select(Programme.slug).where(Programme.id == own["programme_id"]).first()
    )
    published = await make_published_event(municipality, programme_id=own["programme_id"])
    return {
        **own,
        "municipality_id": municipality.id,
        "email": person.email,
        "token": registration_token(SECRET, person.token_salt),
        "programme_slug": programme["slug"] if programme else "",
        "published_id": published.id,
        "file_path": "site.css",
        # the door list's address of a session or a course (OPTIONS answers name no object)
        "target_id": own["open_session_id"],
        "path": "openapi.yaml",
    }


async def url_of(path: str, values: dict[str, Any], operation_id: str | None) -> str:
    objects = OBJECTS_FOR.get(operation_id or "", {})
    chosen = {**values, **{name: values[value] for name, value in objects.items()}}
    if path.startswith("/feeds/"):  # asked now: the walk renews the feed link on its way
        tokens = await feed_tokens(values["municipality_id"], [values["email"]], SECRET)
        chosen["file_name"] = f"{tokens[values['email']]}.ics"
    elif path.startswith("/m/"):
        chosen["event_id"] = chosen["event"] = values["published_id"]
        chosen["outcome"] = "pending"
    elif operation_id == "getPublicEvent":
        chosen["event_id"] = values["published_id"]
    assert all(name in chosen for name in re.findall(r"{(\w+)}", path)), (operation_id, path)
    return re.sub(r"{(\w+)}", lambda m: str(chosen[m.group(1)]), path)


async def test_every_route_sends_the_security_headers(
    app: Litestar, client: Any, bensheim: Any, bensheim_guide: Any, admin_headers: Any
) -> None:
    guide_headers = await login_headers(client, bensheim_guide["email"])
    values = await path_values(bensheim, bensheim_guide)
    walked = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                operation = _operation_id(handler, method, route.path_format)
                url = await url_of(route.path_format, values, operation)
                body = VALID_BODIES.get(operation)
                body = body(values) if callable(body) else body
                if operation == "changePassword":  # keep the guide's password
                    body = {**(body or {}), "current_password": "not the password"}
                callers = [{}, guide_headers, admin_headers]
                if handler.operation_id == "logout":  # a login of its own to end
                    callers = [await login_headers(client, bensheim_guide["email"])]
                for headers in callers:
                    response = await client.request(method, url, json=body, headers=headers)
                    if response.status_code not in (401, 403):
                        break
                where = f"{method} {route.path_format} ({response.status_code})"
                check_headers(response, route.path_format, where)
                walked += 1
    assert walked > 100


# Pages meant to be framed by other sites, with their own policy (web/town.py).
EMBEDDABLE = {"/m/{slug}/embed": EMBED_POLICY}


def check_headers(response: httpx.Response, path: str, where: str) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "no-referrer", where
    policy = headers.get("content-security-policy", "")
    if path in EMBEDDABLE and response.status_code == 200:
        assert "x-frame-options" not in headers, where
        assert policy == EMBEDDABLE[path], where
        assert "unsafe-inline" not in policy, where
        page = response.text.lower()
        assert not re.search(r"<script(?![^>]*\ssrc=\"/)|<style|\sstyle=", page), where
        return
    assert headers.get("x-frame-options") == "DENY", where
    assert "frame-ancestors 'none'" in policy, where
    cache = headers.get("cache-control", "")
    kept = cacheable(path)
    if kept and response.status_code in (200, 304):
        assert kept in cache, f"{where}: {cache}"
        assert "no-store" not in cache, f"{where}: {cache}"
    elif kept != "public":  # errors of public files may be kept too
        assert cache == "no-store", f"{where}: {cache}"
    if headers.get("content-type", "").startswith("text/html") and not path.startswith("/schema"):
        # The workspace's pages may load scripts from this site (web/workspace.py).
        workspace = path.startswith(("/guide", "/admin", "/account"))
        assert policy == (WORKSPACE_POLICY if workspace else PAGE_POLICY), where
        assert "unsafe-inline" not in policy, where
        # The one script element allowed: a JSON-LD data block, never executed.
        page = response.text.lower().replace('<script type="application/ld+json">', "")
        for inline in ("<script", "<style", " style="):
            assert inline not in page, where


async def test_the_registration_page_takes_its_styles_from_files(
    client: Any, bensheim: Any
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    person = await register_for_session(session.id, "olena@example.org")
    page = await client.get(f"/r/{registration_token(SECRET, person.token_salt)}")
    assert page.status_code == 200
    check_headers(page, "/r/{token}", "registration page")
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page.text)
    assert len(stylesheets) == 3  # Pico, ours, the town's colour
    for href in stylesheets:
        css = await client.get(href)
        assert css.status_code == 200, href
        assert css.headers["content-type"].startswith("text/css")


async def test_error_pages_for_browsers_carry_the_headers(client: Any) -> None:
    missing = await client.get("/r/not-a-token", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    check_headers(missing, "/r/{token}", "404 page")
    nowhere = await client.get("/no/such/page", headers={"Accept": "text/html"})
    check_headers(nowhere, "/no/such/page", "404 without a route")


async def test_a_route_meant_to_be_embedded_may_be_framed() -> None:
    @get("/embed", media_type=MediaType.HTML, opt={"embeddable": True})
    async def embed() -> str:
        return "<!doctype html><p>Termine</p>"

    @get("/page", media_type=MediaType.HTML)
    async def page() -> str:
        return "<!doctype html><p>Seite</p>"

    app = Litestar([embed, page], before_send=[security_headers("/schema", [])])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        embedded = await client.get("/embed")
        framed_not = await client.get("/page")
    assert "frame-ancestors *" in embedded.headers["content-security-policy"]
    assert "x-frame-options" not in embedded.headers
    assert embedded.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in framed_not.headers["content-security-policy"]
    assert framed_not.headers["x-frame-options"] == "DENY"
