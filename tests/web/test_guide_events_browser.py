"""The event editor and the venues in a real browser (Debian's chromium, Playwright),
against `treffpunkt serve` in its own process: a guide creates "Dialogrunde Ankommen"
with German and Arabic texts and publishes it; every page of the editor and the venues
passes axe, on a phone and on a desktop."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, Page, expect

from tests import serving
from tests.factories import future_day, make_published_event, register_for_session, sessions_of
from tests.web.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width, screenshot
from tests.web.workspace import log_in
from treffpunkt.events.tables import Event, RegistrationMode, Venue
from treffpunkt.translations import translator


def field(page: Page, name: str) -> Any:
    return page.locator(f'[id="field-{name}"]')


async def test_a_guide_creates_and_publishes_a_dialogue_round(
    app: Any, bensheim: Any, bensheim_guide: dict[str, Any], browser: Browser
) -> None:
    t = translator("de")
    day = future_day(12)
    async with serving.served() as url:
        context = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
        page = await context.new_page()
        await log_in(page, url, bensheim_guide["email"])
        await page.goto(f"{url}/guide/events?lang=de")  # the workspace's language, chosen
        await page.get_by_role("link", name=t.gettext("New event")).click()
        await expect(page).to_have_url(re.compile(r"/guide/events/new$"))
        await field(page, "texts.de.title").fill("Dialogrunde Ankommen")
        await field(page, "texts.de.summary").fill("Austausch zwischen Neuen und Alteingesessenen")
        await field(page, "texts.ar.title").fill("جلسة حوار: الوصول")
        assert await field(page, "texts.ar.title").get_attribute("dir") == "rtl"
        await field(page, "texts.ar.summary").fill("تبادل بين القادمين الجدد والمقيمين")
        await page.locator('input[name="languages"][value="ar"]').check()
        await field(page, "interpretation").check()
        await field(page, "capacity").fill("15")
        # A new venue's fields show only while it is chosen (a script; without it, always).
        await expect(page.locator(".new-venue")).to_be_hidden()
        await field(page, "venue_id").select_option("new")
        await expect(page.locator(".new-venue")).to_be_visible()
        await field(page, "new_venue.name").fill("Stadtteilzentrum West")
        await field(page, "new_venue.street").fill("Weststraße 2")
        await field(page, "new_venue.postal_code").fill("64625")
        await field(page, "new_venue.city").fill("Bensheim")
        await field(page, "first_date").fill(day.isoformat())
        await field(page, "first_start").fill("18:00")
        await field(page, "first_end").fill("20:00")
        await page.get_by_role("button", name=t.gettext("Create event")).click()
        await expect(page).to_have_url(re.compile(r"/guide/events/[0-9]+\?done=created$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Dialogrunde Ankommen")
        await page.get_by_role("button", name=t.gettext("Publish event")).click()
        await expect(page).to_have_url(re.compile(r"done=published$"))
        await expect(page.get_by_role("status")).to_have_text(t.gettext("The event is published."))
        event = await Event.objects().output(load_json=True).first()
        assert event is not None
        assert event.status == "published"
        assert event.texts["ar"]["title"] == "جلسة حوار: الوصول"
        venue = await Venue.objects().where(Venue.id == event.venue).first()
        assert venue is not None
        assert venue.name == "Stadtteilzentrum West"
        # Residents see it.
        await page.get_by_role("link", name=t.gettext("Public page"), exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Dialogrunde Ankommen")
        await context.close()


async def test_every_page_of_the_editor_and_the_venues_passes_axe(
    app: Any, bensheim: Any, bensheim_guide: dict[str, Any], browser: Browser
) -> None:
    event = await make_published_event(
        bensheim,
        registration_mode=RegistrationMode.per_session,
        capacity=10,
        texts={"de": {"title": "Dialogrunde Ankommen"}, "ar": {"title": "جلسة حوار: الوصول"}},
    )
    (session,) = await sessions_of(event)
    await register_for_session(session.id, "amal@example.org", locale="ar")
    async with serving.served() as url:
        for viewport in (PHONE, DESKTOP):
            context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
            page = await context.new_page()
            await log_in(page, url, bensheim_guide["email"])
            await page.goto(f"{url}/guide/venues/new?lang=de")
            await assert_accessible(page)
            await field(page, "name").fill("Bürgerhaus")
            await field(page, "street").fill("Markt 1")
            await field(page, "postal_code").fill("64625")
            await field(page, "city").fill("Bensheim")
            await page.get_by_role("button", name=translator("de").gettext("Create venue")).click()
            await expect(page).to_have_url(re.compile(r"/guide/venues/[0-9]+\?done=created$"))
            venue = await Venue.objects().order_by(Venue.id, ascending=False).first()
            assert venue is not None
            paths = [
                "/guide/events",
                "/guide/events?status=published&q=dialog",
                "/guide/events/new",
                f"/guide/events/{event.id}",
                f"/guide/events/{event.id}/cancel",
                "/guide/venues",
                f"/guide/venues/{venue.id}",
            ]
            for path in paths:
                await page.goto(url + path)
                await assert_accessible(page)
                await screenshot(page, f"guide{path}-{viewport['width']}")
                if viewport is PHONE:
                    await assert_fits_width(page)
            # A form that came back with errors, too.
            await page.goto(f"{url}/guide/events/new")
            await field(page, "texts.de.title").fill("Dialogrunde")
            await field(page, "capacity").fill("0")
            await page.locator("form.event-form button[type=submit]").click()
            await expect(page.locator(".error-summary")).to_be_visible()
            await assert_accessible(page)
            await page.goto(f"{url}/guide/events/{event.id}/cancel?lang=ar")
            await assert_accessible(page)
            await context.close()
