"""Accounts in a real browser (Debian's chromium, Playwright) against `treffpunkt serve`
with its worker sending through a real SMTP server: an admin invites a guide, who sets
a password from the mail and logs in; the admin deactivates them and their open session
stops working. axe checks every page of accounts and administration on the way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests import serving
from tests.factories import make_admin
from tests.smtp import SMTPServer
from tests.web.browser import DESKTOP, PHONE, assert_accessible, assert_fits_width, screenshot
from tests.web.test_event_browser import mail_to, served_with_mail, text_of
from tests.web.workspace import log_in

ADMIN = "admin@platform.example"
GUIDE = "amira.haddad@example.org"
CHOSEN = "Bergstrasse im Fruehling 2027"


@pytest.fixture
async def contexts(browser: Browser) -> AsyncIterator[tuple[BrowserContext, BrowserContext]]:
    admin = await browser.new_context(viewport=DESKTOP, locale="de-DE")  # type: ignore[arg-type]
    guide = await browser.new_context(viewport=PHONE, locale="de-DE")  # type: ignore[arg-type]
    yield admin, guide
    await admin.close()
    await guide.close()


async def check(page: Page, name: str) -> None:
    await assert_accessible(page)
    await assert_fits_width(page)
    await screenshot(page, f"accounts-{name}")


async def test_an_invited_guide_sets_a_password_logs_in_and_is_deactivated(
    app: Any,
    bensheim: Any,
    smtp: SMTPServer,
    contexts: tuple[BrowserContext, BrowserContext],
) -> None:
    await make_admin(ADMIN)
    admin_context, guide_context = contexts
    async with served_with_mail(smtp) as url:
        admin = await admin_context.new_page()
        await log_in(admin, url, ADMIN)
        await check(admin, "admin-home")
        await admin.get_by_role("link", name="Kommunen", exact=True).first.click()
        await check(admin, "admin-municipalities")
        await admin.get_by_role("link", name="Stadt Bensheim").click()
        await admin.wait_for_url(f"{url}/admin/municipalities/bensheim")
        await check(admin, "admin-town")

        # The invitation, with an error first: the message next to the field, typed kept.
        await admin.locator("#field-display_name").fill("Amira Haddad")
        await admin.locator("#field-email").fill("amira.haddad@")
        await admin.locator("#field-email").evaluate("field => field.type = 'text'")
        await admin.get_by_role("button", name="Guide einladen").click()
        await expect(admin.locator(".error-summary")).to_be_visible()
        await check(admin, "admin-invite-error")
        await admin.locator("#field-email").fill(GUIDE)
        await admin.get_by_role("button", name="Guide einladen").click()
        await expect(admin.get_by_role("status")).to_contain_text("eingeladen")
        await expect(admin.locator(".guide-list")).to_contain_text("noch kein Passwort")

        mail = await mail_to(smtp, GUIDE)
        assert mail["Subject"] == "Ihr treffpunkt-Zugang bei Stadt Bensheim"
        link = next(word for word in text_of(mail).split() if "/password/set/" in word)
        assert link.startswith(url)

        guide = await guide_context.new_page()
        await guide.goto(link)
        await expect(guide.get_by_role("heading", level=1)).to_have_text("Passwort wählen")
        await check(guide, "invitation-form")
        await guide.locator("#field-password").fill(CHOSEN)
        await guide.locator("#field-password_repeat").fill(CHOSEN + "!")
        await guide.get_by_role("button", name="Passwort speichern").click()
        await expect(guide.locator("#error-password_repeat")).to_be_visible()
        await check(guide, "invitation-form-error")
        await guide.locator("#field-password").fill(CHOSEN)
        await guide.locator("#field-password_repeat").fill(CHOSEN)
        await guide.get_by_role("button", name="Passwort speichern").click()
        await guide.wait_for_url(f"{url}/password/done")
        await check(guide, "password-done")

        # The link works once.
        await guide.goto(link)
        await expect(guide.get_by_role("heading", level=1)).to_have_text(
            "Dieser Link funktioniert nicht mehr"
        )
        await check(guide, "link-used")

        await log_in(guide, url, GUIDE, CHOSEN)
        assert guide.url == f"{url}/guide/"
        await check(guide, "guide-home")

        # The admin deactivates the guide; the guide's open session ends at once.
        await admin.reload()
        await admin.get_by_role("button", name="Amira Haddad deaktivieren").click()
        await expect(admin.get_by_role("status")).to_contain_text("deaktiviert")
        await check(admin, "admin-guide-deactivated")
        await guide.goto(f"{url}/guide/")
        assert "/login" in guide.url
        await expect(guide.get_by_role("status")).to_contain_text("Bitte melden Sie sich erneut an")
        # And logging in again is refused.
        await guide.locator("#field-email").fill(GUIDE)
        await guide.locator("#field-password").fill(CHOSEN)
        await guide.get_by_role("button", name="Anmelden").click()
        await expect(guide.locator(".error-summary")).to_be_visible()


async def test_the_other_account_pages_are_accessible(
    app: Any,
    bensheim: Any,
    smtp: SMTPServer,
    contexts: tuple[BrowserContext, BrowserContext],
) -> None:
    await make_admin(ADMIN)
    admin_context, guide_context = contexts
    async with served_with_mail(smtp) as url:
        admin = await admin_context.new_page()
        await log_in(admin, url, ADMIN)
        await admin.goto(f"{url}/admin/mail")
        await check(admin, "admin-mail")
        await admin.locator("#field-recipient").fill("check@example.org")
        await admin.get_by_role("button", name="Testmail senden").click()
        await expect(admin.get_by_role("status")).to_contain_text("angenommen")
        await check(admin, "admin-mail-sent")
        assert (await mail_to(smtp, "check@example.org"))["Subject"] == "treffpunkt-Testmail"

        await admin.goto(f"{url}/admin/municipalities/new")
        await check(admin, "admin-town-new")
        form = admin.locator("form[action='/admin/municipalities/new']")
        await form.evaluate("form => form.noValidate = true")  # the server's answer to empty
        await admin.get_by_role("button", name="Kommune anlegen").click()
        await expect(admin.locator(".error-summary")).to_be_visible()
        await check(admin, "admin-town-new-errors")

        await admin.goto(f"{url}/account/password")
        await check(admin, "account-password")

        for locale in ("de", "ar"):
            anonymous = await guide_context.new_page()
            for path in ("/password/forgot", "/password/reset/" + "x" * 43):
                await anonymous.goto(f"{url}{path}?lang={locale}")
                await check(anonymous, f"{path.split('/')[2]}-{locale}")
            await anonymous.goto(f"{url}/password/forgot?lang={locale}")
            await anonymous.locator("#field-email").fill("someone@example.org")
            await anonymous.locator("form[action='/password/forgot'] button").click()
            await anonymous.wait_for_url(f"{url}/password/forgot/sent")
            await check(anonymous, f"forgot-sent-{locale}")
            await anonymous.close()


async def test_every_admin_page_fits_a_phone(
    app: Any, bensheim: Any, bensheim_guide: Any, browser: Browser
) -> None:
    """At 375 px nothing scrolls sideways: the municipalities table scrolls in a region
    of its own that a keyboard can reach."""
    from tests.factories import make_municipality

    await make_admin(ADMIN)
    await make_municipality("oestrich-winkel", "Stadt Oestrich-Winkel im Rheingau-Taunus-Kreis")
    context = await browser.new_context(viewport=PHONE, locale="de-DE")  # type: ignore[arg-type]
    async with serving.served() as url:
        page = await context.new_page()
        await log_in(page, url, ADMIN)
        for path in (
            "/admin/",
            "/admin/municipalities",
            "/admin/municipalities/new",
            "/admin/municipalities/bensheim",
            "/admin/municipalities/oestrich-winkel",
            "/admin/mail",
            "/account/password",
        ):
            await page.goto(url + path)
            await check(page, "phone-" + path.strip("/").replace("/", "-"))
        await page.goto(url + "/admin/municipalities")
        region = page.get_by_role("region", name="Kommunen")
        await expect(region).to_have_attribute("tabindex", "0")
        await expect(region.get_by_role("table")).to_be_visible()
    await context.close()
