"""A town's public pages: the list of towns (`/`), a town's upcoming sessions by day with
filters and a subscribe box (`/m/{slug}/`), a programme (`/m/{slug}/programmes/{p}`),
the list to embed in the town's own website (`/m/{slug}/embed`), and Atom feeds of
newly published events (`/m/{slug}/events.atom`, `…/programmes/{p}/events.atom`).

Handlers read through the services the public API uses (events/public.py) and render;
what the pages share (filters, days, the subscribe box) is built here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

import segno
from babel.dates import format_date
from litestar import HttpMethod, Request, Response, route
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_302_FOUND
from markupsafe import Markup

from treffpunkt.calendars.routes import GET_AND_HEAD, answer
from treffpunkt.calendars.service import Feed, etag_of
from treffpunkt.events import public
from treffpunkt.events.routes import Before, Cursor, ProgrammeFilter
from treffpunkt.events.schemas import PublicProgramme, PublicSession, SessionPage
from treffpunkt.events.tables import Audience, EventKind, EventStatus
from treffpunkt.i18n import LOCALES, Locale, format_when
from treffpunkt.links import FeedLinks, feed_links, programme_poster_path
from treffpunkt.municipalities.service import get_municipality, list_municipalities
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.schemas import PathSlug
from treffpunkt.settings import Settings
from treffpunkt.submissions import service as submissions
from treffpunkt.translations import N_, Translator, languages_named_in, translator
from treffpunkt.web import poster
from treffpunkt.web.assets import assets
from treffpunkt.web.atom import MEDIA_TYPE as ATOM_TYPE
from treffpunkt.web.atom import AtomFeed, render_atom
from treffpunkt.web.pages import page, page_route, reader_locale

# Sessions per page: the budget is 100 kB per page with its CSS (bench/pages.py).
PAGE_SIZE = 40
PROGRAMME_PAGE_SIZE = 100
EMBED_PAGE_SIZE = 20
# Entries per Atom feed: the newest; feed readers keep what they have seen.
ATOM_ENTRIES = 50

KIND_NAMES = {
    EventKind.dialogue: N_("Dialogue round"),
    EventKind.training: N_("Training for volunteers"),
    EventKind.programme_item: N_("Programme event"),
    EventKind.office_hours: N_("Office hours"),
    EventKind.info: N_("Information evening"),
    EventKind.other: N_("Other event"),
}
AUDIENCE_NAMES = {
    Audience.public: N_("Open to everyone"),
    Audience.volunteers: N_("For volunteers"),
}


# Filters of the pages' GET form: a value or empty (the form's "all" sends `kind=`),
# anything else a 4xx page.
KIND_VALUES = "|".join(EventKind)
AUDIENCE_VALUES = "|".join(Audience)
KindChoice = Annotated[str | None, QueryParameter(name="kind", pattern=f"^({KIND_VALUES})?$")]
AudienceChoice = Annotated[
    str | None, QueryParameter(name="audience", pattern=f"^({AUDIENCE_VALUES})?$")
]
# The spoken language filter is `spoken` on pages: `lang` chooses the page's language
# (pages.py). Feeds and the API call it `lang`.
SpokenChoice = Annotated[str | None, QueryParameter(name="spoken", pattern=r"^([a-z]{2,3})?$")]
ProgrammeChoice = Annotated[
    str | None,
    QueryParameter(name="programme", pattern=r"^([a-z0-9]+(?:-[a-z0-9]+)*)?$", max_length=64),
]


@dataclass(frozen=True)
class PageFilters:
    """The filters of a town's list as the page's URL carries them."""

    kind: EventKind | None = None
    spoken: str | None = None
    programme: str | None = None
    audience: Audience | None = None

    def for_sessions(self) -> public.SessionFilters:
        return public.SessionFilters(
            kind=self.kind,
            language=self.spoken,
            programme=self.programme,
            audience=self.audience,
        )

    def query(self, **more: str | None) -> str:
        """The page's query string with these filters (and `more`), empty values left out."""
        values = {
            "kind": self.kind,
            "spoken": self.spoken,
            "programme": self.programme,
            "audience": self.audience,
            **more,
        }
        return urlencode([(k, str(v)) for k, v in values.items() if v])

    def feed_query(self, **more: str | None) -> str:
        """The same filters as the calendar and Atom feeds name them (and `more`)."""
        values = {
            "kind": self.kind,
            "lang": self.spoken,
            "programme": self.programme,
            "audience": self.audience,
            **more,
        }
        return urlencode([(k, str(v)) for k, v in values.items() if v])

    @classmethod
    def of(
        cls, kind: str | None, spoken: str | None, programme: str | None, audience: str | None
    ) -> PageFilters:
        """From the URL's values (checked by their patterns); empty ones filter nothing."""
        return cls(
            kind=EventKind(kind) if kind else None,
            spoken=spoken or None,
            programme=programme or None,
            audience=Audience(audience) if audience else None,
        )

    @property
    def active(self) -> bool:
        return any((self.kind, self.spoken, self.programme, self.audience))


