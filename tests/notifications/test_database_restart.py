"""A PostgreSQL restart under load: clients get 503 meanwhile, and the workers (inside
`treffpunkt serve`, and `treffpunkt worker`) go on by themselves afterwards.

The server restarted here is one of our own (initdb in a temporary folder, a free
port), never the shared one the rest of the suite uses.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import asyncpg
import httpx
import pytest

from tests import serving
from tests.postgres import OwnPostgres
from tests.smtp import SMTPServer

pytestmark = pytest.mark.postgres_only

SEED = """
import asyncio, json
from datetime import UTC, datetime, timedelta
from treffpunkt import db
from treffpunkt.events.schemas import EventCreate
from treffpunkt.events.service import create_event, publish_event
from treffpunkt.events.tables import Session
from treffpunkt.municipalities.schemas import MunicipalityCreate
from treffpunkt.municipalities.service import create_municipality
from treffpunkt.settings import load_settings

async def main():
    engine = db.create_engine(load_settings().resolved_database_url)
    db.use_engine(engine)
    town = await create_municipality(MunicipalityCreate(
        slug="bensheim", name="Stadt Bensheim", contact_email="integration@bensheim.example",
        sender_name="Integration Bensheim", sender_email="integration@bensheim.example"))
    start = datetime.now(UTC) + timedelta(days=7)
    event = await create_event(town.id, EventCreate.model_validate({
        "kind": "dialogue", "texts": {"de": {"title": "Dialogrunde"}},
        "registration_mode": "per_session", "capacity": 5000,
        "sessions": [{"starts_at": start.isoformat(),
                      "ends_at": (start + timedelta(hours=2)).isoformat()}]}))
    await publish_event(town.id, event.id)
    [session] = await Session.select(Session.id).where(Session.event == event.id)
    print(json.dumps(session["id"]))

asyncio.run(main())
"""


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.drop()


async def _python(code: str, env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, env={**os.environ, **env}, stdout=subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    return out.decode()


async def _sql(url: str, query: str, *args: Any) -> list[Any]:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


@pytest.fixture
async def seeded(own_postgres: OwnPostgres) -> tuple[OwnPostgres, int]:
    """The database made, migrated and given a town with one large session."""
    admin = own_postgres.url.replace("/treffpunkt", "/postgres")
    await _sql(admin, "CREATE DATABASE treffpunkt")
    env = {"TREFFPUNKT_DATABASE_URL": own_postgres.url}
    await _python("from treffpunkt.cli import main; main(['migrate'])", env)
    session_id = json.loads(await _python(SEED, env))
    return own_postgres, session_id


def _env(server: OwnPostgres, smtp: SMTPServer, in_process: bool) -> dict[str, str]:
    return {
        "TREFFPUNKT_DATABASE_URL": server.url,
        "TREFFPUNKT_DATABASE_POOL_SIZE": "5",
        "TREFFPUNKT_REGISTRATIONS_PER_CLIENT": "100000/minute",
        "TREFFPUNKT_SMTP_HOST": "127.0.0.1",
        "TREFFPUNKT_SMTP_PORT": str(smtp.port),
        "TREFFPUNKT_SMTP_TLS": "none",
        "TREFFPUNKT_WORKER_IN_PROCESS": "true" if in_process else "false",
    }


def _person(i: int) -> dict[str, Any]:
    return {"name": f"P {i}", "email": f"p{i}@example.org", "consent": True}


async def _restart_under_load(
    server: OwnPostgres, client: httpx.AsyncClient, session_id: int
) -> Counter[int]:
    """Restart the database twice while a worker is inside its transactions (expiring
    fifty holds), and ask the app all along. Returns the answers' status codes."""
    path = f"/api/v1/sessions/{session_id}/registrations"
    burst = await asyncio.gather(*(client.post(path, json=_person(i)) for i in range(100)))
    assert Counter(r.status_code for r in burst) == {201: 100}
    answers: Counter[int] = Counter()
    restarted = asyncio.Event()

    async def keep_asking() -> None:
        i = 1000
        while not restarted.is_set():
            i += 1
            try:
                answer = await client.post(path, json=_person(i))
            except httpx.TransportError:
                continue
            answers[answer.status_code] += 1
            if answer.status_code == 503:
                assert answer.headers.get("Retry-After"), "a 503 says when to try again"
                assert answer.json()["error"] == "unavailable"
            await asyncio.sleep(0.02)

    asking = asyncio.create_task(keep_asking())
    for first, last in ((1, 50), (51, 100)):
        await _sql(
            server.url,
            "UPDATE registration SET expires_at = now() - interval '1 second'"
            " WHERE id BETWEEN $1 AND $2",
            first,
            last,
        )
        for _ in range(200):  # until the worker is in the middle of expiring them
            expired = await _sql(
                server.url,
                "SELECT id FROM registration WHERE status = 'expired' AND id BETWEEN $1 AND $2",
                first,
                last,
            )
            if expired:
                break
            await asyncio.sleep(0.05)
        await asyncio.to_thread(server.restart)
    await asyncio.sleep(0.5)
    restarted.set()
    await asking
    return answers


async def _recovered(server: OwnPostgres, client: httpx.AsyncClient, smtp: SMTPServer) -> None:
    """A new registration's mail arrives, and a new overdue hold expires, by themselves."""
    session_id = (await _sql(server.url, "SELECT id FROM event_session"))[0]["id"]
    for _ in range(50):  # the app answers again within moments
        answer = await client.post(
            f"/api/v1/sessions/{session_id}/registrations",
            json={"name": "Olena", "email": "olena@example.org", "consent": True},
        )
        if answer.status_code != 503:
            break
        await asyncio.sleep(0.2)
    assert answer.status_code == 201
    # The public answer names no registration; the database does.
    [row] = await _sql(
        server.url, "SELECT id FROM registration WHERE email = $1", "olena@example.org"
    )
    registration_id = row["id"]
    for _ in range(900):  # behind a few hundred mails, on a busy machine
        if smtp.inbox.to("olena@example.org"):
            break
        await asyncio.sleep(0.1)
    assert smtp.inbox.to("olena@example.org"), "no mail went out after the restart"
    await _sql(
        server.url,
        "UPDATE registration SET expires_at = now() - interval '1 second' WHERE id = $1",
        registration_id,
    )
    status = ""
    for _ in range(300):
        [row] = await _sql(
            server.url, "SELECT status FROM registration WHERE id = $1", registration_id
        )
        status = row["status"]
        if status == "expired":
            break
        await asyncio.sleep(0.1)
    assert status == "expired", "no hold expired after the restart"


async def test_the_served_app_and_its_worker_go_on_after_a_database_restart(
    seeded: tuple[OwnPostgres, int], smtp: SMTPServer
) -> None:
    server, session_id = seeded
    async with (
        serving.served(_env(server, smtp, in_process=True)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        answers = await _restart_under_load(server, client, session_id)
        assert set(answers) <= {201, 503}, answers
        assert answers[503] > 0, answers  # the client was told the database was away
        await _recovered(server, client, smtp)


async def test_treffpunkt_worker_goes_on_after_a_database_restart(
    seeded: tuple[OwnPostgres, int], smtp: SMTPServer
) -> None:
    server, session_id = seeded
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(serving.served(_env(server, smtp, in_process=False)))
        await stack.enter_async_context(
            serving.command("worker", env=_env(server, smtp, in_process=False))
        )
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60))
        answers = await _restart_under_load(server, client, session_id)
        assert set(answers) <= {201, 503}, answers
        await _recovered(server, client, smtp)
