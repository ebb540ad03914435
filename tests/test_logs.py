"""Logs name no token and no email address: neither the access log of a served process
nor what the app and the worker log themselves."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import SECRET, make_published_event, register_for_session, sessions_of
from tests.smtp import SMTPServer, free_port
from treffpunkt.calendars import personal
from treffpunkt.logs import redact
from treffpunkt.notifications.worker import run_once
from treffpunkt.registrations.service import registration_token
from treffpunkt.settings import Settings


def test_tokens_and_addresses_are_cut_out() -> None:
    token = "Zx9_-" * 9
    assert redact(f'"GET /r/{token} HTTP/1.1" 200') == '"GET /r/<token> HTTP/1.1" 200'
    assert redact(f"/feeds/{token}.ics") == "/feeds/<token>.ics"
    assert redact(f"/api/v1/registrations/{token}/cancel") == (
        "/api/v1/registrations/<token>/cancel"
    )
    assert redact("Bearer abc.DEF-123") == "Bearer <token>"
    assert redact("550 <jürgen@bücher.example>: no") == "550 <<email>>: no"
    # What is no secret stays readable.
    assert redact("/api/v1/guide/registrations/12/cancel") == (
        "/api/v1/guide/registrations/12/cancel"
    )
    assert redact("outbox row 7: registration_confirm_request") == (
        "outbox row 7: registration_confirm_request"
    )


async def test_the_worker_logs_a_refused_address_without_naming_it(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    smtp.inbox.refuse = {"gone@example.org"}
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    await register_for_session(session.id, "gone@example.org")
    with caplog.at_level(logging.INFO):
        await run_once(mail_settings, "worker-1")
    failed = [r for r in caplog.records if "failed for good" in r.getMessage()]
    assert failed, caplog.text
    assert "550" in caplog.text
    assert "gone@example.org" not in caplog.text
    assert "<email>" in failed[0].getMessage()


async def test_the_access_log_of_a_served_process_names_no_token_or_address(
    bensheim: Any, tmp_path: Path
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    registration = await register_for_session(session.id, "olena@example.org")
    link = registration_token(SECRET, registration.token_salt)
    [feed] = (await personal.feed_tokens(bensheim.id, ["olena@example.org"], SECRET)).values()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    output = tmp_path / "serve.log"
    with output.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "treffpunkt.cli", "serve", "--port", str(port)),
            env={**os.environ, "TREFFPUNKT_BASE_URL": url, "TREFFPUNKT_LOG_LEVEL": "DEBUG"},
            stdout=sink,
            stderr=sink,
        )
        try:
            async with httpx.AsyncClient(base_url=url) as client:
                for _ in range(150):
                    try:
                        if (await client.get("/health")).status_code == 200:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)
                for path in (
                    f"/r/{link}",
                    f"/api/v1/registrations/{link}",
                    f"/feeds/{feed}.ics",
                    f"/r/{link}?confirm=1",
                    "/api/v1/registrations/not-a-token-at-all",
                ):
                    assert (await client.get(path)).status_code in (200, 404), path
                login = await client.post(
                    "/api/v1/auth/login",
                    json={"email": "olena@example.org", "password": "wrong password"},
                )
                assert login.status_code == 401
        finally:
            process.terminate()
            await process.wait()
    logged = output.read_text()
    assert "GET /r/<token>" in logged  # the access log was on
    assert "GET /feeds/<token>.ics" in logged
    for secret in (link, feed, "olena@example.org", "not-a-token-at-all"):
        assert secret not in logged
