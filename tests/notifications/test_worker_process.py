"""The worker as people run it: inside `treffpunkt serve` (make run), or on its own."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests import serving
from tests.factories import make_published_event, register_for_session, sessions_of
from tests.smtp import SMTPServer


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