@dataclass(frozen=True)
class Day:
    """The sessions that begin on one local day (an all-day one on its first day)."""

    day: date
    sessions: list[PublicSession] = field(default_factory=list)


def by_day(sessions: Sequence[PublicSession]) -> list[Day]:
    """Sessions in order of start, grouped by their day in the town's zone (their times
    are local already)."""
    days: list[Day] = []
    for session in sessions:
        day = session.first_day or session.starts_at.date()
        if not days or days[-1].day != day:
            days.append(Day(day))
        days[-1].sessions.append(session)
    return days


@dataclass(frozen=True)
class Subscription:
    """The subscribe box: a feed's addresses, its QR code, the Atom feed beside it."""

    calendar: FeedLinks
    qr_code: Markup  # an inline <svg> of calendar.https
    atom: str  # the Atom feed's path, in the page's language


@lru_cache(maxsize=256)
def qr_svg(address: str) -> Markup:
    """A QR code of `address` as an inline SVG element: no style attribute (the CSP), no
    fixed size (site.css sizes it), dark on a white ground so every camera reads it."""
    code = segno.make(address, error="m")
    svg = code.svg_inline(
        scale=1, border=4, omitsize=True, dark="#000", light="#fff", svgclass="qr-code"
    )
    # The address shows as text beside the code; to screen readers the code is decoration.
    # segno writes only numbers and path data (the address is in the dots, never as text).
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))  # noqa: S704


def subscription(
    base_url: str, feed_path: str, atom_path: str, filters: PageFilters, locale: str
) -> Subscription:
    """The page's feeds with its filters and its language: calendar apps and feed readers
    send no Accept-Language, so a feed without `locale` would come in the town's."""
    query = filters.feed_query(locale=locale)
    calendar = feed_links(base_url, f"{feed_path}?{query}")
    return Subscription(
        calendar=calendar, qr_code=qr_svg(calendar.https), atom=f"{atom_path}?{query}"
    )


def language_names(codes: Sequence[str], locale: str) -> dict[str, str]:
    """Spoken languages by name in the reader's language ("Arabisch"); a code Babel does
    not name stays a code."""
    names = languages_named_in(locale)
    return {code: names.get(code, code) for code in codes}


def _reader(
    request: Request[Any, Any, Any], municipality: Municipality, settings: Settings
) -> public.Reader:
    """The reader in the page's language (pages.reader_locale), for the services."""
    locale = reader_locale(request, municipality.default_locale)
    return public.Reader(municipality, locale, None, settings.base_url)


def _paging(sessions: SessionPage, path: str, filters: PageFilters) -> dict[str, str | None]:
    later = sessions.next_cursor
    earlier = sessions.previous_cursor
    return {
        "later": f"{path}?{filters.query(cursor=later)}" if later else None,
        "earlier": f"{path}?{filters.query(before=earlier)}" if earlier else None,
    }


def _labels(locale: str) -> dict[str, Any]:
    """What the lists (sessions.html) name in the reader's language."""
    t = translator(locale)
    names = languages_named_in(locale)
    return {
        "kinds": {kind: t.gettext(name) for kind, name in KIND_NAMES.items()},
        "audiences": {audience: t.gettext(name) for audience, name in AUDIENCE_NAMES.items()},
        "language_name": lambda code: names.get(code, code),
        "availability": public.availability,
    }


@page_route("/")
async def towns(request: Request[Any, Any, Any]) -> Template | Redirect:
    """The installation's towns; with only one, its page."""
    found = await list_municipalities()
    if len(found) == 1:
        return Redirect(f"/m/{found[0].slug}/", status_code=HTTP_302_FOUND)
    return page(request, "towns.html", municipality=None, towns=found)


