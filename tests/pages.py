"""Using pages as a browser does, for tests that talk HTTP: forms carry the CSRF token
of the page they are on (web/pages.py, app.py)."""

from __future__ import annotations

import re
from typing import Any

import httpx

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(page: httpx.Response) -> str:
    found = CSRF_FIELD.search(page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def submit(
    client: httpx.AsyncClient, page_url: str, action: str, data: dict[str, Any] | None = None
) -> httpx.Response:
    """Open `page_url` (which sets the CSRF cookie) and send its form to `action`."""
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"_csrf_token": csrf_token(page), **(data or {})})
