"""The guide's week of work, start to end, in real browsers against `treffpunkt serve`
with its worker sending through a real SMTP server: a guide creates "Dialogrunde
Ankommen" with German and Arabic texts, plans every second Wednesday across the clock
change, publishes; a resident registers on the public page and confirms; the guide moves
her date, is told first that one person will get a mail, and her mail brings the
updated invitation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from playwright.async_api import Browser, expect

from tests.smtp import SMTPServer
from tests.web.browser import DESKTOP, PHONE, assert_accessible
from tests.web.test_event_browser import fill_form, mail_to, registration_link, served_with_mail
from tests.web.test_guide_dates_browser import check_the_series, invitation, mail_with
from tests.web.test_guide_events_browser import field
from tests.web.workspace import log_in
from treffpunkt.events.service import SESSIONS_MOVED
from treffpunkt.outbox import OutboxMessage, OutboxStatus
from treffpunkt.registrations.tables import Registration

RESIDENT = "leyla@example.org"


async def test_a_guide_plans_a_dialogue_round_a_resident_registers_the_guide_moves_her_date(
    app: Any, bensheim: Any, bensheim_guide: dict[str, Any], smtp: SMTPServer, browser: Browser
) -> None:
    guide_context = await browser.new_context(viewport=DESKTOP, locale="de-DE")  # type: ignore[arg-type]
    resident_context = await browser.new_context(viewport=PHONE, locale="de-DE")  # type: ignore[arg-type]
    guide, resident = await guide_context.new_page(), await resident_context.new_page()
    async with served_with_mail(smtp) as url:
        # The guide creates the event with German and Arabic texts.
        await log_in(guide, url, bensheim_guide["email"])
        await guide.goto(f"{url}/guide/events/new")
        await field(guide, "texts.de.title").fill("Dialogrunde Ankommen")
        await field(guide, "texts.de.summary").fill("Austausch zwischen Neuen und Alteingesessenen")
        await field(guide, "texts.ar.title").fill("جلسة حوار: الوصول")
        await field(guide, "texts.ar.summary").fill("تبادل بين القادمين الجدد والمقيمين")
        await guide.locator('input[name="languages"][value="ar"]').check()
        await field(guide, "capacity").fill("8")
        await field(guide, "registration_mode").select_option("per_session")
        await field(guide, "venue_id").select_option("new")
        await field(guide, "new_venue.name").fill("Stadtteilzentrum West")
        await field(guide, "new_venue.street").fill("Weststraße 2")
        await field(guide, "new_venue.postal_code").fill("64625")
        await field(guide, "new_venue.city").fill("Bensheim")
        await guide.get_by_role("button", name="Veranstaltung anlegen").click()
        await expect(guide).to_have_url(re.compile(r"/guide/events/[0-9]+\?done=created$"))
        event_id = int(re.findall(r"/guide/events/([0-9]+)", guide.url)[0])

        # Every second Wednesday, 18:00–20:00: the preview shows the clock change.
        await guide.get_by_role("link", name="Termine und Serie").click()
        await check_the_series(guide)
        preview = guide.locator("#series-preview")
        await expect(preview).to_contain_text("Jede zweite Woche am Mittwoch, 18:00–20:00")
        await expect(preview.locator(".clock-change")).to_contain_text("Die Sommerzeit beginnt")
        await expect(preview.locator(".preview-date")).to_have_count(9)
        await assert_accessible(guide)
        await guide.get_by_role("button", name="Serie speichern").click()
        await expect(guide.get_by_role("status")).to_have_text("Die Serie ist gespeichert.")

        # … and publishes.
        await guide.goto(f"{url}/guide/events/{event_id}")
        await guide.get_by_role("button", name="Veranstaltung veröffentlichen").click()
        await expect(guide.get_by_role("status")).to_have_text(
            "Die Veranstaltung ist veröffentlicht."
        )

        # A resident registers for 3 February on the public page and confirms.
        await resident.goto(f"{url}/m/bensheim/events/{event_id}")
        await expect(resident.get_by_role("heading", level=1)).to_have_text("Dialogrunde Ankommen")
        await resident.get_by_label(re.compile("3. Februar 2027")).check()
        await fill_form(resident, "Leyla", RESIDENT)
        await resident.get_by_role("button", name="Anmelden").click()
        await resident.goto(registration_link(await mail_to(smtp, RESIDENT), url))
        await resident.get_by_role("button", name="Anmeldung bestätigen").click()
        await expect(resident.get_by_role("status")).to_contain_text("Bestätigt")
        confirmed = await mail_with(smtp, RESIDENT, "Anmeldung ist bestätigt")
        _, sequence = invitation(confirmed)
        [registration] = await Registration.objects()
        session_id = registration.session

        # The guide moves that date to Thursday; the page says one person will be told.
        await guide.goto(f"{url}/guide/events/{event_id}/dates")
        item = guide.locator(f"#session-{session_id}")
        await item.get_by_text("Termin verschieben").click()
        await item.get_by_label("Neues Datum").fill("2027-02-04")
        await item.get_by_role("button", name="Verschieben").click()
        await expect(guide.get_by_role("heading", level=2).first).to_have_text(
            "1 Person wird per E-Mail benachrichtigt"
        )
        await expect(guide.locator(".mail-preview")).to_contain_text("Leyla")
        await assert_accessible(guide)
        await guide.get_by_role("button", name="Verschieben und E-Mails senden").click()
        await expect(guide.get_by_role("status")).to_have_text("Der Termin ist verschoben.")

        # Quick edits reach each person as one mail; the window passes now.
        await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC)}).where(
            (OutboxMessage.kind == SESSIONS_MOVED) & (OutboxMessage.status == OutboxStatus.queued)
        )
        changed = await mail_with(smtp, RESIDENT, "Geänderter Termin")
        method, moved_sequence = invitation(changed)
        assert method == "REQUEST"
        assert moved_sequence > sequence
    await guide_context.close()
    await resident_context.close()
