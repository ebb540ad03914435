"""The foundation every page stands on (web/pages.py, docs/web.md): its language, the
layout, CSRF on forms, error pages, stylesheets — through HTTP, and in a real browser
where only a browser can tell."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar, get
from litestar.datastructures import State
from playwright.async_api import Browser, expect

from tests import serving
from tests.factories import (
    SECRET,
    make_published_event,
    make_venue,
    register_for_session,
    sessions_of,
)
from tests.pages import csrf_token, submit
from treffpunkt.errors import ERROR_PAGE, EXCEPTION_HANDLERS
from treffpunkt.i18n import Localized, page_locale, translated_fields
from treffpunkt.registrations.service import registration_token
from treffpunkt.web.errors import error_page
from treffpunkt.web.pages import (
    csrf_config,
    lang_attributes,
    page,
    secure_cookies,
    template_config,
)


async def registration_page(municipality: Any, locale: str = "de", **event: Any) -> str:
    fields = {"registration_mode": "per_session", "capacity": 3, **event}
    made = await make_published_event(municipality, **fields)
    [session] = await sessions_of(made)
    person = await register_for_session(session.id, f"{locale}@example.org", locale=locale)
    return f"/r/{registration_token(SECRET, person.token_salt)}"


def vary(response: httpx.Response) -> set[str]:
    return {name.strip() for name in response.headers["vary"].split(",")}


def html_lang(page: httpx.Response) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', page.text)
    assert found, page.text[:200]
    return found.group(1), found.group(2)


# --- the language ---------------------------------------------------------------------------


def test_the_language_is_chosen_link_then_cookie_then_own_then_browser_then_town() -> None:
    def choose(**given: Any) -> str:
        values = {"chosen": None, "remembered": None, "accept_language": None, "default": "de"}
        return page_locale(**{**values, **given})

    everything = {"chosen": "tr", "remembered": "uk", "own": "fa", "accept_language": "ar"}
    assert choose(**everything) == "tr"
    assert choose(**{**everything, "chosen": None}) == "uk"
    assert choose(**{**everything, "chosen": None, "remembered": None}) == "fa"
    assert choose(accept_language="ar-SY, en;q=0.5") == "ar"
    assert choose(accept_language="ru, en;q=0.8") == "en"
    assert choose(default="uk") == "uk"
    # What treffpunkt does not speak is passed over, wherever it comes from.
    assert choose(chosen="xx", remembered="../de", own="ru", accept_language="pl") == "de"
    assert choose(chosen="AR", remembered="fa") == "fa"
    assert choose(default="ru") == "de"


async def test_a_chosen_language_is_remembered_and_beats_the_browser(
    client: Any, bensheim: Any
) -> None:
    path = await registration_page(bensheim, locale="de")
    browser = {"Accept-Language": "uk"}
    assert html_lang(await client.get(path, headers=browser)) == ("de", "ltr")  # own first

    chosen = await client.get(f"{path}?lang=ar", headers=browser)
    assert html_lang(chosen) == ("ar", "rtl")
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith("lang=ar;")
    assert "SameSite=lax" in cookie
    assert "Max-Age=31536000" in cookie
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie  # development: served over http
    assert vary(chosen) == {"Cookie", "Accept-Language", "Accept-Encoding"}

    # Later visits read the cookie (the client keeps it), over the page's own language.
    assert html_lang(await client.get(path, headers=browser)) == ("ar", "rtl")
    # An invalid choice is ignored and sets nothing.
    invalid = await client.get(f"{path}?lang=xx", headers=browser)
    assert html_lang(invalid) == ("ar", "rtl")
    assert "set-cookie" not in invalid.headers or "lang=" not in invalid.headers["set-cookie"]
    # An invalid cookie is ignored too.
    client.cookies.set("lang", "klingon")
    assert html_lang(await client.get(path, headers=browser)) == ("de", "ltr")


async def test_the_switch_keeps_the_page_and_its_query(client: Any, bensheim: Any) -> None:
    path = await registration_page(bensheim)
    page = await client.get(f"{path}?confirm=1&lang=uk")
    links = dict(re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', page.text))
    assert sorted(links.values()) == sorted(["de", "en", "uk", "ar", "tr", "fa"])
    assert f"{path}?confirm=1&amp;lang=fa" in links
    assert 'hreflang="uk" lang="uk" dir="ltr" aria-current="true">Українська<' in page.text
    assert 'hreflang="fa" lang="fa" dir="rtl">فارسی<' in page.text


async def test_the_switch_never_leads_to_another_site(client: Any) -> None:
    for path in ("//evil.example/x", "/\\evil.example/x", "/%2F%2Fevil.example", "///x"):
        page = await client.get(f"http://testserver{path}")
        assert page.status_code == 404
        for href in re.findall(r'<a href="([^"]+)" hreflang', page.text):
            assert href.startswith("/"), href
            assert not href.startswith(("//", "/\\")), href
            assert urlsplit(href).netloc == ""


def test_a_text_in_another_language_than_the_page_says_so() -> None:
    texts = {"de": {"title": "Dialogrunde", "summary": "Austausch"}, "ar": {"title": "حوار"}}
    fields = translated_fields(texts, "ar", "de")
    assert fields == {"title": Localized("حوار", "ar"), "summary": Localized("Austausch", "de")}
    lang_of = lang_attributes("ar")
    assert lang_of(fields["title"]) == ""
    assert lang_of(fields["summary"]) == ' lang="de" dir="ltr"'
    assert lang_attributes("de")("fa") == ' lang="fa" dir="rtl"'


# --- the layout -----------------------------------------------------------------------------


async def test_the_layout_has_landmarks_and_the_towns_contact_and_notices(
    client: Any, admin_headers: Any, bensheim: Any
) -> None:
    changed = await client.patch(
        f"/api/v1/municipalities/{bensheim.slug}",
        headers=admin_headers,
        json={
            "contact_phone": "+49 6251 14-0",
            "imprint_url": "https://www.bensheim.example/impressum",
            "privacy_url": "https://www.bensheim.example/datenschutz",
            "accent_colour": "#8A1538",
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["accent_colour"] == "#8a1538"
    path = await registration_page(bensheim, venue_id=(await make_venue(bensheim)).id)
    page = (await client.get(f"{path}?lang=en")).text
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in page
    assert '<a class="skip-link" href="#main">Skip to content</a>' in page
    assert "integration@bensheim.example" in page
    assert '<a href="tel:+496251140" dir="ltr" class="phone">+49 6251 14-0</a>' in page
    assert '<a href="https://www.bensheim.example/impressum">Imprint</a>' in page
    assert '<a href="https://www.bensheim.example/datenschutz">Privacy notice</a>' in page
    assert f'href="webcal://testserver/m/{bensheim.slug}/calendar.ics?locale=en"' in page
    # The registration shows where, until when, and the town's contact.
    assert "Hauptstraße 53" in page
    assert "64625 Bensheim" in page
    assert re.search(r"\d{1,2}:\d\d\s?[AP]M</bdi>–<bdi>\d{1,2}:\d\d", page), "end time"
    theme = re.search(r'href="(/m/[^"]+/theme\.css\?v=[0-9a-f]{12})"', page)
    assert theme
    css = await client.get(theme.group(1))
    assert css.text == ":root { --town-accent: #8a1538; }\n"
    assert "immutable" not in css.headers["cache-control"]
    assert "public" in css.headers["cache-control"]


@pytest.mark.parametrize(
    ("colour", "accepted"),
    [("#005a8c", True), ("#FFD700", False), ("#777", False), ("red", False), ("#0000001", False)],
)
async def test_the_accent_colour_is_a_hex_colour_readable_on_white(
    client: Any, admin_headers: Any, bensheim: Any, colour: str, accepted: bool
) -> None:
    answer = await client.patch(
        f"/api/v1/municipalities/{bensheim.slug}",
        headers=admin_headers,
        json={"accent_colour": colour},
    )
    assert answer.status_code == (200 if accepted else 422), answer.text
    if not accepted:
        assert "accent_colour" in answer.json()["fields"]


async def test_only_the_current_theme_is_kept_for_a_year(
    client: Any, admin_headers: Any, bensheim: Any
) -> None:
    async def theme_link() -> str:
        page = await client.get(f"/m/{bensheim.slug}/")
        found = re.search(r'href="(/m/[^"]+/theme\.css\?v=[0-9a-f]{12})"', page.text)
        assert found
        return found.group(1)

    old = await theme_link()
    assert (await client.get(old)).headers["cache-control"] == "public, max-age=31536000"
    for stale in (f"/m/{bensheim.slug}/theme.css", f"/m/{bensheim.slug}/theme.css?v=1"):
        assert (await client.get(stale)).headers["cache-control"] == "public, max-age=300"
    changed = await client.patch(
        f"/api/v1/municipalities/{bensheim.slug}",
        headers=admin_headers,
        json={"accent_colour": "#1d4d2b"},
    )
    assert changed.status_code == 200
    new = await theme_link()
    assert new != old
    css = await client.get(new)
    assert css.text == ":root { --town-accent: #1d4d2b; }\n"
    assert css.headers["cache-control"] == "public, max-age=31536000"
    # The old address still answers (a cached page may ask), but is not kept long.
    assert (await client.get(old)).headers["cache-control"] == "public, max-age=300"


async def test_stylesheets_come_from_this_site_and_are_kept_for_a_year(
    client: Any, bensheim: Any
) -> None:
    page = await client.get(await registration_page(bensheim))
    pico, own, _town = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page.text)
    assert re.fullmatch(r"/assets/pico-\d+\.\d+\.\d+/pico\.min\.css", pico)
    assert re.fullmatch(r"/assets/[0-9a-f]{16}/site\.css", own)
    for href in (pico, own):
        css = await client.get(href)
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        cache = css.headers["cache-control"]
        assert "public" in cache
        assert "max-age=31536000" in cache
        assert "immutable" in cache
        assert "set-cookie" not in css.headers  # no CSRF cookie on files
    assert "[dir=rtl]" in (await client.get(pico)).text
    # Our stylesheet speaks logical properties only: no left or right anywhere.
    ours = (await client.get(own)).text
    assert not re.search(r"\b(left|right)\b", re.sub(r"/\*.*?\*/", "", ours, flags=re.S))
    assert "min-block-size: 44px" in ours
    assert ":focus-visible" in ours


# --- forms ----------------------------------------------------------------------------------


async def test_a_forged_form_is_refused_in_the_readers_language(
    app: Any, client: Any, bensheim: Any
) -> None:
    path = await registration_page(bensheim)
    arabic = {"Accept-Language": "ar"}
    # From another site: no token, no cookie.
    forged = await client.post(f"{path}/cancel", headers=arabic, data={})
    assert forged.status_code == 403
    assert forged.headers["content-type"].startswith("text/html")
    assert html_lang(forged) == ("ar", "rtl")
    assert "تعذّر إرسال النموذج" in forged.text
    # A token of another visitor does not match this visitor's cookie.
    page = await client.get(path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as visitor:
        other = csrf_token(await visitor.get(path))
    wrong = await client.post(f"{path}/cancel", data={"_csrf_token": other})
    assert wrong.status_code == 403
    tampered = await client.post(
        f"{path}/cancel", data={"_csrf_token": csrf_token(page)[:-2] + "00"}
    )
    assert tampered.status_code == 403
    assert "Anmeldung absagen" in (await client.get(path)).text  # nothing happened

    done = await submit(client, path, f"{path}/cancel")
    assert done.status_code == 303
    assert "Storniert" in (await client.get(path)).text


async def test_the_api_needs_no_csrf_token(client: Any, bensheim: Any) -> None:
    made = await make_published_event(bensheim, registration_mode="per_session", capacity=3)
    [session] = await sessions_of(made)
    answer = await client.post(
        f"/api/v1/sessions/{session.id}/registrations",
        json={"name": "Olena", "email": "olena@example.org", "consent": True},
    )
    assert answer.status_code == 201, answer.text
    assert "csrftoken" not in answer.headers.get("set-cookie", "")


# --- errors ---------------------------------------------------------------------------------


async def test_pages_answer_errors_as_pages_and_the_api_as_json(client: Any) -> None:
    missing = await client.get("/no/such/page", headers={"Accept-Language": "tr"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert html_lang(missing) == ("tr", "ltr")
    assert "<h1>Sayfa bulunamadı</h1>" in missing.text
    assert '<main id="main"' in missing.text

    not_allowed = await client.get("/r/" + "x" * 43 + "/confirm?lang=fa")
    assert not_allowed.status_code == 405
    assert html_lang(not_allowed) == ("fa", "rtl")

    api = await client.get("/api/v1/no/such/thing", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json()["error"] == "not_found"
    feed = await client.get("/m/nowhere/calendar.ics")
    assert feed.status_code == 404
    assert feed.json()["error"] == "not_found"


# --- in a real browser ----------------------------------------------------------------------


async def test_a_reader_switches_language_and_nothing_is_loaded_from_elsewhere(
    app: Any, bensheim: Any, browser: Browser
) -> None:
    path = await registration_page(bensheim, locale="de")
    context = await browser.new_context(viewport={"width": 320, "height": 640})
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    async with serving.served() as url:
        await page.goto(url + path)
        await page.get_by_role("link", name="العربية").click()
        await expect(page.locator("html")).to_have_attribute("dir", "rtl")
        assert page.url == f"{url}{path}?lang=ar"
        # The choice stays: the same page without ?lang is Arabic too.
        await page.goto(url + path)
        await expect(page.locator("html")).to_have_attribute("lang", "ar")
        # Keyboard first: the skip link, then into the content.
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="انتقل إلى المحتوى")).to_be_focused()
        # No horizontal scrolling at 320 px.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320
        colour = await page.get_by_role("button", name="تأكيد التسجيل").evaluate(
            "button => getComputedStyle(button).backgroundColor"
        )
    await context.close()
    assert colour == "rgb(0, 90, 140)"  # the town's accent colour
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in requested}
    assert origins == {url}, requested
    assert any("/assets/pico-" in u for u in requested)
    assert not [text for text in refused if "Content Security Policy" in text], refused


def test_cookies_are_secure_outside_development(settings: Any) -> None:
    production = settings.model_copy(update={"environment": "production"})
    assert csrf_config(production, "k" * 43).cookie_secure is True
    assert csrf_config(settings, "k" * 43).cookie_secure is False
    assert csrf_config(production, "k" * 43).secret != "k" * 43
    assert secure_cookies(production) is True


async def test_an_unexpected_error_of_a_page_is_a_page(settings: Any) -> None:
    @get("/boom", include_in_schema=False)
    async def boom() -> str:
        raise RuntimeError("a bug")

    app = Litestar(
        [boom],
        template_config=template_config(),
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"settings": settings, ERROR_PAGE: error_page}),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.get("/boom", headers={"Accept-Language": "uk"})
    assert answer.status_code == 500
    assert html_lang(answer) == ("uk", "ltr")
    assert "Щось пішло не так" in answer.text
    assert "a bug" not in answer.text


async def test_errors_of_documented_operations_stay_json_whatever_the_path(
    client: Any, bensheim: Any
) -> None:
    """/m/{slug}/events/{id}/calendar.ics is an API operation (a calendar download) that
    shares its prefix with pages: its errors are in the format its description promises;
    the event's page beside it answers with pages."""
    odd = await client.get(f"/m/{bensheim.slug}/events/1/calendar.ics?locale=xx")
    assert odd.status_code == 422
    assert odd.json()["fields"] == {"locale": odd.json()["fields"]["locale"]}
    page = await client.get(f"/m/{bensheim.slug}/events/%C2%84")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


