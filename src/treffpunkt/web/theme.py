"""A town's look and notices: its colour, its logo, its privacy notice.

A town's colour for its pages, as a stylesheet of one rule: the pages' CSP allows no
inline style, and the layout links `/m/{slug}/theme.css?v=<digest of the colour>`
(pages.Town), so browsers keep it until the colour changes. Only that address is kept
for a year: an old or missing `v` would otherwise keep an old colour as long."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.params import FromQuery
from litestar.response import Template

from treffpunkt.municipalities.service import current_privacy_notice, get_municipality, logo_of
from treffpunkt.schemas import PathSlug
from treffpunkt.web.assets import A_YEAR
from treffpunkt.web.pages import page, page_route, theme_version

SHORT_CACHE = 300  # seconds: a stylesheet asked for by another version than the current


def theme_css(accent_colour: str) -> str:
    # web/static/site.css maps --town-accent onto Pico's colours. The value is a
    # validated #rrggbb (municipalities/schemas.py), so nothing else can get in.
    return f":root {{ --town-accent: {accent_colour}; }}\n"


@page_route("/m/{slug:str}/theme.css", media_type="text/css")
async def town_theme(slug: PathSlug, v: FromQuery[str | None] = None) -> Response[str]:
    municipality = await get_municipality(slug)
    current = v == theme_version(municipality.accent_colour)
    max_age = A_YEAR if current else SHORT_CACHE
    return Response(
        theme_css(municipality.accent_colour),
        media_type="text/css",
        headers={"Cache-Control": f"public, max-age={max_age}"},
    )


@page_route("/m/{slug:str}/logo.png", media_type="image/png")
async def town_logo(slug: PathSlug, v: FromQuery[str | None] = None) -> Response[bytes]:
    """The town's logo: the PNG treffpunkt wrote from the upload (municipalities/logo.py),
    never the uploaded bytes. Kept for a year at its current `v`, like theme.css."""
    png, digest = await logo_of(slug)
    max_age = A_YEAR if v == digest[:12] else SHORT_CACHE
    return Response(
        png,
        media_type="image/png",
        headers={
            "Cache-Control": f"public, max-age={max_age}",
            "Content-Disposition": 'inline; filename="logo.png"',
        },
    )


@page_route("/m/{slug:str}/privacy")
async def privacy_notice(request: Request[Any, Any, Any], slug: PathSlug) -> Template:
    """The privacy notice the town's guides keep here, in its current version (the one
    registrations consent to from now on)."""
    municipality = await get_municipality(slug)
    notice = await current_privacy_notice(municipality.id)
    return page(
        request,
        "privacy.html",
        municipality=municipality,
        notice=notice,
        town_locale=municipality.default_locale,
        paragraphs=notice.text.split("\n\n") if notice else [],
    )


THEME_ROUTES = [town_theme, town_logo, privacy_notice]
