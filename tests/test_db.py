"""The write-transaction helper on both engines."""

from __future__ import annotations

from typing import Any

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
