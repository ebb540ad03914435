"""The database engine chosen from the URL, and the write-transaction helper.

One engine per process: `use_engine` binds it to every table of the app and to
piccolo_conf, so queries, migrations and the Piccolo CLI all see the same database.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.query.mixins import LockStrength
from piccolo.table import Table

if TYPE_CHECKING:
    from treffpunkt.settings import Settings

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_S = 30
INLINE_BUSY_TIMEOUT_S = 5
PING_TIMEOUT_S = 3
# asyncpg waits 60 s for a host that does not answer; a start-up or a request waits less.
CONNECT_TIMEOUT_S = 10


class DatabaseUnreachable(RuntimeError):
    """The database did not let us in; the message says where we tried and what failed."""


class SchemaOutdated(RuntimeError):
    """Migrations have not run: the code expects tables the database does not have yet."""


class OutsideTransaction(RuntimeError):
    """Work that must share its cause's transaction was started with none open."""


def require_transaction(what: str) -> None:
    if engine().current_transaction.get() is None:
        raise OutsideTransaction(f"{what} needs the transaction of its cause")


# Piccolo's transactions (1.38) neither hand their connection back nor forget that they
# are the current transaction when BEGIN, COMMIT or ROLLBACK fails, as all of them do
# while the database restarts. The task that ran one then joins that dead transaction
# with every later query: a long-lived task such as the worker fails for good
# ("connection has been released back to the pool") while each request, a task of its
# own, recovers. The two classes below end both in every case.


class _SQLiteTransaction(SQLiteTransaction):
    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:
            await self.connection.close()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            await _end(self, exception)
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.connection.close()  # one left inside a transaction is closed, not kept
        return exception is None


class _PostgresTransaction(PostgresTransaction):
    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.begin()
        except BaseException:
            await self._hand_back()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            await _end(self, exception)
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._hand_back()
        return exception is None

    async def _hand_back(self) -> None:
        try:
            if self.engine.pool:
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()
        except Exception:  # a broken connection: drop it, the pool makes a new one
            with suppress(Exception):
                self.connection.terminate()


async def _end(transaction: SQLiteTransaction | PostgresTransaction, exception: Any) -> None:
    """Commit, or roll back after an error; a failed rollback does not hide that error."""
    if exception is None:
        if not transaction._committed and not transaction._rolled_back:
            await transaction.commit()
    elif not transaction._rolled_back:
        try:
            await transaction.rollback()
        except Exception as error:  # the connection is gone, and the transaction with it
            log.debug("rollback failed after %r: %r", exception, error)


class TreffpunktPostgresEngine(PostgresEngine):
    async def check_version(self) -> None:
        """Nothing. Piccolo connects when an engine is made, only to log the server's
        version, and warns (several lines) when it cannot; open_database says it once."""

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _PostgresTransaction(engine=self, allow_nested=allow_nested)


# Writers of this process take turns here, first come first served (see write_transaction).
_sqlite_writer = asyncio.Lock()


class TreffpunktSQLiteEngine(SQLiteEngine):
    """Embedded SQLite, run inline on the event loop.

    Piccolo reaches SQLite through aiosqlite, which runs every statement in a worker
    thread; each hop back waits its turn in the event loop, and under load those
    waits cost far more than the statements (microseconds on a local file). So
    statements run inline on kept connections instead. Nothing waits long inline:
    writers of this process queue on `_sqlite_writer` before they start, and WAL
    readers never wait for the writer. Another process writing at the same moment
    (a CLI command) is waited for up to INLINE_BUSY_TIMEOUT_S; SQLite deployments
    serve from one process.
    """

    POOL_SIZE = 16

    async def check_version(self) -> None:
        """Nothing: Piccolo would log SQLite's version (wrongly, as "3.4") for every
        engine made."""

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._idle: list[sqlite3.Connection] = []

    def _open(self) -> sqlite3.Connection:
        kwargs = {**self.connection_kwargs, "timeout": INLINE_BUSY_TIMEOUT_S}
        connection = sqlite3.connect(**kwargs)
        connection.row_factory = dict_factory
        connection.execute("PRAGMA foreign_keys = 1")
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def _acquire(self) -> sqlite3.Connection:
        return self._idle.pop() if self._idle else self._open()

    def _release(self, connection: sqlite3.Connection) -> None:
        # A connection left inside a transaction (a failed COMMIT) is not reused.
        if connection.in_transaction or len(self._idle) >= self.POOL_SIZE:
            connection.close()
        else:
            self._idle.append(connection)

    async def get_connection(self) -> Any:
        """For transactions: Piccolo closes it at the end, which hands it back."""
        return _InlineConnection(self._acquire(), self)

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if _is_read(query):
            return self._fetch(query, args)
        async with _sqlite_writer:  # a write outside a transaction queues like any other
            return self._fetch(query, args)

    def _fetch(self, query: str, args: list[Any] | None) -> Any:
        connection = self._acquire()
        try:
            return connection.execute(query, args or []).fetchall()
        finally:
            self._release(connection)

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        return connection.raw.execute(query, args or []).fetchall()

    async def close_pool(self) -> None:
        while self._idle:
            self._idle.pop().close()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _SQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )


def _is_read(query: str) -> bool:
    return query.lstrip()[:6].upper() in ("SELECT", "PRAGMA")


class _InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int) -> list[Any]:
        return self._cursor.fetchmany(size)

    async def close(self) -> None:
        self._cursor.close()

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid


