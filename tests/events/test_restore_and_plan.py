"""Restoring a cancelled session, and what a series change would do before it is made
(events.service.restore_session, plan_series), with who would be told and the mail
they would get (web/guide/telling.py), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from tests.events.test_service import next_weekday, office_hours, reload, tue_thu
from tests.factories import BERLIN, make_published_event, register_for_session, sessions_of
from treffpunkt.errors import Conflict, NotFound
from treffpunkt.events import service
from treffpunkt.events.tables import Event, Session
from treffpunkt.outbox import OutboxMessage
from treffpunkt.web.guide.telling import CANCELLED, CHANGED, telling


async def tasks(kind: str) -> list[dict[str, Any]]:
    return await OutboxMessage.select().where(OutboxMessage.kind == kind).output(load_json=True)


async def test_a_cancelled_session_is_restored_and_its_people_told(bensheim: Any) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    await register_for_session(session.id, "amal@example.org")
    await service.cancel_session(bensheim.id, session.id)
    cancelled = await reload(session)
    restored = await service.restore_session(bensheim.id, session.id)
    assert restored.status == "scheduled"
    assert (await reload(session)).revision == cancelled.revision + 1
    [moved] = await tasks(service.SESSIONS_MOVED)
    assert moved["context"]["session_ids"] == [session.id]
    # Restoring what takes place changes nothing and tells nobody.
    await service.restore_session(bensheim.id, session.id)
    assert len(await tasks(service.SESSIONS_MOVED)) == 1


async def test_a_series_date_taken_out_comes_back_into_the_rule(bensheim: Any) -> None:
    event = await office_hours(bensheim, registration_mode="per_session")
    await service.publish_event(bensheim.id, event.id)
    _first, second, *_ = await sessions_of(event)
    await register_for_session(second.id, "olena@example.org")
    await service.remove_session(bensheim.id, second.id)  # booked: cancelled, excluded
    day = second.occurrence_start.astimezone(BERLIN).date().isoformat()
    stored = await Event.objects().where(Event.id == event.id).output(load_json=True).first()
    assert stored is not None
    assert day in stored.series["excluded_dates"]
    await service.restore_session(bensheim.id, second.id)
    stored = await Event.objects().where(Event.id == event.id).output(load_json=True).first()
    assert stored is not None
    assert day not in stored.series["excluded_dates"]
    # A later series edit keeps it.
    rule = tue_thu(next_weekday(1), 4, excluded_dates=[])
    await service.set_series(bensheim.id, event.id, rule)
    assert (await reload(second)).status == "scheduled"


async def test_restore_is_refused_for_ended_sessions_cancelled_events_and_other_towns(
    bensheim: Any, butzbach: Any
) -> None:
    day = datetime.now(UTC).date() - timedelta(days=3)
    past = await make_published_event(
        bensheim,
        sessions=[
            {
                "starts_at": datetime.combine(day, time(16), UTC).isoformat(),
                "ends_at": datetime.combine(day, time(18), UTC).isoformat(),
            }
        ],
    )
    [old] = await sessions_of(past)
    await service.cancel_session(bensheim.id, old.id)
    with pytest.raises(Conflict):
        await service.restore_session(bensheim.id, old.id)
    event = await make_published_event(bensheim)
    [session] = await sessions_of(event)
    await service.cancel_event(bensheim.id, event.id)
    with pytest.raises(Conflict):
        await service.restore_session(bensheim.id, session.id)
    with pytest.raises(NotFound):
        await service.restore_session(butzbach.id, session.id)


async def test_planning_a_series_change_says_what_it_would_do_and_keeps_nothing(
    bensheim: Any,
) -> None:
    event = await office_hours(bensheim, registration_mode="per_session")
    await service.publish_event(bensheim.id, event.id)
    before = await sessions_of(event)
    await register_for_session(before[0].id, "amal@example.org")
    await register_for_session(before[-1].id, "karim@example.org")
    later = tue_thu(next_weekday(1), 2).model_copy(update={"start_time": time(15)})
    later = later.model_copy(update={"end_time": time(17)})
    changes = await service.plan_series(bensheim.id, event.id, later)
    assert changes.moved == [s.id for s in before[:4]]
    assert changes.cancelled == [before[-1].id]  # booked and past the new end
    after = await sessions_of(event)
    assert [(s.id, s.starts_at, s.status) for s in after] == [
        (s.id, s.starts_at, s.status) for s in before
    ]
    assert await OutboxMessage.count() == 2  # the two registrations' own mails only
    stored = await Event.objects().where(Event.id == event.id).output(load_json=True).first()
    assert stored is not None
    assert stored.revision == event.revision + 1


async def test_telling_counts_the_people_and_shows_the_mail_as_it_will_be(bensheim: Any) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    await register_for_session(session.id, "amal@example.org", locale="ar")
    await register_for_session(session.id, "jana@example.org", locale="de")
    assert await telling(event.id, [], CHANGED, locale="de") is None
    later = session.starts_at.astimezone(BERLIN) + timedelta(days=1, hours=1)
    told = await telling(
        event.id,
        [session.id],
        CHANGED,
        locale="de",
        proposed={session.id: {"starts_at": later, "ends_at": later + timedelta(hours=2)}},
        base_url="https://treffpunkt.example",
    )
    assert told is not None
    assert told.people == 2
    assert told.subject == "Geänderter Termin: Dialogrunde Ankommen"
    assert f"{later:%H:%M}–" in told.text
    assert "https://treffpunkt.example/r/…" in told.text
    assert told.languages == [("Arabisch", 1)]
    gone = await telling(
        event.id,
        [session.id],
        CANCELLED,
        locale="en",
        proposed={session.id: {"status": "cancelled"}},
    )
    assert gone is not None
    assert gone.people == 2
    assert "leider müssen wir den folgenden Termin absagen" in gone.text
    assert gone.languages == [("Arabic", 1)]
    assert await Session.count() == 1


async def test_the_api_restores_a_session(
    client: Any, bensheim: Any, bensheim_headers: dict[str, str], butzbach_headers: dict[str, str]
) -> None:
    event = await make_published_event(bensheim)
    [session] = await sessions_of(event)
    base = f"/api/v1/guide/sessions/{session.id}"
    assert (await client.post(f"{base}/cancel", headers=bensheim_headers)).status_code == 200
    foreign = await client.post(f"{base}/restore", headers=butzbach_headers)
    assert foreign.status_code == 404
    restored = await client.post(f"{base}/restore", headers=bensheim_headers)
    assert restored.status_code == 200
    assert restored.json()["status"] == "scheduled"
    assert restored.json()["revision"] == 2
