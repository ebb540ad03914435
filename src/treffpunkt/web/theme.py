"""A town's colour for its pages, as a stylesheet of one rule: the pages' CSP allows no
inline style, and the layout links `/m/{slug}/theme.css?v=<last change>` (pages.Town),
so browsers keep it until the town's settings change."""

from __future__ import annotations

from litestar import Response
from litestar.datastructures import CacheControlHeader

from treffpunkt.municipalities.service import get_municipality
from treffpunkt.schemas import PathSlug
from treffpunkt.web.assets import A_YEAR
from treffpunkt.web.pages import page_route


def theme_css(accent_colour: str) -> str:
    # web/static/site.css maps --town-accent onto Pico's colours. The value is a
    # validated #rrggbb (municipalities/schemas.py), so nothing else can get in.
    return f":root {{ --town-accent: {accent_colour}; }}\n"


@page_route(
    "/m/{slug:str}/theme.css",
    media_type="text/css",
    cache_control=CacheControlHeader(public=True, max_age=A_YEAR),
)
async def town_theme(slug: PathSlug) -> Response[str]:
    municipality = await get_municipality(slug)
    return Response(theme_css(municipality.accent_colour), media_type="text/css")