@page_route("/m/{slug:str}/")
async def town_page(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    settings: NamedDependency[Settings],
    kind: KindChoice = None,
    spoken: SpokenChoice = None,
    programme: ProgrammeChoice = None,
    audience: AudienceChoice = None,
    cursor: Cursor = None,
    before: Before = None,
) -> Template:
    """A town's upcoming sessions by day, filtered, a page at a time, to subscribe to."""
    municipality = await get_municipality(slug)
    reader = _reader(request, municipality, settings)
    filters = PageFilters.of(kind, spoken, programme, audience)
    sessions = await public.list_sessions(reader, filters.for_sessions(), PAGE_SIZE, cursor, before)
    path = f"/m/{slug}/"
    return page(
        request,
        "town.html",
        municipality=municipality,
        days=by_day(sessions.items),
        filters=filters,
        programmes=await public.public_programmes(reader),
        spoken_languages=language_names(await public.spoken_languages(reader), reader.locale),
        subscribe=subscription(
            settings.base_url,
            f"/m/{slug}/calendar.ics",
            f"/m/{slug}/events.atom",
            filters,
            reader.locale,
        ),
        paging=_paging(sessions, path, filters),
        embed_url=f"{settings.base_url}/m/{slug}/embed",
        **_labels(reader.locale),
    )


@page_route("/m/{slug:str}/programmes/{programme_slug:str}")
async def programme_page(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    programme_slug: PathSlug,
    settings: NamedDependency[Settings],
    cursor: Cursor = None,
    before: Before = None,
) -> Template:
    """A programme (e.g. an Interkulturelle Woche): its description, its days and events."""
    municipality = await get_municipality(slug)
    reader = _reader(request, municipality, settings)
    programme: PublicProgramme = await public.programme_overview(reader, programme_slug)
    filters = PageFilters(programme=programme_slug)
    # From the programme's first day: its days so far stay on its page.
    session_filters = public.SessionFilters(programme=programme_slug, start=programme.starts_on)
    sessions = await public.list_sessions(
        reader, session_filters, PROGRAMME_PAGE_SIZE, cursor, before
    )
    path = f"/m/{slug}/programmes/{programme_slug}"
    row = await submissions.programme_for_form(municipality, programme_slug)
    return page(
        request,
        "programme.html",
        municipality=municipality,
        programme=programme,
        submit_url=f"{path}/submit"
        if submissions.accepts_submissions(row, municipality, submissions.now())
        else None,
        days=by_day(sessions.items),
        subscribe=subscription(
            settings.base_url,
            f"{path}/calendar.ics",
            f"{path}/events.atom",
            PageFilters(),
            reader.locale,
        ),
        paging=_paging(sessions, path, PageFilters()),
        poster_url=f"{programme_poster_path(slug, programme_slug)}?lang={reader.locale}",
        filters=filters,
        **_labels(reader.locale),
    )


@page_route("/m/{slug:str}/programmes/{programme_slug:str}/poster.pdf")
async def programme_poster(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    programme_slug: PathSlug,
    settings: NamedDependency[Settings],
) -> Response[bytes]:
    """A programme's A4 poster to print, in the language of `?lang=` (else the town's):
    only the address decides it, so that shared caches may keep it."""
    municipality = await get_municipality(slug)
    chosen = request.query_params.get("lang")
    locale = chosen if chosen in LOCALES else municipality.default_locale
    reader = public.Reader(municipality, locale, None, settings.base_url)
    pdf = await poster.render_programme(reader, programme_slug)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{slug}-{programme_slug}.pdf"',
            "Cache-Control": "public, max-age=300",
        },
    )


# The embedded list loads one script of ours (it tells the host page its height).
EMBED_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors *"
)


@page_route(
    "/m/{slug:str}/embed",
    opt={"embeddable": True, "csp": EMBED_POLICY},
)
async def embed_page(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    settings: NamedDependency[Settings],
    kind: KindChoice = None,
    spoken: SpokenChoice = None,
    programme: ProgrammeChoice = None,
    audience: AudienceChoice = None,
    cursor: Cursor = None,
    before: Before = None,
) -> Template:
    """The town's list for its own website, in an iframe (docs/web.md has the snippet)."""
    municipality = await get_municipality(slug)
    reader = _reader(request, municipality, settings)
    filters = PageFilters.of(kind, spoken, programme, audience)
    sessions = await public.list_sessions(
        reader, filters.for_sessions(), EMBED_PAGE_SIZE, cursor, before
    )
    return page(
        request,
        "embed.html",
        municipality=municipality,
        days=by_day(sessions.items),
        filters=filters,
        paging=_paging(sessions, f"/m/{slug}/embed", filters),
        frame_script=f"{assets().own_prefix}/embed-frame.js",
        **_labels(reader.locale),
    )