# --- what every template keeps to -----------------------------------------------------------

TEMPLATES = sorted(
    (Path(__file__).resolve().parents[2] / "src/treffpunkt/web/templates").rglob("*.html")
)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_post_only_through_the_form_macro_and_run_no_inline_code(
    template: Path,
) -> None:
    """A POST form outside macros.html could forget its CSRF token; inline styles and
    scripts would be refused by the CSP."""
    text = template.read_text("utf-8")
    if template.name != "macros.html":
        assert not re.search(r"<form[^>]*method=\"?post", text, re.I), "use ui.post_form"
    # A script only as a file of this site, and only where framing needs one (embed.html);
    # besides, JSON-LD data blocks (never executed) on event pages.
    text = re.sub(r'<script type="application/ld\+json">', "", text)
    # A script only as a file of this site (an asset's address), and only where framing
    # needs one (embed.html) or in the workspace (its previews and quick actions).
    scripts = re.findall(r"<script[^>]*>", text, re.I)
    assert all(re.fullmatch(r'<script src="{{ \w+ }}[\w/.-]*" defer>', tag) for tag in scripts)
    assert not scripts or template.name == "embed.html" or template.parent.name == "guide"
    assert not re.search(r"<style|\sstyle=", text, re.I)
    assert not re.search(r"(src|href)=\"(https?:)?//", text), "no resource from elsewhere"


