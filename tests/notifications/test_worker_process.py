"""The worker as people run it: inside `treffpunkt serve` (make run), or on its own."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests import serving
from tests.factories import make_published_event, register_for_session, sessions_of
from tests.smtp import SMTPServer
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations.tables import Registration


def smtp_env(smtp: SMTPServer) -> dict[str, str]:
    return {
        "TREFFPUNKT_SMTP_HOST": "127.0.0.1",
        "TREFFPUNKT_SMTP_PORT": str(smtp.port),
        "TREFFPUNKT_SMTP_TLS": "none",
    }


async def arrived(smtp: SMTPServer, count: int, seconds: float = 20) -> bool:
    for _ in range(int(seconds * 10)):
        if len(smtp.inbox.messages) >= count:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_the_served_app_delivers_mail_by_itself(
    app: Any, bensheim: Any, smtp: SMTPServer
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=5)
    [session] = await sessions_of(event)
    env = {**smtp_env(smtp), "TREFFPUNKT_WORKER_IN_PROCESS": "true"}
    async with serving.served(env) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post(
            f"/api/v1/sessions/{session.id}/registrations",
            json={"name": "Olena", "email": "olena@example.org", "consent": True},
        )
        assert response.status_code == 201
        assert await arrived(smtp, 1), "no mail from the in-process worker"
    assert "olena@example.org" in str(smtp.inbox.messages[0]["To"])


async def test_treffpunkt_worker_delivers_the_outbox(
    app: Any, bensheim: Any, smtp: SMTPServer
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=5)
    [session] = await sessions_of(event)
    for i in range(3):
        await register_for_session(session.id, f"p{i}@example.org")
    async with serving.command("worker", env=smtp_env(smtp)):
        assert await arrived(smtp, 3), "the worker did not deliver"
    assert len(smtp.inbox.messages) == 3


# --- stopping, and timed rules beside a long queue ------------------------------------------


async def queue_of_mails(municipality: Any, count: int) -> list[Any]:
    event = await make_published_event(
        municipality, registration_mode="per_session", capacity=count + 10
    )
    [session] = await sessions_of(event)
    return [await register_for_session(session.id, f"p{i}@example.org") for i in range(count)]


async def assert_claims_handed_back(smtp: SMTPServer, count: int) -> None:
    rows = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.claimed_by)
    statuses = Counter(row["status"] for row in rows)
    assert statuses["sending"] == 0, "a stopped worker left mail claimed"
    assert statuses["sent"] == len(smtp.inbox.messages)  # the mail in hand was finished
    assert statuses["queued"] == count - statuses["sent"] > 0
    assert all(row["claimed_by"] is None for row in rows if row["status"] == "queued")


async def test_stopping_the_served_app_hands_back_the_mail_it_claimed(
    app: Any, bensheim: Any, smtp: SMTPServer
) -> None:
    await queue_of_mails(bensheim, 30)
    smtp.inbox.delay = 0.3  # a slow server: the worker is in the middle of its batch
    env = {**smtp_env(smtp), "TREFFPUNKT_WORKER_IN_PROCESS": "true"}
    async with serving.served(env):
        assert await arrived(smtp, 2)
    # served() ended the process with SIGTERM, as an orchestrator stops it.
    await assert_claims_handed_back(smtp, 30)


async def test_stopping_treffpunkt_worker_hands_back_the_mail_it_claimed(
    app: Any, bensheim: Any, smtp: SMTPServer
) -> None:
    await queue_of_mails(bensheim, 30)
    smtp.inbox.delay = 0.3
    async with serving.command("worker", env=smtp_env(smtp)):
        assert await arrived(smtp, 2)
    await assert_claims_handed_back(smtp, 30)


async def test_expiry_does_not_wait_for_the_mail_queue(
    app: Any, bensheim: Any, smtp: SMTPServer
) -> None:
    late, *_ = await queue_of_mails(bensheim, 300)
    smtp.inbox.delay = 0.05  # 300 mails: 15 s and more
    env = {**smtp_env(smtp), "TREFFPUNKT_WORKER_IN_PROCESS": "true"}
    async with serving.served(env):
        assert await arrived(smtp, 3)
        await Registration.update(
            {Registration.expires_at: datetime.now(UTC) - timedelta(seconds=1)}
        ).where(Registration.id == late.id)
        began = time.monotonic()
        for _ in range(300):
            if await status(late.id) == "expired":
                break
            await asyncio.sleep(0.1)
        waited = time.monotonic() - began
        assert await status(late.id) == "expired"
        assert waited < 6, f"the hold expired {waited:.1f} s late, behind the mail queue"
        assert len(smtp.inbox.messages) < 250  # the queue is still being sent


async def status(registration_id: int) -> str:
    row = (
        await Registration.select(Registration.status)
        .where(Registration.id == registration_id)
        .first()
    )
    assert row is not None
    return str(row["status"])
