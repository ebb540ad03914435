"""The suite runs once per database: `pytest --db=sqlite` and `pytest --db=postgres`.

Each run makes its own database (a temporary SQLite file, or a fresh PostgreSQL
database that is dropped afterwards), sets TREFFPUNKT_* before treffpunkt is
imported, migrates once, and empties every table before each test.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="database engine for this run (make test runs both)",
    )


def _postgres_admin_url() -> str:
    return os.environ.get("TREFFPUNKT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _postgres_execute(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def pytest_configure(config: pytest.Config) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="treffpunkt-test-"))
    config.stash[_DATA_DIR] = data_dir
    os.environ["TREFFPUNKT_DATA_DIR"] = str(data_dir)
    os.environ["TREFFPUNKT_SECRET_KEY"] = secrets.token_urlsafe(32)
    os.environ["TREFFPUNKT_BASE_URL"] = "http://testserver"
    os.environ["TREFFPUNKT_WORKER_IN_PROCESS"] = "false"  # tests run the worker themselves
    if config.getoption("--db") == "sqlite":
        os.environ["TREFFPUNKT_DATABASE_URL"] = f"sqlite:///{data_dir / 'test.sqlite'}"
        return
    admin_url = _postgres_admin_url()
    name = f"treffpunkt_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        asyncio.run(_postgres_execute(admin_url, f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError, Exception) as error:
        where = urlsplit(admin_url).netloc.rpartition("@")[2]
        message = f"PostgreSQL is not reachable at {where} ({type(error).__name__}: {error})"
        if os.environ.get("CI") == "true":
            pytest.exit(f"{message}; CI needs it.", returncode=1)
        pytest.exit(f"{message}; the PostgreSQL run is skipped.", returncode=0)
    config.stash[_PG_DATABASE] = name
    os.environ["TREFFPUNKT_DATABASE_URL"] = _with_database(admin_url, name)


def pytest_unconfigure(config: pytest.Config) -> None:
    name = config.stash.get(_PG_DATABASE, None)
    if name:
        asyncio.run(
            _postgres_execute(
                _postgres_admin_url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            )
        )
    data_dir = config.stash.get(_DATA_DIR, None)
    if data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("TREFFPUNKT_DATABASE_URL", "")
    return f"treffpunkt database: {config.getoption('--db')} ({url.rpartition('@')[2]})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    engine = config.getoption("--db")
    for item in items:
        if engine == "postgres" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="SQLite-only behaviour"))
        if engine == "sqlite" and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="PostgreSQL-only behaviour"))


_DATA_DIR = pytest.StashKey[Path]()
_PG_DATABASE = pytest.StashKey[str]()


# --- the app, the database, a client ------------------------------------------------


@pytest.fixture(scope="session")
def settings() -> Any:
    from treffpunkt.settings import load_settings

    return load_settings()


@pytest.fixture(scope="session")
async def app(settings: Any) -> AsyncIterator[Any]:
    from asgi_lifespan import LifespanManager

    from treffpunkt.app import create_app
    from treffpunkt.cli import migrate

    app = create_app(settings)
    await migrate()
    async with LifespanManager(app):
        yield app


# The windows of the rate limits in settings.py and the tests (seconds); limits counts in
# windows aligned to multiples of them.
_LIMIT_WINDOWS = (60, 15 * 60, 24 * 60 * 60)


@pytest.fixture(autouse=True)
async def _clear_of_a_window_edge(request: pytest.FixtureRequest) -> None:
    """Rate limits count in a sliding window that weighs the previous window's hits by
    how much of it still overlaps: exact within a window, approximate across an edge. A
    test that counts to a limit within a few seconds starts where no edge is near."""
    if request.node.get_closest_marker("counts_to_a_limit") is None:
        return
    margin = 15.0
    wait = max(
        (
            window - time.time() % window + 0.1
            for window in _LIMIT_WINDOWS
            if window - time.time() % window < margin
        ),
        default=0.0,
    )
    await asyncio.sleep(wait)


@pytest.fixture(autouse=True)
async def _clean_database(request: pytest.FixtureRequest) -> None:
    """Every test starts from empty tables and fresh rate-limit counters."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from treffpunkt import db
    from treffpunkt.piccolo_app import APP_CONFIG

    names = [table._meta.tablename for table in APP_CONFIG.table_classes]
    if db.is_sqlite():
        async with db.write_transaction():
            for name in reversed(names):
                await db.engine().run_ddl(f'DELETE FROM "{name}"')
    else:
        quoted = ", ".join(f'"{name}"' for name in names)
        await db.engine().run_ddl(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    await app.state.throttle.reset()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[Any]:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


# --- a real SMTP server on loopback ------------------------------------------------------


@pytest.fixture
def smtp(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The test SMTP server; parametrised indirectly with True, one that offers SMTPUTF8."""
    from tests.smtp import SMTPServer

    server = SMTPServer(smtputf8=getattr(request, "param", False))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings: Any, smtp: Any) -> Any:
    """The app's settings, sending through the test SMTP server."""
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_tls": "none"}
    )


# --- people and places, made through the services -------------------------------------


@pytest.fixture
async def bensheim(app: Any) -> Any:
    from tests.factories import make_municipality

    return await make_municipality("bensheim", "Stadt Bensheim")


@pytest.fixture
async def butzbach(app: Any) -> Any:
    from tests.factories import make_municipality

    return await make_municipality("butzbach", "Stadt Butzbach")


@pytest.fixture
async def admin_headers(client: Any) -> dict[str, str]:
    from tests.factories import login_headers, make_admin

    await make_admin("admin@platform.example")
    return await login_headers(client, "admin@platform.example")


@pytest.fixture
async def bensheim_guide(bensheim: Any) -> dict[str, Any]:
    from tests.factories import make_guide

    return await make_guide(bensheim, "guide@bensheim.example")


@pytest.fixture
async def butzbach_guide(butzbach: Any) -> dict[str, Any]:
    from tests.factories import make_guide

    return await make_guide(butzbach, "guide@butzbach.example")


@pytest.fixture
async def bensheim_headers(client: Any, bensheim_guide: dict[str, Any]) -> dict[str, str]:
    from tests.factories import login_headers

    return await login_headers(client, bensheim_guide["email"])


@pytest.fixture
async def butzbach_headers(client: Any, butzbach_guide: dict[str, Any]) -> dict[str, str]:
    from tests.factories import login_headers

    return await login_headers(client, butzbach_guide["email"])


@pytest.fixture
async def towns(bensheim: Any, butzbach: Any, bensheim_guide: Any, butzbach_guide: Any) -> Any:
    """Fresh objects of Bensheim (own) and Butzbach (foreign), see tests/test_tenancy.py."""
    from tests.test_tenancy import make_towns

    return await make_towns(bensheim, butzbach, bensheim_guide)