async def test_a_page_may_not_shadow_the_layouts_names(app: Any, bensheim: Any) -> None:
    from litestar.testing import RequestFactory

    request = RequestFactory(app=app).get("/x")
    with pytest.raises(ValueError, match="town"):
        page(request, "error.html", municipality=bensheim, town="Bensheim")


async def test_every_page_answers_head_with_the_gets_headers_and_no_body(
    app: Any, client: Any, bensheim: Any
) -> None:
    """Link checkers and proxies ask with HEAD: every page route takes it (one decorator,
    pages.page_route), and answers as GET would, without the body."""
    from litestar.routes import HTTPRoute

    pages = [
        (route.path, handler)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if "GET" in handler.http_methods and handler.include_in_schema is False
    ]
    assert len(pages) >= 10
    for path, handler in pages:
        assert "HEAD" in handler.http_methods, path
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=3)
    [session] = await sessions_of(event)
    registration = await register_for_session(session.id, "amira@example.org")
    token = registration_token(SECRET, registration.token_salt)
    for path in (
        "/m/bensheim/",
        "/m/bensheim/embed",
        "/m/bensheim/theme.css?v=1",
        f"/m/bensheim/events/{event.id}",
        f"/m/bensheim/events/{event.id}/poster.pdf",
        f"/m/bensheim/events/{event.id}/registered/pending",
        f"/r/{token}",
        f"/r/{token}/cancel",
    ):
        get = await client.get(path)
        head = await client.head(path)
        assert (path, head.status_code) == (path, 200)
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
    assert (await client.head("/")).status_code == 302  # the only town's page
    assert (await client.head("/m/atlantis/")).status_code == 404
