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

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

SQLITE_BUSY_TIMEOUT_S = 30
PING_TIMEOUT_S = 3


class TreffpunktSQLiteEngine(SQLiteEngine):
    """SQLite with reused connections and the settings a concurrent web app needs.

    Piccolo opens a new aiosqlite connection (and thread) for every query outside a
    transaction and repeats `PRAGMA foreign_keys` before every query inside one;
    under load that costs more than the queries. Here connections are kept and
    reused, with their pragmas set once. WAL lets readers run beside the one
    writer, and synchronous=NORMAL is safe under WAL.
    """

    POOL_SIZE = 16

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._idle: list[Any] = []

    async def _open(self) -> Any:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # Idle pooled connections must not keep a finished process alive (aiosqlite's
        # worker thread is not a daemon); an idle WAL connection holds nothing unwritten.
        thread = getattr(connection, "_thread", None)
        if thread is not None:
            thread.daemon = True
        connection = await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def _acquire(self) -> Any:
        return self._idle.pop() if self._idle else await self._open()

    async def _release(self, connection: Any) -> None:
        # A connection left inside a transaction (a failed COMMIT) is not reused.
        if connection.in_transaction or len(self._idle) >= self.POOL_SIZE:
            await connection.close()
        else:
            self._idle.append(connection)

    async def get_connection(self) -> Any:
        """For transactions: Piccolo closes it at the end, which hands it back."""
        return _PooledConnection(await self._acquire(), self)

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        connection = await self._acquire()
        try:
            async with connection.execute(query, args or []) as cursor:
                return await cursor.fetchall()
        finally:
            await self._release(connection)

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    async def close_pool(self) -> None:
        while self._idle:
            await self._idle.pop().close()


class _PooledConnection:
    """An aiosqlite connection whose close() returns it to the engine's pool."""

    def __init__(self, connection: Any, engine: TreffpunktSQLiteEngine) -> None:
        self._connection = connection
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    async def close(self) -> None:
        await self._engine._release(self._connection)


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
    elif isinstance(db, TreffpunktSQLiteEngine):
        await db.close_pool()


async def ping() -> None:
    """Raise if the database does not answer a trivial query within a few seconds."""
    async with asyncio.timeout(PING_TIMEOUT_S):
        await engine().run_ddl("SELECT 1")


_sqlite_writer = asyncio.Lock()


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for work that writes.

    SQLite takes the write lock at BEGIN (IMMEDIATE), so a read that later turns
    into a write cannot fail with "database is locked". SQLite has one writer at a
    time anyway: writers of this process queue here, first come first served,
    instead of in SQLite's busy handler, which sleeps in growing steps and so
    turns contention into seconds of latency. PostgreSQL needs nothing special.
    Nested use joins the outer transaction.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        if db.current_transaction.get() is not None:
            async with db.transaction(transaction_type=TransactionType.immediate):
                yield
            return
        async with _sqlite_writer, db.transaction(transaction_type=TransactionType.immediate):
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
