"""A town's pages in a real browser (Debian's chromium, driven by Playwright), against
`treffpunkt serve` in its own process: filtering on a phone, the embedded list in
another site's frame, the QR code a phone's camera reads, accessibility and widths."""

from __future__ import annotations

import io
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Browser, Page, expect

from tests import serving
from tests.factories import BERLIN, future_day, make_published_event
from tests.smtp import free_port
from tests.web.browser import (
    DESKTOP,
    PHONE,
    ZOOMED,
    assert_accessible,
    assert_fits_width,
    assert_readable_text,
    screenshot,
)
from treffpunkt.events.programmes import create_programme
from treffpunkt.events.schemas import ProgrammeCreate

NARROW = {"width": 320, "height": 640}


@pytest.fixture
async def town(bensheim: Any) -> Any:
    """A town with a programme, trainings for volunteers and rounds for everyone."""
    programme = await create_programme(
        bensheim.id,
        ProgrammeCreate.model_validate(
            {
                "slug": "interkulturelle-woche",
                "texts": {
                    "de": {
                        "title": "Interkulturelle Woche",
                        "description": "Eine Woche voller Begegnungen.",
                    },
                    "ar": {"title": "الأسبوع الثقافي", "description": "أسبوع من اللقاءات."},
                },
                "starts_on": future_day(1).isoformat(),
                "ends_on": future_day(30).isoformat(),
            }
        ),
    )
    for days, title in [(3, "Grundkurs Ehrenamt"), (9, "Aufbaukurs Ehrenamt")]:
        await make_published_event(
            bensheim,
            kind="training",
            audience="volunteers",
            texts={"de": {"title": title}},
            registration_mode="whole_event",
            capacity=12,
            sessions=_session(days),
        )
    for days, title in [(2, "Elterncafé"), (5, "Dialog im Park"), (6, "Sprachcafé")]:
        await make_published_event(
            bensheim,
            texts={"de": {"title": title}, "ar": {"title": f"{title} (ar)"}},
            programme_id=programme["id"],
            registration_mode="per_session",
            capacity=20,
            sessions=_session(days),
        )
    return bensheim


