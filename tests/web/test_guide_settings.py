"""The guide's settings page (/guide/settings): every field checked and named, typed
values kept, a logo uploaded safely, forms without a CSRF token refused; and the
invitations page of an event (/guide/events/{id}/invitations)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.factories import make_published_event
from tests.pages import csrf_token, submit
from tests.web.workspace import logged_in_client
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.municipalities.tables import PrivacyNotice
from treffpunkt.outbox import OutboxMessage
from treffpunkt.partners.schemas import PartnerCreate
from treffpunkt.partners.service import create_partner
from treffpunkt.registrations.tables import Invitation

FORM = {
    "sender_name": "Integrationsbüro Bensheim",
    "reply_to_email": "integration@bensheim.example.org",
    "contact_email": "integration@bensheim.example.org",
    "contact_phone": "06251 14-0",
    "privacy_notice": "Wir speichern Ihre Anmeldung ein Jahr lang.",
    "privacy_url": "",
    "imprint_url": "https://www.bensheim.de/impressum",
    "reminder_hours": "48",
    "confirmation_hold_hours": "12",
    "default_locale": "de",
    "accent_colour": "#7a1f5c",
}


@pytest.fixture
async def guide(app: Any, bensheim_guide: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_client(app, bensheim_guide["email"]) as client:
        yield client


def picture(kind: str = "PNG", size: tuple[int, int] = (300, 100)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#335577").save(out, format=kind)
    return out.getvalue()


async def upload(guide: httpx.AsyncClient, name: str, data: bytes, media_type: str) -> Any:
    page = await guide.get("/guide/settings")
    return await guide.post(
        "/guide/settings/logo",
        data={"_csrf_token": csrf_token(page)},
        files={"logo": (name, data, media_type)},
    )


async def test_a_guide_sets_the_towns_settings(guide: httpx.AsyncClient, bensheim: Any) -> None:
    page = await guide.get("/guide/settings")
    assert page.status_code == 200
    assert f'value="{bensheim.sender_name}"' in page.text
    saved = await submit(guide, "/guide/settings", "/guide/settings", FORM)
    assert saved.status_code == 303, saved.text
    town = await get_municipality("bensheim")
    assert town.sender_name == "Integrationsbüro Bensheim"
    assert town.reply_to_email == "integration@bensheim.example.org"
    assert town.reminder_hours == 48
    assert town.confirmation_hold_hours == 12
    assert town.accent_colour == "#7a1f5c"
    [notice] = await PrivacyNotice.objects()
    assert town.privacy_version == notice.version
    shown = await guide.get(saved.headers["location"])
    assert notice.version in shown.text
    assert "Wir speichern Ihre Anmeldung ein Jahr lang." in shown.text

    # The public pages: the colour, the logo in the header.
    assert (await upload(guide, "logo.png", picture(), "image/png")).status_code == 303
    public = await guide.get("/m/bensheim/")
    assert 'class="town-logo"' in public.text
    jpeg = await upload(guide, "logo.jpg", picture("JPEG"), "image/jpeg")
    assert jpeg.status_code == 303
    removed = await submit(guide, "/guide/settings", "/guide/settings/logo/remove")
    assert removed.status_code == 303
    assert 'class="town-logo"' not in (await guide.get("/m/bensheim/")).text


async def test_settings_errors_are_named_and_the_typed_values_kept(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    bad = {
        **FORM,
        "sender_name": "Bensheim\r\nBcc: all@example.org",
        "reply_to_email": "nobody",
        "imprint_url": "http://www.bensheim.de/impressum",
        "reminder_hours": "²",
        "confirmation_hold_hours": "0",
        "default_locale": "xx",
        "accent_colour": "#fafafa",
    }
    answer = await submit(guide, "/guide/settings", "/guide/settings", bad)
    assert answer.status_code == 422
    for field in (
        "sender_name",
        "reply_to_email",
        "imprint_url",
        "reminder_hours",
        "confirmation_hold_hours",
        "default_locale",
        "accent_colour",
    ):
        assert f'href="#field-{field}"' in answer.text, field
    assert 'value="#fafafa"' in answer.text
    assert 'value="nobody"' in answer.text
    assert await PrivacyNotice.count() == 0
    assert (await get_municipality("bensheim")).sender_name == bensheim.sender_name

    for name, data, media_type in [
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        ("logo.png", b"\x89PNG\r\n\x1a\nbroken", "image/png"),
        ("logo.png", b"", "image/png"),
    ]:
        refused = await upload(guide, name, data, media_type)
        assert refused.status_code == 422, name
        assert 'href="#field-logo"' in refused.text
    assert (await get_municipality("bensheim")).logo_digest is None

    assert (await guide.post("/guide/settings", data=FORM)).status_code == 403
    no_token = await guide.post("/guide/settings/logo", files={"logo": ("a.png", picture())})
    assert no_token.status_code == 403


async def test_the_invitations_page_invites_and_shows_who_registered(
    guide: httpx.AsyncClient, bensheim: Any, butzbach: Any
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session")
    foreign = await make_published_event(butzbach, registration_mode="per_session")
    ours = await create_partner(
        bensheim.id, PartnerCreate(name="Synagoge", email="info@synagoge.example.org")
    )
    theirs = await create_partner(
        butzbach.id, PartnerCreate(name="Kirche", email="info@kirche.example.org")
    )
    path = f"/guide/events/{event.id}/invitations"

    page = await guide.get(path)
    assert page.status_code == 200
    made = await submit(
        guide, path, f"/guide/events/{event.id}/access", {"access": "invitation_only"}
    )
    assert made.status_code == 303
    page = await guide.get(path)
    assert "Synagoge" in page.text
    assert "Kirche" not in page.text

    nothing = await submit(guide, path, path, {})
    assert nothing.status_code == 422
    assert 'href="#field-partner_ids"' in nothing.text
    forged = await submit(guide, path, path, {"partner": str(theirs.id)})
    assert forged.status_code == 404
    assert await Invitation.count() == 0

    sent = await submit(guide, path, path, {"partner": str(ours.id)})
    assert sent.status_code == 303
    [invitation] = await Invitation.objects()
    assert invitation.email == "info@synagoge.example.org"
    assert await OutboxMessage.count().where(OutboxMessage.kind == "partner_invitation") == 1
    listed = await guide.get(path)
    assert "info@synagoge.example.org" in listed.text
    assert "Noch nicht angemeldet" in listed.text

    assert (await guide.get(f"/guide/events/{foreign.id}/invitations")).status_code == 404
    other = await submit(
        guide, path, f"/guide/events/{foreign.id}/access", {"access": "invitation_only"}
    )
    assert other.status_code == 404
    assert (await guide.post(path, data={"partner": str(ours.id)})).status_code == 403
