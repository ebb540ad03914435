"""An event's A4 poster as PDF, for notice boards: German and the event's languages
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
from treffpunkt.events.public import EventPage, event_page
from treffpunkt.i18n import LOCALES, direction, format_when
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.translations import translator
from treffpunkt.web.assets import STATIC

TEMPLATES = STATIC.parent / "templates"
STYLESHEET = STATIC / "poster.css"
MAX_DATES = 6  # a poster lists the next dates; the page has them all
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
    key = (hashlib.sha256(html.encode()).hexdigest(),)
    cached = RENDERED.block(key)
    if cached is not None:
        return cached
    pdf = await anyio.to_thread.run_sync(_pdf, html)
    RENDERED.keep_block(key, pdf)
    return pdf


def _pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML, URLFetcher  # loads Pango: only when asked for

    # data: URIs (the QR code) and nothing else: no text of an event makes us fetch.
    fetcher = URLFetcher(allowed_protocols=["data"], fail_on_errors=True)
    document = HTML(string=html, url_fetcher=fetcher, base_url=str(TEMPLATES))
    return bytes(document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))]))
