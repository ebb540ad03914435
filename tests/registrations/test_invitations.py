"""Events by invitation (registrations/invitations.py): only partners a guide invited
register, each once, through the personal link in their mail — end to end, with a real
SMTP server."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from tests.factories import SECRET, make_published_event, sessions_of
from tests.pages import submit
from treffpunkt.notifications.worker import run_once
from treffpunkt.outbox import OutboxMessage
from treffpunkt.partners.schemas import PartnerCreate
from treffpunkt.partners.service import create_partner
from treffpunkt.registrations.invitations import invitation_token
from treffpunkt.registrations.tables import Invitation, Registration, RegistrationStatus

LINK = re.compile(r"https?://[^\s\"<>]+/m/bensheim/invitations/[A-Za-z0-9_-]+")


async def make_partner(municipality: Any, name: str, email: str | None, **fields: Any) -> Any:
    """A partner of the town, as a guide adds one."""
    data = {"kind": "faith_community", **fields, "name": name, "email": email}
    return await create_partner(municipality.id, PartnerCreate.model_validate(data))


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def runder_tisch(municipality: Any, **fields: Any) -> Any:
    return await make_published_event(
        municipality,
        texts={
            "de": {"title": "Runder Tisch der Religionen"},
            "ar": {"title": "طاولة الأديان المستديرة"},
        },
        registration_mode="per_session",
        access="invitation_only",
        capacity=20,
        **fields,
    )


async def invite(client: Any, headers: Any, event_id: int, *partner_ids: int) -> Any:
    return await client.post(
        f"/api/v1/guide/events/{event_id}/invitations",
        json={"partner_ids": list(partner_ids)},
        headers=headers,
    )


async def test_an_invited_partner_registers_once_through_the_link_in_their_mail(
    client: Any, bensheim: Any, bensheim_headers: Any, smtp: Any, mail_settings: Any
) -> None:
    event = await runder_tisch(bensheim)
    [session] = await sessions_of(event)
    moschee = await make_partner(
        bensheim, "Moscheegemeinde Bensheim", "vorstand@moschee.example.org",
        contact_name="Samira Haddad", locale="ar",
    )  # fmt: skip
    kirche = await make_partner(bensheim, "Ev. Kirchengemeinde", "pfarramt@kirche.example.org")

    answer = await invite(client, bensheim_headers, event.id, moschee.id, kirche.id)
    assert answer.status_code == 201, answer.text
    invited = answer.json()
    assert [(i["email"], i["locale"], i["registration_id"]) for i in invited] == [
        ("vorstand@moschee.example.org", "ar", None),
        ("pfarramt@kirche.example.org", "de", None),
    ]
    # Inviting again changes nothing and sends nothing more.
    again = await invite(client, bensheim_headers, event.id, moschee.id)
    assert [i["id"] for i in again.json()] == [i["id"] for i in invited]
    assert await OutboxMessage.count().where(OutboxMessage.kind == "partner_invitation") == 2

    await run_once(mail_settings, "worker-1")
    [arabic] = smtp.inbox.to("vorstand@moschee.example.org")
    [german] = smtp.inbox.to("pfarramt@kirche.example.org")
    assert "طاولة الأديان المستديرة" in str(arabic["Subject"])
    assert str(german["Subject"]) == "Einladung: Runder Tisch der Religionen"
    assert arabic["To"].addresses[0].display_name == "Samira Haddad"
    link = LINK.search(text_of(arabic))
    assert link, text_of(arabic)
    path = urlsplit(link.group(0)).path
    assert "Runder Tisch der Religionen" in text_of(german)

    # The link opens the form, filled in for the partner; no one else's address.
    form = await client.get(path)
    assert form.status_code == 200
    assert 'value="Samira Haddad"' in form.text
    assert "vorstand@moschee.example.org" in form.text
    registered = await submit(
        client,
        path,
        path,
        {
            "session": str(session.id),
            "name": "Samira Haddad",
            "email": "someone-else@example.org",  # ignored: the invitation's address counts
            "locale": "ar",
            "consent": "yes",
        },
    )
    assert registered.status_code == 303, registered.text
    manage = registered.headers["location"]
    assert manage.startswith("/r/")
    [registration] = await Registration.objects()
    assert registration.email == "vorstand@moschee.example.org"
    assert registration.status == RegistrationStatus.confirmed  # the mail reached the address
    assert registration.source == "invitation"
    assert registration.consent_version == bensheim.privacy_version
    [linked] = await Invitation.objects().where(Invitation.partner == moschee.id)
    assert linked.registration == registration.id

    # Opened again, the link leads to that registration; posting again registers nobody.
    reopened = await client.get(path)
    assert reopened.status_code == 303
    assert reopened.headers["location"] == manage
    twice = await submit(client, manage, path, {"session": str(session.id), "name": "X"})
    assert twice.status_code == 303
    assert twice.headers["location"] == manage
    assert await Registration.count() == 1
    assert (await client.get(manage)).status_code == 200

    # The guide sees who was invited and who registered.
    listed = await client.get(
        f"/api/v1/guide/events/{event.id}/invitations", headers=bensheim_headers
    )
    states = {i["email"]: i["registration_status"] for i in listed.json()}
    assert states == {
        "vorstand@moschee.example.org": "confirmed",
        "pfarramt@kirche.example.org": None,
    }


async def test_strangers_cannot_register_for_an_event_by_invitation(
    client: Any, bensheim: Any
) -> None:
    event = await runder_tisch(bensheim)
    [session] = await sessions_of(event)
    page_path = f"/m/bensheim/events/{event.id}"
    shown = await client.get(page_path)
    assert shown.status_code == 200
    assert "Nur auf Einladung: Anmelden können sich nur eingeladene Partner" in shown.text
    assert 'name="consent"' not in shown.text  # no form
    listed = await client.get("/m/bensheim/")
    assert "Auf Einladung" in listed.text  # not "places left"
    public = (await client.get(f"/api/v1/events/{event.id}")).json()
    assert public["access"] == "invitation_only"

    # A forged form post (with a valid CSRF token from another event's form), and the
    # API, are refused all the same.
    other = await make_published_event(bensheim, registration_mode="per_session")
    forged = await submit(
        client,
        f"/m/bensheim/events/{other.id}",
        page_path + "/register",
        {
            "session": str(session.id),
            "name": "Eve",
            "email": "eve@example.org",
            "locale": "de",
            "consent": "yes",
        },
    )
    assert forged.status_code == 409
    assert "Nur auf Einladung" in forged.text
    api = await client.post(
        f"/api/v1/sessions/{session.id}/registrations",
        json={"name": "Eve", "email": "eve@example.org", "consent": True},
    )
    assert api.status_code == 409
    assert api.json()["fields"] == {"event": "invitation only"}
    assert await Registration.count() == 0


async def test_invitations_stay_in_their_town_and_name_what_is_wrong(
    client: Any, bensheim: Any, butzbach: Any, bensheim_headers: Any
) -> None:
    event = await runder_tisch(bensheim)
    public_event = await make_published_event(bensheim, registration_mode="per_session")
    foreign_event = await runder_tisch(butzbach)
    ours = await make_partner(bensheim, "Synagoge", "info@synagoge.example.org")
    theirs = await make_partner(butzbach, "Kirche Butzbach", "info@kirche-butzbach.example.org")
    no_mail = await make_partner(bensheim, "Alevitische Gemeinde", None)

    assert (await invite(client, bensheim_headers, foreign_event.id, ours.id)).status_code == 404
    assert (await invite(client, bensheim_headers, event.id, theirs.id)).status_code == 404
    missing_mail = await invite(client, bensheim_headers, event.id, no_mail.id)
    assert missing_mail.status_code == 422
    assert "partner_ids" in missing_mail.json()["fields"]
    public = await invite(client, bensheim_headers, public_event.id, ours.id)
    assert public.status_code == 409
    huge = await invite(client, bensheim_headers, event.id, 2**63)
    assert huge.status_code == 422
    assert await Invitation.count() == 0
    listed = await client.get(
        f"/api/v1/guide/events/{foreign_event.id}/invitations", headers=bensheim_headers
    )
    assert listed.status_code == 404

    # A link of one town's invitation does not open under another town's address.
    answer = await invite(client, bensheim_headers, event.id, ours.id)
    assert answer.status_code == 201
    assert (await client.get("/m/bensheim/invitations/" + "x" * 43)).status_code == 404
    [made] = await Invitation.objects()
    token = invitation_token(SECRET, made.token_salt)
    assert (await client.get(f"/m/bensheim/invitations/{token}")).status_code == 200
    assert (await client.get(f"/m/butzbach/invitations/{token}")).status_code == 404
