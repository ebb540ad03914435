"""The partners, invitations and settings pages in a real browser (Debian's chromium,
driven by Playwright) against `treffpunkt serve`: a guide adds a partner, invites them
to a Runder Tisch, and sets the town's colour and logo; every page without a serious
accessibility violation (axe), on a desktop and a phone."""

from __future__ import annotations

from typing import Any

from PIL import Image
from playwright.async_api import Browser, expect

from tests import serving
from tests.factories import make_published_event
from tests.web.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width
from tests.web.workspace import log_in
from treffpunkt.registrations.tables import Invitation


def logo_file(path: Any) -> str:
    Image.new("RGB", (400, 120), "#1f4e79").save(path, format="PNG")
    return str(path)


async def test_a_guide_keeps_partners_invites_and_sets_the_towns_look(
    app: Any, bensheim: Any, bensheim_guide: Any, browser: Browser, tmp_path: Any
) -> None:
    event = await make_published_event(
        bensheim,
        texts={"de": {"title": "Runder Tisch der Religionen"}},
        registration_mode="per_session",
        access="invitation_only",
    )
    async with serving.served() as url:
        context = await browser.new_context(viewport=DESKTOP, locale="de-DE")  # type: ignore[arg-type]
        page = await context.new_page()
        await log_in(page, url, bensheim_guide["email"])

        await page.goto(url + "/guide/partners")
        await expect(page.get_by_role("heading", name="Partner", exact=True)).to_be_visible()
        await assert_accessible(page)
        await page.get_by_role("link", name="Partner hinzufügen").first.click()
        await assert_accessible(page)
        await page.get_by_role("button", name="Partner anlegen").click()  # empty: errors
        await expect(page.get_by_role("alert")).to_be_visible()
        await assert_accessible(page)
        await page.get_by_label("Name der Organisation").fill("Moscheegemeinde Bensheim")
        await page.get_by_label("Art").select_option("faith_community")
        await page.get_by_label("Ansprechperson (freiwillig)").fill("Samira Haddad")
        await page.get_by_label("E-Mail (freiwillig)").fill("vorstand@moschee.example.org")
        await page.get_by_role("button", name="Partner anlegen").click()
        await expect(page.get_by_role("status")).to_contain_text("Gespeichert.")

        await page.goto(url + "/guide/partners?kind=faith_community")
        await expect(page.get_by_role("link", name="Moscheegemeinde Bensheim")).to_be_visible()
        await assert_accessible(page)

        await page.goto(url + f"/guide/events/{event.id}/invitations")
        await assert_accessible(page)
        await page.get_by_role("checkbox", name="Moscheegemeinde Bensheim").check()
        await page.get_by_role("button", name="Einladungen senden").click()
        await expect(page.get_by_role("status")).to_contain_text("unterwegs")
        await expect(page.get_by_text("Noch nicht angemeldet")).to_be_visible()
        await assert_accessible(page)
        assert await Invitation.count() == 1

        await page.goto(url + "/guide/settings")
        await assert_accessible(page)
        await page.get_by_label("Akzentfarbe").fill("#7a1f5c")
        await page.get_by_label("Antworten gehen an (Reply-To, freiwillig)").fill(
            "integration@bensheim.example.org"
        )
        await page.get_by_label("Datenschutzerklärung", exact=True).fill(
            "Wir speichern Ihre Anmeldung ein Jahr lang."
        )
        await page.get_by_role("button", name="Einstellungen speichern").click()
        await expect(page.get_by_role("status")).to_contain_text("Gespeichert.")
        await page.get_by_label("Neues Logo").set_input_files(logo_file(tmp_path / "logo.png"))
        await page.get_by_role("button", name="Logo hochladen").click()
        await expect(page.get_by_role("img", name="Das aktuelle Logo")).to_be_visible()
        await assert_accessible(page)

        # The public pages wear the town's colour and logo.
        await page.goto(url + "/m/bensheim/")
        logo = page.locator("img.town-logo")
        await expect(logo).to_be_visible()
        assert await logo.evaluate("image => image.naturalWidth") > 0
        accent = await page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--town-accent')"
        )
        assert accent.strip() == "#7a1f5c"
        await assert_accessible(page)

        # At phone width the pages fit.
        await page.set_viewport_size(PHONE)
        for path in ("/guide/partners", "/guide/settings"):
            await page.goto(url + path)
            await assert_fits_width(page)
        await context.close()


async def test_the_invited_list_names_the_organisation_and_its_state_fits_a_phone(
    app: Any, bensheim: Any, bensheim_guide: Any, browser: Browser
) -> None:
    from treffpunkt.partners.schemas import PartnerCreate
    from treffpunkt.partners.service import create_partner

    event = await make_published_event(
        bensheim, texts={"de": {"title": "Runder Tisch der Religionen"}}, access="invitation_only"
    )
    await create_partner(
        bensheim.id,
        PartnerCreate(
            name="Türkisch-Islamische Gemeinde zu Bensheim und Umgebung e.V.",
            kind="faith_community",
            contact_name="Samira Haddad",
            email="vorstand@ditib-bensheim.example.org",
        ),
    )
    async with serving.served() as url:
        context = await browser.new_context(viewport=PHONE, locale="de-DE")  # type: ignore[arg-type]
        page = await context.new_page()
        await log_in(page, url, bensheim_guide["email"])
        await page.goto(url + f"/guide/events/{event.id}/invitations")
        await page.get_by_role("checkbox", name="Türkisch-Islamische Gemeinde").check()
        await page.get_by_role("button", name="Einladungen senden").click()
        await expect(page.get_by_role("status")).to_contain_text("unterwegs")

        table = page.get_by_role("region", name="Eingeladen").get_by_role("table")
        headers = await table.locator("thead th").all_inner_texts()
        assert headers[:2] == ["Partner", "Anmeldung"]
        first = table.locator("tbody td").first
        lines = (await first.inner_text()).split("\n")
        assert lines[0].startswith("Türkisch-Islamische Gemeinde"), lines
        assert lines[-1] == "Samira Haddad", lines
        state = table.get_by_role("cell", name="Noch nicht angemeldet")
        box = await state.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
        await assert_fits_width(page)
        await assert_accessible(page)
        await context.close()
