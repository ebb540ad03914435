"""Every page of the workspace, found from the app's routes (a new page is checked
without being listed): another town's objects are not found (404) and stay untouched,
no form is taken without its CSRF token, no page opens without a login, and each page
passes axe in a real browser."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar
from playwright.async_api import Browser
from playwright.async_api import Error as PlaywrightError

from tests import serving
from tests.pages import csrf_token
from tests.test_tenancy import Operation, Towns, operations, row_counts
from tests.web.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width
from tests.web.workspace import log_in, logged_in_client

WORKSPACE = ("guide page", "admin page", "account page")


def pages(app: Litestar, guard: str, *, with_ids: bool | None = None) -> list[Operation]:
    found = [op for op in operations(app) if op.guard == guard]
    if with_ids is not None:
        found = [op for op in found if bool(op.params) == with_ids]
    return found


async def test_no_workspace_page_opens_without_a_login(app: Litestar, towns: Towns) -> None:
    own = await towns.own()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for op in [op for guard in WORKSPACE for op in pages(app, guard)]:
            if op.method != "GET":
                continue
            answer = await client.get(op.url(own))
            assert answer.status_code == 303, f"{op} answered {answer.status_code}"
            assert answer.headers["location"].startswith("/login"), op


async def test_a_guide_finds_nothing_of_another_town_on_any_page(
    app: Litestar, towns: Towns, bensheim_guide: Any
) -> None:
    scoped = pages(app, "guide page", with_ids=True)
    foreign = await towns.foreign()
    async with logged_in_client(app, bensheim_guide["email"]) as guide:
        token = csrf_token(await guide.get("/guide/"))
        for op in scoped:
            before = await row_counts()
            if op.method == "GET":
                answer = await guide.get(op.url(foreign))
            else:
                answer = await guide.request(
                    op.method, op.url(foreign), data={"_csrf_token": token}
                )
            assert answer.status_code == 404, f"{op} answered {answer.status_code} for Butzbach"
            assert await row_counts() == before, f"{op} changed something of Butzbach"


async def test_no_form_of_the_workspace_is_taken_without_its_csrf_token(
    app: Litestar, towns: Towns, bensheim_guide: Any
) -> None:
    own = await towns.own()
    async with logged_in_client(app, bensheim_guide["email"]) as guide:
        for op in pages(app, "guide page"):
            if op.method == "GET":
                continue
            before = await row_counts()
            answer = await guide.request(op.method, op.url(own), data={"name": "x"})
            assert answer.status_code == 403, f"{op} answered {answer.status_code}"
            assert await row_counts() == before, f"{op} wrote without a CSRF token"


async def test_every_guide_page_passes_axe_on_a_phone_and_a_desktop(
    app: Litestar, towns: Towns, bensheim_guide: Any, browser: Browser
) -> None:
    own = await towns.own()
    shown = [op for op in pages(app, "guide page") if op.method == "GET"]
    async with serving.served() as url:
        for viewport in (PHONE, DESKTOP):
            context = await browser.new_context(viewport=viewport, locale="de-DE")  # type: ignore[arg-type]
            page = await context.new_page()
            await log_in(page, url, bensheim_guide["email"])
            for op in shown:
                try:
                    answer = await page.goto(url + op.url(own))
                except PlaywrightError as error:  # a file to download is no page
                    if "Download is starting" not in error.message:
                        raise
                    continue
                assert answer is not None
                if answer.headers.get("content-type", "").startswith("text/html"):
                    assert answer.status == 200, f"{op} answered {answer.status}"
                    await assert_accessible(page)
                    await assert_fits_width(page)
            await context.close()