def _entry_details(event: public.NewEvent, t: Translator, locale: str) -> list[str]:
    """An Atom entry's "when and where" in the feed's language."""
    lines = []
    if event.next_start is not None:
        when = (
            format_date(event.next_start.date(), "full", locale=locale)
            if event.next_all_day
            else format_when(event.next_start, locale)
        )
        lines.append(t.gettext("Next date: %(when)s", when=when))
    place = event.venue or (t.gettext("Online") if event.online else None)
    if place:
        lines.append(t.gettext("Place: %(place)s", place=place))
    return lines


async def _atom(
    request: Request[Any, Any, Any],
    municipality: Municipality,
    locale: str | None,
    filters: public.EventFilters,
    feed_path: str,
    page_path: str,
    title: str | None,
    base_url: str,
) -> Response[bytes]:
    reader = public.Reader(municipality, locale, request.headers.get("accept-language"), base_url)
    events = await public.newly_published(reader, filters, ATOM_ENTRIES)
    t = translator(reader.locale)
    titles = {
        event.id: t.gettext("Cancelled: %(title)s", title=str(event.title))
        if event.status == EventStatus.cancelled
        else str(event.title)
        for event in events
    }
    details = {event.id: _entry_details(event, t, reader.locale) for event in events}
    query = request.url.query
    body = render_atom(
        AtomFeed(
            self_url=f"{base_url}{feed_path}" + (f"?{query}" if query else ""),
            page_url=f"{base_url}{page_path}",
            title=title or t.gettext("%(town)s: new events", town=municipality.name),
            author=municipality.name,
            locale=reader.locale,
            event_url=f"{base_url}/m/{municipality.slug}/events/{{id}}",
        ),
        events,
        titles,
        details,
        since=municipality.created_at,
    )
    feed = Feed(body=body, etag=etag_of(body), last_modified=None)
    return answer(request, feed, vary=reader.varies, media_type=ATOM_TYPE)


@route(
    "/m/{slug:str}/events.atom",
    http_method=GET_AND_HEAD,
    include_in_schema=False,
    media_type=ATOM_TYPE,
)
async def town_atom(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    settings: NamedDependency[Settings],
    kind: FromQuery[EventKind | None] = None,
    lang: Annotated[str | None, QueryParameter(name="lang", pattern=r"^[a-z]{2,3}$")] = None,
    programme: ProgrammeFilter = None,
    audience: FromQuery[Audience | None] = None,
    locale: FromQuery[Locale | None] = None,
) -> Response[bytes]:
    """The town's newly published events, newest first (the calendar feed's filters)."""
    municipality = await get_municipality(slug)
    filters = public.EventFilters(kind=kind, language=lang, programme=programme, audience=audience)
    return await _atom(
        request,
        municipality,
        locale,
        filters,
        f"/m/{slug}/events.atom",
        f"/m/{slug}/",
        None,
        settings.base_url,
    )


@route(
    "/m/{slug:str}/programmes/{programme_slug:str}/events.atom",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    include_in_schema=False,
    media_type=ATOM_TYPE,
)
async def programme_atom(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    programme_slug: PathSlug,
    settings: NamedDependency[Settings],
    locale: FromQuery[Locale | None] = None,
) -> Response[bytes]:
    """A programme's newly published events, newest first."""
    municipality = await get_municipality(slug)
    accept_language = request.headers.get("accept-language")
    reader = public.Reader(municipality, locale, accept_language, settings.base_url)
    programme = await public.programme_overview(reader, programme_slug)
    path = f"/m/{slug}/programmes/{programme_slug}"
    return await _atom(
        request,
        municipality,
        locale,
        public.EventFilters(programme=programme_slug),
        f"{path}/events.atom",
        path,
        f"{programme.title} – {municipality.name}",
        settings.base_url,
    )


TOWN_ROUTES = [
    towns,
    town_page,
    programme_page,
    programme_poster,
    embed_page,
    town_atom,
    programme_atom,
]
