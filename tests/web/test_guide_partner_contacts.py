"""A partner's contact people (/guide/partners/{id}/contacts/…): added, changed and
removed after a confirmation; errors named with the typed values kept; the partners'
search finds them; another town's partner or contact person is not found; forms without
a CSRF token are refused; the partner's own address (for invitations) stays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.pages import submit
from tests.web.workspace import logged_in_client
from treffpunkt.partners.schemas import ContactCreate, PartnerCreate
from treffpunkt.partners.service import create_contact, create_partner, list_contacts
from treffpunkt.partners.tables import Partner, PartnerContact

PERSON = {
    "name": "Leyla Aydın",
    "role": "Vorsitzende",
    "email": "leyla@kulturverein.example.org",
    "phone": "06251 987654",
    "locale": "tr",
    "notes": "Abends erreichbar.\nSpricht Türkisch und Deutsch.",
}


@pytest.fixture
async def guide(app: Any, bensheim_guide: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_client(app, bensheim_guide["email"]) as client:
        yield client


@pytest.fixture
async def partner(bensheim: Any) -> Partner:
    return await create_partner(
        bensheim.id,
        PartnerCreate(
            name="Türkischer Kulturverein", kind="association", email="info@kv.example.org"
        ),
    )


async def test_a_guide_adds_changes_and_removes_a_contact_person(
    guide: httpx.AsyncClient, partner: Partner
) -> None:
    page = f"/guide/partners/{partner.id}"
    empty = await guide.get(page)
    assert "Ansprechpersonen" in empty.text
    assert f'href="{page}/contacts/new"' in empty.text

    added = await submit(guide, f"{page}/contacts/new", f"{page}/contacts/new", PERSON)
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"{page}?contact=saved#contacts"
    [contact] = await PartnerContact.objects()
    assert (contact.partner, contact.name, contact.role) == (
        partner.id,
        "Leyla Aydın",
        "Vorsitzende",
    )
    assert (contact.locale, contact.notes) == ("tr", PERSON["notes"])
    shown = await guide.get(page)
    assert "Leyla Aydın" in shown.text
    assert "leyla@kulturverein.example.org" in shown.text

    form = await guide.get(f"{page}/contacts/{contact.id}")
    assert 'value="Vorsitzende"' in form.text
    changed = await submit(
        guide,
        f"{page}/contacts/{contact.id}",
        f"{page}/contacts/{contact.id}",
        {**PERSON, "role": "Kassiererin", "email": "", "phone": ""},
    )
    assert changed.status_code == 303
    again = await PartnerContact.objects().where(PartnerContact.id == contact.id).first()
    assert again is not None
    assert (again.role, again.email, again.phone) == ("Kassiererin", None, None)

    asked = await guide.get(f"{page}/contacts/{contact.id}/remove")
    assert asked.status_code == 200
    assert "Leyla Aydın" in asked.text
    assert await PartnerContact.count() == 1  # asking removes nothing
    removed = await submit(
        guide, f"{page}/contacts/{contact.id}/remove", f"{page}/contacts/{contact.id}/remove", {}
    )
    assert removed.status_code == 303
    assert removed.headers["location"] == f"{page}?contact=removed#contacts"
    assert await PartnerContact.count() == 0
    assert (await guide.get(f"{page}/contacts/{contact.id}")).status_code == 404

    # the organisation's own address is untouched (invitations go there)
    kept = await Partner.objects().where(Partner.id == partner.id).first()
    assert kept is not None
    assert kept.email == "info@kv.example.org"


async def test_errors_are_named_and_the_typed_values_kept(
    guide: httpx.AsyncClient, partner: Partner, bensheim: Any
) -> None:
    page = f"/guide/partners/{partner.id}"
    bad = {
        **PERSON,
        "name": "Leyla\r\nBcc: x@example.org",
        "role": "Vorsitzende\nund mehr",
        "email": "not-an-address",
        "phone": "call me",
        "locale": "xx",
        "notes": "x" * 4001,
    }
    answer = await submit(guide, f"{page}/contacts/new", f"{page}/contacts/new", bad)
    assert answer.status_code == 422
    for field in ("name", "role", "email", "phone", "locale", "notes"):
        assert f'href="#field-{field}"' in answer.text, field
        assert f'id="error-{field}"' in answer.text, field
    assert 'value="not-an-address"' in answer.text
    assert "Namen der Person" in answer.text  # the German message naming the field
    assert await PartnerContact.count() == 0

    contact = await create_contact(bensheim.id, partner.id, ContactCreate(name="Ali"))
    refused = await submit(
        guide, f"{page}/contacts/{contact.id}", f"{page}/contacts/{contact.id}", {"name": ""}
    )
    assert refused.status_code == 422
    assert 'id="error-name"' in refused.text
    kept = await PartnerContact.objects().where(PartnerContact.id == contact.id).first()
    assert kept is not None
    assert kept.name == "Ali"


async def test_the_partners_search_finds_a_contact_person(
    guide: httpx.AsyncClient, partner: Partner, bensheim: Any, butzbach: Any
) -> None:
    other = await create_partner(bensheim.id, PartnerCreate(name="Goethe-Schule", kind="school"))
    await create_contact(bensheim.id, partner.id, ContactCreate(name="Leyla Aydın"))
    theirs = await create_partner(butzbach.id, PartnerCreate(name="Kirche Butzbach"))
    await create_contact(butzbach.id, theirs.id, ContactCreate(name="Leyla Schmidt"))

    found = await guide.get("/guide/partners", params={"q": "leyla"})
    assert found.status_code == 200
    assert "Türkischer Kulturverein" in found.text
    assert "Goethe-Schule" not in found.text
    assert "Kirche Butzbach" not in found.text  # another town's contact finds nothing here
    by_name = await guide.get("/guide/partners", params={"q": "goethe"})
    assert "Goethe-Schule" in by_name.text
    assert other.id


async def test_another_towns_partner_and_contact_are_not_found_and_forms_need_their_token(
    guide: httpx.AsyncClient, partner: Partner, bensheim: Any, butzbach: Any
) -> None:
    theirs = await create_partner(butzbach.id, PartnerCreate(name="Kirche Butzbach"))
    their_contact = await create_contact(butzbach.id, theirs.id, ContactCreate(name="Pfarrer"))
    own = f"/guide/partners/{partner.id}"
    foreign = f"/guide/partners/{theirs.id}"
    for path in (
        f"{foreign}/contacts/new",
        f"{foreign}/contacts/{their_contact.id}",
        f"{foreign}/contacts/{their_contact.id}/remove",
        f"{own}/contacts/{their_contact.id}",  # their contact under our partner
        f"{own}/contacts/{2**63}",
    ):
        assert (await guide.get(path)).status_code == 404, path
    for path in (
        f"{foreign}/contacts/new",
        f"{foreign}/contacts/{their_contact.id}",
        f"{foreign}/contacts/{their_contact.id}/remove",
        f"{own}/contacts/{their_contact.id}",
        f"{own}/contacts/{their_contact.id}/remove",
    ):
        answer = await submit(guide, f"{own}/contacts/new", path, PERSON)
        assert answer.status_code == 404, path
    [still] = await list_contacts(butzbach.id, theirs.id)
    assert still.name == "Pfarrer"

    assert (await guide.post(f"{own}/contacts/new", data=PERSON)).status_code == 403
    mine = await create_contact(bensheim.id, partner.id, ContactCreate(name="Ali"))
    assert (await guide.post(f"{own}/contacts/{mine.id}/remove")).status_code == 403
    assert await PartnerContact.count() == 2  # nothing added, nothing removed


async def test_a_partners_contact_people_go_with_it(partner: Partner, bensheim: Any) -> None:
    await create_contact(bensheim.id, partner.id, ContactCreate(name="Ali"))
    await Partner.delete().where(Partner.id == partner.id)
    assert await PartnerContact.count() == 0
