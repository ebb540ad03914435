"""/guide/partners: the town's directory of organisations and their contact people —
the list (filter by kind, search in names and contact people), a new partner, a
partner's page to change it with its contact people (add, change, remove after a
confirmation).
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
from treffpunkt.partners.schemas import ContactCreate, ContactUpdate, PartnerCreate, PartnerUpdate
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
    """The town's partners, by name; filtered by kind and a search in the names of the
    partners and of their contact people (a plain GET form)."""
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
        contacts=await service.list_contacts(tenant.municipality_id, partner_id),
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
            contacts=await service.list_contacts(tenant.municipality_id, partner_id),
            **_context(values, errors),
        )
    await service.update_partner(tenant.municipality_id, partner_id, data)
    return see_other(f"/guide/partners/{partner_id}?saved=1")


# Contact people of a partner: /guide/partners/{partner_id}/contacts/…

CONTACT_FIELDS = ("name", "role", "email", "phone", "locale", "notes")
CONTACT_MESSAGES = {
    "name": N_("Enter the person's name in one line, at most 200 characters."),
    "role": N_("Enter the role in one line, at most 200 characters, or leave it empty."),
    "email": N_("Enter an email address, for example info@verein.de, or leave it empty."),
    "phone": N_("Enter a phone number of digits (and + ( ) / -), or leave it empty."),
    "locale": N_("Choose a language from the list."),
    "notes": N_("Please write at most 4,000 characters."),
}


def _contact_values(form: Any) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name in CONTACT_FIELDS}


def _contact_body(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values["name"],
        "role": values["role"].strip(),
        "notes": values["notes"],
        "locale": values["locale"] or "de",
        "email": blank_to_none(values["email"]),
        "phone": blank_to_none(values["phone"]),
    }


async def _contact_form(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    partner_id: int,
    contact_id: int | None,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    partner = await service.get_partner(tenant.municipality_id, partner_id)
    return await workspace_page(
        request,
        "guide/partner_contact_form.html",
        tenant,
        section="partners",
        status_code=status_code,
        partner=partner,
        contact_id=contact_id,
        form=form,
        errors=errors,
        locales=[(code, AUTONYMS[code]) for code in LOCALES],
    )


@page_route("/partners/{partner_id:int}/contacts/new")
async def new_contact_page(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], partner_id: PathId
) -> Template:
    partner = await service.get_partner(tenant.municipality_id, partner_id)
    form = {**dict.fromkeys(CONTACT_FIELDS, ""), "locale": partner.locale}
    return await _contact_form(request, tenant, partner_id, None, form, {})


@post("/partners/{partner_id:int}/contacts/new", include_in_schema=False)
async def create_contact(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], partner_id: PathId
) -> Template | Redirect:
    await service.get_partner(tenant.municipality_id, partner_id)  # another town's: 404
    values = _contact_values(await request.form())
    data, errors = check_form(ContactCreate, _contact_body(values), CONTACT_MESSAGES)
    if data is None:
        return await _contact_form(
            request, tenant, partner_id, None, values, errors, HTTP_422_UNPROCESSABLE_ENTITY
        )
    await service.create_contact(tenant.municipality_id, partner_id, data)
    return see_other(f"/guide/partners/{partner_id}?contact=saved#contacts")


@page_route("/partners/{partner_id:int}/contacts/{contact_id:int}")
async def contact_page(
    request: Request[Any, Any, Any],
    tenant: NamedDependency[Tenant],
    partner_id: PathId,
    contact_id: PathId,
) -> Template:
    contact = await service.get_contact(tenant.municipality_id, partner_id, contact_id)
    form = {
        name: "" if getattr(contact, name, None) is None else str(getattr(contact, name))
        for name in CONTACT_FIELDS
    }
    return await _contact_form(request, tenant, partner_id, contact_id, form, {})


@post("/partners/{partner_id:int}/contacts/{contact_id:int}", include_in_schema=False)
async def update_contact(
    request: Request[Any, Any, Any],
    tenant: NamedDependency[Tenant],
    partner_id: PathId,
    contact_id: PathId,
) -> Template | Redirect:
    await service.get_contact(tenant.municipality_id, partner_id, contact_id)  # else 404
    values = _contact_values(await request.form())
    data, errors = check_form(ContactUpdate, _contact_body(values), CONTACT_MESSAGES)
    if data is None:
        return await _contact_form(
            request, tenant, partner_id, contact_id, values, errors, HTTP_422_UNPROCESSABLE_ENTITY
        )
    await service.update_contact(tenant.municipality_id, partner_id, contact_id, data)
    return see_other(f"/guide/partners/{partner_id}?contact=saved#contacts")


@page_route("/partners/{partner_id:int}/contacts/{contact_id:int}/remove")
async def remove_contact_page(
    request: Request[Any, Any, Any],
    tenant: NamedDependency[Tenant],
    partner_id: PathId,
    contact_id: PathId,
) -> Template:
    """Asks before a contact person is removed; the form posts to the same address."""
    partner = await service.get_partner(tenant.municipality_id, partner_id)
    contact = await service.get_contact(tenant.municipality_id, partner_id, contact_id)
    return await workspace_page(
        request,
        "guide/partner_contact_remove.html",
        tenant,
        section="partners",
        partner=partner,
        contact=contact,
    )


@post("/partners/{partner_id:int}/contacts/{contact_id:int}/remove", include_in_schema=False)
async def remove_contact(
    tenant: NamedDependency[Tenant], partner_id: PathId, contact_id: PathId
) -> Redirect:
    await service.delete_contact(tenant.municipality_id, partner_id, contact_id)
    return see_other(f"/guide/partners/{partner_id}?contact=removed#contacts")


ROUTES = [
    partners_page,
    new_partner_page,
    create_partner,
    partner_page,
    update_partner,
    new_contact_page,
    create_contact,
    contact_page,
    update_contact,
    remove_contact_page,
    remove_contact,
]
