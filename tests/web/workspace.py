"""Logging in to the workspace as a browser does, for tests of guide and admin pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from playwright.async_api import Page

from tests.factories import PASSWORD
from tests.pages import submit

# Its name in development, as the tests serve (web/workspace.py session_cookie).
SESSION_COOKIE = "treffpunkt_session"


async def log_in_client(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    """Log `client` in by the login form; its cookie jar then holds the session."""
    answer = await submit(client, "/login", "/login", {"email": email, "password": password})
    assert answer.status_code == 303, answer.text


@asynccontextmanager
async def logged_in_client(
    app: Any, email: str, password: str = PASSWORD
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` of its own, logged in: `async with logged_in_client(app, e) as c:`."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await log_in_client(client, email, password)
        yield client


def session_of(client: httpx.AsyncClient) -> str:
    """The value of the client's session cookie."""
    [value] = [c.value for c in client.cookies.jar if c.name == SESSION_COOKIE and c.value]
    assert value is not None
    return value


async def log_in(page: Page, url: str, email: str, password: str = PASSWORD) -> None:
    """Log in with the browser on the served app at `url`; it ends on the workspace."""
    await page.goto(url + "/login")
    form = page.locator("form[action='/login']")
    await form.locator("#field-email").fill(email)
    await form.locator("#field-password").fill(password)
    await form.locator("button[type=submit]").click()
    await page.wait_for_url(lambda address: "/login" not in address)