class _InlineResult:
    """What aiosqlite's execute() returns: awaitable, and an async context manager."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = _InlineCursor(cursor)

    def __await__(self) -> Any:
        async def ready() -> _InlineCursor:
            return self._cursor

        return ready().__await__()

    async def __aenter__(self) -> _InlineCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


class _InlineConnection:
    """The part of aiosqlite's Connection that Piccolo's transactions use, inline."""

    def __init__(self, connection: sqlite3.Connection, engine: TreffpunktSQLiteEngine) -> None:
        self.raw = connection
        self._engine = engine

    def execute(self, query: str, args: Any = ()) -> _InlineResult:
        return _InlineResult(self.raw.execute(query, args))

    async def commit(self) -> None:
        self.raw.commit()

    async def close(self) -> None:
        self._engine._release(self.raw)

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction


def create_engine(url: str, password: str | None = None) -> Engine:
    """The engine for a database URL; `password` is PostgreSQL's, when the URL has none."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return TreffpunktSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    if urlsplit(url).scheme in ("postgresql", "postgres"):
        config: dict[str, Any] = {"dsn": url, "timeout": CONNECT_TIMEOUT_S}
        if password is not None:
            config["password"] = password
        return TreffpunktPostgresEngine(config=config, extensions=())
    raise ValueError(f"unsupported database URL scheme: {url.split(':', 1)[0]}")


def engine_for(settings: Settings) -> Engine:
    """The engine the settings name: the one way the app and its commands make one."""
    return create_engine(
        settings.resolved_database_url, password=settings.resolved_database_password()
    )


_engine: Engine | None = None


def use_engine(engine: Engine) -> None:
    """Make `engine` the one every table and migration uses."""
    global _engine
    from piccolo.apps.migrations.tables import Migration

    from treffpunkt import piccolo_conf
    from treffpunkt.piccolo_app import APP_CONFIG

    _engine = engine
    piccolo_conf.DB = engine
    tables: list[type[Table]] = [*APP_CONFIG.table_classes, Migration]
    for table in tables:
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
    """Prepare the engine for serving: WAL on SQLite, a connection pool on PostgreSQL.
    Raises DatabaseUnreachable, naming the database and the reason, when that fails."""
    import asyncpg

    try:
        if isinstance(db, SQLiteEngine):
            connection = await db.get_connection()
            try:
                await connection.execute("PRAGMA journal_mode = WAL")
            finally:
                await connection.close()
        elif isinstance(db, PostgresEngine):
            await db.start_connection_pool(min_size=1, max_size=pool_size)
    except (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise DatabaseUnreachable(
            f"cannot reach the database ({describe(db)}): {_reason(error)}"
        ) from error


def describe(db: Engine) -> str:
    """Where the engine's database is, without its password."""
    if isinstance(db, SQLiteEngine):
        return f"SQLite file {db.connection_kwargs.get('database')}"
    parts = urlsplit(getattr(db, "config", {}).get("dsn", ""))
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"PostgreSQL {user}{parts.hostname or ''}{port}{parts.path}"


def _reason(error: BaseException) -> str:
    import socket

    if isinstance(error, socket.gaierror):
        return "the host name is unknown"
    if isinstance(error, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT_S} s"
    if isinstance(error, ConnectionRefusedError) or "Connect call failed" in str(error):
        return "connection refused: is the database server running and listening there?"
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


async def pending_migrations() -> list[str]:
    """The migrations in migrations/ that have not run on this database, oldest first."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.tables import Migration

    from treffpunkt.piccolo_app import APP_CONFIG

    manager = BaseMigrationManager()
    modules = manager.get_migration_modules(APP_CONFIG.resolved_migrations_folder_path)
    known = manager.get_migration_ids(modules)
    if not await Migration.table_exists():
        return known
    rows = await Migration.select(Migration.name).where(Migration.app_name == APP_CONFIG.app_name)
    ran = {row["name"] for row in rows}
    return [name for name in known if name not in ran]


async def require_current_schema() -> None:
    """Refuse to work on a database whose migrations have not all run."""
    pending = await pending_migrations()
    if pending:
        count = "1 migration has" if len(pending) == 1 else f"{len(pending)} migrations have"
        raise SchemaOutdated(
            f"the database is not up to date ({count} not run yet): run `treffpunkt migrate` first"
        )


async def close_database(db: Engine) -> None:
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()
    elif isinstance(db, TreffpunktSQLiteEngine):
        await db.close_pool()


async def ping() -> None:
    """Raise if the database does not answer a trivial query within a few seconds."""
    async with asyncio.timeout(PING_TIMEOUT_S):
        await engine().run_ddl("SELECT 1")


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


async def lock_rows(table: type[Table], *row_ids: int) -> None:
    """Hold these rows' write locks until the current transaction ends.

    Only inside a transaction: outside one the lock would end with the statement.
    SQLite's write transactions are exclusive already (write_transaction); PostgreSQL
    locks just these rows, in id order, so that two lockers cannot deadlock. The lock
    is NO KEY UPDATE, what an UPDATE takes: it keeps out other writers, but not rows
    that only reference these (a registration naming its event), which would otherwise
    wait for the lock and deadlock with its holder.
    """
    require_transaction("a row lock")
    if is_sqlite():
        return
    key = table._meta.primary_key
    if len(row_ids) == 1:  # the registration hot path: one target row
        query = table.select(key).where(key == row_ids[0])
    else:
        query = table.select(key).where(key.is_in(sorted(set(row_ids)))).order_by(key)
    await query.lock_rows(LockStrength.no_key_update)


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
