"""The town's venues: the list (`/guide/venues`), a new one, and editing one — address,
accessibility, how many people the room holds, and notes for the guides.

The form goes through the API's models and services (events/venues.py); an error
comes back on its field with what was typed kept (422).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.events import venues
from treffpunkt.events.schemas import VenueCreate, VenueOut, VenueUpdate
from treffpunkt.i18n import DEFAULT_LOCALE
from treffpunkt.schemas import PathId
from treffpunkt.translations import N_, translator
from treffpunkt.web.guide import event_form
from treffpunkt.web.guide.event_form import Failed
from treffpunkt.web.pages import page_route, reader_locale
from treffpunkt.web.workspace import see_other, workspace_page

DONE = {
    "created": N_("The venue is saved."),
    "saved": N_("Your changes are saved."),
}
DoneChoice = Annotated[str | None, QueryParameter(name="done", pattern=r"^[a-z]{0,20}$")]


@page_route("/venues")
async def venue_list(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], done: DoneChoice = None
) -> Template:
    found = [VenueOut.model_validate(v) for v in await venues.list_venues(tenant.municipality_id)]
    said = translator(reader_locale(request, DEFAULT_LOCALE))
    return await workspace_page(
        request,
        "guide/venues.html",
        tenant,
        section="venues",
        venues=found,
        done_message=said.gettext(DONE[done]) if done in DONE else None,
    )


async def _form(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    values: dict[str, str],
    *,
    venue: VenueOut | None = None,
    failed: Failed | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Template:
    said = translator(reader_locale(request, DEFAULT_LOCALE))
    return await workspace_page(
        request,
        "guide/venue_form.html",
        tenant,
        section="venues",
        status_code=status_code,
        venue=venue,
        values=values,
        errors=failed.messages(said) if failed else {},
        done_message=said.gettext(DONE[done]) if done in DONE else None,
    )


async def _values(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name) or "") for name in event_form.VENUE_FIELDS}


@page_route("/venues/new")
async def new_venue(request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]) -> Template:
    return await _form(request, tenant, {})


@post("/venues/new", include_in_schema=False)
async def create_venue(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Response[Any]:
    """A new venue: to the list (303), or the form again with its errors (422)."""
    values = await _values(request)
    data, failed = event_form.check_venue(values, creating=True)
    if data is None:
        return await _form(
            request, tenant, values, failed=failed, status_code=HTTP_422_UNPROCESSABLE_ENTITY
        )
    assert isinstance(data, VenueCreate)
    venue = await venues.create_venue(tenant.municipality_id, data)
    return see_other(f"/guide/venues/{venue.id}?done=created")


@page_route("/venues/{venue_id:int}")
async def edit_venue(
    request: Request[Any, Any, Any],
    venue_id: PathId,
    tenant: NamedDependency[Tenant],
    done: DoneChoice = None,
) -> Template:
    venue = VenueOut.model_validate(await venues.get_venue(tenant.municipality_id, venue_id))
    return await _form(request, tenant, event_form.venue_values(venue), venue=venue, done=done)


@post("/venues/{venue_id:int}", include_in_schema=False)
async def update_venue(
    request: Request[Any, Any, Any], venue_id: PathId, tenant: NamedDependency[Tenant]
) -> Response[Any]:
    """Save a venue's changes: back to it (303), or the form again (422)."""
    venue = VenueOut.model_validate(await venues.get_venue(tenant.municipality_id, venue_id))
    values = await _values(request)
    data, failed = event_form.check_venue(values, creating=False)
    if data is None:
        return await _form(
            request,
            tenant,
            values,
            venue=venue,
            failed=failed,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    assert isinstance(data, VenueUpdate)
    await venues.update_venue(tenant.municipality_id, venue_id, data)
    return see_other(f"/guide/venues/{venue_id}?done=saved")


ROUTES = [venue_list, new_venue, create_venue, edit_venue, update_venue]
