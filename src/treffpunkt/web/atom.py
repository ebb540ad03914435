"""Atom 1.0 feeds (RFC 4287) of newly published events, for feed readers and the notice
boards of a town's website: one entry per event, linking its page.

Written with ElementTree, which escapes every text and attribute; the bytes depend only
on the events (no time of rendering), so that the ETag of a feed changes with its
content alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from treffpunkt.events.public import NewEvent

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
# Names as written: the elements unqualified under an `xmlns` attribute of the root, and
# `xml:lang` literally. ElementTree's prefix registry is global (WeasyPrint, web/poster.py,
# registers its own prefixes in it), so the bytes must not depend on it.
XML_LANG = "xml:lang"


@dataclass(frozen=True)
class AtomFeed:
    """What the feed says about itself; `self_url` is also its permanent id."""

    self_url: str
    page_url: str  # the page the feed follows (the town's or the programme's)
    title: str
    author: str  # the town
    locale: str
    event_url: str  # with `{id}`: an event's page


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, name, attributes)
    element.text = text
    return element


def _shortened(text: str, limit: int = 600) -> str:
    """A summary, not a whole description: cut at a word, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def render_atom(
    feed: AtomFeed,
    events: Sequence[NewEvent],
    titles: dict[int, str],
    details: dict[int, list[str]],
    since: datetime,
) -> bytes:
    """The feed's bytes. `titles` are the entries' titles as shown (a cancelled event's
    marked as such), `details` the lines of an entry's content in the feed's language
    (its next date, its place), `since` the feed's `updated` when it has no entry (the
    town's creation: a fixed moment, not now)."""
    root = ET.Element("feed", {"xmlns": ATOM, XML_LANG: feed.locale})
    _add(root, "id", feed.self_url)
    _add(root, "title", feed.title)
    _add(root, "updated", _when(max((e.updated_at for e in events), default=since)))
    _add(_add(root, "author"), "name", feed.author)
    _add(root, "link", rel="self", type=MEDIA_TYPE, href=feed.self_url)
    _add(root, "link", rel="alternate", type="text/html", href=feed.page_url)
    _add(root, "generator", "treffpunkt")
    for event in events:
        url = feed.event_url.format(id=event.id)
        entry = _add(root, "entry")
        _add(entry, "id", url)
        title = _add(entry, "title", titles[event.id])
        if event.title.locale != feed.locale:
            title.set(XML_LANG, event.title.locale)
        _add(entry, "link", rel="alternate", type="text/html", href=url)
        _add(entry, "published", _when(event.published_at))
        _add(entry, "updated", _when(event.updated_at))
        if event.summary is not None:
            summary = _add(entry, "summary", _shortened(str(event.summary)))
            if event.summary.locale != feed.locale:
                summary.set(XML_LANG, event.summary.locale)
        # Readers show the content: when and where, then the summary again.
        lines = details.get(event.id, [])
        if lines:
            text = "\n".join(lines)
            if event.summary is not None:
                text += "\n\n" + _shortened(str(event.summary))
            _add(entry, "content", text, type="text")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
