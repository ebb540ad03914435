"""Logging in to the workspace in the browser: server-side sessions in a cookie, the
guards of /guide and /admin, logout, expiry, and what an attacker would try."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests import serving
from tests.factories import PASSWORD, login_headers, make_admin
from tests.pages import csrf_token, submit
from tests.web.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width
from tests.web.workspace import (
    SESSION_COOKIE,
    log_in,
    log_in_client,
    logged_in_client,
    session_of,
)
from treffpunkt.accounts.tables import AccessToken
from treffpunkt.settings import Settings
from treffpunkt.tokens import hash_token
from treffpunkt.web.pages import csrf_config
from treffpunkt.web.workspace import WORKSPACE_POLICY, safe_next, session_cookie

COOKIE = SESSION_COOKIE
# httpx keeps cookies of a host without a dot under "<host>.local" (http.cookiejar).
JAR = {"domain": "testserver.local", "path": "/"}


async def test_the_workspace_asks_for_a_login_and_returns_to_the_page(
    client: Any, bensheim_guide: Any
) -> None:
    answer = await client.get("/guide/?week=next")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fguide%3Fweek%3Dnext"
    form = await client.get(answer.headers["location"])
    assert 'name="next" value="/guide?week=next"' in form.text
    done = await client.post(
        "/login",
        data={
            "_csrf_token": csrf_token(form),
            "email": "Guide@Bensheim.example",
            "password": PASSWORD,
            "next": "/guide?week=next",
        },
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/guide?week=next"
    home = await client.get("/guide/")
    assert home.status_code == 200
    assert "Guide Stadt Bensheim" in home.text


async def test_the_session_cookie_is_httponly_lax_and_secure_outside_development(
    client: Any, bensheim_guide: Any, settings: Settings
) -> None:
    page = await client.get("/login")
    answer = await client.post(
        "/login",
        data={
            "_csrf_token": csrf_token(page),
            "email": bensheim_guide["email"],
            "password": PASSWORD,
        },
    )
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if c.startswith(COOKIE + "=")]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert re.search(r"(?i)samesite=lax", cookie)
    assert "secure" not in attributes  # development serves plain http on 127.0.0.1
    production = settings.model_copy(update={"environment": "production"})
    assert session_cookie(production) == "__Host-treffpunkt_session"


async def test_only_the_hash_of_a_session_is_stored(client: Any, bensheim_guide: Any) -> None:
    await log_in_client(client, bensheim_guide["email"])
    token = session_of(client)
    rows = await AccessToken.select().where(AccessToken.kind == "session")
    assert [row["token_hash"] for row in rows] == [hash_token(token)]
    assert all(token not in str(value) for row in rows for value in row.values())


async def test_a_wrong_password_is_refused_and_the_email_kept(
    client: Any, bensheim_guide: Any
) -> None:
    answer = await submit(
        client, "/login", "/login", {"email": bensheim_guide["email"], "password": "wrong"}
    )
    assert answer.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch" in answer.text
    assert f'value="{bensheim_guide["email"]}"' in answer.text
    assert COOKIE not in answer.headers.get("set-cookie", "")
    assert (await client.get("/guide/")).status_code == 303


async def test_a_login_form_without_its_csrf_token_is_refused(
    client: Any, bensheim_guide: Any
) -> None:
    await client.get("/login")
    answer = await client.post(
        "/login", data={"email": bensheim_guide["email"], "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert COOKIE not in client.cookies


async def test_a_session_id_set_before_the_login_is_never_used(
    client: Any, bensheim_guide: Any
) -> None:
    """Session fixation: an id planted in the browser is not adopted, and a login always
    gets a new id and ends the session the browser held."""
    client.cookies.set(COOKIE, "planted-by-someone-else-0123456789", **JAR)
    await log_in_client(client, bensheim_guide["email"])
    first = session_of(client)
    assert first != "planted-by-someone-else-0123456789"
    await log_in_client(client, bensheim_guide["email"])
    second = session_of(client)
    assert second != first
    stale = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    stale.cookies.set(COOKIE, first, **JAR)
    async with stale:
        assert (await stale.get("/guide/")).status_code == 303
    assert (await client.get("/guide/")).status_code == 200


async def test_logging_out_ends_the_session_on_the_server(
    client: Any, app: Any, bensheim_guide: Any
) -> None:
    await log_in_client(client, bensheim_guide["email"])
    token = session_of(client)
    home = await client.get("/guide/")
    answer = await client.post("/logout", data={"_csrf_token": csrf_token(home)})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?notice=ended"
    assert "Sie sind abgemeldet" in (await client.get("/login?notice=ended")).text
    # A copy of the cookie (another tab, a stolen one) works no more either.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as thief:
        thief.cookies.set(COOKIE, token, **JAR)
        assert (await thief.get("/guide/")).status_code == 303


async def test_deactivating_a_guide_ends_their_session_at_once(
    client: Any, app: Any, bensheim_guide: Any, admin_headers: Any
) -> None:
    async with logged_in_client(app, bensheim_guide["email"]) as guide:
        assert (await guide.get("/guide/")).status_code == 200
        answer = await client.patch(
            f"/api/v1/accounts/{bensheim_guide['id']}",
            json={"active": False},
            headers=admin_headers,
        )
        assert answer.status_code == 200, answer.text
        assert (await guide.get("/guide/")).status_code == 303


async def test_a_session_ends_after_idling_and_at_its_expiry(
    client: Any, bensheim_guide: Any, settings: Settings
) -> None:
    await log_in_client(client, bensheim_guide["email"])
    token_hash = hash_token(session_of(client))
    now = datetime.now(UTC)
    idle = timedelta(minutes=settings.session_idle_minutes)
    await AccessToken.update({AccessToken.last_seen_at: now - idle + timedelta(minutes=1)}).where(
        AccessToken.token_hash == token_hash
    )
    assert (await client.get("/guide/")).status_code == 200  # and it slides on
    [row] = await AccessToken.select(AccessToken.last_seen_at).where(
        AccessToken.token_hash == token_hash
    )
    assert row["last_seen_at"] > now - timedelta(seconds=5)
    await AccessToken.update({AccessToken.last_seen_at: now - idle}).where(
        AccessToken.token_hash == token_hash
    )
    assert (await client.get("/guide/")).status_code == 303
    await log_in_client(client, bensheim_guide["email"])
    await AccessToken.update({AccessToken.expires_at: now - timedelta(seconds=1)}).where(
        AccessToken.token_hash == hash_token(session_of(client))
    )
    assert (await client.get("/guide/")).status_code == 303


async def test_a_bearer_token_is_no_session_and_a_session_no_bearer_token(
    client: Any, bensheim_guide: Any
) -> None:
    headers = await login_headers(client, bensheim_guide["email"])
    client.cookies.set(COOKIE, headers["Authorization"].removeprefix("Bearer "), **JAR)
    assert (await client.get("/guide/")).status_code == 303
    await log_in_client(client, bensheim_guide["email"])
    bearer = {"Authorization": f"Bearer {session_of(client)}"}
    assert (await client.get("/api/v1/guide/events", headers=bearer)).status_code == 401


async def test_guides_and_admins_each_keep_to_their_workspace(
    client: Any, app: Any, bensheim_guide: Any
) -> None:
    await make_admin("admin@platform.example")
    async with logged_in_client(app, bensheim_guide["email"]) as guide:
        assert (await guide.get("/admin/")).status_code == 403
    async with logged_in_client(app, "admin@platform.example") as admin:
        assert (await admin.get("/guide/")).status_code == 403
        assert (await admin.get("/admin/")).status_code == 200
    # The login sends each to their own workspace, whatever `next` said.
    answer = await submit(
        client,
        "/login",
        "/login",
        {"email": bensheim_guide["email"], "password": PASSWORD, "next": "/admin/"},
    )
    assert answer.headers["location"] == "/guide/"


@pytest.mark.parametrize(
    "value",
    [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/guide/",
        "guide/",
        "/login",
        "/guide/\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_the_login_returns_only_to_pages_of_this_site(value: str) -> None:
    assert safe_next(value) is None


async def test_workspace_pages_may_run_this_sites_scripts_and_are_never_cached(
    client: Any, bensheim_guide: Any
) -> None:
    await log_in_client(client, bensheim_guide["email"])
    answer = await client.get("/guide/")
    assert answer.headers["content-security-policy"] == WORKSPACE_POLICY
    assert "script-src 'self'" in WORKSPACE_POLICY
    assert "'unsafe-inline'" not in WORKSPACE_POLICY
    assert answer.headers["cache-control"] == "no-store"
    assert 'name="csrf-token"' in answer.text


async def test_a_guide_logs_in_and_out_in_a_browser(
    app: Any, bensheim_guide: Any, browser: Browser
) -> None:
    async with serving.served() as url:
        for viewport in (PHONE, DESKTOP):
            context = await browser.new_context(viewport=viewport, locale="de-DE")  # type: ignore[arg-type]
            page = await context.new_page()
            await page.goto(url + "/guide/")
            await expect(page).to_have_url(re.compile(r"/login\?next="))
            await assert_accessible(page)
            await assert_fits_width(page)
            await log_in(page, url, bensheim_guide["email"])
            await expect(page).to_have_url(url + "/guide/")
            await expect(page.get_by_role("heading", level=1)).to_have_text("Diese Woche")
            await assert_accessible(page)
            await assert_fits_width(page)
            await page.get_by_role("button", name="Abmelden").click()
            await expect(page.get_by_role("status")).to_contain_text("Sie sind abgemeldet")
            await page.goto(url + "/guide/")
            await expect(page).to_have_url(re.compile(r"/login"))
            await context.close()


@pytest.mark.parametrize(
    "part_headers",
    [b"", b"Content-Type: text/plain; charset=bogus\r\n"],
    ids=["not UTF-8", "an unknown charset"],
)
async def test_a_form_that_cannot_be_decoded_is_refused_not_a_crash(
    client: Any, bensheim_guide: Any, part_headers: bytes
) -> None:
    """The CSRF check reads every form before any handler; a multipart part whose bytes
    are not in its charset is the sender's fault (422), on every page's form."""
    await client.get("/login")
    body = (
        b'--x\r\nContent-Disposition: form-data; name="email"\r\n'
        + part_headers
        + b"\r\n\xff\xfe\r\n--x--\r\n"
    )
    for path in ("/login", "/logout", "/m/bensheim/events/1/register"):
        answer = await client.post(
            path, content=body, headers={"content-type": "multipart/form-data; boundary=x"}
        )
        assert answer.status_code == 422, (path, answer.status_code)


def test_the_csrf_cookie_is_a_host_cookie_over_https(settings: Settings) -> None:
    production = settings.model_copy(update={"environment": "production"})
    assert csrf_config(production, "k" * 32).cookie_name == "__Host-csrftoken"
    assert csrf_config(production, "k" * 32).cookie_secure
