"""The embedded SQLite database is for one process.

treffpunkt orders the writers of its process on one lock and runs SQLite statements
on the event loop; a second process on the same file would make each wait for the
other's writes with the whole loop blocked, and two mail workers could send a mail
twice. So `serve`, `worker`, `migrate` and `demo` hold an exclusive lock on a file
beside the database while they run, and a second one stops with a clear message.
`create-admin` takes no lock: one short write may run beside a serving process.
PostgreSQL has no such limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class DatabaseInUse(RuntimeError):
    """Another treffpunkt process holds the embedded database."""


def sqlite_file(database_url: str) -> Path | None:
    """The database file of an embedded SQLite URL; None for PostgreSQL."""
    if not database_url.startswith("sqlite:///"):
        return None
    return Path(database_url.removeprefix("sqlite:///"))


@contextmanager
def only_process(database_url: str) -> Iterator[None]:
    """Hold the embedded database for this process while the block runs."""
    database = sqlite_file(database_url)
    if database is None:
        yield
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(database.with_name(database.name + ".lock"), blocking=False)
    try:
        lock.acquire()
    except Timeout:
        raise DatabaseInUse(
            f"another treffpunkt process (serve, worker, migrate or demo) is using {database};"
            " the embedded SQLite database is for one process: stop that one first, or use"
            " PostgreSQL (TREFFPUNKT_DATABASE_URL) for several"
        ) from None
    try:
        yield
    finally:
        lock.release()
