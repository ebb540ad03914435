"""Error answers of pages: the layout, in the reader's language (errors.py decides by
path which answers are pages; the API keeps its JSON error format)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from markupsafe import escape

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


def error_page(
    request: Request[Any, Any, Any], status: int, detail: str, headers: dict[str, str]
) -> Response[Any]:
    """The page for an error of a page's address. Rendered here rather than as a
    Template response so that a failing template cannot turn it into another error."""
    locale = reader_locale(request)
    heading, explanation = _wording(translator(locale), status, detail)
    try:
        template = request.app.template_engine.get_template("error.html")  # type: ignore[union-attr]
        body = template.render(
            **page_context(request, locale, None),
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
