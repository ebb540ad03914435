"""The door list's rules on both databases: walk-ins take a free seat and are marked as
attended (or get nothing), cancelling and more room say whom the waitlist moved up, and
the exports (CSV for German Excel, XLSX) carry the same list."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.factories import SECRET, make_published_event, register_for_session, sessions_of
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.tables import Event, Session
from treffpunkt.registrations import guide, service, targets
from treffpunkt.registrations.schemas import GuideRegistrationCreate
from treffpunkt.registrations.tables import Attendance, Registration


async def drop_in(municipality: Any, capacity: int | None = 2) -> Session:
    event = await make_published_event(
        municipality,
        registration_mode="per_session",
        capacity=capacity,
        max_seats_per_registration=4,
    )
    [session] = await sessions_of(event)
    return session


def person(name: str, seats: int = 1, email: str | None = None) -> GuideRegistrationCreate:
    return GuideRegistrationCreate(name=name, seats=seats, email=email)


async def walk_in(session: Session, name: str, seats: int = 1) -> service.Outcome:
    target = await targets.session_target(session.id, session.municipality)
    return await service.register_walk_in(target, person(name, seats), session.id, SECRET)


async def attended(registration_id: int) -> list[str]:
    rows = await Attendance.select(Attendance.status).where(
        Attendance.registration == registration_id
    )
    return [row["status"] for row in rows]


async def seats_taken(session: Session) -> int:
    row = await Session.select(Session.seats_taken).where(Session.id == session.id).first()
    assert row is not None
    return int(row["seats_taken"])


async def test_a_walk_in_takes_a_free_seat_and_is_marked_as_attended(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=3)
    outcome = await walk_in(session, "Yusuf K.", seats=2)
    assert outcome.created
    assert outcome.status == "confirmed"
    assert outcome.registration.source == "guide"
    assert await attended(outcome.registration.id) == ["attended"]
    assert await seats_taken(session) == 2


async def test_a_walk_in_to_a_full_session_gets_nothing_and_nothing_is_written(
    bensheim: Any,
) -> None:
    session = await drop_in(bensheim, capacity=2)
    await walk_in(session, "Erste")
    with pytest.raises(Conflict, match="1 free"):
        await walk_in(session, "Familie Haddad", seats=2)
    assert await Registration.count() == 1
    assert await seats_taken(session) == 1


async def test_walk_ins_at_once_never_overbook(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=5)
    results = await asyncio.gather(
        *(walk_in(session, f"Gast {n}") for n in range(12)), return_exceptions=True
    )
    assert sum(isinstance(r, service.Outcome) for r in results) == 5
    assert all(isinstance(r, service.Outcome | Conflict) for r in results)
    assert await seats_taken(session) == 5
    assert await Attendance.count() == 5


async def test_before_the_start_those_waiting_come_before_a_walk_in(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=2)
    big = await register_for_session(session.id, "familie@example.org", seats=2)
    small = await register_for_session(session.id, "amina@example.org")
    assert small.status == "waitlisted"
    await service.cancel_registration(big.id)  # Amina moves up: one seat stays free
    await register_for_session(session.id, "gruppe@example.org", seats=2)  # waits
    with pytest.raises(Conflict, match="waiting"):
        await walk_in(session, "Gast")
    # Once the session has started the queue stands still: the free seat is the door's.
    await Session.update({Session.starts_at: datetime.now(session.starts_at.tzinfo)}).where(
        Session.id == session.id
    )
    outcome = await walk_in(session, "Gast")
    assert outcome.status == "confirmed"


async def test_a_walk_in_is_only_for_a_session_of_the_list(bensheim: Any) -> None:
    first, second = await drop_in(bensheim), await drop_in(bensheim)
    target = await targets.session_target(first.id, bensheim.id)
    with pytest.raises(InvalidInput):
        await service.register_walk_in(target, person("Gast"), second.id, SECRET)
    assert await Registration.count() == 0


async def test_a_walk_in_to_a_course_takes_a_place_for_all_its_sessions(bensheim: Any) -> None:
    start = datetime.now().astimezone() + timedelta(days=7)
    course = await make_published_event(
        bensheim,
        kind="training",
        registration_mode="whole_event",
        capacity=1,
        sessions=[
            {
                "starts_at": (start + timedelta(days=d)).isoformat(),
                "ends_at": (start + timedelta(days=d, hours=2)).isoformat(),
            }
            for d in (0, 7)
        ],
    )
    first, _ = await sessions_of(course)
    target = await targets.event_target(course.id, bensheim.id)
    assert await guide.current_session(target) == first.id
    outcome = await service.register_walk_in(target, person("Lena"), first.id, SECRET)
    assert outcome.registration.session is None
    assert await attended(outcome.registration.id) == ["attended"]
    row = await Event.select(Event.seats_taken).where(Event.id == course.id).first()
    assert row == {"seats_taken": 1}
    with pytest.raises(Conflict):
        await service.register_walk_in(target, person("Zweite"), first.id, SECRET)


async def test_cancelling_at_the_door_says_who_moved_up(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=1)
    holder = await register_for_session(session.id, "holder@example.org")
    waiting = await register_for_session(session.id, "nadia@example.org")
    target = await targets.session_target(session.id, bensheim.id)
    cancelled, promoted = await guide.cancel_at_door(target, bensheim.id, holder.id)
    assert cancelled.status == "cancelled"
    assert [r.name for r in promoted] == [waiting.name]
    # Again: nothing more happens, and nobody moves up twice.
    _, promoted = await guide.cancel_at_door(target, bensheim.id, holder.id)
    assert promoted == []


async def test_the_door_list_knows_only_its_own_registrations(bensheim: Any, butzbach: Any) -> None:
    session, other = await drop_in(bensheim), await drop_in(bensheim)
    foreign = await drop_in(butzbach)
    target = await targets.session_target(session.id, bensheim.id)
    elsewhere = await register_for_session(other.id, "a@example.org")
    abroad = await register_for_session(foreign.id, "b@example.org")
    for registration in (elsewhere, abroad):
        with pytest.raises(NotFound):
            await guide.cancel_at_door(target, bensheim.id, registration.id)
    assert await Registration.count().where(Registration.status == "cancelled") == 0


async def test_more_room_says_who_moved_up_for_a_session_and_a_course(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=1)
    await register_for_session(session.id, "one@example.org")
    two = await register_for_session(session.id, "two@example.org")
    three = await register_for_session(session.id, "three@example.org", seats=2)
    target = await targets.session_target(session.id, bensheim.id)
    promoted = await guide.change_capacity(bensheim.id, target, 2)
    assert [r.id for r in promoted] == [two.id]
    assert await guide.change_capacity(bensheim.id, target, 4) != []
    assert (await Registration.objects().where(Registration.id == three.id).first()).status in (  # type: ignore[union-attr]
        "pending",
        "confirmed",
    )
    with pytest.raises(Conflict):
        await guide.change_capacity(bensheim.id, target, 1)  # below the places taken

    course = await make_published_event(
        bensheim, kind="training", registration_mode="whole_event", capacity=1
    )
    course_target = await targets.event_target(course.id, bensheim.id)
    await service.register(course_target, person("Anna", email="anna@example.org"), SECRET)
    later = await service.register(course_target, person("Bilal", email="b@example.org"), SECRET)
    assert later.status == "waitlisted"
    promoted = await guide.change_capacity(bensheim.id, course_target, None)  # unlimited
    assert [r.name for r in promoted] == ["Bilal"]


async def test_both_exports_carry_the_same_list(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=1)
    outcome = await walk_in(session, '=HYPERLINK("http://x")')
    await register_for_session(session.id, "wartet@example.org")
    target = await targets.session_target(session.id, bensheim.id)
    rows = list(
        csv.reader(
            io.StringIO((await guide.registrations_csv(target)).decode("utf-8-sig")), delimiter=";"
        )
    )
    sheet = load_workbook(io.BytesIO(await guide.registrations_xlsx(target))).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0]
    assert rows[0][0] == "Name"
    assert len(cells) == len(rows) == 3
    name = sheet.cell(row=2, column=1)
    assert name.data_type == "s"
    assert name.value == '=HYPERLINK("http://x")'
    registered = sheet.cell(row=2, column=11)
    assert isinstance(registered.value, datetime)
    assert registered.is_date
    assert rows[1][10] == registered.value.strftime("%d.%m.%Y %H:%M")
    assert rows[2][3] == cells[2][3] == "Warteliste"
    assert cells[2][5] == 1
    assert "anwesend" in rows[1][11]
    assert outcome.registration.name is not None


async def test_the_api_takes_walk_ins_and_exports_xlsx(
    client: Any, bensheim: Any, bensheim_headers: dict[str, str]
) -> None:
    session = await drop_in(bensheim, capacity=1)
    url = f"/api/v1/guide/sessions/{session.id}"
    answer = await client.post(
        f"{url}/walk-ins", json={"name": "Gast", "session_id": session.id}, headers=bensheim_headers
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "confirmed"
    assert await attended(answer.json()["id"]) == ["attended"]
    full = await client.post(f"{url}/walk-ins", json={"name": "Zweiter"}, headers=bensheim_headers)
    assert full.status_code == 409
    assert full.json()["fields"] == {"seats": "0 free"}
    other = await client.post(
        f"{url}/walk-ins",
        json={"name": "X", "session_id": session.id + 1},
        headers=bensheim_headers,
    )
    assert other.status_code == 422
    assert "session_id" in other.json()["fields"]
    export = await client.get(f"{url}/registrations.xlsx", headers=bensheim_headers)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert (
        export.headers["content-disposition"]
        == f'attachment; filename="registrations-session-{session.id}.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    assert sheet.cell(row=2, column=1).value == "Gast"


async def test_a_course_list_is_for_the_date_going_on_or_next(bensheim: Any) -> None:
    start = datetime.now().astimezone() - timedelta(hours=1)
    course = await make_published_event(
        bensheim,
        kind="training",
        registration_mode="whole_event",
        sessions=[
            {
                "starts_at": (start + timedelta(days=d)).isoformat(),
                "ends_at": (start + timedelta(days=d, hours=2)).isoformat(),
            }
            for d in (-7, 0, 7)
        ],
    )
    past, today, later = await sessions_of(course)
    target = await targets.event_target(course.id, bensheim.id)
    assert await guide.current_session(target) == today.id
    assert await guide.current_session(target, today.ends_at + timedelta(minutes=1)) == later.id
    assert await guide.current_session(target, later.ends_at + timedelta(days=1)) == later.id
    await Session.update({Session.status: "cancelled"}).where(Session.event == course.id)
    assert await guide.current_session(target) == today.id  # all cancelled: still a list
    assert past.id != today.id
