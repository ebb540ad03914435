"""An event's or a programme's A4 poster as PDF, for notice boards: German and the event's languages
(Arabic and Farsi set right to left, shaped by Pango with a font that has their
glyphs: DejaVu Sans, installed by `make install` and the Dockerfile), and a QR code
that leads to the event's page.

WeasyPrint renders templates/poster.html with static/poster.css (a file, as every page's
styles are). It fetches nothing: the QR code is a data: URI, and any other address is
refused, so that no text of an event can make the server ask another site.
"""

from __future__ import annotations

import hashlib
from typing import Any

import anyio.to_thread
import segno
from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from treffpunkt.calendars.service import FeedCache
from treffpunkt.events import programmes, public
from treffpunkt.events.public import EventPage, Reader, event_page
from treffpunkt.events.schemas import PublicSession
from treffpunkt.i18n import LOCALES, direction, format_when
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.translations import translator
from treffpunkt.web.assets import STATIC

TEMPLATES = STATIC.parent / "templates"
STYLESHEET = STATIC / "poster.css"
MAX_DATES = 6  # a poster lists the next dates; the page has them all
MAX_PROGRAMME_LINES = 12  # a programme's sessions that fit on A4 below its title
MAX_PROGRAMME_SCAN = 1000  # counted for "and N more", at most
# Rendered posters by the digest of their HTML: WeasyPrint takes 0.1–0.5 s a poster, the
# HTML a few milliseconds. A poster whose event, town or dates changed has other HTML,
# so nothing stale is ever served; the least recently used go first (bounded bytes).
RENDERED = FeedCache(max_bytes=16 * 2**20)

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _block(found: EventPage, locale: str) -> dict[str, Any]:
    """One language's part: the title and the next dates, labels in that language."""
    t = translator(locale)
    dates = []
    for session in found.event.sessions:
        if session.status != "scheduled":
            continue
        if session.all_day and session.first_day:
            dates.append(format_date(session.first_day, "full", locale=locale))
        else:
            dates.append(format_when(session.starts_at, locale))
    return {
        "locale": locale,
        "dir": direction(locale),
        "title": found.texts["title"],
        "summary": found.texts.get("summary"),
        "dates": dates[:MAX_DATES],
        "more_dates": len(dates) > MAX_DATES,
        "when": t.gettext("When"),
        "where": t.gettext("Where"),
        "more": t.gettext("More dates on the event page."),
        "scan": t.gettext("Information and registration:"),
    }


async def render(municipality: Municipality, event_id: int, base_url: str) -> bytes:
    """The poster of a published or cancelled event of `municipality` (else NotFound)."""
    german = await event_page(municipality, event_id, "de", base_url)
    event = german.event
    languages = [code for code in dict.fromkeys(event.languages) if code in LOCALES]
    blocks = [_block(german, "de")]
    for locale in languages:
        if locale == "de":
            continue
        found = await event_page(municipality, event_id, locale, base_url)
        if found.texts["title"].locale == locale:  # only languages the event speaks in
            blocks.append(_block(found, locale))
    qr = segno.make(event.page_url, error="m").svg_data_uri(scale=10, border=2)
    html = _environment.get_template("poster.html").render(
        blocks=blocks,
        event=event,
        municipality=municipality.name,
        qr=qr,
        url=event.page_url,
        cancelled=event.status == "cancelled",
        cancelled_text=translator("de").gettext("Cancelled"),
    )
    return await _cached_pdf(html)


async def _cached_pdf(html: str) -> bytes:
    """The PDF of `html`, from RENDERED when the same HTML was rendered before."""
    key = (hashlib.sha256(html.encode()).hexdigest(),)
    cached = RENDERED.block(key)
    if cached is not None:
        return cached
    pdf = await anyio.to_thread.run_sync(_pdf, html)
    RENDERED.keep_block(key, pdf)
    return pdf


async def render_programme(reader: Reader, programme_slug: str) -> bytes:
    """The poster of a programme of `reader.municipality` in the reader's language
    (NotFound for a slug the town has no programme by): its title and dates, its
    published sessions by start (as many as fit; then how many more), the partners
    taking part, the town's contact, and a QR code to the programme's page."""
    municipality = reader.municipality
    locale = reader.locale
    t = translator(locale)
    row = await programmes.get_programme_by_slug(municipality.id, programme_slug)
    programme = await public.programme_overview(reader, programme_slug)
    filters = public.SessionFilters(programme=programme_slug, start=programme.starts_on)
    sessions: list[PublicSession] = []
    cursor: str | None = None
    while len(sessions) <= MAX_PROGRAMME_SCAN:
        found = await public.list_sessions(reader, filters, 100, cursor)
        sessions += [s for s in found.items if s.status == "scheduled"]
        cursor = found.next_cursor
        if cursor is None:
            break
    lines = [
        {
            "when": format_date(s.first_day, "full", locale=locale)
            if s.all_day and s.first_day
            else format_when(reader.local(s.starts_at), locale),
            "title": s.title,
            "title_locale": s.locale,
            "venue": s.venue or (t.gettext("Online") if s.online else None),
        }
        for s in sessions
    ]
    partners = await programmes.programme_partners(municipality.id, row["id"])
    url = f"{reader.base_url}/m/{municipality.slug}/programmes/{programme_slug}"
    if locale != municipality.default_locale:
        url += f"?lang={locale}"
    qr = segno.make(url, error="m").svg_data_uri(scale=10, border=2)
    shown = lines[:MAX_PROGRAMME_LINES]
    more = len(lines) - len(shown)
    html = _environment.get_template("programme_poster.html").render(
        locale=locale,
        dir=direction(locale),
        programme=programme,
        starts_on=format_date(programme.starts_on, "long", locale=locale),
        ends_on=format_date(programme.ends_on, "long", locale=locale),
        lines=shown,
        more=t.ngettext(
            "and %(count)s more — see the QR code",
            "and %(count)s more — see the QR code",
            more,
            count=more,
        )
        if more
        else None,
        no_events=t.gettext("The events will be announced soon."),
        events_heading=t.gettext("Events"),
        partners_heading=t.gettext("Taking part"),
        partners=[p["name"] for p in partners],
        contact_heading=t.gettext("Contact"),
        municipality=municipality,
        scan=t.gettext("All events, details and registration:"),
        qr=qr,
        url=url,
    )
    return await _cached_pdf(html)


def _pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML, URLFetcher  # loads Pango: only when asked for

    # data: URIs (the QR code) and nothing else: no text of an event makes us fetch.
    fetcher = URLFetcher(allowed_protocols=["data"], fail_on_errors=True)
    document = HTML(string=html, url_fetcher=fetcher, base_url=str(TEMPLATES))
    return bytes(document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))]))
