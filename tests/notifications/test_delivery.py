"""Mail through a real SMTP server: every kind, every part, once; outages and refusals."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.factories import make_published_event, register_for_session, sessions_of
from tests.smtp import SMTPServer
from treffpunkt import db
from treffpunkt.notifications import registry
from treffpunkt.notifications.worker import Policy, claim, run_once
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations import service
from treffpunkt.registrations.tables import Registration
from treffpunkt.settings import Settings, load_settings


async def drop_in(municipality: Any, capacity: int = 1) -> Any:
    event = await make_published_event(
        municipality,
        registration_mode="per_session",
        capacity=capacity,
        texts={
            "de": {"title": "Elterncafé"},
            "uk": {"title": "Батьківське кафе"},
            "ar": {"title": "مقهى الآباء"},
            "tr": {"title": "Veli kafesi"},
        },
    )
    [session] = await sessions_of(event)
    return session


def parts(message: EmailMessage) -> dict[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


def link(text: str) -> str:
    match = re.search(r"http://testserver(/r/[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def test_every_kind_arrives_once_in_the_readers_language(
    client: Any, bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    session = await drop_in(bensheim)
    olena = await register_for_session(session.id, "olena@example.org", locale="uk")
    await register_for_session(session.id, "karim@example.org", locale="ar")
    await service.confirm_registration(olena.id)
    await service.cancel_registration(olena.id)  # karim moves up
    other = await drop_in(bensheim)
    ayse = await register_for_session(other.id, "ayse@example.org", locale="tr")
    await Registration.update({Registration.expires_at: datetime.now(UTC)}).where(
        Registration.id == ayse.id
    )

    await run_once(mail_settings, "worker-1")

    subjects = {
        (str(m["To"]).split("<")[-1].rstrip(">"), str(m["Subject"])) for m in smtp.inbox.messages
    }
    assert subjects == {
        ("olena@example.org", "Будь ласка, підтвердьте реєстрацію: Батьківське кафе"),
        ("olena@example.org", "Вашу реєстрацію підтверджено: Батьківське кафе"),
        ("olena@example.org", "Вашу реєстрацію скасовано: Батьківське кафе"),
        ("karim@example.org", "أنت على قائمة الانتظار: مقهى الآباء"),
        ("karim@example.org", "أصبح هناك مكان متاح لك: مقهى الآباء"),
        ("ayse@example.org", "Lütfen kaydınızı onaylayın: Veli kafesi"),
        ("ayse@example.org", "Kaydınızın süresi doldu: Veli kafesi"),
    }
    for message in smtp.inbox.messages:
        assert str(message["From"]) == f"Integration Stadt Bensheim <{bensheim.sender_email}>"
        body = parts(message)
        assert set(body) == {"text/plain", "text/html"}
        assert "Stadt Bensheim" in body["text/plain"]
    [promoted] = [m for m in smtp.inbox.to("karim@example.org") if "مكان متاح" in str(m["Subject"])]
    html = parts(promoted)["text/html"]
    assert 'dir="rtl"' in html
    assert 'lang="ar"' in html

    # The link in the mail opens the registration page, in the reader's language.
    [request] = [
        m for m in smtp.inbox.to("olena@example.org") if "підтвердьте" in str(m["Subject"])
    ]
    page = await client.get(link(parts(request)["text/plain"]))
    assert page.status_code == 200
    assert "Батьківське кафе" in page.text

    # Nothing goes twice.
    await run_once(mail_settings, "worker-1")
    assert len(smtp.inbox.messages) == 7
    assert await OutboxMessage.count().where(OutboxMessage.status == "sent") == 7


async def test_mail_waits_while_smtp_is_down_and_all_arrives_once_back(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    session = await drop_in(bensheim, capacity=10)
    for i in range(3):
        await register_for_session(session.id, f"p{i}@example.org")
    smtp.stop()
    policy = Policy(retry_base=timedelta(minutes=1))

    assert await run_once(mail_settings, "worker-1", policy) == 0
    waiting = await OutboxMessage.select().where(OutboxMessage.status == "queued")
    assert len(waiting) == 3
    assert all(row["attempts"] == 1 and row["last_error"] for row in waiting)
    assert all(row["next_attempt_at"] > datetime.now(UTC) for row in waiting)
    assert await run_once(mail_settings, "worker-1", policy) == 0  # not due yet: no retry storm

    smtp.start()
    await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC)}, force=True)
    assert await run_once(mail_settings, "worker-1", policy) == 3
    await run_once(mail_settings, "worker-1", policy)
    assert sorted(str(m["To"]) for m in smtp.inbox.messages) == [
        f"Person p{i} <p{i}@example.org>" for i in range(3)
    ]


async def test_a_refused_address_fails_alone(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    smtp.inbox.refuse = {"gone@example.org"}
    session = await drop_in(bensheim, capacity=10)
    await register_for_session(session.id, "gone@example.org")
    await register_for_session(session.id, "here@example.org")

    await run_once(mail_settings, "worker-1")

    assert [str(m["To"]) for m in smtp.inbox.messages] == ["Person here <here@example.org>"]
    failed = await OutboxMessage.select().where(OutboxMessage.recipient_email == "gone@example.org")
    assert failed[0]["status"] == "failed"
    assert "550" in failed[0]["last_error"]


async def test_two_workers_send_each_mail_once(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    session = await drop_in(bensheim, capacity=50)
    for i in range(30):
        await register_for_session(session.id, f"p{i}@example.org")
    policy = Policy(batch_size=4)
    await asyncio.gather(
        run_once(mail_settings, "worker-a", policy), run_once(mail_settings, "worker-b", policy)
    )
    causes = [str(m["X-Treffpunkt-Cause"]) for m in smtp.inbox.messages]
    assert len(causes) == 30
    assert len(set(causes)) == 30


async def test_mail_left_claimed_by_a_crashed_worker_is_sent(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    session = await drop_in(bensheim, capacity=5)
    await register_for_session(session.id, "a@example.org")
    assert len(await claim("crashed-worker", 10)) == 1  # … and it never came back
    assert await run_once(mail_settings, "worker-1") == 0
    await OutboxMessage.update(
        {OutboxMessage.claimed_at: datetime.now(UTC) - timedelta(hours=1)}, force=True
    )
    assert await run_once(mail_settings, "worker-1") == 1
    assert len(smtp.inbox.messages) == 1


async def test_without_smtp_mail_lands_in_the_local_maildir(
    bensheim: Any, settings: Settings, tmp_path: Path
) -> None:
    local = settings.model_copy(update={"smtp_host": None, "data_dir": tmp_path})
    session = await drop_in(bensheim, capacity=5)
    await register_for_session(session.id, "a@example.org")
    assert await run_once(local, "worker-1") == 1
    files = list((tmp_path / "mail" / "new").iterdir())
    assert len(files) == 1
    assert "Elterncaf" in files[0].read_text()


# --- what fails for good, and what is only tried again ------------------------------------


async def _database_fails_for_now() -> None:
    """A real, passing database error: this connection is dropped (PostgreSQL), or another
    process holds SQLite's write lock past the busy timeout."""
    if not db.is_sqlite():
        await OutboxMessage.raw("SELECT pg_terminate_backend(pg_backend_pid())")
        raise AssertionError("the connection should have been dropped")
    path = str(db.engine().path)  # type: ignore[attr-defined]
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        async with db.write_transaction():
            await OutboxMessage.count()
    finally:
        other.rollback()
        other.close()


