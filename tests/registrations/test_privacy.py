"""Nobody learns from the public API whether an address is registered.

A repeated registration (an email that already has a place or a queue place for the
target) answers exactly like a new one: status code, body, headers, and the public
seat count; only the owner learns of it, by mail.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import make_published_event, sessions_of
from treffpunkt.events.tables import Session
from treffpunkt.notifications.worker import run_once
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations import service
from treffpunkt.registrations.mail import HELD_BACK
from treffpunkt.registrations.tables import Registration

PERSON = {"name": "Olena Demo", "locale": "uk", "consent": True}


def person(email: str) -> dict[str, Any]:
    return {**PERSON, "email": email}


def observable(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    """All a stranger sees of an answer (the date aside)."""
    headers = {k: v for k, v in response.headers.items() if k != "date"}
    return response.status_code, response.json(), headers


async def seats_left(client: Any, event_id: int) -> list[int | None]:
    public = (await client.get(f"/api/v1/events/{event_id}")).json()
    sessions = [s["seats_left"] for s in public["sessions"]]
    listed = (await client.get("/api/v1/municipalities/bensheim/sessions")).json()["items"]
    return sessions + [s["seats_left"] for s in listed if s["event_id"] == event_id]


async def mails_to(email: str) -> list[str]:
    rows = await OutboxMessage.select(OutboxMessage.kind).where(
        OutboxMessage.recipient_email == email
    )
    return sorted(row["kind"] for row in rows)


@pytest.mark.parametrize("mode", ["per_session", "whole_event"])
async def test_a_repeated_registration_answers_exactly_like_a_new_one(
    client: Any, bensheim: Any, mode: str
) -> None:
    event = await make_published_event(bensheim, registration_mode=mode, capacity=5)
    [session] = await sessions_of(event)
    url = (
        f"/api/v1/sessions/{session.id}/registrations"
        if mode == "per_session"
        else f"/api/v1/events/{event.id}/registrations"
    )
    first = await client.post(url, json=person("olena@example.org"))
    assert first.status_code == 201
    before = await seats_left(client, event.id)

    repeated = await client.post(url, json=person("OLENA@example.org"))
    after_repeat = await seats_left(client, event.id)
    new = await client.post(url, json=person("karim@example.org"))
    after_new = await seats_left(client, event.id)

    assert observable(repeated) == observable(new) == observable(first)
    assert repeated.json() == {"status": "pending"}
    assert before == after_repeat == after_new == [5, 5]  # unconfirmed places are not shown
    # One place per email; its owner got the mail again.
    assert await Registration.count() == 2
    assert await mails_to("olena@example.org") == ["registration_confirm_request"] * 2
    assert await mails_to("karim@example.org") == ["registration_confirm_request"]


async def test_in_a_full_session_every_answer_is_waitlisted_without_a_position(
    client: Any, bensheim: Any
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=1)
    [session] = await sessions_of(event)
    url = f"/api/v1/sessions/{session.id}/registrations"
    await client.post(url, json=person("olena@example.org"))  # the seat
    karim = await client.post(url, json=person("karim@example.org"))  # first in line

    holder_again = await client.post(url, json=person("olena@example.org"))
    queued_again = await client.post(url, json=person("karim@example.org"))
    new = await client.post(url, json=person("amir@example.org"))

    # A position would differ between a repeat and a new one, and count the queue.
    assert observable(karim) == observable(holder_again) == observable(queued_again)
    assert observable(queued_again) == observable(new)
    assert new.json() == {"status": "waitlisted"}
    counters = (
        await Session.select(Session.seats_taken, Session.waiting)
        .where(Session.id == session.id)
        .first()
    )
    assert counters == {"seats_taken": 1, "waiting": 2}
    assert await mails_to("olena@example.org") == ["registration_confirm_request"] * 2
    assert await mails_to("karim@example.org") == ["registration_waitlisted"] * 2


async def test_without_a_waitlist_a_repeat_is_refused_like_a_new_one(
    client: Any, bensheim: Any
) -> None:
    event = await make_published_event(
        bensheim, registration_mode="per_session", capacity=1, waitlist=False
    )
    [session] = await sessions_of(event)
    url = f"/api/v1/sessions/{session.id}/registrations"
    await client.post(url, json=person("olena@example.org"))
    repeated = await client.post(url, json=person("olena@example.org"))
    new = await client.post(url, json=person("karim@example.org"))
    assert observable(repeated) == observable(new)
    assert new.status_code == 409
    # The owner is told what they hold; the stranger is told nothing more.
    assert await mails_to("olena@example.org") == ["registration_confirm_request"] * 2


async def test_the_described_answer_to_a_self_registration_is_the_status_alone(
    client: Any,
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    received = document["components"]["schemas"]["RegistrationReceived"]
    assert set(received["properties"]) == {"status"}


# --- what a stranger can make the town's mail say -------------------------------------


def text_parts(message: Any) -> str:
    return "\n".join(
        str(part.get_content()) for part in message.walk() if part.get_content_maintype() == "text"
    )


async def test_mail_to_an_unconfirmed_address_carries_no_text_the_registrant_typed(
    client: Any, bensheim: Any, smtp: Any, mail_settings: Any
) -> None:
    """Whoever registers types the name: until the address is confirmed, the mail
    greets neutrally and its To: header names nobody."""
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=1)
    [session] = await sessions_of(event)
    url = f"/api/v1/sessions/{session.id}/registrations"
    bait = "Eve visit http://evil.example now"
    for email, locale in (("victim@example.org", "de"), ("other@example.org", "uk")):
        answer = await client.post(url, json={**person(email), "name": bait, "locale": locale})
        assert answer.status_code == 201  # the first holds the place, the second waits

    await run_once(mail_settings, "worker-1")

    received = smtp.inbox.messages
    assert sorted(str(m["To"]) for m in received) == ["other@example.org", "victim@example.org"]
    for message in received:
        assert "evil" not in message.as_string()
        assert "Eve" not in text_parts(message)
    [victim] = smtp.inbox.to("victim@example.org")
    assert text_parts(victim).lstrip().startswith("Hallo,")
    [other] = smtp.inbox.to("other@example.org")
    assert text_parts(other).lstrip().startswith("Вітаємо!")

    # Once the owner confirms the address by the link, mails use the name they confirmed.
    [registration] = await Registration.objects().where(Registration.email == "victim@example.org")
    await service.confirm_registration(registration.id)
    await run_once(mail_settings, "worker-1")
    [confirmed] = [m for m in smtp.inbox.to("victim@example.org") if m is not victim]
    assert confirmed["To"].addresses[0].display_name == bait
    assert text_parts(confirmed).lstrip().startswith(f"Hallo {bait},")


async def test_a_person_a_guide_registered_is_greeted_by_name(
    client: Any, bensheim: Any, bensheim_headers: Any, smtp: Any, mail_settings: Any
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=5)
    [session] = await sessions_of(event)
    answer = await client.post(
        f"/api/v1/guide/sessions/{session.id}/registrations",
        json={"name": "Olena Demo", "email": "olena@example.org"},
        headers=bensheim_headers,
    )
    assert answer.status_code == 201
    await run_once(mail_settings, "worker-1")
    [mail] = smtp.inbox.to("olena@example.org")
    assert str(mail["To"]) == "Olena Demo <olena@example.org>"
    assert text_parts(mail).lstrip().startswith("Hallo Olena Demo,")


# --- mail bombing ------------------------------------------------------------------------


@pytest.mark.counts_to_a_limit
async def test_past_the_limit_an_address_gets_no_more_mail_and_the_answer_stays_the_same(
    client: Any, bensheim: Any, butzbach: Any, smtp: Any, mail_settings: Any, settings: Any
) -> None:
    """Anyone can register anyone's address for every event of a town: past
    TREFFPUNKT_REGISTRATIONS_PER_EMAIL per address and town, registrations go on as
    ever (the answer tells nothing) but their mails are held back."""
    limit = int(settings.registrations_per_email.split("/")[0])
    urls = []
    for _ in range(limit + 2):
        event = await make_published_event(bensheim, registration_mode="per_session", capacity=5)
        [session] = await sessions_of(event)
        urls.append(f"/api/v1/sessions/{session.id}/registrations")
    answers = [await client.post(url, json=person("victim@example.org")) for url in urls]
    fresh = await client.post(urls[-1], json=person("someone@example.org"))
    assert all(observable(answer) == observable(fresh) for answer in answers)
    elsewhere = await make_published_event(butzbach, registration_mode="per_session")
    [other_town] = await sessions_of(elsewhere)
    await client.post(
        f"/api/v1/sessions/{other_town.id}/registrations", json=person("victim@example.org")
    )
    assert await Registration.count().where(Registration.email == "victim@example.org") == limit + 3

    await run_once(mail_settings, "worker-1")

    assert len(smtp.inbox.to("victim@example.org")) == limit + 1  # + the other town's
    held = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.last_error).where(
        (OutboxMessage.recipient_email == "victim@example.org")
        & (OutboxMessage.status == "skipped")
    )
    assert held == [{"status": "skipped", "last_error": HELD_BACK}] * 2

    # A held-back registration stays silent to its end (here: its hold runs out).
    await Registration.update({Registration.expires_at: datetime.now(UTC)}, force=True)
    await service.expire_overdue()
    await run_once(mail_settings, "worker-1")
    expired = await OutboxMessage.select(OutboxMessage.status).where(
        (OutboxMessage.recipient_email == "victim@example.org")
        & (OutboxMessage.kind == "registration_expired")
    )
    assert Counter(row["status"] for row in expired) == {"sent": limit + 1, "skipped": 2}
    assert len(smtp.inbox.to("victim@example.org")) == 2 * (limit + 1)


# --- seat squatting ----------------------------------------------------------------------


async def test_past_a_quarter_of_the_places_unconfirmed_holds_last_an_hour(
    client: Any,
    bensheim: Any,
    smtp: Any,
    mail_settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A script registering made-up addresses holds places only briefly: once
    unconfirmed holds exceed a quarter of the capacity, new ones are held for an hour;
    the worker's expiry frees them then, and the earlier ones keep their day."""
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=8)
    [session] = await sessions_of(event)
    url = f"/api/v1/sessions/{session.id}/registrations"
    start = datetime.now(UTC)
    for i in range(4):
        answer = await client.post(url, json=person(f"p{i}@example.org"))
        assert answer.json() == {"status": "pending"}
    holds = {
        row["email"]: row["expires_at"] - start
        for row in await Registration.select(Registration.email, Registration.expires_at)
    }
    for email in ("p0@example.org", "p1@example.org"):  # 2 of 8: a quarter, not more
        assert timedelta(hours=23, minutes=59) < holds[email] <= timedelta(hours=24, seconds=5)
    for email in ("p2@example.org", "p3@example.org"):
        assert timedelta(minutes=59) < holds[email] <= timedelta(hours=1, seconds=5)

    later = start + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(service, "now", lambda: later)
    await run_once(mail_settings, "worker-1")  # the worker's timed rules expire holds

    statuses = {
        row["email"]: row["status"]
        for row in await Registration.select(Registration.email, Registration.status)
    }
    assert statuses == {
        "p0@example.org": "pending",
        "p1@example.org": "pending",
        "p2@example.org": "expired",
        "p3@example.org": "expired",
    }
    counters = await Session.select(Session.seats_taken, Session.seats_pending).where(
        Session.id == session.id
    )
    assert counters == [{"seats_taken": 2, "seats_pending": 2}]


async def test_promoted_unconfirmed_places_past_a_quarter_are_held_an_hour(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session", capacity=4)
    [session] = await sessions_of(event)
    url = f"/api/v1/sessions/{session.id}/registrations"
    for i in range(6):  # 4 hold places (the first alone for a day), 2 wait
        await client.post(url, json=person(f"p{i}@example.org"))
    start = datetime.now(UTC)
    freed = await client.put(
        f"/api/v1/guide/sessions/{session.id}/capacity",
        json={"capacity": 6},
        headers=bensheim_headers,
    )
    assert freed.status_code == 200
    promoted = await Registration.select(Registration.expires_at).where(
        Registration.email.is_in(["p4@example.org", "p5@example.org"])
    )
    for row in promoted:  # 5 and 6 of 6 places unconfirmed: an hour
        assert timedelta(minutes=59) < row["expires_at"] - start <= timedelta(hours=1, seconds=5)
