"""The database engine chosen from the URL, and the write-transaction helper.

One engine per process: `use_engine` binds it to every table of the app and to
piccolo_conf, so queries, migrations and the Piccolo CLI all see the same database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

SQLITE_BUSY_TIMEOUT_S = 30
PING_TIMEOUT_S = 3


class TreffpunktSQLiteEngine(SQLiteEngine):
    """SQLite with the per-connection settings a concurrent web app needs.

    Piccolo opens a connection per query outside transactions; WAL lets readers
    run beside the one writer, and synchronous=NORMAL is safe under WAL.
    """

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection


def create_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return TreffpunktSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    if urlsplit(url).scheme in ("postgresql", "postgres"):
        return PostgresEngine(config={"dsn": url}, extensions=())
    raise ValueError(f"unsupported database URL scheme: {url.split(':', 1)[0]}")


_engine: Engine | None = None


def use_engine(engine: Engine) -> None:
    """Make `engine` the one every table and migration uses."""
    global _engine
    from treffpunkt import piccolo_conf
    from treffpunkt.piccolo_app import APP_CONFIG

    _engine = engine
    piccolo_conf.DB = engine
    for table in APP_CONFIG.table_classes:
        table._meta.db = engine


def engine() -> Engine:
    if _engine is None:
        from treffpunkt import piccolo_conf

        use_engine(piccolo_conf.DB)
    assert _engine is not None
    return _engine


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


async def open_database(db: Engine, pool_size: int = 10) -> None:
    """Prepare the engine for serving: WAL on SQLite, a connection pool on PostgreSQL."""
    if isinstance(db, SQLiteEngine):
        connection = await db.get_connection()
        try:
            await connection.execute("PRAGMA journal_mode = WAL")
        finally:
            await connection.close()
    elif isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=pool_size)


async def close_database(db: Engine) -> None:
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


async def ping() -> None:
    """Raise if the database does not answer a trivial query within a few seconds."""
    async with asyncio.timeout(PING_TIMEOUT_S):
        await engine().run_ddl("SELECT 1")


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for work that writes.

    SQLite takes the write lock at BEGIN (IMMEDIATE), so a read that later turns
    into a write cannot fail with "database is locked"; PostgreSQL needs nothing
    special. Nested use joins the outer transaction.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        async with db.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with db.transaction():
            yield


def is_unique_violation(error: BaseException) -> bool:
    """True for a unique-constraint error of either engine's driver."""
    import sqlite3

    import asyncpg

    if isinstance(error, asyncpg.UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


def array_contains(column: Any, value: str) -> Any:
    """Where-clause: the Array column holds `value` as a whole element.

    Piccolo's `any()` is a bare substring LIKE on SQLite ("ar" would match "farsi");
    SQLite stores arrays as JSON text, so match the quoted element instead.
    Callers pass values restricted to [a-z0-9-], so no LIKE wildcard can slip in.
    """
    if is_sqlite():
        return column.like(f'%"{value}"%')
    return column.any(value)
