"""The registration page in a real browser (Debian's chromium, driven by Playwright),
against `treffpunkt serve` in its own process: what a resident sees and clicks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests import serving
from tests.factories import SECRET, make_published_event, register_for_session, sessions_of
from treffpunkt.registrations.service import registration_token

CHROMIUM = "/usr/bin/chromium"  # Debian's; `make test` installs it
# Headless on a machine without internet: no background calls home (they fail slowly).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    yield await context.new_page()
    await context.close()


async def link_for(municipality: Any, email: str, locale: str = "de") -> str:
    event = await make_published_event(municipality, registration_mode="per_session", capacity=3)
    [session] = await sessions_of(event)
    registration = await register_for_session(session.id, email, locale=locale)
    return f"/r/{registration_token(SECRET, registration.token_salt)}"


async def test_a_resident_confirms_subscribes_and_cancels(
    app: Any, bensheim: Any, page: Page
) -> None:
    path = await link_for(bensheim, "olena@example.org")
    async with serving.served() as url, httpx.AsyncClient() as http:
        await page.goto(url + path)
        status = page.get_by_role("status")
        await expect(status).to_contain_text("Noch nicht bestätigt")

        # The personal calendar: a webcal:// button and an https:// address to copy.
        subscribe = page.get_by_role("link", name="Im Kalender abonnieren")
        assert (await subscribe.get_attribute("href") or "").startswith("webcal://127.0.0.1")
        address = page.get_by_label("Link zum Kopieren")
        old_feed = await address.input_value()
        assert old_feed.startswith(f"{url}/feeds/")
        feed = await http.get(old_feed)
        assert feed.status_code == 200
        assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
        assert b"BEGIN:VEVENT" not in feed.content  # not confirmed yet: not in her calendar

        await page.get_by_role("button", name="Anmeldung bestätigen").click()
        await expect(status).to_contain_text("Bestätigt")
        assert b"STATUS:CONFIRMED" in (await http.get(old_feed)).content

        # A link shared by mistake is replaced; the old one stops working.
        await page.get_by_role("button", name="Neuen Kalender-Link erzeugen").click()
        await expect(address).not_to_have_value(old_feed)
        assert (await http.get(old_feed)).status_code == 404
        assert (await http.get(await address.input_value())).status_code == 200

        await page.get_by_role("button", name="Anmeldung absagen").click()
        await expect(status).to_contain_text("Storniert")
        await expect(page.get_by_role("button", name="Anmeldung absagen")).to_have_count(0)


async def test_the_page_reads_right_to_left_in_arabic(app: Any, bensheim: Any, page: Page) -> None:
    path = await link_for(bensheim, "karim@example.org", locale="ar")
    async with serving.served() as url:
        await page.goto(url + path)
        assert await page.locator("html").get_attribute("dir") == "rtl"
        assert await page.locator("html").get_attribute("lang") == "ar"
        await expect(page.get_by_role("heading", name="تقويمك")).to_be_visible()
        # Addresses stay left to right inside the right-to-left page.
        assert await page.get_by_label("رابط للنسخ").get_attribute("dir") == "ltr"


async def test_the_page_keeps_its_looks_under_its_content_security_policy(
    app: Any, bensheim: Any, page: Page
) -> None:
    path = await link_for(bensheim, "amir@example.org")
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    async with serving.served() as url:
        response = await page.goto(url + path)
        assert response is not None
        assert "style-src 'self'" in (await response.all_headers())["content-security-policy"]
        button = page.get_by_role("button", name="Anmeldung bestätigen")
        colour = await button.evaluate("button => getComputedStyle(button).backgroundColor")
    assert colour == "rgb(0, 90, 140)"  # from /static/registration.css
    assert not [text for text in refused if "Content Security Policy" in text]
