"""/guide/events/{id}/invitations: an event by invitation — make it one, invite partners
(each gets a mail with a personal link), see who was invited and who registered.
Thin: the rules are registrations/invitations.py, as for the API."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.errors import Conflict, InvalidInput
from treffpunkt.events.service import guide_event
from treffpunkt.events.tables import EventAccess
from treffpunkt.municipalities.service import get_municipality_by_id
from treffpunkt.partners import service as partners
from treffpunkt.registrations import invitations
from treffpunkt.schemas import MAX_ID, PathId
from treffpunkt.translations import N_
from treffpunkt.web.pages import page_route
from treffpunkt.web.workspace import see_other, workspace_page

MESSAGES = {
    "partner_ids": N_("Choose at least one partner with an email address."),
    "access": N_("Make the event one by invitation first."),
    "event": N_("Publish the event first: invitations lead to its registration."),
}
ID = re.compile(r"[0-9]{1,19}")


async def _page(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    event_id: int,
    errors: dict[str, str] | None = None,
    chosen: set[int] | None = None,
    status_code: int = 200,
) -> Template:
    event = await guide_event(tenant.municipality_id, event_id)  # another town's: 404
    municipality = await get_municipality_by_id(tenant.municipality_id)
    texts = event.texts.get(municipality.default_locale) or next(iter(event.texts.values()))
    invited = await invitations.list_invitations(tenant.municipality_id, event_id)
    invited_ids = {i.partner_id for i in invited}
    everyone = await partners.list_partners(tenant.municipality_id)
    return await workspace_page(
        request,
        "guide/invitations.html",
        tenant,
        section="events",
        status_code=status_code,
        event=event,
        title=texts.title,
        invitation_only=event.access == EventAccess.invitation_only,
        invited=invited,
        candidates=[p for p in everyone if p.email and p.id not in invited_ids],
        without_email=[p for p in everyone if not p.email and p.id not in invited_ids],
        chosen=chosen or set(),
        zone=ZoneInfo(municipality.time_zone),  # "invited on": the town's day
        errors=errors or {},
    )


@page_route("/events/{event_id:int}/invitations")
async def invitations_page(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], event_id: PathId
) -> Template:
    """Who was invited and who registered; partners to invite."""
    return await _page(request, tenant, event_id)


@post("/events/{event_id:int}/invitations", include_in_schema=False)
async def send_invitations(
    request: Request[Any, Any, Any],
    tenant: NamedDependency[Tenant],
    event_id: PathId,
    secret_key: NamedDependency[str],
) -> Template | Redirect:
    """Invite the chosen partners (303 back), or the page with what is wrong."""
    form = await request.form()
    raw = [str(v) for v in form.getall("partner")] if "partner" in form else []
    ids = [int(v) for v in raw if ID.fullmatch(v) and 1 <= int(v) <= MAX_ID]
    if len(ids) != len(raw) or not ids:
        return await _page(
            request,
            tenant,
            event_id,
            {"partner_ids": MESSAGES["partner_ids"]},
            set(ids),
            HTTP_422_UNPROCESSABLE_ENTITY,
        )
    try:
        await invitations.invite(tenant.municipality_id, event_id, ids, secret_key)
    except InvalidInput as error:
        errors = {f: MESSAGES.get(f, text) for f, text in error.fields.items()}
        return await _page(
            request, tenant, event_id, errors, set(ids), HTTP_422_UNPROCESSABLE_ENTITY
        )
    except Conflict as error:
        errors = {f: MESSAGES.get(f, text) for f, text in error.fields.items()}
        return await _page(request, tenant, event_id, errors, set(ids), HTTP_409_CONFLICT)
    return see_other(f"/guide/events/{event_id}/invitations?sent={len(ids)}")


@post("/events/{event_id:int}/access", include_in_schema=False)
async def change_access(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], event_id: PathId
) -> Template | Redirect:
    """Make the event one by invitation, or open it to everyone again."""
    form = await request.form()
    chosen = str(form.get("access") or "")
    if chosen not in {a.value for a in EventAccess}:
        return await _page(
            request,
            tenant,
            event_id,
            {"access": N_("Choose who may register.")},
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    await invitations.set_access(tenant.municipality_id, event_id, EventAccess(chosen))
    return see_other(f"/guide/events/{event_id}/invitations")


ROUTES = [invitations_page, send_invitations, change_access]
