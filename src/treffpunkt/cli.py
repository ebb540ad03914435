"""`treffpunkt serve | worker | migrate | create-admin | demo` (`--help` on each)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import io
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import nullcontext, redirect_stdout
from typing import TYPE_CHECKING, NoReturn

from treffpunkt import __version__, logs
from treffpunkt.embedded import only_process, sqlite_file
from treffpunkt.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from treffpunkt.accounts.schemas import AdminCreate


async def _with_database(
    settings: Settings, work: Callable[[], Awaitable[None]], *, schema_current: bool = True
) -> None:
    """Run `work` on the configured database; stops with DatabaseUnreachable when it
    cannot be reached and, unless `schema_current` is False, with SchemaOutdated when
    migrations have not run."""
    from treffpunkt import db
    from treffpunkt.app import wire

    engine = db.engine_for(settings)
    db.use_engine(engine)
    wire()
    await db.open_database(engine, settings.database_pool_size)
    try:
        if schema_current:
            await db.require_current_schema()
        await work()
    finally:
        await db.close_database(engine)


async def _ready() -> None:
    """Nothing: `serve` checks the database in _with_database before it starts serving."""


async def migrate() -> None:
    """Apply every pending migration and say how many; raise if one fails."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from treffpunkt import db

    pending = await db.pending_migrations()
    # Piccolo's own report counts every migration as "already complete", even on an
    # empty database; say what happened instead.
    with redirect_stdout(io.StringIO()):
        result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")
    if pending:
        count = "1 migration" if len(pending) == 1 else f"{len(pending)} migrations"
        print(f"Applied {count}; the database is up to date.")
    else:
        print("The database is up to date; no migration to apply.")


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run(
        "treffpunkt.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG",
        proxy_headers=False,  # the app reads X-Forwarded-For itself (app.py)
        # Longer than clients and proxies keep idle connections: a connection closed by
        # the server just as a client reuses it loses that request without an answer.
        timeout_keep_alive=settings.keep_alive_seconds,
    )


async def _worker(settings: Settings) -> None:
    """Until SIGTERM or SIGINT: then the mail in hand is finished, the rest handed back."""
    from treffpunkt.notifications.worker import run_forever

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stop.set)
    await run_forever(settings, stop=stop)


_ADMIN_OPTIONS = {"email": "--email", "display_name": "--name", "password": "the password"}


def _admin_input(args: argparse.Namespace) -> AdminCreate:
    """The new admin, checked by the API's rules before the database is touched; the
    password is taken as typed (getpass strips nothing but the line's end)."""
    from pydantic import ValidationError

    from treffpunkt.accounts.schemas import MIN_PASSWORD_LENGTH, AdminCreate

    password = args.password
    if password is None:
        password = getpass.getpass(f"Password ({MIN_PASSWORD_LENGTH} characters or more): ")
    try:
        return AdminCreate(email=args.email, display_name=args.name, password=password)
    except ValidationError as error:
        first = error.errors()[0]
        option = _ADMIN_OPTIONS.get(str(first["loc"][0]), str(first["loc"][0]))
        _fail(f"invalid {option}: {first['msg']}")


async def _create_admin(data: AdminCreate) -> None:
    from treffpunkt.accounts.service import create_account
    from treffpunkt.accounts.tables import Role

    await create_account(
        email=data.email, display_name=data.display_name, password=data.password, role=Role.admin
    )
    print(f"Admin account {data.email} created.")


