"""Registrations per second on one hot session, over HTTP against a served app.

    .venv/bin/python bench/registrations.py --db both --requests 4000 --concurrency 64

Starts `treffpunkt serve` on a fresh database (a temporary SQLite file, or a new
PostgreSQL database that is dropped afterwards), creates one published drop-in
session, and fires registrations with distinct emails from a lean raw-socket
client (so that the load generator costs little of the machine's two cores).
Prints throughput and latency, and checks the result: every request answered
201, places + queue add up, nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable
POSTGRES = os.environ.get(
    "TREFFPUNKT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SETUP = """
import asyncio, json, sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
from treffpunkt import db
from treffpunkt.cli import migrate
from treffpunkt.events.schemas import EventCreate
from treffpunkt.events.service import create_event, publish_event
from treffpunkt.events.tables import Session
from treffpunkt.municipalities.schemas import MunicipalityCreate
from treffpunkt.municipalities.service import create_municipality
from treffpunkt.settings import load_settings

async def main():
    settings = load_settings()
    engine = db.create_engine(settings.resolved_database_url)
    db.use_engine(engine)
    await migrate()
    town = await create_municipality(MunicipalityCreate(slug="bench", name="Benchstadt",
        contact_email="a@bench.example", sender_name="Bench", sender_email="a@bench.example"))
    start = datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=7)
    event = await create_event(town.id, EventCreate.model_validate({
        "kind": "dialogue", "texts": {"de": {"title": "Heiße Sitzung"}},
        "registration_mode": "per_session", "capacity": int(sys.argv[1]),
        "sessions": [{"starts_at": start.isoformat(),
                      "ends_at": (start + timedelta(hours=2)).isoformat()}]}))
    await publish_event(town.id, event.id)
    [session] = await Session.select(Session.id).where(Session.event == event.id)
    print(json.dumps({"session": session["id"]}))
    await db.close_database(engine)

asyncio.run(main())
"""

COUNT = """
import asyncio, json
from treffpunkt import db
from treffpunkt.events.tables import Session
from treffpunkt.registrations.tables import Registration
from treffpunkt.outbox import OutboxMessage
from treffpunkt.settings import load_settings

async def main():
    engine = db.create_engine(load_settings().resolved_database_url)
    db.use_engine(engine)
    [row] = await Session.select(Session.seats_taken, Session.waiting)
    print(json.dumps({**row, "registrations": await Registration.count(),
                      "mails": await OutboxMessage.count()}))
    await db.close_database(engine)

asyncio.run(main())
"""


async def one_connection(
    port: int, path: str, prefix: str, numbers: asyncio.Queue[int], results: list
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            try:
                i = numbers.get_nowait()
            except asyncio.QueueEmpty:
                return
            body = json.dumps(
                {"name": f"Person {i}", "email": f"{prefix}{i}@bench.example", "consent": True}
            ).encode()
            request = (
                f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            results.append((int(status_line.split()[1]), time.perf_counter() - started))
    finally:
        writer.close()
        with suppress(Exception):
            await writer.wait_closed()


async def load(
    port: int, session: int, requests: int, concurrency: int, prefix: str
) -> tuple[float, list]:
    numbers: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        numbers.put_nowait(i)
    results: list = []
    started = time.perf_counter()
    path = f"/api/v1/sessions/{session}/registrations"
    await asyncio.gather(
        *(one_connection(port, path, prefix, numbers, results) for _ in range(concurrency))
    )
    return time.perf_counter() - started, results


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by process `root` and its descendants: what
    the server spent, which another load on the machine changes far less than the rate."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rpartition(")")[2].split()
            pid = int(stat.parent.name)
            parents[pid] = int(fields[1])
            times[pid] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {root}, [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree.update(children)
        frontier = children
    return sum(times.get(pid, 0.0) for pid in tree)


def run(engine: str, requests: int, concurrency: int, workers: int, capacity: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="treffpunkt-bench-"))
    env = {
        **os.environ,
        "TREFFPUNKT_DATA_DIR": str(data_dir),
        "TREFFPUNKT_SECRET_KEY": secrets.token_urlsafe(32),
        "TREFFPUNKT_REGISTRATIONS_PER_CLIENT": "10000000/minute",
        "TREFFPUNKT_WORKER_IN_PROCESS": "false",  # measure registering, not mail delivery
        "TREFFPUNKT_LOG_LEVEL": "WARNING",
        "PICCOLO_CONF": "treffpunkt.piccolo_conf",
    }
    database = None
    if engine == "postgres":
        database = f"treffpunkt_bench_{secrets.token_hex(4)}"
        subprocess.run(["psql", POSTGRES, "-qc", f'CREATE DATABASE "{database}"'], check=True)
        env["TREFFPUNKT_DATABASE_URL"] = POSTGRES.rsplit("/", 1)[0] + f"/{database}"
        env["TREFFPUNKT_DATABASE_POOL_SIZE"] = str(max(10, concurrency // workers))
    setup = subprocess.run(
        [PYTHON, "-c", SETUP, str(capacity)], env=env, capture_output=True, text=True, check=True
    )
    session = json.loads(setup.stdout.strip().splitlines()[-1])["session"]
    port = free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "treffpunkt.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
    )
    try:
        for _ in range(200):
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        time.sleep(1.0)  # let every worker process finish starting
        asyncio.run(load(port, session, 200, concurrency, "warm"))  # warm-up registrations
        cpu_before = cpu_seconds(server.pid)
        seconds, results = asyncio.run(load(port, session, requests, concurrency, "p"))
        server_cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait()
    counts = json.loads(
        subprocess.run(
            [PYTHON, "-c", COUNT], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    if database:
        subprocess.run(
            ["psql", POSTGRES, "-qc", f'DROP DATABASE "{database}" WITH (FORCE)'], check=True
        )
    statuses = {status for status, _ in results}
    latencies = sorted(latency for _, latency in results)
    total = requests + 200
    assert statuses == {201}, f"unexpected answers: {statuses}"
    assert counts["registrations"] == total, counts
    assert counts["seats_taken"] + counts["waiting"] == total, counts
    assert counts["seats_taken"] == min(total, capacity), counts
    assert counts["mails"] == total, counts
    return {
        "engine": engine,
        "workers": workers,
        "concurrency": concurrency,
        "requests": requests,
        "per_second": round(requests / seconds),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
        "server_cpu_ms_per_request": round(server_cpu / requests * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL)")
    parser.add_argument("--capacity", type=int, default=1000, help="seats; the rest queue")
    args = parser.parse_args()
    engines = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for engine in engines:
        workers = 1 if engine == "sqlite" else args.workers
        print(json.dumps(run(engine, args.requests, args.concurrency, workers, args.capacity)))


if __name__ == "__main__":
    main()
