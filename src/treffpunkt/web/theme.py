"""A town's colour for its pages, as a stylesheet of one rule: the pages' CSP allows no
inline style, and the layout links `/m/{slug}/theme.css?v=<digest of the colour>`
(pages.Town), so browsers keep it until the colour changes. Only that address is kept
for a year: an old or missing `v` would otherwise keep an old colour as long."""

from __future__ import annotations

from litestar import Response
from litestar.params import FromQuery

from treffpunkt.municipalities.service import get_municipality
from treffpunkt.schemas import PathSlug
from treffpunkt.web.assets import A_YEAR
from treffpunkt.web.pages import page_route, theme_version

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
