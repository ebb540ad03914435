"""The write-transaction helper on both engines."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import asyncpg
import pytest

from tests.factories import make_municipality
from treffpunkt import db
from treffpunkt.municipalities.tables import Municipality


async def test_write_transaction_rolls_back_everything_on_error(app: Any) -> None:
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await make_municipality("bensheim", "Stadt Bensheim")
            raise RuntimeError("fail after the write")
    assert await Municipality.count() == 0


async def test_nested_write_transactions_join_the_outer_one(app: Any) -> None:
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await make_municipality("bensheim", "Stadt Bensheim")
            async with db.write_transaction():
                await make_municipality("butzbach", "Stadt Butzbach")
            raise RuntimeError("the outer transaction fails")
    assert await Municipality.count() == 0


@pytest.mark.sqlite_only
async def test_sqlite_runs_in_wal_mode(app: Any) -> None:
    rows = await db.engine().run_ddl("PRAGMA journal_mode")
    assert rows[0]["journal_mode"] == "wal"


@pytest.mark.postgres_only
async def test_postgres_serves_from_a_connection_pool(app: Any) -> None:
    assert db.engine().pool is not None  # type: ignore[attr-defined]


async def _lose_the_connection() -> None:
    """Inside a transaction: the database drops this connection (a restart does that)."""
    if db.is_sqlite():
        db.engine().current_transaction.get().connection.raw.close()  # type: ignore[union-attr]
        await Municipality.count()  # fails: "Cannot operate on a closed database"
    else:  # the server ends this backend, as a restart ends them all
        await Municipality.raw("SELECT pg_terminate_backend(pg_backend_pid())")


async def test_a_transaction_whose_connection_died_leaves_its_task_working(app: Any) -> None:
    """A long-lived task (the worker) goes on after its connection died mid-transaction."""

    async def worker_round() -> int:
        with pytest.raises((sqlite3.ProgrammingError, asyncpg.PostgresError)):
            async with db.write_transaction():
                await _lose_the_connection()
        assert db.engine().current_transaction.get() is None
        async with db.write_transaction():  # a fresh connection, and this commits
            await make_municipality("bensheim", "Stadt Bensheim")
        return await Municipality.count()

    assert await asyncio.create_task(worker_round()) == 1  # a task of its own, like the worker
    assert await Municipality.count() == 1


async def test_row_locks_refuse_to_run_outside_a_transaction(app: Any) -> None:
    town = await make_municipality("bensheim", "Stadt Bensheim")
    with pytest.raises(db.OutsideTransaction):
        await db.lock_rows(Municipality, town.id)
    async with db.write_transaction():
        await db.lock_rows(Municipality, town.id)