async def _demo(settings: Settings) -> None:
    from treffpunkt import demo

    if await demo.is_loaded():
        print("Demo data is already loaded.")
    else:
        await demo.load_demo(secret_key=settings.resolved_secret_key())
        print("Demo data loaded.")
    print("Demo logins (for trying treffpunkt only):")
    for login in demo.LOGINS:
        where = f" ({login.municipality})" if login.municipality else ""
        print(f"  {login.role}{where}: {login.email} / {login.password}")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Options show their defaults, except those that have none."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or action.default is False:
            return action.help or ""
        return super()._get_help_string(action) or ""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="treffpunkt",
        description="Events, registrations, calendar feeds and mail for municipal"
        " integration work. Settings come from TREFFPUNKT_* environment variables"
        " (README.md, Configuration).",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"treffpunkt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=summary, description=description, formatter_class=_HelpFormatter
        )

    serve = command(
        "serve",
        "serve the web app and API",
        "Serve the web pages, the JSON API (described at /schema) and the calendar feeds."
        " Unless TREFFPUNKT_WORKER_IN_PROCESS=false, the process delivers mail itself."
        " Stops at once if the database cannot be reached or `treffpunkt migrate` has"
        " migrations left to apply.",
    )
    serve.add_argument(
        "--host",
        default=os.environ.get("HOST", "127.0.0.1"),
        help="address to listen on; $HOST, if set, replaces the default",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8000")),
        help="port; $PORT, if set, replaces the default",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes; more than one needs PostgreSQL",
    )
    command(
        "worker",
        "deliver mail and run timed rules",
        "Deliver the mail outbox and run the timed rules (expiring unconfirmed places,"
        " reminders) until stopped (SIGTERM or Ctrl-C); for when"
        " TREFFPUNKT_WORKER_IN_PROCESS=false. Stops at once if the database cannot be"
        " reached or `treffpunkt migrate` has migrations left to apply.",
    )
    command(
        "migrate",
        "apply pending database migrations",
        "Apply every migration from the repository's migrations/ folder that has not run"
        " on the configured database yet; safe to run on every start.",
    )
    admin = command(
        "create-admin",
        "create a platform admin account",
        "Create a platform admin, who creates municipalities and guide accounts.",
    )
    admin.add_argument("--email", required=True, help="the admin's login")
    admin.add_argument(
        "--password", help="12 characters or more, taken as typed; asked for when left out"
    )
    admin.add_argument("--name", default="Platform admin", help="the name shown for the account")
    command(
        "demo",
        "load demo data into an empty database",
        "Load three demo municipalities with guides, events and registrations into an"
        " empty database (never in production); its logins are printed. Demo mail stays"
        " in the local maildir.",
    )
    return parser


def _fail(message: str) -> NoReturn:
    print(f"treffpunkt: {message}", file=sys.stderr)
    raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logs.install()  # no token or email address in any log line, whichever command runs
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"treffpunkt: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    database = settings.resolved_database_url
    if args.command == "demo" and settings.environment == "production":
        _fail(
            "demo data (with its published passwords) is never loaded in production"
            " (TREFFPUNKT_ENVIRONMENT=production)"
        )
    if args.command == "serve" and args.workers > 1 and sqlite_file(database):
        _fail(
            "the embedded SQLite database is for one process: --workers needs PostgreSQL"
            " (TREFFPUNKT_DATABASE_URL)"
        )
    admin = _admin_input(args) if args.command == "create-admin" else None
    # create-admin may run beside a serving process; the others hold the embedded database.
    hold = nullcontext() if args.command == "create-admin" else only_process(database)
    try:
        with hold:
            if args.command == "serve":
                # Here, so that an unreachable or outdated database is one clear line
                # rather than a traceback from inside the server.
                asyncio.run(_with_database(settings, _ready))
                _serve(settings, args)
                return
            work: dict[str, Callable[[], Awaitable[None]]] = {
                "migrate": migrate,
                "worker": lambda: _worker(settings),
                "create-admin": lambda: _create_admin(admin),  # type: ignore[arg-type]
                "demo": lambda: _demo(settings),
            }
            asyncio.run(
                _with_database(
                    settings, work[args.command], schema_current=args.command != "migrate"
                )
            )
    except Exception as error:
        if not _is_expected(error):
            raise
        _fail(str(error))


def _is_expected(error: Exception) -> bool:
    from treffpunkt.errors import DomainError

    return isinstance(error, DomainError | RuntimeError)


if __name__ == "__main__":
    main()
