"""The event page and registration in a real browser (Debian's chromium, Playwright),
against `treffpunkt serve` in its own process with its worker on, sending through a
real SMTP server: what residents and volunteers see, click and receive."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from playwright.async_api import Browser, Page, expect

from tests import serving
from tests.factories import (
    SECRET,
    make_published_event,
    make_venue,
    register_for_session,
    sessions_of,
)
from tests.smtp import SMTPServer
from tests.web.browser import (
    DESKTOP,
    PHONE,
    ZOOMED,
    assert_accessible,
    assert_fits_width,
    assert_readable_text,
    screenshot,
)
from treffpunkt.registrations.service import registration_token
from treffpunkt.registrations.tables import Registration
from treffpunkt.translations import translator

DIALOGUE = {
    "de": {
        "title": "Dialogrunde Ankommen",
        "summary": "Austausch zwischen Neuen und Alteingesessenen",
        "description": "Wir sprechen über Wohnen, Arbeit und Nachbarschaft.",
    },
    "ar": {"title": "جلسة حوار: الوصول", "summary": "تبادل بين القادمين الجدد والمقيمين"},
}


@asynccontextmanager
async def served_with_mail(smtp: SMTPServer) -> AsyncIterator[str]:
    """The app in its own process, its worker delivering to the test SMTP server."""
    env = {
        "TREFFPUNKT_SMTP_HOST": "127.0.0.1",
        "TREFFPUNKT_SMTP_PORT": str(smtp.port),
        "TREFFPUNKT_SMTP_TLS": "none",
        "TREFFPUNKT_WORKER_IN_PROCESS": "true",
    }
    async with serving.served(env) as url:
        yield url


async def mail_to(smtp: SMTPServer, address: str, count: int = 1) -> EmailMessage:
    for _ in range(150):
        received = smtp.inbox.to(address)
        if len(received) >= count:
            return received[count - 1]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail number {count} to {address}")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def registration_link(message: EmailMessage, url: str) -> str:
    found = re.search(re.escape(url) + r"/r/[A-Za-z0-9_-]+", text_of(message))
    assert found, text_of(message)
    return found.group(0)


async def dialogue_round(town: Any, **fields: Any) -> Any:
    venue = await make_venue(town)
    data = {
        "registration_mode": "per_session",
        "capacity": 8,
        "venue_id": venue.id,
        "texts": DIALOGUE,
        **fields,
    }
    return await make_published_event(town, **data)


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    yield await context.new_page()
    await context.close()


async def fill_form(page: Page, name: str, email: str) -> None:
    await page.locator("#field-name").fill(name)
    await page.locator("#field-email").fill(email)
    await page.locator("#field-consent").check()


async def test_a_resident_in_arabic_registers_confirms_keeps_and_cancels(
    app: Any, bensheim: Any, smtp: SMTPServer, page: Page
) -> None:
    t = translator("ar")
    event = await dialogue_round(bensheim)
    async with served_with_mail(smtp) as url, httpx.AsyncClient() as http:
        # She finds the dialogue round in her town's list, in Arabic, and opens it.
        await page.goto(f"{url}/m/bensheim/?lang=ar&kind=dialogue")
        await page.get_by_role("link", name="جلسة حوار: الوصول").first.click()
        await expect(page).to_have_url(re.compile(rf"/m/bensheim/events/{event.id}\b"))
        assert await page.locator("html").get_attribute("dir") == "rtl"
        await expect(page.get_by_role("heading", level=1)).to_have_text("جلسة حوار: الوصول")
        # Addresses stay left to right in the right-to-left page.
        assert await page.locator("#field-email").get_attribute("dir") == "ltr"
        for link in await page.locator('main a[href^="mailto:"]').all():
            assert await link.get_attribute("dir") == "ltr"
        # The description has no Arabic text: shown in German, marked as such.
        assert await page.locator(".description").get_attribute("lang") == "de"

        await fill_form(page, "كريم", "karim@example.org")
        await page.get_by_role("button", name=t.gettext("Register")).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            t.gettext("Please check your email")
        )

        link = registration_link(await mail_to(smtp, "karim@example.org"), url)
        await page.goto(link)
        await page.get_by_role("button", name=t.gettext("Confirm registration")).click()
        await expect(page.get_by_role("status")).to_contain_text(
            t.gettext("Confirmed. We look forward to seeing you!")
        )
        # Add to calendar: the file is a calendar with this event, its URL the page.
        download = page.get_by_role("link", name=t.gettext("Download calendar file (.ics)"))
        answer = await http.get(url + (await download.get_attribute("href") or ""))
        assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
        [vevent] = Calendar.from_ical(answer.content).walk("VEVENT")
        assert str(vevent["URL"]) == f"{url}/m/bensheim/events/{event.id}"
        google = page.get_by_role("link", name=t.gettext("Google Calendar"))
        assert (await google.get_attribute("href") or "").startswith("https://calendar.google.com/")

        # Cancelling asks first.
        await page.get_by_role("link", name=t.gettext("Cancel registration")).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            t.gettext("Cancel your place?")
        )
        await page.get_by_role("button", name=t.gettext("Yes, cancel my place")).click()
        await expect(page.get_by_role("status")).to_contain_text(t.gettext("Cancelled."))
    [registration] = await Registration.objects()
    assert (registration.status, registration.locale) == ("cancelled", "ar")


async def test_a_volunteer_registers_for_a_training_course(
    app: Any, bensheim: Any, smtp: SMTPServer, page: Page
) -> None:
    t = translator("de")
    course = await make_published_event(
        bensheim,
        kind="training",
        audience="volunteers",
        registration_mode="whole_event",
        capacity=12,
        texts={"de": {"title": "Grundkurs Ehrenamt"}},
        sessions=[
            {"starts_at": f"{day}T18:00:00+01:00", "ends_at": f"{day}T20:00:00+01:00"}
            for day in ("2031-03-04", "2031-03-11", "2031-03-18")
        ],
    )
    async with served_with_mail(smtp) as url:
        # She looks for trainings for volunteers in the town's list and opens the course.
        await page.goto(f"{url}/m/bensheim/?lang=de&audience=volunteers&kind=training")
        await page.get_by_role("link", name="Grundkurs Ehrenamt").first.click()
        await expect(page).to_have_url(re.compile(rf"/m/bensheim/events/{course.id}\b"))
        await expect(page.get_by_text(t.gettext("for volunteers"))).to_be_visible()
        await expect(page.locator('input[name="session"]')).to_have_count(0)
        await fill_form(page, "Jana Vogel", "jana@example.org")
        await page.get_by_role("button", name=t.gettext("Register")).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            t.gettext("Please check your email")
        )
        message = await mail_to(smtp, "jana@example.org")
        assert "Grundkurs Ehrenamt" in str(message["Subject"]) + text_of(message)
    [registration] = await Registration.objects()
    assert (registration.event, registration.session) == (course.id, None)


async def test_registering_works_without_javascript(
    app: Any, bensheim: Any, smtp: SMTPServer, browser: Browser
) -> None:
    t = translator("de")
    event = await dialogue_round(bensheim)
    context = await browser.new_context(java_script_enabled=False, viewport=PHONE)  # type: ignore[arg-type]
    page = await context.new_page()
    async with served_with_mail(smtp) as url:
        await page.goto(f"{url}/m/bensheim/events/{event.id}?lang=de")
        # The bots' trap is hidden by the stylesheet: no person sees or fills it.
        await expect(page.locator(".form-trap")).to_be_hidden()
        await fill_form(page, "Olena", "olena@example.org")
        await page.get_by_role("button", name=t.gettext("Register")).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            t.gettext("Please check your email")
        )
        link = registration_link(await mail_to(smtp, "olena@example.org"), url)
        await page.goto(link)
        await page.get_by_role("button", name=t.gettext("Confirm registration")).click()
        await expect(page.get_by_role("status")).to_contain_text(
            t.gettext("Confirmed. We look forward to seeing you!")
        )
    await context.close()


async def test_the_form_refuses_forgeries_and_keeps_what_was_typed(
    app: Any, bensheim: Any, page: Page
) -> None:
    t = translator("de")
    event = await dialogue_round(bensheim)
    [session] = await sessions_of(event)
    async with serving.served() as url, httpx.AsyncClient() as http:
        forged = await http.post(
            f"{url}/m/bensheim/events/{event.id}/register",
            data={"name": "A", "email": "a@example.org", "consent": "yes", "session": session.id},
        )
        assert forged.status_code == 403

        await page.goto(f"{url}/m/bensheim/events/{event.id}?lang=de")
        await page.locator("#field-name").fill("Amal")
        await page.locator("#field-email").fill("amal@localhost")  # the browser lets it by
        await page.locator("#field-phone").fill("ruf mich an")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name=t.gettext("Register")).click()
        assert (await posted.value).status == 422
        summary = page.locator(".error-summary")
        await expect(summary).to_be_visible()
        await expect(summary.get_by_role("link")).to_have_count(3)  # email, phone, consent
        await expect(page.locator("#error-email")).to_be_visible()
        assert await page.locator("#field-email").get_attribute("aria-describedby") == (
            "hint-email error-email"
        )
        await expect(page.locator("#field-name")).to_have_value("Amal")
        await expect(page.locator("#field-phone")).to_have_value("ruf mich an")
        assert await summary.get_by_role("link").first.get_attribute("href") == "#field-email"
    assert await Registration.count() == 0


@pytest.mark.parametrize("locale", ["de", "ar"])
async def test_the_pages_are_accessible_on_a_phone_and_a_desktop(
    app: Any, bensheim: Any, browser: Browser, locale: str
) -> None:
    event = await dialogue_round(
        bensheim,
        organiser={"name": "Caritas Bensheim", "contact": "info@caritas.example"},
        max_seats_per_registration=3,
        capacity=1,
    )
    [session] = await sessions_of(event)
    person = await register_for_session(session.id, "first@example.org", locale=locale)
    token = registration_token(SECRET, person.token_salt)
    base = f"/m/bensheim/events/{event.id}"
    pages = {
        "event": f"{base}?lang={locale}",
        "outcome-pending": f"{base}/registered/pending?lang={locale}",
        "outcome-waitlisted": f"{base}/registered/waitlisted?lang={locale}",
        "registration": f"/r/{token}?lang={locale}",
        "registration-cancel": f"/r/{token}/cancel?lang={locale}",
        "registration-unknown": f"/r/{'x' * 43}?lang={locale}",
    }
    refused: list[str] = []
    async with serving.served() as url:
        sizes: list[tuple[str, dict[str, Any]]] = [
            ("phone", {"viewport": PHONE}),
            ("desktop", {"viewport": DESKTOP}),
            ("zoomed", ZOOMED),
        ]
        for width, options in sizes:
            context = await browser.new_context(**options)
            page = await context.new_page()
            page.on("console", lambda message: refused.append(message.text))
            for name, address in pages.items():
                await page.goto(url + address)
                await assert_accessible(page)
                await assert_fits_width(page)
                await assert_readable_text(page)
                await screenshot(page, f"{name}-{locale}-{width}")
            # The form with its errors, and the full event's answer (a waitlist here).
            await page.goto(url + pages["event"])
            await page.locator("#field-email").fill("x@localhost")
            await page.get_by_role("button", name=translator(locale).gettext("Register")).click()
            await expect(page.locator(".error-summary")).to_be_visible()
            await assert_accessible(page)
            await assert_fits_width(page)
            await screenshot(page, f"event-errors-{locale}-{width}")
            assert not [text for text in refused if "Content Security Policy" in text]
            await context.close()


async def test_the_organiser_and_contact_in_arabic_keep_names_and_numbers_whole(
    app: Any, browser: Browser
) -> None:
    """Right to left, a colon or comma between two left-to-right values lands on the
    wrong side: each value has a label of its own, and a phone number one line."""
    from tests.factories import make_municipality

    town = await make_municipality("lorsch", "Stadt Lorsch", contact_phone="+49 6251 5967-123")
    event = await make_published_event(
        town,
        organiser={"name": "Begegnungsverein Mosaik e.V.", "contact": "mosaik@example.org"},
    )
    async with serving.served() as url:
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        await page.goto(f"{url}/m/lorsch/events/{event.id}?lang=ar")
        section = page.locator("section[aria-labelledby=organiser]")
        town_line = section.locator("p").last
        await expect(town_line.locator("bdi")).to_have_text("Stadt Lorsch")
        text = await town_line.inner_text()
        assert ":" not in text.split("\n")[0], text  # nothing glued to the name
        phone = town_line.locator("a.phone")
        await expect(phone).to_have_text("+49 6251 5967-123")
        assert await phone.evaluate("link => link.getClientRects().length") == 1
        assert await phone.evaluate("link => getComputedStyle(link).whiteSpace") == "nowrap"
        await assert_fits_width(page)
        await assert_accessible(page)
        await screenshot(page, "event-contact-ar-phone")
        await context.close()
