"""The guide's week: figures and warnings of the coming sessions (registrations/week.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from tests.factories import (
    BERLIN,
    SECRET,
    make_event,
    make_published_event,
    make_venue,
    register_for_course,
    register_for_session,
    sessions_of,
)
from treffpunkt.registrations import service
from treffpunkt.registrations.schemas import RegistrationCreate
from treffpunkt.registrations.targets import session_target
from treffpunkt.registrations.week import WeekWarning, coming_sessions


def on(days: int, hour: int = 18) -> list[dict[str, str]]:
    day = (datetime.now(BERLIN) + timedelta(days=days)).date()
    return [
        {
            "starts_at": datetime.combine(day, time(hour), BERLIN).isoformat(),
            "ends_at": datetime.combine(day, time(hour + 2), BERLIN).isoformat(),
        }
    ]


def titled(title: str) -> dict[str, Any]:
    return {"de": {"title": title}, "en": {"title": f"{title} (en)"}}


async def register_with_needs(
    session_id: int, email: str, interpretation: str | None, accessibility: str | None
) -> Any:
    data = RegistrationCreate.model_validate(
        {
            "name": "Jemand",
            "email": email,
            "consent": True,
            "needs": {"interpretation": interpretation, "accessibility": accessibility},
        }
    )
    outcome = await service.register(await session_target(session_id), data, SECRET)
    await service.confirm_registration(outcome.registration.id)
    return outcome.registration


async def make_week(town: Any) -> dict[str, Any]:
    venue = await make_venue(town)
    empty = await make_published_event(
        town, texts=titled("Leer morgen"), registration_mode="per_session", sessions=on(1)
    )
    crowded = await make_published_event(
        town,
        texts=titled("Voll"),
        venue_id=venue.id,
        registration_mode="per_session",
        capacity=2,
        sessions=on(3),
    )
    [crowded_session] = await sessions_of(crowded)
    await register_with_needs(crowded_session.id, "a@example.org", "ar", None)
    await register_with_needs(crowded_session.id, "b@example.org", "uk", "Rollstuhl")
    for i in range(5):
        await register_for_session(crowded_session.id, f"w{i}@example.org")
    draft = await make_event(
        town,
        texts=titled("Entwurf"),
        venue_id=venue.id,
        registration_mode="per_session",
        sessions=on(4),
    )
    later_window = await make_published_event(
        town,
        texts=titled("Fenster"),
        venue_id=venue.id,
        registration_mode="per_session",
        registration_opens_at=(datetime.now(BERLIN) + timedelta(days=2)).isoformat(),
        sessions=on(5),
    )
    course = await make_published_event(
        town,
        texts=titled("Kurs"),
        online_url="https://meet.example.org/kurs",
        registration_mode="whole_event",
        capacity=10,
        sessions=on(2),
    )
    await register_for_course(course.id, "p1@example.org")
    await register_for_course(course.id, "p2@example.org")
    far = await make_published_event(
        town, texts=titled("Später"), venue_id=venue.id, sessions=on(20)
    )
    return {
        "empty": empty,
        "crowded": crowded,
        "draft": draft,
        "window": later_window,
        "course": course,
        "far": far,
    }


async def test_the_week_shows_figures_needs_and_warnings(bensheim: Any, butzbach: Any) -> None:
    made = await make_week(bensheim)
    await make_published_event(butzbach, texts=titled("Anderswo"), sessions=on(2))

    week = await coming_sessions(bensheim.id, "de")

    titles = [s.title for s in week.sessions]
    assert titles == ["Leer morgen", "Kurs", "Voll", "Entwurf", "Fenster"]
    by_title = {s.title: s for s in week.sessions}
    empty, course, crowded = by_title["Leer morgen"], by_title["Kurs"], by_title["Voll"]
    assert empty.warnings == [WeekWarning.no_venue, WeekWarning.nobody_tomorrow]
    assert (crowded.capacity, crowded.seats_taken, crowded.waiting) == (2, 2, 5)
    assert crowded.full
    assert crowded.interpretation == {"ar": 1, "uk": 1}
    assert crowded.accessibility == 1
    assert crowded.pending == 0
    assert crowded.warnings == [WeekWarning.long_waitlist]
    assert course.course
    assert (course.capacity, course.seats_taken, course.pending) == (10, 2, 2)
    assert course.warnings == []  # online: no venue needed
    assert by_title["Entwurf"].warnings == [WeekWarning.unpublished]
    assert by_title["Fenster"].warnings == [WeekWarning.registration_not_open]
    assert week.warnings == 5
    assert empty.event_id == made["empty"].id

    longer = await coming_sessions(bensheim.id, "en", days=28)
    assert [s.title for s in longer.sessions][-1] == "Später (en)"


async def test_a_cancelled_session_shows_without_warnings(bensheim: Any) -> None:
    from treffpunkt.events.service import cancel_session

    event = await make_published_event(
        bensheim, texts=titled("Abgesagt"), registration_mode="per_session", sessions=on(1)
    )
    [session] = await sessions_of(event)
    await cancel_session(bensheim.id, session.id)
    [shown] = (await coming_sessions(bensheim.id, "de")).sessions
    assert shown.cancelled
    assert shown.warnings == []


async def test_a_short_waitlist_is_no_warning(bensheim: Any) -> None:
    venue = await make_venue(bensheim)
    event = await make_published_event(
        bensheim,
        texts=titled("Groß"),
        venue_id=venue.id,
        registration_mode="per_session",
        capacity=40,
        sessions=on(3),
    )
    [session] = await sessions_of(event)
    week = await coming_sessions(bensheim.id, "de")
    assert week.sessions[0].id == session.id
    assert week.sessions[0].warnings == []


async def test_the_week_takes_the_same_queries_for_more_sessions(
    bensheim: Any, monkeypatch: Any
) -> None:
    """No query per session: three for a week of two sessions or of twelve."""
    from piccolo.query.base import Query

    async def count(sessions: int) -> int:
        asked = 0
        run = Query._run

        async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal asked
            asked += 1
            return await run(self, *args, **kwargs)

        monkeypatch.setattr(Query, "_run", counted)
        try:
            week = await coming_sessions(bensheim.id, "de")
        finally:
            monkeypatch.setattr(Query, "_run", run)
        assert len(week.sessions) == sessions
        return asked

    venue = await make_venue(bensheim)

    async def add(days: int) -> None:
        event = await make_published_event(
            bensheim,
            texts=titled(f"Runde {days}"),
            venue_id=venue.id,
            registration_mode="per_session",
            capacity=3,
            sessions=on(days),
        )
        [session] = await sessions_of(event)
        await register_with_needs(session.id, f"p{days}@example.org", "ar", "Rampe")

    for days in (1, 2):
        await add(days)
    few = await count(2)
    for days in range(3, 7):
        await add(days)
        await add(days)  # a second round that day
    assert await count(10) == few == 3
