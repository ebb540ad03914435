"""Error answers of pages: the layout, in the reader's language (errors.py decides by
path which answers are pages; the API keeps its JSON error format). An error under a
town's address (`/m/{slug}/…`) shows that town: its name, contact and a way back."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.types import ASGIApp, Receive, Scope, Send
from markupsafe import escape

from treffpunkt.i18n import DEFAULT_LOCALE
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.translations import Translator, translator
from treffpunkt.web.pages import VARY, page_context, reader_locale

log = logging.getLogger(__name__)

CSRF_REFUSED = "CSRF token verification failed"  # Litestar's CSRF middleware says so


def _wording(t: Translator, status: int, detail: str) -> tuple[str, str]:
    if status == 404:
        return t.gettext("Page not found"), t.gettext(
            "This address leads to no page (any more). Please check it, or start again"
            " from the start page."
        )
    if status == 403 and detail == CSRF_REFUSED:
        return t.gettext("The form could not be sent"), t.gettext(
            "For your safety, forms are only accepted from the page they belong to. Please"
            " go back, reload the page and send the form again."
        )
    if status in (401, 403):
        return t.gettext("Access refused"), t.gettext("You may not open this page.")
    if status == 405:
        return t.gettext("Not possible here"), t.gettext(
            "This address cannot be used this way. Please use the buttons on the page."
        )
    if status == 429:
        return t.gettext("Too many requests"), t.gettext("Please wait a moment, then try again.")
    if status >= 500:
        return t.gettext("Something went wrong"), t.gettext(
            "Something went wrong on our side. Please try again in a few minutes."
        )
    return t.gettext("The request could not be handled"), t.gettext("Please go back and try again.")


# A town's pages and files: /m/<slug>/… (the slug's form as schemas.SLUG_PATTERN).
TOWN_PATH = re.compile(r"^/m/([a-z0-9]+(?:-[a-z0-9]+)*)(?:/|$)")


async def _town_of(request: Request[Any, Any, Any]) -> Municipality | None:
    """The town the path names, if it exists; None when it names none, or when it cannot
    be looked up (the error may be the database's)."""
    found = TOWN_PATH.match(request.url.path)
    if found is None:
        return None
    try:
        town: Municipality | None = (
            await Municipality.objects().where(Municipality.slug == found.group(1)).first()
        )
    except Exception:
        log.exception("the town of an error page could not be looked up")
        return None
    return town


class _ErrorPage(Response[Any]):
    """An error page that looks up its town when it is sent: exception handlers are
    synchronous, sending is not."""

    def __init__(
        self, request: Request[Any, Any, Any], status: int, detail: str, headers: dict[str, str]
    ) -> None:
        super().__init__(b"", status_code=status, media_type=MediaType.HTML, headers=headers)
        self._request = request
        self._status = status
        self._detail = detail
        self._headers = headers

    # Litestar only calls the result with (scope, receive, send): an ASGI app will do.
    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIApp:  # type: ignore[override]
        async def send_page(scope: Scope, receive: Receive, send: Send) -> None:
            municipality = await _town_of(self._request)
            page = render_error_page(
                self._request, self._status, self._detail, self._headers, municipality
            )
            await page.to_asgi_response(*args, **kwargs)(scope, receive, send)

        return send_page


def error_page(
    request: Request[Any, Any, Any], status: int, detail: str, headers: dict[str, str]
) -> Response[Any]:
    """The page for an error of a page's address (with its town, see `_ErrorPage`)."""
    return _ErrorPage(request, status, detail, headers)


def render_error_page(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    headers: dict[str, str],
    municipality: Municipality | None = None,
) -> Response[Any]:
    """The error page, in `municipality`'s layout if given. Rendered here rather than as
    a Template response so that a failing template cannot turn it into another error."""
    locale = reader_locale(request, municipality.default_locale if municipality else DEFAULT_LOCALE)
    heading, explanation = _wording(translator(locale), status, detail)
    try:
        template = request.app.template_engine.get_template("error.html")  # type: ignore[union-attr]
        body = template.render(
            **page_context(request, locale, municipality),
            heading=heading,
            explanation=explanation,
            request=request,
            csrf_input="",
        )
    except Exception:
        log.exception("the error page could not be rendered")
        body = (
            f'<!doctype html><html lang="{locale}"><meta charset="utf-8">'
            f"<title>{escape(heading)}</title><h1>{escape(heading)}</h1>"
            f"<p>{escape(explanation)}</p></html>"
        )
    return Response(
        body,
        status_code=status,
        media_type=MediaType.HTML,
        headers={**headers, "Vary": VARY},
    )
