"""A guide's message to registrants: who gets it, once each, in their language, through
a real SMTP server; what the event's history keeps."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from tests.factories import (
    SECRET,
    make_guide,
    make_published_event,
    register_for_course,
    register_for_session,
    sessions_of,
)
from tests.smtp import SMTPServer
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.notifications.worker import run_once
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations import messages, service
from treffpunkt.registrations.schemas import GuideRegistrationCreate, MessageIn
from treffpunkt.registrations.tables import EventMessage, MessageAudience
from treffpunkt.registrations.targets import session_target
from treffpunkt.settings import Settings

TEXTS = {
    "de": {"title": "Elterncafé"},
    "uk": {"title": "Батьківське кафе"},
    "ar": {"title": "مقهى الآباء"},
}
BODY = "Bitte bringt <b>Kuchen</b> mit & gute Laune.\nWir treffen uns im Hof."


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


async def drop_in(municipality: Any, capacity: int = 2, sessions: int = 1) -> Any:
    event = await make_published_event(
        municipality, registration_mode="per_session", capacity=capacity, texts=TEXTS
    )
    return event


async def full_session_with_people(municipality: Any) -> tuple[Any, Any, dict[str, Any]]:
    """Two places: Olena (uk) and Karim (ar) confirmed, Ayşe waiting with a confirmed
    address, Eve waiting unconfirmed, Bernd cancelled, a walk-in without email."""
    event = await drop_in(municipality, capacity=2)
    [session] = await sessions_of(event)
    people: dict[str, Any] = {}
    for key, email, locale in [
        ("olena", "olena@example.org", "uk"),
        ("karim", "karim@example.org", "ar"),
        ("ayse", "ayse@example.org", "de"),
        ("eve", "eve@example.org", "de"),
    ]:
        people[key] = await register_for_session(session.id, email, locale=locale)
    for key in ("olena", "karim", "ayse"):
        await service.confirm_registration(people[key].id)
    bernd = await register_for_session(session.id, "bernd@example.org")
    await service.confirm_registration(bernd.id)
    await service.cancel_registration(bernd.id)
    await service.register(
        await session_target(session.id, municipality.id),
        GuideRegistrationCreate(name="Walk-in"),
        SECRET,
    )
    return event, session, people


def message(audience: str, session_id: int | None = None, **fields: Any) -> MessageIn:
    return MessageIn.model_validate(
        {
            "session_id": session_id,
            "audience": audience,
            "subject": "Raum geändert",
            "body": BODY,
            **fields,
        }
    )


async def test_audiences_count_people_with_a_confirmed_address_only(bensheim: Any) -> None:
    event, session, _ = await full_session_with_people(bensheim)
    counts = {
        audience: (await messages.preview(bensheim.id, event.id, message(audience))).recipients
        for audience in ("confirmed", "waitlisted", "both")
    }
    # Eve's address is unconfirmed, Bernd cancelled, the walk-in has no address.
    assert counts == {"confirmed": 2, "waitlisted": 1, "both": 3}
    preview = await messages.preview(bensheim.id, event.id, message("both", session.id))
    assert preview.languages == {"ar": 1, "de": 1, "uk": 1}


async def test_one_mail_per_person_in_their_language_through_smtp(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    guide = await make_guide(bensheim, "guide@bensheim.example")
    event, _session, _ = await full_session_with_people(bensheim)
    await run_once(mail_settings, "worker-1")  # the registrations' own mails
    smtp.inbox.messages.clear()

    sent = await messages.send_message(bensheim.id, guide["id"], event.id, message("both"))

    assert sent.recipients == 3
    assert await run_once(mail_settings, "worker-1") == 3
    by_address = {str(m["To"]).split("<")[-1].rstrip(">"): m for m in smtp.inbox.messages}
    assert sorted(by_address) == ["ayse@example.org", "karim@example.org", "olena@example.org"]
    olena, karim, ayse = (
        by_address["olena@example.org"],
        by_address["karim@example.org"],
        by_address["ayse@example.org"],
    )
    assert str(olena["Subject"]) == "Raum geändert – Батьківське кафе"
    assert str(karim["Subject"]) == "Raum geändert – مقهى الآباء"
    # The guide's text as typed in the text part, escaped in the HTML part.
    assert BODY in text_of(olena)
    assert "<b>Kuchen</b>" not in html_of(olena)
    assert "&lt;b&gt;Kuchen&lt;/b&gt; mit &amp; gute Laune.<br>Wir treffen uns im Hof." in html_of(
        olena
    )
    assert 'dir="rtl"' in html_of(karim)
    assert "Person olena" in text_of(olena)  # confirmed: greeted by name
    assert "auf der Warteliste, auf Platz 1" in text_of(ayse)
    assert "/r/" in text_of(ayse)  # the footer's link to their registration
    # Nothing twice.
    assert await run_once(mail_settings, "worker-1") == 0
    assert len(smtp.inbox.messages) == 3


async def test_history_keeps_the_message_and_a_second_click_sends_nothing(
    bensheim: Any,
) -> None:
    guide = await make_guide(bensheim, "guide@bensheim.example")
    event, session, _ = await full_session_with_people(bensheim)
    await messages.send_message(bensheim.id, guide["id"], event.id, message("confirmed"))
    with pytest.raises(Conflict):
        await messages.send_message(bensheim.id, guide["id"], event.id, message("confirmed"))
    await messages.send_message(
        bensheim.id, guide["id"], event.id, message("waitlisted", session.id)
    )
    [latest, first] = await messages.history(bensheim.id, event.id)
    assert (first.audience, first.recipients, first.session_id) == ("confirmed", 2, None)
    assert (latest.audience, latest.recipients, latest.session_id) == (
        "waitlisted",
        1,
        session.id,
    )
    assert latest.session_starts_at == session.starts_at
    assert first.author == "Guide Stadt Bensheim"
    assert first.body == BODY
    counted = await messages.delivery(bensheim.id, [first.id, latest.id])
    assert counted[first.id]["queued"] == 2
    assert counted[latest.id]["queued"] == 1
    assert await OutboxMessage.count().where(OutboxMessage.kind == "guide_message") == 3


async def test_a_course_message_reaches_each_address_once(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    course = await make_published_event(
        bensheim, registration_mode="whole_event", capacity=5, texts=TEXTS
    )
    person = await register_for_course(course.id, "lena@example.org", locale="de")
    await service.confirm_registration(person.id)
    await run_once(mail_settings, "worker-1")
    smtp.inbox.messages.clear()
    sent = await messages.send_message(bensheim.id, None, course.id, message("confirmed"))
    assert sent.recipients == 1
    assert await run_once(mail_settings, "worker-1") == 1
    [mail] = smtp.inbox.messages
    assert str(mail["Subject"]) == "Raum geändert – Elterncafé"


async def test_nobody_to_write_to_writes_nothing(bensheim: Any) -> None:
    event = await drop_in(bensheim)
    [session] = await sessions_of(event)
    await register_for_session(session.id, "unconfirmed@example.org")
    with pytest.raises(Conflict) as refused:
        await messages.send_message(bensheim.id, None, event.id, message("both"))
    assert "audience" in refused.value.fields
    assert await EventMessage.count() == 0
    assert await OutboxMessage.count().where(OutboxMessage.kind == "guide_message") == 0


async def test_another_towns_event_and_a_foreign_session_are_refused(
    bensheim: Any, butzbach: Any
) -> None:
    event, _session, _ = await full_session_with_people(bensheim)
    other = await drop_in(butzbach)
    [foreign_session] = await sessions_of(other)
    with pytest.raises(NotFound):
        await messages.preview(butzbach.id, event.id, message("both"))
    with pytest.raises(InvalidInput) as refused:
        await messages.preview(bensheim.id, event.id, message("both", foreign_session.id))
    assert "session_id" in refused.value.fields


def test_a_subject_with_a_line_break_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        message("both", subject="Hallo\nBcc: everyone@example.org")
    assert refused.value.errors()[0]["loc"] == ("subject",)


async def test_the_api_previews_sends_and_lists(
    client: Any, bensheim: Any, bensheim_headers: Any, butzbach_headers: Any
) -> None:
    event, session, _ = await full_session_with_people(bensheim)
    base = f"/api/v1/guide/events/{event.id}/messages"
    body = {"audience": "both", "subject": "Raum geändert", "body": BODY}

    preview = await client.post(f"{base}/preview", json=body, headers=bensheim_headers)
    assert preview.status_code == 200, preview.text
    assert preview.json() == {"recipients": 3, "languages": {"ar": 1, "de": 1, "uk": 1}}
    assert await EventMessage.count() == 0

    broken = await client.post(
        base, json={**body, "subject": "Raum\r\nBcc: x@example.org"}, headers=bensheim_headers
    )
    assert broken.status_code == 422
    assert "subject" in broken.json()["fields"]

    sent = await client.post(
        base, json={**body, "session_id": session.id}, headers=bensheim_headers
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["recipients"] == 3
    again = await client.post(
        base, json={**body, "session_id": session.id}, headers=bensheim_headers
    )
    assert again.status_code == 409

    listed = await client.get(base, headers=bensheim_headers)
    assert [m["subject"] for m in listed.json()] == ["Raum geändert"]
    foreign = await client.get(base, headers=butzbach_headers)
    assert foreign.status_code == 404
    assert (await client.post(base, json=body, headers=butzbach_headers)).status_code == 404
    assert await EventMessage.count() == 1


async def test_someone_on_several_dates_gets_one_mail_for_all_dates(bensheim: Any) -> None:
    event = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=5,
        texts=TEXTS,
        sessions=[
            {
                "starts_at": f"2031-03-0{day}T18:00:00+01:00",
                "ends_at": f"2031-03-0{day}T20:00:00+01:00",
            }
            for day in (4, 5)
        ],
    )
    first, second = await sessions_of(event)
    for session in (first, second):
        registration = await register_for_session(session.id, "Lena@Example.org")
        await service.confirm_registration(registration.id)
    found = await messages.recipients(bensheim.id, event.id, None, MessageAudience.confirmed)
    assert len(found.people) == 1
    assert (
        await messages.preview(bensheim.id, event.id, message("confirmed", second.id))
    ).recipients == 1
