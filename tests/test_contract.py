"""The API does what its OpenAPI description says: a fuzz run with schemathesis.

Against a served process (as operators run it) on the test database, seeded with a
town, a guide, venues, a programme and published events with sessions and
registrations, so that generated requests reach the services and not only 404s: path
parameters take the seeded ids most of the time. Runs anonymously, as the guide and
as an admin, bounded in examples and time. Every answer must be no 5xx and exactly as
documented (status, content type, headers, body).

Checks left out, and why:
- positive_data_acceptance: a body valid by the schema may still break a rule the schema
  cannot say (a text in the town's default language, a session before its event was
  published …); those answers are documented 4xx and are right.
- use_after_free, ensure_resource_availability: need OpenAPI links between operations,
  which this API does not describe.
- object_level_authorization: needs two logins of one role; tests/test_tenancy.py
  checks every guide route against another town's objects instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import serving
from tests.factories import (
    SECRET,
    make_admin,
    make_guide,
    make_municipality,
    make_published_event,
    make_venue,
    register_for_course,
    register_for_session,
    sessions_of,
)
from treffpunkt.calendars.personal import feed_tokens
from treffpunkt.events.programmes import create_programme
from treffpunkt.events.schemas import ProgrammeCreate
from treffpunkt.registrations.service import registration_token

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "ignored_auth",
    ]
)
# Per run: at most this many cases per operation, and this many seconds in all.
MAX_EXAMPLES = int(os.environ.get("TREFFPUNKT_FUZZ_EXAMPLES", "25"))
MAX_SECONDS = int(os.environ.get("TREFFPUNKT_FUZZ_SECONDS", "20"))


@pytest.fixture
async def served(app: Any) -> AsyncIterator[str]:
    env = {
        "TREFFPUNKT_REGISTRATIONS_PER_CLIENT": "100000/minute",
        "TREFFPUNKT_LOGIN_ATTEMPTS_PER_CLIENT": "100000/minute",
    }
    async with serving.served(env) as url:
        yield url


async def seed() -> dict[str, list[Any]]:
    """A town as it is in use, and the values path parameters take from it."""
    town = await make_municipality("bensheim", "Stadt Bensheim")
    await make_guide(town, "guide@bensheim.example")
    # The one account the admin run may rename, deactivate or give a new password.
    colleague = await make_guide(town, "kollegin@bensheim.example")
    await make_admin("admin@platform.example")
    venue = await make_venue(town)
    await make_venue(town, name="Rathaus")
    programme = await create_programme(
        town.id,
        ProgrammeCreate.model_validate(
            {
                "slug": "iwk",
                "texts": {"de": {"title": "Interkulturelle Woche"}},
                "starts_on": "2027-09-19",
                "ends_on": "2027-09-26",
            }
        ),
    )
    drop_in = await make_published_event(
        town, registration_mode="per_session", capacity=3, venue_id=venue.id
    )
    course = await make_published_event(
        town, registration_mode="whole_event", programme_id=programme["id"]
    )
    series = await make_published_event(
        town,
        registration_mode="per_session",
        sessions=[],
        series={
            "rule": "FREQ=WEEKLY;BYDAY=TU,TH",
            "start_date": "2027-03-02",
            "start_time": "14:00",
            "end_time": "16:00",
            "count": 6,
        },
    )
    sessions = [s.id for e in (drop_in, course, series) for s in await sessions_of(e)]
    registrations = [await register_for_session(sessions[0], f"p{n}@example.org") for n in range(4)]
    registrations.append(await register_for_course(course.id, "kurs@example.org"))
    feeds = await feed_tokens(town.id, ["p0@example.org", "kurs@example.org"], SECRET)
    return {
        "slug": [town.slug],
        "programme_slug": [programme["slug"]],
        "account_id": [colleague["id"]],
        "venue_id": [venue.id],
        "programme_id": [programme["id"]],
        "event_id": [drop_in.id, course.id, series.id],
        "session_id": sessions,
        "registration_id": [r.id for r in registrations],
        "token": [registration_token(SECRET, r.token_salt) for r in registrations],
        "file_name": [f"{token}.ics" for token in feeds.values()],  # /feeds/…
    }


def config(values: dict[str, list[Any]]) -> str:
    """schemathesis.toml: path parameters take seeded values nine times in ten."""
    lines = ["[dictionaries]"]
    lines += [f"{name} = {{ values = {json.dumps(v)} }}" for name, v in values.items()]
    lines += ["", "[parameters]"]
    lines += [
        f'"path.{name}" = {{ dictionary = "{name}", probability = {chance} }}'
        for name in values
        for chance in [1.0 if name == "account_id" else 0.9]
    ]
    return "\n".join(lines) + "\n"


async def fuzz(url: str, config_file: Path, *headers: str) -> tuple[int, str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config_file),
        "run",
        f"{url}/schema/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_SECONDS),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        os.environ.get("TREFFPUNKT_FUZZ_SEED", "9"),
        "--generation-database",
        "none",
        "--no-color",
        "--workers",
        "1",  # hypothesis 6.1xx: a cache race between worker threads (KeyError in reflection)
        "--request-timeout",
        "20",
        *(part for header in headers for part in ("-H", header)),
        # A logout would end the run's own login; tests/accounts tests it.
        *(("--exclude-operation-id", "logout") if headers else ()),
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=config_file.parent,  # schemathesis keeps a cache where it runs
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode("utf-8", "replace")


async def login(url: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "correct horse battery"}
        )
    assert response.status_code == 200, response.text
    return f"Authorization: Bearer {response.json()['access_token']}"


async def test_the_api_answers_as_its_openapi_description_says(served: str, tmp_path: Path) -> None:
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config(await seed()))
    failures = []
    for who in ("anonymous", "guide@bensheim.example", "admin@platform.example"):
        headers = () if who == "anonymous" else (await login(served, who),)
        code, output = await fuzz(served, config_file, *headers)
        if log := os.environ.get("TREFFPUNKT_FUZZ_LOG"):  # a folder for the whole reports
            await asyncio.to_thread(Path(log, f"{who}.txt").write_text, output)
        if code != 0:
            failures.append(f"--- {who} ---\n{output[-6000:]}")
    assert not failures, "\n".join(failures)