def _session(days: int) -> list[dict[str, str]]:
    start = datetime.combine(future_day(days), time(18), BERLIN)
    return [{"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}]


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    yield await context.new_page()
    await context.close()


async def test_a_volunteer_filters_for_trainings_on_a_phone(town: Any, phone: Page) -> None:
    async with serving.served() as url:
        await phone.goto(f"{url}/m/bensheim/?lang=de")
        await expect(phone.locator(".session-title")).to_have_count(5)
        await phone.get_by_label("Art der Veranstaltung").select_option(
            label="Schulung für Ehrenamtliche"
        )
        await phone.get_by_role("button", name="Veranstaltungen anzeigen").click()
        await expect(phone).to_have_url(
            f"{url}/m/bensheim/?kind=training&spoken=&programme=&audience="
        )
        titles = phone.locator(".session-title")
        await expect(titles).to_have_text(["Grundkurs Ehrenamt", "Aufbaukurs Ehrenamt"])
        await expect(phone.locator(".session-kind")).to_have_text(
            ["Schulung für Ehrenamtliche"] * 2
        )
        # The choice stays in the form, and the feed to subscribe to follows it.
        await expect(phone.get_by_label("Art der Veranstaltung")).to_have_value("training")
        feed = await phone.get_by_label("Kalenderadresse zum Kopieren").input_value()
        assert feed == f"{url}/m/bensheim/calendar.ics?kind=training&locale=de"
        await assert_fits_width(phone)
        await screenshot(phone, "town-trainings-de-phone")


async def test_the_qr_code_reads_as_the_feed_address(town: Any, phone: Page) -> None:
    async with serving.served() as url:
        await phone.goto(f"{url}/m/bensheim/?kind=dialogue&spoken=ar&lang=de")
        feed = await phone.get_by_label("Kalenderadresse zum Kopieren").input_value()
        assert feed == f"{url}/m/bensheim/calendar.ics?kind=dialogue&lang=ar&locale=de"
        code = phone.locator(".qr-code")
        assert (await code.bounding_box() or {}).get("width", 0) >= 120  # big enough to scan
        image = Image.open(io.BytesIO(await code.screenshot()))
        [found] = zxingcpp.read_barcodes(image)
        assert found.format == zxingcpp.BarcodeFormat.QRCode
        assert found.text == feed


class HostPage(BaseHTTPRequestHandler):
    """A town's own website on another origin, embedding treffpunkt's pages."""

    treffpunkt = ""

    def do_GET(self) -> None:
        framed = "/m/bensheim/embed?kind=training" if self.path == "/" else "/m/bensheim/"
        body = (
            "<!doctype html><html lang='de'><head><title>Stadt Bensheim</title></head><body>"
            "<h1>Termine</h1>"
            f"<iframe id='termine' src='{self.treffpunkt}{framed}' title='Termine'"
            " width='100%'></iframe>"
            f"<script src='{self.treffpunkt}/static/embed-host.js'></script>"
            "</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def host_site() -> Iterator[tuple[str, type[HostPage]]]:
    handler = type("Host", (HostPage,), {})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", handler
    server.shutdown()
    server.server_close()


async def test_the_embedded_list_shows_in_another_sites_frame_at_its_height(
    town: Any, browser: Browser, host_site: tuple[str, type[HostPage]]
) -> None:
    host, handler = host_site
    async with serving.served() as url:
        # Another origin: "localhost" is not "127.0.0.1".
        handler.treffpunkt = url.replace("127.0.0.1", "localhost")
        context = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
        page = await context.new_page()
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text))
        await page.goto(host)
        frame = page.frame_locator("#termine")
        await expect(frame.locator(".session-title")).to_have_text(
            ["Grundkurs Ehrenamt", "Aufbaukurs Ehrenamt"]
        )
        # embed-frame.js reports the height; embed-host.js sets it (default: 150 px).
        iframe = page.locator("#termine")
        await page.wait_for_function(
            "document.getElementById('termine').style.height !== ''", timeout=10_000
        )
        content = await frame.locator("html").evaluate(
            "html => Math.ceil(html.getBoundingClientRect().height)"
        )
        inner = await iframe.evaluate("frame => frame.clientHeight")  # without its border
        assert inner > 150
        assert abs(inner - content) <= 1
        # Links leave the frame for the whole window.
        link = frame.get_by_role("link", name="Grundkurs Ehrenamt")
        assert await link.get_attribute("target") == "_top"
        assert not [text for text in refused if "Content Security Policy" in text]
        await screenshot(page, "town-embed-in-host-desktop")

        # The town's own page refuses to be framed.
        await page.goto(f"{host}/framed-page")
        await page.wait_for_timeout(500)
        [refusing] = [f for f in page.frames if f != page.main_frame]
        assert refusing.url.startswith("chrome-error:"), refusing.url  # not our page
        town_heading = page.frame_locator("#termine").get_by_text("Stadt Bensheim")
        await expect(town_heading).to_have_count(0)
        await context.close()


@pytest.mark.parametrize("locale", ["de", "ar"])
async def test_the_town_pages_are_accessible_and_fit_phones_and_desktops(
    town: Any, butzbach: Any, browser: Browser, locale: str
) -> None:
    pages = {
        "towns": "/",
        "town": "/m/bensheim/",
        "programme": "/m/bensheim/programmes/interkulturelle-woche",
        "embed": "/m/bensheim/embed",
    }
    async with serving.served() as url:
        sizes: list[tuple[str, dict[str, Any]]] = [
            ("phone", {"viewport": PHONE}),
            ("desktop", {"viewport": DESKTOP}),
            ("narrow", {"viewport": NARROW}),
            ("zoomed", ZOOMED),
        ]
        for size, options in sizes:
            context = await browser.new_context(**options)
            page = await context.new_page()
            for name, path in pages.items():
                if size == "narrow" and name != "town":
                    continue
                await page.goto(f"{url}{path}?lang={locale}")
                assert await page.locator("html").get_attribute("lang") == locale
                await assert_accessible(page)
                await assert_fits_width(page)
                await assert_readable_text(page)
                await screenshot(page, f"{name}-{locale}-{size}")
            await context.close()


async def test_the_town_page_reads_right_to_left_with_addresses_left_to_right(
    town: Any, phone: Page
) -> None:
    async with serving.served() as url:
        await phone.goto(f"{url}/m/bensheim/?lang=ar")
        assert await phone.locator("html").get_attribute("dir") == "rtl"
        await expect(phone.get_by_role("heading", level=1)).to_have_text(
            "Stadt Bensheim: الفعاليات"
        )
        assert await phone.locator("#feed-address").get_attribute("dir") == "ltr"
        await expect(phone.get_by_role("link", name="Elterncafé (ar)")).to_be_visible()
        # A title without Arabic text is marked as German.
        german = phone.get_by_role("link", name="Grundkurs Ehrenamt")
        assert await german.get_attribute("lang") == "de"