async def test_a_database_error_while_composing_is_tried_again_not_failed(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    session = await drop_in(bensheim, capacity=5)
    await register_for_session(session.id, "olena@example.org")
    calls = []

    async def flaky(row: dict[str, Any], at: datetime) -> dict[str, Any]:
        calls.append(at)
        if len(calls) == 1:
            await _database_fails_for_now()
        return dict(row["context"])

    wired = registry.current_registry()
    flaky_registry = dataclasses.replace(
        wired, mails={**wired.mails, "registration_confirm_request": flaky}
    )
    assert await run_once(mail_settings, "worker-1", registry=flaky_registry) == 0
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "registration_confirm_request")
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert row["last_error"]
    assert row["next_attempt_at"] > datetime.now(UTC)

    await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC)}, force=True)
    assert await run_once(mail_settings, "worker-1", registry=flaky_registry) == 1
    assert [str(m["To"]) for m in smtp.inbox.messages] == ["Person olena <olena@example.org>"]


async def test_a_mail_nobody_can_write_fails_for_good(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    session = await drop_in(bensheim, capacity=5)
    registration = await register_for_session(session.id, "olena@example.org")
    await OutboxMessage.update({OutboxMessage.kind: "registration_lost_kind"}).where(
        OutboxMessage.registration == registration.id
    )
    assert await run_once(mail_settings, "worker-1") == 0
    [row] = await OutboxMessage.select()
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "registration_lost_kind" in row["last_error"]
    assert smtp.inbox.messages == []


async def test_the_claim_timeout_is_a_setting(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREFFPUNKT_MAIL_CLAIM_TIMEOUT_SECONDS", "30")
    quick = load_settings().model_copy(
        update={k: getattr(mail_settings, k) for k in ("smtp_host", "smtp_port", "smtp_tls")}
    )
    session = await drop_in(bensheim, capacity=5)
    await register_for_session(session.id, "a@example.org")
    assert len(await claim("crashed-worker", 10)) == 1
    await OutboxMessage.update(
        {OutboxMessage.claimed_at: datetime.now(UTC) - timedelta(seconds=31)}, force=True
    )
    assert await run_once(mail_settings, "worker-1") == 0  # the default waits 10 minutes
    assert await run_once(quick, "worker-1") == 1
