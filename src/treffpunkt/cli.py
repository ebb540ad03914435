"""`treffpunkt serve | worker | migrate | create-admin | demo`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
from collections.abc import Awaitable, Callable

from treffpunkt.settings import Settings, SettingsError, load_settings


async def _with_database(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    from treffpunkt import db
    from treffpunkt.app import wire

    engine = db.create_engine(settings.resolved_database_url)
    db.use_engine(engine)
    wire()
    await db.open_database(engine, settings.database_pool_size)
    try:
        await work()
    finally:
        await db.close_database(engine)


async def migrate() -> None:
    """Apply every pending migration; raise if one fails."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")


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
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )


async def _worker(settings: Settings) -> None:
    """Until SIGTERM or SIGINT: then the mail in hand is finished, the rest handed back."""
    from treffpunkt.notifications.worker import run_forever

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stop.set)
    await run_forever(settings, stop=stop)


async def _create_admin(args: argparse.Namespace) -> None:
    from treffpunkt.accounts.service import create_account
    from treffpunkt.accounts.tables import Role

    password = args.password or getpass.getpass("Password (12 characters or more): ")
    if len(password) < 12:
        raise SystemExit("treffpunkt: the password needs 12 characters or more")
    await create_account(
        email=args.email, display_name=args.name, password=password, role=Role.admin
    )
    print(f"Admin account {args.email} created.")


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="treffpunkt", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the web app and API")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument(
        "--workers", type=int, default=1, help="processes (PostgreSQL; keep 1 with SQLite)"
    )
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("worker", help="deliver mail and run timed rules (expiring held places)")
    admin = commands.add_parser("create-admin", help="create a platform admin account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", help="prompted for when left out")
    admin.add_argument("--name", default="Platform admin")
    commands.add_parser("demo", help="load demo data into an empty database")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"treffpunkt: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if args.command == "serve":
        _serve(settings, args)
        return
    work: dict[str, Callable[[], Awaitable[None]]] = {
        "migrate": migrate,
        "worker": lambda: _worker(settings),
        "create-admin": lambda: _create_admin(args),
        "demo": lambda: _demo(settings),
    }
    try:
        asyncio.run(_with_database(settings, work[args.command]))
    except Exception as error:
        if not _is_expected(error):
            raise
        print(f"treffpunkt: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def _is_expected(error: Exception) -> bool:
    from treffpunkt.errors import DomainError

    return isinstance(error, DomainError | RuntimeError)


if __name__ == "__main__":
    main()
