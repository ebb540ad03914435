"""Feeds for subscribing, and single-event downloads (text/calendar, never with METHOD).

Every feed answers GET and HEAD (the same headers, no body): calendar apps and link
checkers ask with HEAD whether a feed exists and changed.
"""

from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, Response, route
from litestar.di import NamedDependency
from litestar.params import FromQuery, Parameter

from treffpunkt.calendars import personal, service
from treffpunkt.calendars.service import Feed, FeedCache, Publication
from treffpunkt.events.public import EventFilters
from treffpunkt.events.routes import Language, ProgrammeFilter, TagFilter
from treffpunkt.events.tables import Audience, EventKind
from treffpunkt.i18n import Locale
from treffpunkt.schemas import PathId, PathSlug
from treffpunkt.settings import Settings

# Path names that are not of this form name nothing: 404 (see errors.py).
FeedFile = Annotated[
    str, Parameter(pattern=r"^[A-Za-z0-9_-]{20,100}\.ics$", description="<token>.ics")
]
MEDIA_TYPE = "text/calendar"  # Litestar adds "; charset=utf-8" to text types


GET_AND_HEAD = [HttpMethod.GET, HttpMethod.HEAD]


def operation(name: str) -> Any:
    """One OpenAPI operation id per method of a GET+HEAD route: `name`, `nameHead`."""

    def operation_id(handler: Any, method: str, path: Any) -> str:
        return name if method == HttpMethod.GET else f"{name}Head"

    return operation_id


def answer(
    request: Request[Any, Any, Any],
    feed: Feed,
    filename: str | None = None,
    cache_control: str = "public, max-age=300",
    vary: bool = False,
    media_type: str = MEDIA_TYPE,
) -> Response[bytes]:
    """200 with the bytes, or 304 when the client's copy is current (RFC 9110 §13.1).

    A feed whose bytes follow Accept-Language says so (Vary), so that no shared cache
    hands the Arabic feed to German subscribers.
    """
    headers = {"ETag": feed.etag, "Cache-Control": cache_control}
    if feed.last_modified is not None:
        headers["Last-Modified"] = format_datetime(feed.last_modified, usegmt=True)
    if vary:
        headers["Vary"] = "Accept-Language"
    if _not_modified(request, feed):
        return Response(b"", status_code=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(feed.body, media_type=media_type, headers=headers)


def _not_modified(request: Request[Any, Any, Any], feed: Feed) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return feed.etag in tags or "*" in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since and feed.last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:  # not an HTTP date (those are GMT): not ours to trust
            return False
        # Whole seconds, moved forward with every change of the bytes (service.py).
        return feed.last_modified <= since
    return False


async def _publication(
    request: Request[Any, Any, Any], slug: str, locale: str | None, settings: Settings
) -> Publication:
    reader = await service.reader_for(slug, locale, request.headers.get("accept-language"))
    return Publication(reader, settings.base_url)


class CalendarController(Controller):
    path = "/m/{slug:str}"
    tags = ["calendars"]

    @route(
        "/calendar.ics",
        http_method=GET_AND_HEAD,
        operation_id=operation("municipalityCalendar"),
        media_type=MEDIA_TYPE,
    )
    async def municipality(
        self,
        request: Request[Any, Any, Any],
        slug: PathSlug,
        settings: NamedDependency[Settings],
        feeds: NamedDependency[FeedCache],
        kind: FromQuery[EventKind | None] = None,
        lang: Language = None,
        programme: ProgrammeFilter = None,
        audience: FromQuery[Audience | None] = None,
        tag: TagFilter = None,
        locale: FromQuery[Locale | None] = None,
    ) -> Response[bytes]:
        """The municipality's published events as a feed to subscribe to."""
        publication = await _publication(request, slug, locale, settings)
        filters = EventFilters(
            kind=kind, language=lang, programme=programme, audience=audience, tag=tag
        )
        feed = await service.municipality_feed(publication, filters, feeds)
        return answer(request, feed, vary=publication.reader.varies)

    @route(
        "/programmes/{programme_slug:str}/calendar.ics",
        http_method=GET_AND_HEAD,
        operation_id=operation("programmeCalendar"),
        media_type=MEDIA_TYPE,
    )
    async def programme(
        self,
        request: Request[Any, Any, Any],
        slug: PathSlug,
        programme_slug: PathSlug,
        settings: NamedDependency[Settings],
        feeds: NamedDependency[FeedCache],
        locale: FromQuery[Locale | None] = None,
    ) -> Response[bytes]:
        """One programme (e.g. an Interkulturelle Woche) as a feed."""
        publication = await _publication(request, slug, locale, settings)
        feed = await service.programme_feed(publication, programme_slug, feeds)
        return answer(request, feed, vary=publication.reader.varies)

    @route(
        "/events/{event_id:int}/calendar.ics",
        http_method=GET_AND_HEAD,
        operation_id=operation("eventCalendar"),
        media_type=MEDIA_TYPE,
    )
    async def event(
        self,
        request: Request[Any, Any, Any],
        slug: PathSlug,
        event_id: PathId,
        settings: NamedDependency[Settings],
        feeds: NamedDependency[FeedCache],
        locale: FromQuery[Locale | None] = None,
    ) -> Response[bytes]:
        """One event as a download (its page, `/m/{slug}/events/{id}`, links here; the
        earlier address `/m/{slug}/events/{id}.ics` leads here too)."""
        publication = await _publication(request, slug, locale, settings)
        feed = await service.event_download(publication, event_id, feeds)
        filename = f"{slug}-{event_id}.ics"
        return answer(request, feed, filename=filename, vary=publication.reader.varies)


class PersonalFeedController(Controller):
    path = "/feeds"
    tags = ["calendars"]

    @route(
        "/{file_name:str}",
        http_method=GET_AND_HEAD,
        operation_id=operation("personalCalendar"),
        media_type=MEDIA_TYPE,
    )
    async def feed(
        self,
        request: Request[Any, Any, Any],
        file_name: FeedFile,
        settings: NamedDependency[Settings],
        feeds: NamedDependency[FeedCache],
    ) -> Response[bytes]:
        """A person's sessions: `/feeds/{token}.ics`, the link from their registration mails.

        Places on the waitlist or still unconfirmed are TENTATIVE. The token is the
        only key; the feed names nobody. Shared caches must not keep it.
        """
        token = file_name.removesuffix(".ics")
        feed = await personal.personal_feed(token, settings.base_url, feeds)
        return answer(request, feed, cache_control="private, max-age=300")
