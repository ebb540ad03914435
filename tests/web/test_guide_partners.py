"""The guide's partner pages (/guide/partners): the list with its filters, a new
partner, changing one; errors named with the typed values kept; another town's
partner is not found; forms without a CSRF token are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.pages import csrf_token, submit
from tests.web.workspace import logged_in_client
from treffpunkt.partners.schemas import PartnerCreate
from treffpunkt.partners.service import create_partner
from treffpunkt.partners.tables import Partner

FORM = {
    "name": "Moscheegemeinde Bensheim",
    "kind": "faith_community",
    "contact_name": "Samira Haddad",
    "email": "vorstand@moschee.example.org",
    "phone": "06251 123456",
    "website": "https://moschee.example.org",
    "locale": "ar",
    "notes": "Freitags erreichbar.\nAnsprechpartnerin für den Runden Tisch.",
}


@pytest.fixture
async def guide(app: Any, bensheim_guide: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_client(app, bensheim_guide["email"]) as client:
        yield client


async def test_a_guide_adds_finds_and_changes_a_partner(guide: httpx.AsyncClient) -> None:
    empty = await guide.get("/guide/partners")
    assert empty.status_code == 200
    assert "Noch keine Partner" in empty.text

    created = await submit(guide, "/guide/partners/new", "/guide/partners/new", FORM)
    assert created.status_code == 303, created.text
    [partner] = await Partner.objects()
    assert created.headers["location"] == f"/guide/partners/{partner.id}?saved=1"
    assert partner.contact_name == "Samira Haddad"
    assert partner.notes == FORM["notes"]
    assert partner.locale == "ar"
    await submit(
        guide,
        "/guide/partners/new",
        "/guide/partners/new",
        {**FORM, "name": "Goethe-Schule", "kind": "school", "email": "", "contact_name": ""},
    )

    listed = await guide.get("/guide/partners")
    assert "Moscheegemeinde Bensheim" in listed.text
    assert "Goethe-Schule" in listed.text
    schools = await guide.get("/guide/partners", params={"kind": "school"})
    assert "Goethe-Schule" in schools.text
    assert "Moscheegemeinde" not in schools.text
    found = await guide.get("/guide/partners", params={"q": "haddad"})
    assert "Moscheegemeinde Bensheim" in found.text
    assert "Goethe-Schule" not in found.text
    nothing = await guide.get("/guide/partners", params={"q": "x" * 5000, "kind": "bogus"})
    assert nothing.status_code == 200

    page = await guide.get(f"/guide/partners/{partner.id}")
    assert 'value="Samira Haddad"' in page.text
    changed = await submit(
        guide,
        f"/guide/partners/{partner.id}",
        f"/guide/partners/{partner.id}",
        {**FORM, "contact_name": "Yusuf Demir"},
    )
    assert changed.status_code == 303
    again = await Partner.objects().where(Partner.id == partner.id).first()
    assert again is not None
    assert again.contact_name == "Yusuf Demir"


async def test_errors_are_named_and_the_typed_values_kept(guide: httpx.AsyncClient) -> None:
    bad = {
        **FORM,
        "name": "Verein\r\nBcc: x@example.org",
        "kind": "sect",
        "email": "not-an-address",
        "website": "javascript:alert(1)",
        "notes": "x" * 4001,
    }
    answer = await submit(guide, "/guide/partners/new", "/guide/partners/new", bad)
    assert answer.status_code == 422
    for field in ("name", "kind", "email", "website", "notes"):
        assert f'href="#field-{field}"' in answer.text, field
        assert f'id="error-{field}"' in answer.text, field
    assert 'value="not-an-address"' in answer.text
    assert 'value="Samira Haddad"' in answer.text
    assert await Partner.count() == 0


async def test_another_towns_partner_is_not_found_and_forms_need_their_token(
    guide: httpx.AsyncClient, butzbach: Any
) -> None:
    theirs = await create_partner(
        butzbach.id, PartnerCreate(name="Kirche Butzbach", kind="faith_community")
    )
    assert (await guide.get(f"/guide/partners/{theirs.id}")).status_code == 404
    forged = await submit(guide, "/guide/partners/new", f"/guide/partners/{theirs.id}", FORM)
    assert forged.status_code == 404
    assert (await guide.get(f"/guide/partners/{2**63}")).status_code == 404
    assert (await guide.get("/guide/partners/99999999999999999999")).status_code == 404
    unchanged = await Partner.objects().where(Partner.id == theirs.id).first()
    assert unchanged is not None
    assert unchanged.name == "Kirche Butzbach"

    page = await guide.get("/guide/partners/new")
    token = csrf_token(page)
    assert (await guide.post("/guide/partners/new", data=FORM)).status_code == 403
    other = {**FORM, "_csrf_token": token[:-2] + "xx"}
    assert (await guide.post("/guide/partners/new", data=other)).status_code == 403
    assert await Partner.count() == 1  # Butzbach's only
