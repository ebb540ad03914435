"""Capacity under real concurrency: HTTP against a served app in its own process."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from tests import serving
from tests.factories import (
    BERLIN,
    PASSWORD,
    SECRET,
    future_day,
    make_published_event,
    sessions_of,
)
from tests.smtp import SMTPServer
from treffpunkt.events.tables import Event, Session
from treffpunkt.notifications.worker import run_once
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations.service import registration_token
from treffpunkt.registrations.tables import Registration
from treffpunkt.settings import Settings


@pytest.fixture
async def served(app: Any) -> AsyncIterator[str]:
    """`treffpunkt serve` on a free port, on the test database, as an operator runs it."""
    env = {
        "TREFFPUNKT_REGISTRATIONS_PER_CLIENT": "100000/minute",
        "TREFFPUNKT_DATABASE_POOL_SIZE": "20",
    }
    async with serving.served(env) as url:
        yield url


async def test_500_simultaneous_registrations_for_100_seats_then_30_cancellations(
    served: str, bensheim: Any, mail_settings: Settings, smtp: SMTPServer
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=100)
    [session] = await sessions_of(event)
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    async with httpx.AsyncClient(base_url=served, limits=limits, timeout=120) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/sessions/{session.id}/registrations",
                    json={"name": f"P {i}", "email": f"p{i}@example.org", "consent": True},
                )
                for i in range(500)
            )
        )
        assert Counter(r.status_code for r in responses) == {201: 500}
        answers = {f"p{i}@example.org": r.json() for i, r in enumerate(responses)}
        assert Counter(a["status"] for a in answers.values()) == {
            "pending": 100,
            "waitlisted": 400,
        }

        # Positions 1..400, mailed in the order the server took the requests (= ids).
        rows = await Registration.select(
            Registration.id, Registration.email, Registration.status
        ).order_by(Registration.id)
        assert {r["email"]: r["status"] for r in rows} == {
            email: answer["status"] for email, answer in answers.items()
        }
        queue = [r for r in rows if r["status"] == "waitlisted"]
        mailed = {
            m["registration"]: m["context"]["position"]
            for m in await OutboxMessage.select(OutboxMessage.registration, OutboxMessage.context)
            .where(OutboxMessage.kind == "registration_waitlisted")
            .output(load_json=True)
        }
        assert [mailed[r["id"]] for r in queue] == list(range(1, 401))
        row = (
            await Session.select(Session.seats_taken, Session.waiting)
            .where(Session.id == session.id)
            .first()
        )
        assert row == {"seats_taken": 100, "waiting": 400}
    assert await Registration.count() == 500
    assert await OutboxMessage.count() == 500

    holders = [r["id"] for r in rows if r["status"] == "pending"][:30]
    salts = await Registration.select(Registration.id, Registration.token_salt).where(
        Registration.id.is_in(holders)
    )
    # Other people, other connections (the first ones may have idled past keep-alive).
    async with httpx.AsyncClient(base_url=served, timeout=120) as client:
        cancellations = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/registrations/{registration_token(SECRET, s['token_salt'])}/cancel"
                )
                for s in salts
            )
        )
    assert [r.json()["status"] for r in cancellations] == ["cancelled"] * 30

    first_in_line = {r["id"] for r in queue[:30]}
    promoted = await Registration.select(Registration.id, Registration.email).where(
        Registration.status == "pending"
    )
    assert first_in_line <= {r["id"] for r in promoted}
    assert len(promoted) == 100  # 70 original holders + exactly the first 30 in line
    row = (
        await Session.select(Session.seats_taken, Session.waiting)
        .where(Session.id == session.id)
        .first()
    )
    assert row == {"seats_taken": 100, "waiting": 370}

    # Each promotion gives exactly one mail, through a real SMTP server.
    await run_once(mail_settings, "worker-1")
    promoted_mails = Counter(
        str(m["To"]).split("<")[-1].rstrip(">")
        for m in smtp.inbox.messages
        if str(m["X-Treffpunkt-Cause"]).endswith(":promoted")
    )
    promoted_emails = {r["email"] for r in promoted if r["id"] in first_in_line}
    assert promoted_mails == dict.fromkeys(promoted_emails, 1)
    assert len(smtp.inbox.messages) == 500 + 30 + 30  # requests, cancellations, promotions


# --- guides editing while people register ------------------------------------------------


def series_from(day: date, time_of_day: str, count: int) -> dict[str, Any]:
    return {
        "rule": "FREQ=WEEKLY",
        "start_date": day.isoformat(),
        "start_time": time_of_day,
        "end_time": "20:00",
        "count": count,
    }


async def places(event_ids: list[int]) -> dict[tuple[str, int], dict[str, Any]]:
    """Counters of every target of these events: scheduled sessions, and courses."""
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for row in await Session.select(
        Session.id, Session.capacity, Session.seats_taken, Session.waiting
    ).where(Session.event.is_in(event_ids) & (Session.status == "scheduled")):
        found["session", row["id"]] = row
    for row in await Event.select(Event.id, Event.capacity, Event.seats_taken, Event.waiting).where(
        Event.id.is_in(event_ids) & (Event.registration_mode == "whole_event")
    ):
        found["course", row["id"]] = row
    return found


def broken_promises(counters: dict[tuple[str, int], dict[str, Any]]) -> list[str]:
    """Invariant 3 as anyone can see it at any moment (everyone here takes one seat):
    no more places held than there are, and no free place while people wait."""
    wrong = []
    for target, row in counters.items():
        if row["capacity"] is not None and row["seats_taken"] > row["capacity"]:
            wrong.append(f"{target}: {row['seats_taken']} places held of {row['capacity']}")
        if row["waiting"] and row["capacity"] is not None and row["seats_taken"] < row["capacity"]:
            wrong.append(f"{target}: {row['waiting']} waiting beside a free place")
    return wrong


async def rows_agree(event_ids: list[int]) -> None:
    """The counters are the registrations, and waiting positions run 1, 2, 3 …"""
    for (kind, target_id), row in (await places(event_ids)).items():
        mine = (
            Registration.session == target_id
            if kind == "session"
            else (Registration.event == target_id) & Registration.session.is_null()
        )
        holding = await Registration.count().where(
            mine & Registration.status.is_in(["pending", "confirmed"])
        )
        waiting = await Registration.count().where(mine & (Registration.status == "waitlisted"))
        assert (row["seats_taken"], row["waiting"]) == (holding, waiting), (kind, target_id)
        assert row["capacity"] is None or holding <= row["capacity"], (kind, target_id)


async def test_guides_editing_while_people_register_never_overbook(
    served: str, bensheim: Any, bensheim_guide: dict[str, Any]
) -> None:
    """Moves, series and text edits, capacity changes and cancellations by a guide,
    while hundreds register: no place is held twice, no queue place promised twice."""
    first = future_day(10)
    rounds = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=10,
        sessions=[],
        series=series_from(first, "18:00", 4),
    )
    course = await make_published_event(
        bensheim,
        kind="training",
        registration_mode="whole_event",
        capacity=15,
        sessions=[],
        series=series_from(first, "10:00", 3),
    )
    sessions = [s.id for s in await sessions_of(rounds)]
    events = [rounds.id, course.id]
    paths = [f"/api/v1/sessions/{sid}/registrations" for sid in sessions]
    paths.append(f"/api/v1/events/{course.id}/registrations")
    async with httpx.AsyncClient(base_url=served) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"email": bensheim_guide["email"], "password": PASSWORD},
        )
    guide = {"Authorization": f"Bearer {login.json()['access_token']}"}
    seen: list[str] = []
    busy = asyncio.Event()

    async def watch() -> None:
        while not busy.is_set():
            seen.extend(broken_promises(await places(events)))
            await asyncio.sleep(0.005)

    async def register(
        client: httpx.AsyncClient, offset: int, count: int
    ) -> list[tuple[str, httpx.Response]]:
        async def one(i: int) -> tuple[str, httpx.Response]:
            path = paths[i % len(paths)]
            body = {"name": f"P {i}", "email": f"p{i}@example.org", "consent": True}
            return path, await client.post(path, json=body)

        try:
            return await asyncio.gather(*(one(offset + i) for i in range(count)))
        finally:
            busy.set()

    async def edit(client: httpx.AsyncClient, steps: Any) -> int:
        done = 0
        while not busy.is_set():
            for method, path, body in steps(done):
                answer = await client.request(method, path, json=body, headers=guide)
                assert answer.status_code < 300, (path, answer.text)
            done += 1
        return done

    async def race(offset: int, count: int, steps: Any) -> tuple[Any, int]:
        """People register while a guide edits. A connection per request: what this
        checks is places, not the server's keep-alive timer."""
        busy.clear()
        watcher = asyncio.create_task(watch())
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=0)
        async with (
            httpx.AsyncClient(base_url=served, limits=limits, timeout=120) as people,
            httpx.AsyncClient(base_url=served, limits=limits, timeout=120) as guide_client,
        ):
            answers, done = await asyncio.gather(
                register(people, offset, count), edit(guide_client, steps)
            )
        await watcher
        return answers, done

    def reshape(step: int) -> list[tuple[str, str, Any]]:
        """Phase 1: nothing that frees or adds places; positions must stay exact."""
        minute = step % 50
        start = datetime.combine(first + timedelta(days=7), time(17, minute), BERLIN)
        return [
            (
                "PATCH",
                f"/api/v1/guide/sessions/{sessions[1]}",
                {
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=2)).isoformat(),
                },
            ),
            ("PATCH", f"/api/v1/guide/events/{rounds.id}", {"interpretation": step % 2 == 0}),
            (
                "PUT",
                f"/api/v1/guide/events/{rounds.id}/series",
                series_from(first, f"18:{minute:02d}", 4),
            ),
            ("PATCH", f"/api/v1/guide/events/{course.id}", {"tags": [f"t{step}"]}),
            (
                "PUT",
                f"/api/v1/guide/events/{course.id}/series",
                series_from(first, f"10:{minute:02d}", 3),
            ),
        ]

    answers, _ = await race(0, 250, reshape)
    assert Counter(r.status_code for _, r in answers) == {201: 250}
    # Each waitlisted person is told their position by mail (the answer has none).
    mailed = {
        m["recipient_email"]: m["context"]["position"]
        for m in await OutboxMessage.select(OutboxMessage.recipient_email, OutboxMessage.context)
        .where(OutboxMessage.kind == "registration_waitlisted")
        .output(load_json=True)
    }
    for path in paths:
        bodies = [
            (json.loads(r.request.content)["email"], r.json()) for p, r in answers if p == path
        ]
        capacity = 15 if path.startswith("/api/v1/events") else 10
        assert Counter(b["status"] for _, b in bodies)["pending"] == capacity, path
        queue = sorted(mailed[email] for email, b in bodies if b["status"] == "waitlisted")
        assert queue == list(range(1, len(bodies) - capacity + 1)), path
    await rows_agree(events)

    # The public answer names no registration: the guide's list does.
    holders = [
        row["id"]
        for row in await Registration.select(Registration.id)
        .where(Registration.status == "pending")
        .order_by(Registration.id)
    ]

    def grow(step: int) -> list[tuple[str, str, Any]]:
        """Phase 2: more room and freed places serve the queues as people arrive."""
        holder = holders[step % len(holders)]
        return [
            ("PATCH", f"/api/v1/guide/events/{rounds.id}", {"capacity": 11 + step}),
            ("PUT", f"/api/v1/guide/sessions/{sessions[2]}/capacity", {"capacity": 12 + step}),
            ("PATCH", f"/api/v1/guide/events/{course.id}", {"capacity": 16 + step}),
            ("POST", f"/api/v1/guide/registrations/{holder}/cancel", None),
        ]

    answers, steps = await race(1000, 150, grow)
    assert Counter(r.status_code for _, r in answers) == {201: 150}
    assert steps > 0
    assert seen == []
    await rows_agree(events)
    assert broken_promises(await places(events)) == []
