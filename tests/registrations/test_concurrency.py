"""Capacity under real concurrency: HTTP against a served app in its own process."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests import serving
from tests.factories import SECRET, make_published_event, sessions_of
from tests.smtp import SMTPServer
from treffpunkt.events.tables import Session
from treffpunkt.notifications.tables import OutboxMessage
from treffpunkt.notifications.worker import run_once
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

        # Positions 1..400, given in the order the server took the requests (= ids).
        rows = await Registration.select(
            Registration.id, Registration.email, Registration.status
        ).order_by(Registration.id)
        assert {r["email"]: r["status"] for r in rows} == {
            email: answer["status"] for email, answer in answers.items()
        }
        queue = [r for r in rows if r["status"] == "waitlisted"]
        assert [answers[r["email"]]["position"] for r in queue] == list(range(1, 401))
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
