"""A guide plans "every second Wednesday" and moves a booked date, in a real browser
(Debian's chromium, Playwright) against `treffpunkt serve` with its worker sending
through a real SMTP server: the preview across the clock change, the confirmation
that says who will be told, and the resident's mail with the updated invitation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from icalendar import Calendar
from playwright.async_api import Browser, Page, expect

from tests.factories import BERLIN, make_published_event, make_venue, register_for_session
from tests.smtp import SMTPServer
from tests.web.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width, screenshot
from tests.web.test_event_browser import DIALOGUE, served_with_mail
from tests.web.workspace import log_in
from treffpunkt.events.service import SESSIONS_MOVED
from treffpunkt.events.tables import Session
from treffpunkt.outbox import OutboxMessage, OutboxStatus
from treffpunkt.registrations.service import confirm_registration

RESIDENT = "amal@example.org"


async def mail_with(smtp: SMTPServer, address: str, subject: str) -> EmailMessage:
    for _ in range(150):
        for message in smtp.inbox.to(address):
            if subject in str(message["Subject"]):
                return message
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail {subject!r} to {address}")


def invitation(message: EmailMessage) -> tuple[str, int]:
    """The METHOD of the mail's calendar part and the highest SEQUENCE in it."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = Calendar.from_ical(part.get_payload(decode=True))
            sequences = [int(event.get("SEQUENCE", 0)) for event in calendar.walk("VEVENT")]
            return str(calendar["METHOD"]), max(sequences)
    raise AssertionError("the mail has no calendar part")


async def check_the_series(page: Page) -> None:
    await page.get_by_label("Wöchentlich, an bestimmten Wochentagen").check()
    for day in ("Montag", "Dienstag", "Donnerstag", "Freitag", "Samstag", "Sonntag"):
        await page.get_by_label(day, exact=True).first.uncheck()
    await page.locator("input[name=weekdays][value=WE]").check()
    await page.get_by_label("Rhythmus").select_option("2")
    await page.get_by_label("Erster Termin").fill("2027-01-06")
    await page.get_by_label("Beginn").first.fill("18:00")
    await page.get_by_label("Ende", exact=True).first.fill("20:00")
    await page.get_by_label("an einem Datum").check()
    await page.get_by_label("Letzter Termin").fill("2027-04-28")


