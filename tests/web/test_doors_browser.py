"""The door list in a real browser at 375 px (Debian's chromium, Playwright), against
`treffpunkt serve` in its own process: the guide logs in, finds a name as they type,
marks attendance with one tap (the script, also on a slow and on a broken connection),
adds a walk-in, and downloads the list as CSV and XLSX, read back as Excel would."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.async_api import Browser, Page, Route, expect

from tests import serving
from tests.factories import SECRET, make_published_event, register_for_session, sessions_of
from tests.web.browser import PHONE, assert_accessible, assert_fits_width, screenshot
from tests.web.workspace import log_in
from treffpunkt.events.tables import Session
from treffpunkt.registrations import service, targets
from treffpunkt.registrations.schemas import GuideRegistrationCreate, Needs
from treffpunkt.registrations.tables import Attendance, Registration


async def door(bensheim: Any) -> tuple[Session, dict[str, Registration]]:
    event = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=7,
        max_seats_per_registration=4,
    )
    [session] = await sessions_of(event)
    target = await targets.session_target(session.id, bensheim.id)
    people = {}
    for name, fields in (
        ("Amina Haddad", {"needs": Needs(interpretation="ar"), "phone": "06251 1234"}),
        ("Jürgen Becker", {"needs": Needs(accessibility="Rollstuhl, ebenerdiger Zugang")}),
        ("Oksana Melnyk", {"seats": 2}),
    ):
        data = GuideRegistrationCreate(name=name, **fields)
        people[name] = (await service.register(target, data, SECRET)).registration
    people["pending"] = await register_for_session(session.id, "lena@example.org")
    return session, people


async def marks(registration: Registration) -> list[str]:
    rows = await Attendance.select(Attendance.status).where(
        Attendance.registration == registration.id
    )
    return [row["status"] for row in rows]


async def eventually(check: Any, expected: Any) -> None:
    for _ in range(50):
        if await check() == expected:
            return
        await asyncio.sleep(0.1)
    assert await check() == expected


@pytest.fixture
async def phone(browser: Browser) -> Any:
    context = await browser.new_context(  # type: ignore[arg-type]
        viewport=PHONE, accept_downloads=True, locale="de-DE"
    )
    page = await context.new_page()
    yield page
    await context.close()


async def test_the_guide_works_the_door_on_a_phone(
    bensheim: Any, bensheim_guide: Any, phone: Page, tmp_path: Path
) -> None:
    session, people = await door(bensheim)
    amina, juergen = people["Amina Haddad"], people["Jürgen Becker"]
    async with serving.served() as url:
        await log_in(phone, url, bensheim_guide["email"])
        doors = f"{url}/guide/sessions/{session.id}/doors"
        await phone.goto(doors)
        await expect(phone.get_by_role("heading", level=1)).to_contain_text("Türliste")
        await assert_accessible(phone)
        await assert_fits_width(phone)
        await screenshot(phone, "door-list-phone")

        # Search as you type: no accents needed, and nothing is sent.
        await phone.get_by_label("Name, E-Mail oder Telefonnummer suchen").fill("jurg")
        await expect(phone.locator(".door-row:visible")).to_have_count(1)
        await expect(phone.locator("#door-count")).to_have_text("1 von 4 angezeigt")
        await phone.get_by_label("Name, E-Mail oder Telefonnummer suchen").fill("")
        await expect(phone.locator(".door-row:visible")).to_have_count(4)

        # One tap: saved in place, the page stays where it is.
        row = phone.locator(f"#r-{amina.id}")
        await row.get_by_role("button", name="Anwesend").click()
        await expect(row.locator("[data-mark]")).to_have_text("Anwesend")
        await expect(row.get_by_role("button", name="Anwesend")).to_have_attribute(
            "aria-pressed", "true"
        )
        # The chosen state is unmistakable: filled with a check mark; the other outlined.
        chosen = await row.locator("button[value=attended]").evaluate(
            "b => [getComputedStyle(b, '::before').content, getComputedStyle(b).backgroundColor]"
        )
        other = await row.locator("button[value=no_show]").evaluate(
            "b => [getComputedStyle(b, '::before').content, getComputedStyle(b).backgroundColor]"
        )
        assert "\u2713" in chosen[0]
        assert "\u2713" not in other[0]
        assert other[1] == "rgba(0, 0, 0, 0)"
        assert chosen[1] != other[1]
        assert phone.url == doors
        await eventually(lambda: marks(amina), ["attended"])
        await expect(phone.locator("[data-attended-count]")).to_have_text("1")

        # A slow connection: the row says it is saving until the answer comes.
        async def slowly(route: Route) -> None:
            await asyncio.sleep(1.5)
            await route.continue_()

        await phone.route("**/attendance", slowly)
        row = phone.locator(f"#r-{juergen.id}")
        await row.get_by_role("button", name="Nicht erschienen").click()
        await expect(row.locator("[data-mark]")).to_have_text("Wird gespeichert …")
        await expect(row.get_by_role("button", name="Anwesend")).to_be_disabled()
        await expect(row.locator("[data-mark]")).to_have_text("Nicht erschienen", timeout=10000)
        await eventually(lambda: marks(juergen), ["no_show"])
        await phone.unroute("**/attendance")

        # No connection at all: it tries again by itself, then says so; nothing changed.
        tries: list[str] = []

        async def broken(route: Route) -> None:
            tries.append(route.request.url)
            await route.abort("internetdisconnected")

        await phone.route("**/attendance", broken)
        await row.get_by_role("button", name="Anwesend").click()
        await expect(row.locator("[data-mark]")).to_have_text(
            "Nicht gespeichert: keine Verbindung. Bitte noch einmal tippen.", timeout=10000
        )
        assert len(tries) == 3
        await expect(row.get_by_role("button", name="Anwesend")).to_be_enabled()
        assert await marks(juergen) == ["no_show"]
        await phone.unroute("**/attendance")
        await row.get_by_role("button", name="Anwesend").click()  # the connection is back
        await expect(row.locator("[data-mark]")).to_have_text("Anwesend")
        await eventually(lambda: marks(juergen), ["attended"])

        # A walk-in: their own page, then back at their row.
        await phone.get_by_role("link", name="Spontan Gekommene eintragen").click()
        await assert_accessible(phone)
        await assert_fits_width(phone)
        await phone.get_by_label("Name").fill("Yusuf Demir")
        await phone.get_by_label("Plätze").fill("2")
        await phone.get_by_role("button", name="Einlassen").click()
        await expect(phone.locator(".door-notice")).to_contain_text(
            "Yusuf Demir ist eingetragen und als anwesend markiert."
        )
        yusuf = await Registration.objects().where(Registration.name == "Yusuf Demir").first()
        assert yusuf is not None
        assert yusuf.status == "confirmed"
        assert await marks(yusuf) == ["attended"]
        await assert_accessible(phone)
        await assert_fits_width(phone)
        await screenshot(phone, "door-list-after-walk-in")

        # The list as CSV and as XLSX, read as German Excel would.
        async with phone.expect_download() as csv_download:
            await phone.get_by_role("link", name="CSV für Excel").click()
        download = await csv_download.value
        assert download.suggested_filename.startswith("anmeldungen-dialogrunde-ankommen-")
        assert download.suggested_filename.endswith(".csv")
        path = tmp_path / download.suggested_filename
        await download.save_as(path)
        with path.open(encoding="utf-8-sig", newline="") as file:
            rows = list(csv.DictReader(file, delimiter=";"))
        by_name = {row["Name"]: row for row in rows}
        assert set(by_name) == {
            "Amina Haddad",
            "Jürgen Becker",
            "Oksana Melnyk",
            "Person lena",
            "Yusuf Demir",
        }
        assert by_name["Yusuf Demir"]["Status"] == "bestätigt"
        assert by_name["Yusuf Demir"]["Plätze"] == "2"
        assert by_name["Yusuf Demir"]["Anwesenheit"].endswith(": anwesend")
        assert by_name["Amina Haddad"]["Dolmetschen"] == "Arabisch"
        assert by_name["Person lena"]["Status"] == "unbestätigt"

        async with phone.expect_download() as xlsx_download:
            await phone.get_by_role("link", name="Excel-Arbeitsmappe (XLSX)").click()
        download = await xlsx_download.value
        assert download.suggested_filename.endswith(".xlsx")
        path = tmp_path / download.suggested_filename
        await download.save_as(path)
        sheet = load_workbook(io.BytesIO(path.read_bytes())).active
        assert sheet is not None
        header = [cell.value for cell in sheet[1]]
        assert header == list(rows[0].keys())
        cells = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
        yusuf_row = dict(zip(header, cells["Yusuf Demir"], strict=True))
        assert yusuf_row["Plätze"] == 2
        assert (
            yusuf_row["Angemeldet am"].strftime("%d.%m.%Y %H:%M")
            == (by_name["Yusuf Demir"]["Angemeldet am"])
        )

        # Right to left, in Arabic: the same list fits and passes axe.
        await phone.goto(f"{doors}?lang=ar")
        await expect(phone.locator("html")).to_have_attribute("dir", "rtl")
        await expect(phone.get_by_role("heading", level=1)).to_contain_text("قائمة الدخول")
        await assert_accessible(phone)
        await assert_fits_width(phone)
        await screenshot(phone, "door-list-phone-ar")
