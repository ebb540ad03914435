"""The scheduling rules, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from tests.factories import (
    BERLIN,
    future_day,
    make_event,
    make_published_event,
    register_for_session,
    sessions_of,
)
from treffpunkt.errors import Conflict, InvalidInput
from treffpunkt.events import service
from treffpunkt.events.schemas import EventUpdate, SeriesRule, SessionTimes
from treffpunkt.events.tables import Event, Session
from treffpunkt.registrations.service import cancel_registration


def next_weekday(weekday: int, weeks_ahead: int = 1) -> date:
    """A date `weeks_ahead` weeks from now on `weekday` (0 = Monday)."""
    today = datetime.now(BERLIN).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def tue_thu(start: date, weeks: int = 4, **fields: Any) -> SeriesRule:
    return SeriesRule(
        rule="FREQ=WEEKLY;BYDAY=TU,TH",
        start_date=start,
        start_time=time(14),
        end_time=time(16),
        until=start + timedelta(weeks=weeks) - timedelta(days=1),
        **fields,
    )


async def office_hours(municipality: Any, weeks: int = 4, **fields: Any) -> Event:
    rule = tue_thu(next_weekday(1), weeks)
    return await make_event(
        municipality,
        kind="office_hours",
        sessions=[],
        series=rule.model_dump(mode="json"),
        **fields,
    )


def wall(session: Session) -> tuple[date, time]:
    local = session.starts_at.astimezone(BERLIN)
    return local.date(), local.time()


async def reload(session: Session) -> Session:
    fresh = await Session.objects().where(Session.id == session.id).first()
    assert fresh is not None, f"session {session.id} was deleted"
    return fresh


async def exists(session: Session) -> bool:
    return await Session.exists().where(Session.id == session.id)


async def test_series_creates_one_session_per_occurrence(bensheim: Any) -> None:
    event = await office_hours(bensheim, weeks=4)
    sessions = await sessions_of(event)
    assert len(sessions) == 8
    assert {wall(s)[1] for s in sessions} == {time(14)}
    assert all(s.occurrence_start == s.starts_at for s in sessions)


async def test_changing_the_series_time_moves_future_sessions_but_keeps_exceptions(
    bensheim: Any,
) -> None:
    event = await office_hours(bensheim)
    first, second, third, *_ = await sessions_of(event)
    day = wall(first)[0]
    moved_to = datetime.combine(day, time(10), BERLIN)
    await service.move_session(
        bensheim.id,
        first.id,
        SessionTimes(starts_at=moved_to, ends_at=moved_to + timedelta(hours=2)),
    )
    await service.cancel_session(bensheim.id, second.id)

    new_rule = tue_thu(wall(first)[0], 4).model_copy(
        update={"start_time": time(15), "end_time": time(17)}
    )
    await service.set_series(bensheim.id, event.id, new_rule)

    moved, cancelled, followed = await reload(first), await reload(second), await reload(third)
    assert wall(moved) == (day, time(10))  # the exception stays
    assert moved.occurrence_start.astimezone(BERLIN).time() == time(15)  # new RECURRENCE-ID
    assert cancelled.status == "cancelled"
    assert wall(followed)[1] == time(15)
    assert followed.ends_at.astimezone(BERLIN).time() == time(17)


async def test_shortening_a_series_deletes_empty_sessions_and_cancels_booked_ones(
    bensheim: Any,
) -> None:
    event = await office_hours(bensheim, weeks=4, registration_mode="per_session")
    await service.publish_event(bensheim.id, event.id)
    sessions = await sessions_of(event)
    booked = await reload(sessions[-1])
    await register_for_session(booked.id, "amina@example.org")

    await service.set_series(bensheim.id, event.id, tue_thu(wall(sessions[0])[0], weeks=2))

    remaining = await sessions_of(event)
    assert len([s for s in remaining if s.status == "scheduled"]) == 4
    kept = await reload(booked)
    assert kept.status == "cancelled"
    assert kept.revision == booked.revision + 1
    assert len(remaining) == 5


async def test_series_edit_leaves_past_sessions_alone(bensheim: Any) -> None:
    event = await office_hours(bensheim, weeks=2)
    first = (await sessions_of(event))[0]
    past_start = datetime.now(UTC) - timedelta(days=3)
    await Session.update(
        {Session.starts_at: past_start, Session.occurrence_start: past_start}
    ).where(Session.id == first.id)

    await service.set_series(
        bensheim.id,
        event.id,
        tue_thu(next_weekday(1), 2).model_copy(
            update={"start_time": time(9), "end_time": time(11)}
        ),
    )

    untouched = await reload(first)
    assert untouched.starts_at == past_start


async def test_removing_a_series_date_excludes_it_from_the_rule(bensheim: Any) -> None:
    event = await office_hours(bensheim, weeks=2)
    first, *rest = await sessions_of(event)
    await service.remove_session(bensheim.id, first.id)
    assert not await exists(first)
    event_now = await service.get_event(bensheim.id, event.id)
    assert event_now.series["excluded_dates"] == [wall(first)[0].isoformat()]
    assert event_now.revision == event.revision + 1
    # The series applied again does not bring the removed date back.
    await service.set_series(bensheim.id, event.id, SeriesRule(**event_now.series))
    assert len(await sessions_of(event)) == len(rest)


async def test_removing_a_booked_session_cancels_it_instead(bensheim: Any) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    registration = await register_for_session(session.id, "amina@example.org")
    await cancel_registration(registration.id)  # a cancelled registration is history too
    await service.remove_session(bensheim.id, session.id)
    kept = await reload(session)
    assert kept.status == "cancelled"


async def test_revision_rises_for_times_and_status_but_not_for_texts(bensheim: Any) -> None:
    event = await make_event(bensheim)
    [session] = await sessions_of(event)

    await service.update_event(
        bensheim.id,
        event.id,
        EventUpdate.model_validate(
            {"texts": {"de": {"title": "Dialogrunde Ankommen", "summary": "Austausch (neu)"}}}
        ),
    )
    assert (await service.get_event(bensheim.id, event.id)).revision == event.revision
    assert (await reload(session)).revision == session.revision

    later = session.starts_at + timedelta(hours=1)
    await service.move_session(
        bensheim.id, session.id, SessionTimes(starts_at=later, ends_at=later + timedelta(hours=2))
    )
    moved = await reload(session)
    assert moved.revision == session.revision + 1
    assert moved.updated_at > session.updated_at

    published = await service.publish_event(bensheim.id, event.id)
    assert published.revision == event.revision + 1
    cancelled = await service.cancel_event(bensheim.id, event.id)
    assert cancelled.revision == event.revision + 2
    after = await reload(session)
    assert after.status == "cancelled"
    assert after.revision == session.revision + 2


async def test_moving_a_session_to_the_same_time_does_not_raise_its_revision(bensheim: Any) -> None:
    event = await make_event(bensheim)
    [session] = await sessions_of(event)
    same = SessionTimes(starts_at=session.starts_at, ends_at=session.ends_at)
    await service.move_session(bensheim.id, session.id, same)
    assert (await reload(session)).revision == session.revision


async def test_capacity_change_applies_to_sessions_still_to_come(bensheim: Any) -> None:
    event = await office_hours(bensheim, weeks=1)
    first, second = await sessions_of(event)
    past = datetime.now(UTC) - timedelta(days=1)
    await Session.update({Session.starts_at: past}).where(Session.id == first.id)
    await service.update_event(bensheim.id, event.id, EventUpdate(capacity=12))
    assert (await reload(first)).capacity is None
    assert (await reload(second)).capacity == 12


async def test_only_drafts_can_be_deleted(bensheim: Any) -> None:
    draft = await make_event(bensheim)
    await service.delete_event(bensheim.id, draft.id)
    assert not await Event.exists().where(Event.id == draft.id)
    assert not await Session.exists().where(Session.event == draft.id)
    published = await make_published_event(bensheim)
    with pytest.raises(Conflict):
        await service.delete_event(bensheim.id, published.id)


async def test_an_event_needs_a_session_to_be_published(bensheim: Any) -> None:
    event = await make_event(bensheim, sessions=[])
    with pytest.raises(Conflict) as error:
        await service.publish_event(bensheim.id, event.id)
    assert "sessions" in error.value.fields


async def test_a_text_in_the_default_locale_is_required(bensheim: Any) -> None:
    with pytest.raises(InvalidInput) as error:
        await make_event(bensheim, texts={"en": {"title": "Welcome round"}})
    assert error.value.fields == {"texts.de": "required: the default locale is de"}
    assert await Event.count() == 0


async def test_a_failing_series_leaves_nothing_behind(bensheim: Any) -> None:
    start = future_day()
    too_long = {
        "rule": "FREQ=DAILY",
        "start_date": start.isoformat(),
        "start_time": "09:00",
        "end_time": "10:00",
        "until": (start + timedelta(days=800)).isoformat(),
    }
    with pytest.raises(InvalidInput) as error:
        await make_event(bensheim, series=too_long)
    assert "series.until" in error.value.fields
    assert await Event.count() == 0
    assert await Session.count() == 0


async def test_rows_that_count_places_are_saved_column_by_column(bensheim: Any) -> None:
    """Saving a whole event or session would write back seat counters read earlier."""
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=5)
    [session] = await sessions_of(event)
    for row in (event, session):
        with pytest.raises(TypeError, match="needs the columns"):
            await row.save()
        with pytest.raises(TypeError, match="counters"):
            await row.save([type(row).seats_taken])  # type: ignore[attr-defined]
    session.revision += 1
    await session.save([Session.revision])
    assert (await reload(session)).revision == session.revision
