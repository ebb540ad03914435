"""The week and writing to registrants in a real browser (Debian's chromium), against
`treffpunkt serve` with its worker sending through a real SMTP server: on a phone and
on a desktop, with axe finding no serious violation on either page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.factories import make_guide
from tests.registrations.test_messages import full_session_with_people
from tests.registrations.test_week import make_week
from tests.smtp import SMTPServer
from tests.web.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width, screenshot
from tests.web.test_event_browser import served_with_mail, text_of
from tests.web.workspace import log_in
from treffpunkt.registrations.tables import EventMessage

GUIDE = "guide@bensheim.example"


async def message_to(smtp: SMTPServer, address: str, subject: str) -> EmailMessage:
    """The guide's message among the person's mails (their registration's come too)."""
    for _ in range(150):
        for mail in smtp.inbox.to(address):
            if str(mail["Subject"]).startswith(subject):
                return mail
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail {subject!r} to {address}")


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
async def page(request: pytest.FixtureRequest, browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=request.param, locale="de-DE")
    yield await context.new_page()
    await context.close()


async def test_a_guide_reads_the_week_and_writes_to_a_sessions_people(
    app: Any, bensheim: Any, smtp: SMTPServer, page: Page
) -> None:
    await make_guide(bensheim, GUIDE)
    await make_week(bensheim)
    event, session, _ = await full_session_with_people(bensheim)
    width = page.viewport_size["width"] if page.viewport_size else 0
    async with served_with_mail(smtp) as url:
        await log_in(page, url, GUIDE)
        await page.goto(f"{url}/guide/")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Diese Woche")
        crowded = page.locator("li.week-session", has_text="Voll")
        await expect(crowded.locator("meter")).to_have_attribute("value", "2")
        await expect(crowded).to_contain_text("Voll, mit langer Warteliste")
        await assert_accessible(page)
        await assert_fits_width(page)
        await screenshot(page, f"guide-week-{width}")

        # The Elterncafé is two weeks ahead: "more", then its message form, its date chosen.
        await page.get_by_role("link", name="Die nächsten 4 Wochen zeigen").click()
        cafe = page.locator("li.week-session", has_text="Elterncafé")
        await cafe.get_by_role("link", name="An die Angemeldeten schreiben").click()
        await expect(page).to_have_url(re.compile(rf"/guide/events/{event.id}/messages"))
        await expect(page.locator("#field-session")).to_have_value(str(session.id))
        await page.get_by_label("Beide").check()
        await page.get_by_label("Betreff").fill("Raum geändert")
        await page.get_by_label("Nachricht", exact=True).fill("Wir treffen uns im Hof.\nBis bald!")
        await assert_accessible(page)
        await page.get_by_role("button", name="Vorschau").click()

        send = page.get_by_role("button", name="An 3 Personen senden")
        await expect(send).to_be_visible()
        await expect(page.locator(".mail-preview")).to_contain_text("Wir treffen uns im Hof.")
        await expect(page.locator(".mail-preview")).to_contain_text("Raum geändert – Elterncafé")
        await assert_accessible(page)
        await assert_fits_width(page)
        await screenshot(page, f"guide-message-preview-{width}")
        await send.click()

        await expect(page.get_by_role("status")).to_contain_text(
            "Ihre Nachricht ist unterwegs an 3 Personen."
        )
        await expect(page.locator(".message-history")).to_contain_text("Raum geändert")
        await assert_accessible(page)
        await assert_fits_width(page)
        mail = await message_to(smtp, "olena@example.org", "Raum geändert")
        assert str(mail["Subject"]) == "Raum geändert – Батьківське кафе"
        assert "Wir treffen uns im Hof.\nBis bald!" in text_of(mail).replace("\r\n", "\n")
    assert await EventMessage.count() == 1
