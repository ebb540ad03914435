"""Partner submissions in a real browser (Debian's chromium, Playwright) against
`treffpunkt serve` with its worker sending to a real SMTP server: an organisation
proposes an event for the Interkulturelle Woche, a guide approves it, it is on the
programme's page and in its feed, and the organisation got both mails."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from playwright.async_api import Browser, Page, expect

from tests import serving
from tests.factories import future_day, make_venue
from tests.smtp import SMTPServer
from tests.submissions.factories import make_programme
from tests.web.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width, screenshot
from tests.web.test_event_browser import mail_to, served_with_mail, text_of
from tests.web.workspace import log_in
from treffpunkt.submissions.tables import Submission
from treffpunkt.translations import translator

SLUG = "interkulturelle-woche-2027"
PARTNER = "info@tuerkischer-elternverein.org"


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, locale="de-DE")  # type: ignore[arg-type]
    yield await context.new_page()
    await context.close()


async def propose(page: Page, day: str) -> None:
    """What the organisation types into the form (German page, Turkish mails)."""
    await page.locator("#field-organisation").fill("Türkischer Elternverein Bensheim")
    await page.locator("#field-contact_name").fill("Ayşe Demir")
    await page.locator("#field-email").fill(PARTNER)
    await page.locator("#field-phone").fill("06251 55555")
    await page.locator("#field-locale").select_option("tr")
    await page.locator("#field-title_de").fill("Märchenabend in zwei Sprachen")
    await page.locator("#field-description_de").fill("Märchen auf Deutsch und Türkisch.")
    await page.locator("#field-date_1").fill(day)
    await page.locator("#field-start_1").fill("17:00")
    await page.locator("#field-end_1").fill("19:00")
    await page.locator('input[name="languages"][value="de"]').check()
    await page.locator('input[name="languages"][value="tr"]').check()
    await page.locator("#field-accessibility").fill("Stufenloser Zugang")
    await page.locator("#field-consent").check()


async def test_a_partner_proposes_the_guide_approves_and_it_is_published(
    app: Any, bensheim: Any, bensheim_guide: Any, smtp: SMTPServer, page: Page
) -> None:
    de, tr = translator("de"), translator("tr")
    await make_programme(bensheim, SLUG)
    venue = await make_venue(bensheim, "Stadtbibliothek")
    day = str(future_day(33))
    async with served_with_mail(smtp) as url, httpx.AsyncClient() as http:
        # The organisation finds the form on the programme's page.
        await page.goto(f"{url}/m/bensheim/programmes/{SLUG}")
        await page.get_by_role(
            "link", name=de.gettext("Your organisation wants to take part? Propose an event")
        ).click()
        await expect(page).to_have_url(re.compile(rf"/programmes/{SLUG}/submit$"))
        await assert_accessible(page)
        await assert_fits_width(page)
        # Sent without a title first: the field is named, the rest kept.
        await propose(page, day)
        await page.locator("#field-title_de").fill("")
        await page.locator("#field-description_de").fill("")
        await page.get_by_role("button", name=de.gettext("Send the proposal")).click()
        await expect(page.locator(".error-summary")).to_contain_text(
            de.gettext("Enter a title in at least one language.")
        )
        assert await page.locator("#field-organisation").input_value() == (
            "Türkischer Elternverein Bensheim"
        )
        await assert_accessible(page)
        await screenshot(page, "submission-form-errors")
        await propose(page, day)
        await page.get_by_role("button", name=de.gettext("Send the proposal")).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            de.gettext("Thank you for your proposal")
        )
        await assert_accessible(page)
        received = await mail_to(smtp, PARTNER)
        assert received["Subject"] == tr.gettext(
            "We received your proposal: %(title)s", title="Märchenabend in zwei Sprachen"
        )

        # The guide logs in, finds it in the programme's queue, picks a venue, approves.
        await log_in(page, url, bensheim_guide["email"])
        await page.goto(f"{url}/guide/programmes")
        await expect(page).to_have_url(re.compile(r"/guide/programmes$"))
        await assert_accessible(page)
        await page.get_by_role("link", name="Interkulturelle Woche 2027").click()
        await assert_accessible(page)
        await page.get_by_role("link", name=re.compile(de.gettext("Proposals") + ":")).click()
        await assert_accessible(page)
        await page.get_by_role("link", name="Märchenabend in zwei Sprachen").click()
        await assert_accessible(page)
        await assert_fits_width(page)
        await page.locator("#field-venue").select_option(label="Stadtbibliothek")
        await page.get_by_role("button", name=de.gettext("Save changes")).click()
        await expect(page.locator("#field-venue")).to_have_value(str(venue.id))
        await page.get_by_role("button", name=de.gettext("Approve and publish")).click()
        await expect(page.get_by_role("status")).to_contain_text(
            de.gettext("Approved: the event is published in the programme.")
        )
        await assert_accessible(page)
        [submission] = await Submission.objects()
        event_id = submission.event

        # It is on the programme's public page and in its feed.
        await page.goto(f"{url}/m/bensheim/programmes/{SLUG}")
        await expect(page.get_by_role("link", name="Märchenabend in zwei Sprachen")).to_be_visible()
        feed = await http.get(f"{url}/m/bensheim/programmes/{SLUG}/calendar.ics")
        assert feed.status_code == 200
        summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")]
        assert "Märchenabend in zwei Sprachen" in summaries

        # The organisation got the news, in Turkish, with the event's page.
        approved = await mail_to(smtp, PARTNER, 2)
        assert approved["Subject"] == tr.gettext(
            "Your event is in the programme: %(title)s", title="Märchenabend in zwei Sprachen"
        )
        assert f"{url}/m/bensheim/events/{event_id}" in text_of(approved)
        event_page = await http.get(f"{url}/m/bensheim/events/{event_id}")
        assert "Stadtbibliothek" in event_page.text
        assert "Türkischer Elternverein Bensheim" in event_page.text


@pytest.mark.parametrize("locale", ["de", "ar"])
async def test_the_form_and_its_pages_are_accessible(
    app: Any, bensheim: Any, browser: Browser, locale: str
) -> None:
    await make_programme(bensheim, SLUG)
    closed = await make_programme(bensheim, "closed", submissions_until=None)
    async with serving.served() as url:
        for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
            page = await context.new_page()
            for name, path in (
                ("form", f"/m/bensheim/programmes/{SLUG}/submit"),
                ("thanks", f"/m/bensheim/programmes/{SLUG}/submitted"),
                ("closed", f"/m/bensheim/programmes/{closed['slug']}/submit"),
            ):
                await page.goto(f"{url}{path}?lang={locale}")
                await assert_accessible(page)
                await assert_fits_width(page)
                await screenshot(page, f"submission-{name}-{locale}-{width}")
            await page.goto(f"{url}/m/bensheim/programmes/{SLUG}/submit?lang={locale}")
            await page.get_by_role(
                "button", name=translator(locale).gettext("Send the proposal")
            ).click()
            await expect(page.locator(".error-summary")).to_be_visible()
            await assert_accessible(page)
            await assert_fits_width(page)
            await context.close()
