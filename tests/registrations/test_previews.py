"""What a cancellation would tell, before it is made: the same people and the same mail
as the cancellation then sends (registrations/previews.py)."""

from __future__ import annotations

from typing import Any

from tests.factories import make_published_event, register_for_session, sessions_of
from treffpunkt.events.service import cancel_event
from treffpunkt.events.tables import RegistrationMode
from treffpunkt.notifications.rendering import render
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations import notices, previews
from treffpunkt.registrations.tables import Registration


async def test_cancelling_an_event_tells_everyone_holding_a_place(bensheim: Any) -> None:
    event = await make_published_event(
        bensheim, registration_mode=RegistrationMode.per_session, capacity=1
    )
    (session,) = await sessions_of(event)
    await register_for_session(session.id, "amal@example.org", locale="ar")
    await register_for_session(session.id, "olena@example.org", locale="uk")  # waitlisted
    telling = await previews.event_cancellation(event.id)
    assert telling.count == 2
    assert telling.kind == notices.CANCELLED
    assert telling.locale == "ar"
    assert telling.context is not None
    assert telling.context["event_status"] == "cancelled"
    assert [s["status"] for s in telling.context["sessions"]] == ["cancelled"]
    mail = render(
        telling.kind,
        telling.locale,
        {**telling.context, "manage_url": "https://x.example/r/…", "confirm_url": None},
    )
    assert "Dialogrunde Ankommen" in mail.subject
    assert mail.text.startswith("مرحبا") or "Dialogrunde Ankommen" in mail.text
    # Nothing was written: no mail queued, the event still stands.
    assert await OutboxMessage.count().where(OutboxMessage.kind == notices.CANCELLED) == 0
    await cancel_event(bensheim.id, event.id)
    assert await previews.event_cancellation(event.id) == previews.Telling(0, notices.CANCELLED)
    assert await Registration.count() == 2


async def test_nobody_registered_nobody_told(bensheim: Any) -> None:
    event = await make_published_event(bensheim, registration_mode=RegistrationMode.per_session)
    telling = await previews.event_cancellation(event.id)
    assert (telling.count, telling.context) == (0, None)
