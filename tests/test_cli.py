"""The command line, run as an operator runs it: a separate process on the same database."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from tests import serving
from tests.factories import login_headers
from tests.postgres import OwnPostgres
from tests.smtp import free_port
from treffpunkt import demo
from treffpunkt.accounts.tables import Account
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.piccolo_app import APP_CONFIG


def treffpunkt(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "treffpunkt.cli", *args],
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_migrate_is_idempotent(app: Any) -> None:
    result = treffpunkt("migrate")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The database is up to date; no migration to apply.\n"


async def test_create_admin_makes_an_account_that_can_log_in(client: Any) -> None:
    result = treffpunkt("create-admin", "--email", "ops@kreis.example", "--password", "x" * 16)
    assert result.returncode == 0, result.stderr
    headers = await login_headers(client, "ops@kreis.example", "x" * 16)
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    assert me["role"] == "admin"
    assert me["municipality"] is None


async def test_create_admin_refuses_a_short_password_and_a_taken_email(client: Any) -> None:
    assert treffpunkt("create-admin", "--email", "a@b.example", "--password", "short").returncode
    assert await Account.count() == 0
    treffpunkt("create-admin", "--email", "a@b.example", "--password", "x" * 16)
    again = treffpunkt("create-admin", "--email", "a@b.example", "--password", "y" * 16)
    assert again.returncode == 1
    assert "exists" in again.stderr


@pytest.mark.parametrize(
    ("email", "password", "says"),
    [
        ("not-an-address", "x" * 16, "invalid --email: value is not a valid email address"),
        ("a@b.example", "eleven char", "invalid the password: String should have at least 12"),
        ("a@b.example", "   short   ", "invalid the password: String should have at least 12"),
        ("a@b.example", "x" * 1025, "invalid the password: String should have at most 1024"),
    ],
)
async def test_create_admin_checks_email_and_password_as_the_api_does(
    client: Any, email: str, password: str, says: str
) -> None:
    result = treffpunkt("create-admin", "--email", email, "--password", password)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"treffpunkt: {says}"), line
    assert await Account.count() == 0


async def test_create_admin_takes_the_password_as_typed(client: Any) -> None:
    typed = "  spaced secret \t"  # also when asked for it on the terminal
    result = treffpunkt("create-admin", "--email", "ops@kreis.example", stdin=typed + "\n")
    assert result.returncode == 0, result.stderr
    await login_headers(client, "ops@kreis.example", typed)
    stripped = {"email": "ops@kreis.example", "password": typed.strip()}
    assert (await client.post("/api/v1/auth/login", json=stripped)).status_code == 401


async def test_demo_loads_once_and_its_logins_work(client: Any) -> None:
    first = treffpunkt("demo")
    assert first.returncode == 0, first.stderr
    assert "Demo data loaded." in first.stdout
    second = treffpunkt("demo")
    assert "already loaded" in second.stdout
    slugs = {m["slug"] for m in await Municipality.select(Municipality.slug)}
    assert slugs == {"bensheim", "butzbach", "oestrich-winkel"}
    for login in demo.LOGINS:
        assert f"{login.email} / {login.password}" in first.stdout
        headers = await login_headers(client, login.email, login.password)
        me = (await client.get("/api/v1/auth/me", headers=headers)).json()
        assert me["municipality"] == login.municipality


async def test_demo_refuses_production_before_touching_the_database(client: Any) -> None:
    result = treffpunkt(
        "demo",
        env={"TREFFPUNKT_ENVIRONMENT": "production", "TREFFPUNKT_SECRET_KEY": "k" * 40},
    )
    assert result.returncode == 1
    assert "never loaded in production" in result.stderr
    assert await Account.count() == 0


async def test_demo_refuses_a_database_with_a_real_admin(client: Any) -> None:
    treffpunkt("create-admin", "--email", "it@kreis.example", "--password", "x" * 16)
    result = treffpunkt("demo")
    assert result.returncode == 1
    assert "not empty" in result.stderr
    assert [a["email"] for a in await Account.select(Account.email)] == ["it@kreis.example"]
    assert await Municipality.count() == 0


# --- help, version ---------------------------------------------------------------------------


def test_version_and_help_describe_every_command_and_default() -> None:
    from treffpunkt import __version__
    from treffpunkt.cli import _parser

    version = treffpunkt("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"treffpunkt {__version__}"
    parser = _parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == {"serve", "worker", "migrate", "create-admin", "demo"}
    for name, command in commands.choices.items():
        assert command.description, f"{name} has no description"
        text = command.format_help()
        for action in command._actions:
            if action.default not in (None, False, argparse.SUPPRESS):
                assert f"(default: {action.default})" in " ".join(text.split()), (name, action)


# --- one process per embedded database -------------------------------------------------------


@pytest.mark.sqlite_only
async def test_a_second_process_on_the_sqlite_file_is_refused(app: Any) -> None:
    async with serving.served():
        for second in (["serve", "--port", "1"], ["worker"], ["migrate"], ["demo"]):
            result = treffpunkt(*second)
            assert result.returncode == 1, (second, result.stderr)
            assert "is for one process" in result.stderr, result.stderr
        # A short write, such as a new admin, may run beside it.
        beside = treffpunkt("create-admin", "--email", "it@kreis.example", "--password", "x" * 16)
        assert beside.returncode == 0, beside.stderr
    assert treffpunkt("migrate").returncode == 0  # free again once the server stopped


@pytest.mark.sqlite_only
def test_several_server_processes_need_postgresql() -> None:
    result = treffpunkt("serve", "--workers", "2")
    assert result.returncode == 1
    assert "--workers needs PostgreSQL" in result.stderr


@pytest.mark.postgres_only
async def test_on_postgresql_several_processes_share_the_database(app: Any) -> None:
    async with serving.served() as first, serving.served() as second:
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{first}/health")).status_code == 200
            assert (await client.get(f"{second}/health")).status_code == 200
        assert treffpunkt("migrate").returncode == 0


# --- keep-alive under a burst ------------------------------------------------------------------


async def _ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
    """One GET /health on an open connection; its status, or 0 for no answer."""
    writer.write(b"GET /health HTTP/1.1\r\nHost: treffpunkt\r\n\r\n")
    try:
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
    except (ConnectionError, asyncio.IncompleteReadError):
        return 0
    length = re.search(rb"content-length: (\d+)", head.lower())
    await reader.readexactly(int(length.group(1)) if length else 0)
    return int(head.split()[1])


async def test_a_burst_of_1000_requests_on_kept_alive_connections_gets_1000_answers(
    app: Any,
) -> None:
    """100 connections, 10 requests each; between its fifth and sixth request each
    connection is idle for 4.9–5.4 s, as a client or a proxy keeps connections between
    requests. The server must not close a connection under a request."""
    async with serving.served() as url:
        port = int(url.rpartition(":")[2])

        async def connection(number: int) -> list[int]:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            statuses = [await _ask(reader, writer) for _ in range(5)]
            await asyncio.sleep(4.9 + number * 0.005)
            statuses += [await _ask(reader, writer) for _ in range(5)]
            writer.close()
            return statuses

        answers = [s for c in await asyncio.gather(*map(connection, range(100))) for s in c]
    assert len(answers) == 1000
    assert Counter(answers) == {200: 1000}


# --- start-up: a database that is not there, or not up to date --------------------------------


@pytest.mark.parametrize("command", ["serve", "worker", "migrate"])
def test_an_unreachable_database_stops_start_up_with_one_line(command: str) -> None:
    port = free_port()  # nothing listens here
    url = f"postgresql://treffpunkt@127.0.0.1:{port}/treffpunkt"
    result = treffpunkt(command, env={"TREFFPUNKT_DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"treffpunkt: cannot reach the database (PostgreSQL treffpunkt@127.0.0.1:{port}"
        "/treffpunkt): connection refused: is the database server running and listening there?"
    ]


@pytest.fixture
async def unmigrated_database(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """The URL of an empty database of the run's engine, on which no migration has run."""
    if request.config.getoption("--db") == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="treffpunkt-empty-"))
        yield f"sqlite:///{folder / 'treffpunkt.sqlite'}"
        shutil.rmtree(folder)
        return
    name = f"treffpunkt_empty_{secrets.token_hex(4)}"
    parts = urlsplit(os.environ["TREFFPUNKT_DATABASE_URL"])
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(parts._replace(path=f"/{name}"))
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def test_serve_and_worker_refuse_a_database_that_migrate_has_not_brought_up_to_date(
    unmigrated_database: str,
) -> None:
    env = {"TREFFPUNKT_DATABASE_URL": unmigrated_database}
    for command in (["serve", "--port", str(free_port())], ["worker"], ["demo"]):
        result = treffpunkt(*command, env=env)
        assert result.returncode == 1, (command, result.stderr)
        [line] = result.stderr.splitlines()
        assert line.startswith("treffpunkt: the database is not up to date (")
        assert line.endswith("not run yet): run `treffpunkt migrate` first")
    migrated = treffpunkt("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    count = len(list(Path(APP_CONFIG.resolved_migrations_folder_path).glob("treffpunkt_*.py")))
    assert migrated.stdout == f"Applied {count} migrations; the database is up to date.\n"
    demo_run = treffpunkt("demo", env=env)  # once migrated, the same database works
    assert demo_run.returncode == 0, demo_run.stderr


@pytest.mark.postgres_only
def test_the_database_password_comes_from_its_own_variable() -> None:
    """Against a PostgreSQL that asks for a password; it is never printed."""
    server = OwnPostgres(password="pass/with:@ and spaces")  # would need escaping in a URL
    try:
        server.start()
        url = server.url.replace("/treffpunkt", "/postgres")
        refused = treffpunkt("migrate", env={"TREFFPUNKT_DATABASE_URL": url})
        assert refused.returncode == 1
        [line] = refused.stderr.splitlines()
        assert line.startswith("treffpunkt: cannot reach the database (PostgreSQL postgres@")
        wrong = treffpunkt(
            "migrate",
            env={"TREFFPUNKT_DATABASE_URL": url, "TREFFPUNKT_DATABASE_PASSWORD": "wrong"},
        )
        assert wrong.returncode == 1
        assert 'password authentication failed for user "postgres"' in wrong.stderr
        assert "wrong" not in wrong.stderr.replace("password authentication", "")
        right = treffpunkt(
            "migrate",
            env={"TREFFPUNKT_DATABASE_URL": url, "TREFFPUNKT_DATABASE_PASSWORD": server.password},
        )
        assert right.returncode == 0, right.stderr
    finally:
        server.drop()
