"""The workspace's home, "This week": each coming session with its figures, needs and
warnings, and the links to its door list, event and messages."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from tests.registrations.test_week import make_week
from tests.web.workspace import logged_in_client


def section_of(page: str, title: str) -> str:
    """The list item of the session titled `title`."""
    found = re.search(
        r'<li class="week-session[^"]*">((?:(?!</li>\s*</ul>|<li class="week-session).)*'
        + re.escape(title)
        + r".*?)(?=<li class=\"week-session|</ul>\s*</section>)",
        page,
        re.S,
    )
    assert found, f"no session {title!r} on the page"
    return html.unescape(found.group(1))


async def test_the_week_shows_figures_needs_and_warnings(
    app: Any, bensheim: Any, butzbach: Any, bensheim_guide: Any
) -> None:
    made = await make_week(bensheim)
    async with logged_in_client(app, bensheim_guide["email"]) as guide:
        await the_week_as_seen_by(guide, made)


async def the_week_as_seen_by(guide: httpx.AsyncClient, made: dict[str, Any]) -> None:
    page = await guide.get("/guide/")

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Diese Woche" in text
    assert "5 Punkte brauchen Ihre Aufmerksamkeit." in text
    assert "Später" not in text  # three weeks ahead
    crowded = section_of(page.text, "Voll")
    assert "2 von 2 Plätzen belegt" in crowded
    assert '<meter min="0" max="2" value="2"' in crowded
    assert "<dt>Warteliste</dt><dd>5</dd>" in crowded
    assert "Arabisch: 1, Ukrainisch: 1" in crowded
    assert "<dt>Bedarf an Barrierefreiheit</dt><dd>1</dd>" in crowded
    assert "Voll, mit langer Warteliste" in crowded
    [session_id] = re.findall(r'href="/guide/sessions/(\d+)/doors"', crowded)
    assert f'href="/guide/events/{made["crowded"].id}"' in crowded
    assert f"/guide/events/{made['crowded'].id}/messages?session={session_id}" in crowded
    empty = section_of(page.text, "Leer morgen")
    assert "Noch kein Ort." in empty
    assert "Morgen, und niemand hat sich angemeldet." in empty
    course = section_of(page.text, "Kurs")
    assert "<dt>Noch nicht bestätigt</dt><dd>2</dd>" in course
    assert "2 von 10 Plätzen belegt" in course
    assert "Noch nicht veröffentlicht." in section_of(page.text, "Entwurf")
    assert "Die Anmeldung ist noch nicht geöffnet." in section_of(page.text, "Fenster")

    more = await guide.get("/guide/?days=28")
    assert "Später" in html.unescape(more.text)
    assert (await guide.get("/guide/?days=1000")).status_code in (400, 422)
    arabic = await guide.get("/guide/?lang=ar")
    assert 'dir="rtl"' in arabic.text
    assert "هذا الأسبوع" in arabic.text
    english = await guide.get("/guide/?lang=en")
    assert "This week" in english.text
    assert "Leer morgen (en)" in english.text


async def test_another_towns_sessions_are_not_shown(
    app: Any, bensheim: Any, butzbach: Any, butzbach_guide: Any
) -> None:
    await make_week(bensheim)
    async with logged_in_client(app, butzbach_guide["email"]) as guide:
        page = await guide.get("/guide/")
    assert page.status_code == 200
    assert "Voll" not in page.text
    assert "In diesen Tagen gibt es keine Termine." in html.unescape(page.text)
