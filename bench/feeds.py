"""Calendar feed of a municipality with 10,000 sessions: cached against naive rendering.

    .venv/bin/python bench/feeds.py [--db sqlite|postgres]

Creates 25 weekly series (5,000 sessions) and 1,000 one-off events of 5 sessions
each (5,000 more), then measures through the app (in-process, httpx over ASGI):
- naive: every request renders the whole feed with icalendar (a fresh cache each time);
- first render after a change: one session moved, the feed asked for again;
- cached 200: nothing changed, the feed asked for again;
- 304: nothing changed, the client sends its ETag.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

POSTGRES = os.environ.get(
    "TREFFPUNKT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def timed(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:8.2f} ms (n={len(samples)})"


async def main(engine_name: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="treffpunkt-feeds-")
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
    from treffpunkt.calendars import service as calendars
    from treffpunkt.cli import migrate
    from treffpunkt.events.public import EventFilters
    from treffpunkt.events.schemas import EventCreate, SessionTimes
    from treffpunkt.events.service import create_event, move_session, publish_event
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
            first = date(2027, 1, 4)
            for i in range(25):
                data = EventCreate.model_validate(
                    {
                        "kind": "office_hours",
                        "texts": {"de": {"title": f"Sprechstunde {i}", "summary": "Beratung"}},
                        "series": {
                            "rule": "FREQ=WEEKLY;BYDAY=TU,TH",
                            "start_date": first.isoformat(),
                            "start_time": "14:00",
                            "end_time": "16:00",
                            "count": 200,
                        },
                    }
                )
                await publish_event(town.id, (await create_event(town.id, data)).id)
            for i in range(1000):
                start = datetime(2027, 2, 1, 17, tzinfo=UTC) + timedelta(hours=7 * i)
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
                        "texts": {"de": {"title": f"Veranstaltung {i}; mit Komma, und mehr"}},
                        "languages": ["de", "ar"],
                        "sessions": sessions,
                    }
                )
                await publish_event(town.id, (await create_event(town.id, data)).id)
            print(
                f"{engine_name}: {await Session.count()} sessions created in "
                f"{time.perf_counter() - started:.0f} s"
            )

            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                url = "/m/grossstadt/calendar.ics"
                response = await client.get(url)
                size, vevents = len(response.content), response.content.count(b"BEGIN:VEVENT")
                print(f"feed: {size / 1024:.0f} KiB, {vevents} VEVENTs")

                publication = calendars.Publication(
                    await calendars.reader_for("grossstadt", None, None), load_settings().base_url
                )
                naive = []
                for _ in range(3):
                    t = time.perf_counter()
                    await calendars.municipality_feed(
                        publication, EventFilters(), calendars.FeedCache()
                    )
                    naive.append(time.perf_counter() - t)

                first_after_change = []
                moved = await Session.objects().where(Session.occurrence_start.is_null()).first()
                assert moved is not None
                for k in range(5):
                    later = moved.starts_at + timedelta(minutes=15 * (k + 1))
                    await move_session(
                        town.id,
                        moved.id,
                        SessionTimes(starts_at=later, ends_at=later + timedelta(hours=2)),
                    )
                    t = time.perf_counter()
                    assert (await client.get(url)).status_code == 200
                    first_after_change.append(time.perf_counter() - t)

                cached, not_modified = [], []
                etag = (await client.get(url)).headers["etag"]
                for _ in range(30):
                    t = time.perf_counter()
                    assert (await client.get(url)).status_code == 200
                    cached.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    answer = await client.get(url, headers={"If-None-Match": etag})
                    assert answer.status_code == 304
                    not_modified.append(time.perf_counter() - t)

            base = statistics.median(naive)
            for name, samples in [
                ("naive render per request", naive),
                ("first render after a change", first_after_change),
                ("cached 200", cached),
                ("304 Not Modified", not_modified),
            ]:
                factor = base / statistics.median(samples)
                print(f"  {name:28s} {timed(samples)}  {factor:6.1f}x faster than naive")
    finally:
        from treffpunkt import db

        await db.close_database(db.engine())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    engine = parser.parse_args().db
    database = None
    if engine == "postgres":
        database = f"treffpunkt_feeds_{secrets.token_hex(4)}"
        subprocess.run(["psql", POSTGRES, "-qc", f'CREATE DATABASE "{database}"'], check=True)
        os.environ["TREFFPUNKT_DATABASE_URL"] = POSTGRES.rsplit("/", 1)[0] + f"/{database}"
    try:
        asyncio.run(main(engine))
    finally:
        if database:
            drop = f'DROP DATABASE "{database}" WITH (FORCE)'
            subprocess.run(["psql", POSTGRES, "-qc", drop], check=True)
