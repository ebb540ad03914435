"""A town's page (`/m/{slug}/`) with 10,000 upcoming sessions: server time and bytes.

    .venv/bin/python bench/pages.py [--db sqlite|postgres] [--requests 200]

Creates 40 twice-weekly series of 200 sessions (8,000; trainings and dialogue rounds, half of
them with registration) and 400 one-off events of 5 sessions (2,000 more), all upcoming,
then asks the app in-process (httpx over ASGI, so the time is the server's alone):
- the first page, unfiltered and filtered (kind, spoken language, audience), a later
  page (by its cursor) and an earlier one (back from there);
- p50 and p95 per request; the budget is p95 <= 50 ms for the first page;
- the bytes a browser transfers for each page with gzip: the HTML plus its stylesheets
  (Pico, ours, the town's colour) on a first visit; the budget is <= 100 kB.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import secrets
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta

POSTGRES = os.environ.get(
    "TREFFPUNKT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SERVER_BUDGET_MS = 50
BYTES_BUDGET = 100 * 1000


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def main(engine_name: str, requests: int) -> None:
    data_dir = tempfile.mkdtemp(prefix="treffpunkt-pages-")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    os.environ.update(
        TREFFPUNKT_DATA_DIR=data_dir,
        TREFFPUNKT_SECRET_KEY=secrets.token_urlsafe(32),
        TREFFPUNKT_WORKER_IN_PROCESS="false",
        TREFFPUNKT_LOG_LEVEL="WARNING",
        TREFFPUNKT_BASE_URL="https://treffpunkt.example",
    )

    import httpx
    from asgi_lifespan import LifespanManager

    from treffpunkt.app import create_app
    from treffpunkt.cli import migrate
    from treffpunkt.events.schemas import EventCreate
    from treffpunkt.events.service import create_event, publish_event
    from treffpunkt.events.tables import Session
    from treffpunkt.municipalities.schemas import MunicipalityCreate
    from treffpunkt.municipalities.service import create_municipality
    from treffpunkt.settings import load_settings

    app = create_app(load_settings())
    await migrate()
    try:
        async with LifespanManager(app):
            town = await create_municipality(
                MunicipalityCreate(
                    slug="grossstadt",
                    name="Großstadt",
                    contact_email="a@grossstadt.example",
                    sender_name="Integration",
                    sender_email="a@grossstadt.example",
                )
            )
            started = time.perf_counter()
            tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
            for i in range(40):
                training = i % 4 == 0
                data = EventCreate.model_validate(
                    {
                        "kind": "training" if training else "dialogue",
                        "audience": "volunteers" if training else "public",
                        "texts": {
                            "de": {"title": f"Dialogrunde {i}", "summary": "Austausch"},
                            "ar": {"title": f"جلسة حوار {i}"},
                        },
                        "languages": ["de", "ar", "uk"] if i % 2 else ["de", "fa"],
                        "interpretation": bool(i % 3),
                        "registration_mode": "per_session" if i % 2 else "none",
                        "capacity": 20 if i % 2 else None,
                        "series": {
                            "rule": "FREQ=WEEKLY;BYDAY=MO,TH"
                            if i % 2
                            else "FREQ=WEEKLY;BYDAY=TU,FR",
                            "start_date": (tomorrow + timedelta(days=i % 7)).isoformat(),
                            "start_time": f"{9 + i % 10:02d}:00",
                            "end_time": f"{11 + i % 10:02d}:00",
                            "count": 200,
                        },
                    }
                )
                await publish_event(town.id, (await create_event(town.id, data)).id)
            for i in range(400):
                start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
                start += timedelta(days=1, hours=7 * i)
                sessions = [
                    {
                        "starts_at": (start + timedelta(days=7 * k)).isoformat(),
                        "ends_at": (start + timedelta(days=7 * k, hours=2)).isoformat(),
                    }
                    for k in range(5)
                ]
                data = EventCreate.model_validate(
                    {
                        "kind": "programme_item",
                        "texts": {"de": {"title": f"Veranstaltung {i} im Bürgerhaus"}},
                        "languages": ["de", "tr"],
                        "sessions": sessions,
                    }
                )
                await publish_event(town.id, (await create_event(town.id, data)).id)
            print(
                f"{engine_name}: {await Session.count()} sessions created in "
                f"{time.perf_counter() - started:.0f} s"
            )
            if engine_name == "postgres":
                # What autovacuum does within a minute of such an insert: without table
                # statistics the planner joins all 10,000 sessions (~100 ms) instead of
                # walking the (municipality, starts_at) index for the first 41.
                await Session.raw("ANALYZE")

            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                first = await client.get("/m/grossstadt/?lang=de")
                later = re.search(r'<a href="([^"]+)" rel="next"', first.text)
                assert later, "no later page"
                second = await client.get(later.group(1).replace("&amp;", "&"))
                earlier = re.search(r'<a href="([^"]+)" rel="prev"', second.text)
                assert earlier, "no earlier page"
                pages = {
                    "first page": "/m/grossstadt/?lang=de",
                    "first page, Arabic": "/m/grossstadt/?lang=ar",
                    "kind=training": "/m/grossstadt/?kind=training&lang=de",
                    "spoken=fa&audience=public": "/m/grossstadt/?spoken=fa&audience=public&lang=de",
                    "a later page": later.group(1).replace("&amp;", "&"),
                    "an earlier page": earlier.group(1).replace("&amp;", "&"),
                    "embedded list": "/m/grossstadt/embed?lang=de",
                }
                stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', first.text)
                css_bytes = 0
                for href in stylesheets:
                    css_bytes += len(await raw_body(client, href))
                print(f"stylesheets ({len(stylesheets)}), gzip: {css_bytes / 1000:.1f} kB")
                print(f"{'page':28s} {'p50':>8s} {'p95':>8s} {'HTML gzip':>10s} {'with CSS':>9s}")
                failed = []
                for name, path in pages.items():
                    samples = []
                    for _ in range(requests):
                        t = time.perf_counter()
                        response = await client.get(path)
                        samples.append(time.perf_counter() - t)
                        assert response.status_code == 200, response.text[:300]
                    html = len(await raw_body(client, path))
                    p50, p95 = percentile(samples, 0.5) * 1000, percentile(samples, 0.95) * 1000
                    total = html + css_bytes
                    print(
                        f"{name:28s} {p50:6.1f}ms {p95:6.1f}ms {html / 1000:8.1f}kB "
                        f"{total / 1000:7.1f}kB"
                    )
                    if name == "first page" and p95 > SERVER_BUDGET_MS:
                        failed.append(f"{name}: p95 {p95:.1f} ms > {SERVER_BUDGET_MS} ms")
                    if total > BYTES_BUDGET:
                        failed.append(f"{name}: {total} bytes > {BYTES_BUDGET}")
                print("budget met" if not failed else "OVER BUDGET: " + "; ".join(failed))

    finally:
        from treffpunkt import db

        await db.close_database(db.engine())


async def raw_body(client: object, path: str) -> bytes:
    """The bytes on the wire with gzip (not decompressed)."""
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    request = client.build_request("GET", path, headers={"Accept-Encoding": "gzip"})
    response = await client.send(request, stream=True)
    body = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return body


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    arguments = parser.parse_args()
    database = None
    if arguments.db == "postgres":
        database = f"treffpunkt_pages_{secrets.token_hex(4)}"
        subprocess.run(["psql", POSTGRES, "-qc", f'CREATE DATABASE "{database}"'], check=True)
        os.environ["TREFFPUNKT_DATABASE_URL"] = POSTGRES.rsplit("/", 1)[0] + f"/{database}"
    try:
        asyncio.run(main(arguments.db, arguments.requests))
    finally:
        if database:
            drop = f'DROP DATABASE "{database}" WITH (FORCE)'
            subprocess.run(["psql", POSTGRES, "-qc", drop], check=True)
