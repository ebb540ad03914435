"""/guide/partners: the town's directory of organisations and their contact people —
the list (filter by kind, search), a new partner, a partner's page to change it.
Thin: the rules are the partners service's, which scopes everything to the town."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.i18n import LOCALES
from treffpunkt.partners import service
from treffpunkt.partners.schemas import PartnerCreate, PartnerUpdate
from treffpunkt.partners.tables import PartnerKind
from treffpunkt.schemas import PathId
from treffpunkt.translations import N_
from treffpunkt.web.guide.forms import blank_to_none, check_form
from treffpunkt.web.pages import AUTONYMS, page_route
from treffpunkt.web.workspace import see_other, workspace_page

FIELDS = ("name", "kind", "contact_name", "email", "phone", "website", "locale", "notes")
MESSAGES = {
    "name": N_("Enter the organisation's name in one line, at most 200 characters."),
    "kind": N_("Choose a kind from the list."),
    "contact_name": N_("Enter the contact person's name in one line, or leave it empty."),
    "email": N_("Enter an email address, for example info@verein.de, or leave it empty."),
    "phone": N_("Enter a phone number of digits (and + ( ) / -), or leave it empty."),
    "website": N_("Enter a web address that starts with https:// or http://, or leave it empty."),
    "locale": N_("Choose a language from the list."),
    "notes": N_("Please write at most 4,000 characters."),
}
KINDS = {
    PartnerKind.association: N_("Association"),
    PartnerKind.migrant_organisation: N_("Migrant organisation"),
    PartnerKind.faith_community: N_("Faith community"),
    PartnerKind.school: N_("School"),
    PartnerKind.public_body: N_("Public body"),
    PartnerKind.other: N_("Other"),
}
MAX_SEARCH = 100


def _context(form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "form": form,
        "errors": errors,
        "kinds": list(KINDS.items()),
        "locales": [(code, AUTONYMS[code]) for code in LOCALES],
    }


def _body(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values["name"],
        "kind": values["kind"],
        "notes": values["notes"],
        "locale": values["locale"] or "de",
        **{
            name: blank_to_none(values[name])
            for name in ("contact_name", "email", "phone", "website")
        },
    }


def _values(form: Any) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name in FIELDS}


@page_route("/partners")
async def partners_page(
    request: Request[Any, Any, Any],
    tenant: NamedDependency[Tenant],
    kind: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
) -> Template:
    """The town's partners, by name; filtered by kind and a search in name, contact and
    email (a plain GET form)."""
    chosen = PartnerKind(kind) if kind in {k.value for k in PartnerKind} else None
    search = (q or "").strip()[:MAX_SEARCH] or None
    partners = await service.list_partners(tenant.municipality_id, kind=chosen, search=search)
    return await workspace_page(
        request,
        "guide/partners.html",
        tenant,
        section="partners",
        partners=partners,
        kinds=list(KINDS.items()),
        kind_names=dict(KINDS),
        chosen_kind=chosen.value if chosen else "",
        search=search or "",
    )


@page_route("/partners/new")
async def new_partner_page(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Template:
    return await workspace_page(
        request,
        "guide/partner_form.html",
        tenant,
        section="partners",
        partner_id=None,
        **_context({**dict.fromkeys(FIELDS, ""), "kind": "association", "locale": "de"}, {}),
    )


@post("/partners/new", include_in_schema=False)
async def create_partner(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Template | Redirect:
    values = _values(await request.form())
    data, errors = check_form(PartnerCreate, _body(values), MESSAGES)
    if data is None:
        return await workspace_page(
            request,
            "guide/partner_form.html",
            tenant,
            section="partners",
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            partner_id=None,
            **_context(values, errors),
        )
    partner = await service.create_partner(tenant.municipality_id, data)
    return see_other(f"/guide/partners/{partner.id}?saved=1")


@page_route("/partners/{partner_id:int}")
async def partner_page(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], partner_id: PathId
) -> Template:
    partner = await service.get_partner(tenant.municipality_id, partner_id)
    form = {
        name: "" if getattr(partner, name, None) is None else str(getattr(partner, name))
        for name in FIELDS
    }
    return await workspace_page(
        request,
        "guide/partner_form.html",
        tenant,
        section="partners",
        partner_id=partner_id,
        **_context(form, {}),
    )


@post("/partners/{partner_id:int}", include_in_schema=False)
async def update_partner(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], partner_id: PathId
) -> Template | Redirect:
    await service.get_partner(tenant.municipality_id, partner_id)  # another town's: 404
    values = _values(await request.form())
    data, errors = check_form(PartnerUpdate, _body(values), MESSAGES)
    if data is None:
        return await workspace_page(
            request,
            "guide/partner_form.html",
            tenant,
            section="partners",
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            partner_id=partner_id,
            **_context(values, errors),
        )
    await service.update_partner(tenant.municipality_id, partner_id, data)
    return see_other(f"/guide/partners/{partner_id}?saved=1")


ROUTES = [partners_page, new_partner_page, create_partner, partner_page, update_partner]
