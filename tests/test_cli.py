"""The command line, run as an operator runs it: a separate process on the same database."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from tests.factories import login_headers
from treffpunkt import demo
from treffpunkt.accounts.tables import Account
from treffpunkt.municipalities.tables import Municipality


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