async def test_a_guide_plans_every_second_wednesday_and_moves_a_booked_date(
    app: Any, bensheim: Any, bensheim_guide: dict[str, Any], smtp: SMTPServer, browser: Browser
) -> None:
    venue = await make_venue(bensheim)
    event = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=8,
        venue_id=venue.id,
        texts=DIALOGUE,
    )
    context = await browser.new_context(viewport=DESKTOP, locale="de-DE")  # type: ignore[arg-type]
    page = await context.new_page()
    async with served_with_mail(smtp) as url:
        await log_in(page, url, bensheim_guide["email"])
        await page.goto(f"{url}/guide/events/{event.id}/dates")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Termine")
        # A new series' form is not complete yet: no error before the guide touches it,
        # only what to fill in (series.js does not preview it at once).
        preview = page.locator("#series-preview")
        await expect(preview).to_contain_text("um hier ihre Termine zu sehen")
        await page.wait_for_timeout(600)
        await expect(page.locator(".error-summary")).to_have_count(0)
        await expect(page.get_by_role("alert")).to_have_count(0)
        await assert_accessible(page)
        await check_the_series(page)
        # The preview follows the form as the guide types (series.js).
        await expect(preview).to_contain_text(
            "Jede zweite Woche am Mittwoch, 18:00–20:00, vom 6. Januar 2027 bis 28. April 2027."
        )
        await expect(preview.locator(".clock-change")).to_have_count(1)
        await expect(preview.locator(".clock-change")).to_contain_text("Die Sommerzeit beginnt")
        await expect(preview.locator(".preview-date")).to_have_count(9)
        # After the change the sessions keep 18:00.
        await expect(preview.locator(".preview-date").last).to_contain_text(
            "Mittwoch, 28. April 2027, 18:00–20:00"
        )
        await assert_accessible(page)
        await screenshot(page, "guide-dates-preview")
        await page.get_by_role("button", name="Serie speichern").click()
        await expect(page.get_by_role("status")).to_have_text("Die Serie ist gespeichert.")

        # A resident holds a confirmed place on 3 February.
        series = (
            await Session.objects()
            .where((Session.event == event.id) & Session.occurrence_start.is_not_null())
            .order_by(Session.starts_at)
        )
        assert len(series) == 9
        third = series[2]
        registration = await register_for_session(third.id, RESIDENT)
        await confirm_registration(registration.id)
        confirmed = await mail_with(smtp, RESIDENT, "Anmeldung ist bestätigt")
        method, sequence = invitation(confirmed)
        assert method == "REQUEST"

        # The guide moves that date to Thursday; the page says one person will be told.
        await page.reload()
        item = page.locator(f"#session-{third.id}")
        await item.get_by_text("Termin verschieben").click()
        await item.get_by_label("Neues Datum").fill("2027-02-04")
        await item.get_by_role("button", name="Verschieben").click()
        await expect(page.get_by_role("heading", level=2).first).to_have_text(
            "1 Person wird per E-Mail benachrichtigt"
        )
        await expect(page.locator(".mail-preview")).to_contain_text(
            "Donnerstag, 4. Februar 2027, 18:00–20:00"
        )
        await assert_accessible(page)
        await screenshot(page, "guide-dates-confirm")
        await page.get_by_role("button", name="Verschieben und E-Mails senden").click()
        await expect(page.get_by_role("status")).to_have_text("Der Termin ist verschoben.")
        await assert_accessible(page)

        # The edit window passes (several quick edits reach each person as one mail).
        await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC)}).where(
            (OutboxMessage.kind == SESSIONS_MOVED) & (OutboxMessage.status == OutboxStatus.queued)
        )
        changed = await mail_with(smtp, RESIDENT, "Geänderter Termin")
        method, moved_sequence = invitation(changed)
        assert method == "REQUEST"
        assert moved_sequence > sequence
        text = changed.get_body(preferencelist=("plain",))
        assert text is not None
        assert "Donnerstag, 4. Februar 2027, 18:00" in str(text.get_content())  # type: ignore[attr-defined]
        moved = await Session.objects().where(Session.id == third.id).first()
        assert moved is not None
        assert moved.starts_at.astimezone(BERLIN).isoformat() == "2027-02-04T18:00:00+01:00"

        # At a phone's width the page fits and stays accessible, also right to left.
        await page.set_viewport_size(PHONE)
        await page.goto(f"{url}/guide/events/{event.id}/dates")
        # The saved series' preview comes by fetch after the load: measure once it is in.
        await page.wait_for_load_state("networkidle")
        await assert_fits_width(page)
        await assert_accessible(page)
        await page.goto(f"{url}/guide/events/{event.id}/dates?lang=ar")
        await page.wait_for_load_state("networkidle")
        assert await page.locator("html").get_attribute("dir") == "rtl"
        await assert_fits_width(page)
        await assert_accessible(page)

        # Without JavaScript "Show dates" brings the page back with the preview.
        plain = await browser.new_context(java_script_enabled=False, locale="de-DE")
        without = await plain.new_page()
        await log_in(without, url, bensheim_guide["email"])
        await without.goto(f"{url}/guide/events/{event.id}/dates?lang=de")
        await without.get_by_label("Letzter Termin").fill("2027-11-24")
        await without.get_by_role("button", name="Termine anzeigen").click()
        shown = without.locator("#series-preview")
        await expect(shown).to_contain_text("bis 24. November 2027")
        await expect(shown.locator(".clock-change")).to_have_count(2)
        await expect(shown.locator(".clock-change").last).to_contain_text("Die Winterzeit beginnt")
        await plain.close()
    await context.close()
