"""The registration page in a real browser (Debian's chromium, driven by Playwright),
against `treffpunkt serve` in its own process: what a resident sees and clicks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests import serving
from tests.factories import SECRET, make_published_event, register_for_session, sessions_of
from tests.pages import submit
from tests.web.browser import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_fits_width,
    screenshot,
)
from treffpunkt.registrations.service import registration_token


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
        # Anyone can have typed this address: its places in the town stay private until
        # the link in the mail confirms it.
        subscribe = page.get_by_role("link", name="Im Kalender abonnieren")
        await expect(subscribe).to_have_count(0)
        assert "/feeds/" not in await page.content()

        await page.get_by_role("button", name="Anmeldung bestätigen").click()
        await expect(status).to_contain_text("Bestätigt")

        # The personal calendar: a webcal:// button and an https:// address to copy.
        assert (await subscribe.get_attribute("href") or "").startswith("webcal://127.0.0.1")
        address = page.get_by_label("Link zum Kopieren")
        old_feed = await address.input_value()
        assert old_feed.startswith(f"{url}/feeds/")
        feed = await http.get(old_feed)
        assert feed.status_code == 200
        assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
        assert b"STATUS:CONFIRMED" in feed.content

        # A link shared by mistake is replaced; the old one stops working.
        await page.get_by_role("button", name="Neuen Kalender-Link erzeugen").click()
        await expect(address).not_to_have_value(old_feed)
        assert (await http.get(old_feed)).status_code == 404
        assert (await http.get(await address.input_value())).status_code == 200

        # Cancelling asks first ("Platz absagen?"), on a page of its own.
        await page.get_by_role("link", name="Anmeldung absagen").click()
        await page.get_by_role("button", name="Ja, Platz absagen").click()
        await expect(status).to_contain_text("Storniert")
        await expect(page.get_by_role("link", name="Anmeldung absagen")).to_have_count(0)
        await expect(subscribe).to_have_count(0)  # an ended registration leads to no feed


async def test_the_page_reads_right_to_left_in_arabic(app: Any, bensheim: Any, page: Page) -> None:
    path = await link_for(bensheim, "karim@example.org", locale="ar")
    async with serving.served() as url:
        await page.goto(url + path)
        await page.get_by_role("button", name="تأكيد التسجيل").click()  # shows the calendar
        assert await page.locator("html").get_attribute("dir") == "rtl"
        assert await page.locator("html").get_attribute("lang") == "ar"
        await expect(page.get_by_role("heading", name="تقويمك", exact=True)).to_be_visible()
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


async def test_an_unconfirmed_link_can_neither_show_nor_renew_the_personal_feed(
    client: Any, bensheim: Any
) -> None:
    """The feed shows every place of the address in the town; a link anybody could
    have caused with that address shows none of it, and cannot revoke the owner's."""
    from treffpunkt.calendars import personal

    owner = await link_for(bensheim, "olena@example.org")
    await submit(client, owner, f"{owner}/confirm")
    feed = (await client.get(owner)).text
    assert "/feeds/" in feed
    stranger = await link_for(bensheim, "olena@example.org")  # another event, unconfirmed
    page = await client.get(stranger)
    assert page.status_code == 200
    assert "/feeds/" not in page.text
    tokens = await personal.feed_tokens(bensheim.id, ["olena@example.org"], SECRET)
    await submit(client, stranger, f"{stranger}/calendar/renew")
    assert await personal.feed_tokens(bensheim.id, ["olena@example.org"], SECRET) == tokens


@pytest.mark.parametrize("locale", ["de", "ar"])
async def test_the_page_is_accessible_on_a_phone_and_a_desktop(
    app: Any, bensheim: Any, browser: Browser, locale: str
) -> None:
    path = await link_for(bensheim, "amal@example.org", locale=locale)
    async with serving.served() as url:
        for name, viewport in [("phone", PHONE), ("desktop", DESKTOP)]:
            context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
            page = await context.new_page()
            await page.goto(url + path)
            await assert_accessible(page)
            await assert_fits_width(page)
            await screenshot(page, f"registration-{locale}-{name}")
            await context.close()
