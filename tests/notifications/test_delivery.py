"""Mail through a real SMTP server: every kind, every part, once; outages and refusals."""

from __future__ import annotations

import asyncio
import dataclasses
import mailbox
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.factories import make_published_event, register_for_session, sessions_of
from tests.mail_words import said_in_mail
from tests.smtp import SMTPServer
from treffpunkt import db
from treffpunkt.events.tables import Event
from treffpunkt.municipalities.tables import Municipality
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
        f"p{i}@example.org"
        for i in range(3)  # unconfirmed: no name (test_privacy.py)
    ]


async def test_a_refused_address_fails_alone(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    smtp.inbox.refuse = {"gone@example.org"}
    session = await drop_in(bensheim, capacity=10)
    await register_for_session(session.id, "gone@example.org")
    await register_for_session(session.id, "here@example.org")

    await run_once(mail_settings, "worker-1")

    assert [str(m["To"]) for m in smtp.inbox.messages] == ["here@example.org"]
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


async def test_mail_to_names_that_never_exist_stays_in_the_local_maildir(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings, tmp_path: Path
) -> None:
    """`.example`, `.test`, `.invalid`, `.localhost` (RFC 2606, 6761) cannot receive mail:
    it is written to the maildir, never handed to the SMTP server."""
    session = await drop_in(bensheim, capacity=5)
    await register_for_session(session.id, "olena@example.org")
    await register_for_session(session.id, "demo@mail.example")
    await register_for_session(session.id, "upper@Bensheim.EXAMPLE")
    settings = mail_settings.model_copy(update={"data_dir": tmp_path})

    assert await run_once(settings, "worker-1") == 3

    assert [str(m["To"]) for m in smtp.inbox.messages] == ["olena@example.org"]
    kept = sorted(str(message["To"]) for message in mailbox.Maildir(tmp_path / "mail"))
    assert kept == ["<demo@mail.example>", "<upper@bensheim.example>"]


# --- no value forges a header; addresses beyond ASCII --------------------------------------

ALLOWED_HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "X-Treffpunkt-Cause",
    "MIME-Version",
    "Content-Type",
}
FORGERIES = [  # (stored value, how it shows: one line)
    (
        "Eve\r\nBcc: x@evil.example\r\n\r\n<h1>Gewonnen!</h1>",
        "Eve Bcc: x@evil.example <h1>Gewonnen!</h1>",
    ),
    (  # the modern email folder decodes this into a line break
        "=?utf-8?q?Eve=0D=0ABcc:_x@evil.example?=",
        "=?utf-8?q?Eve=0D=0ABcc:_x@evil.example?=",
    ),
    # PostgreSQL stores no NUL byte; the other line breaks Python's splitlines() knows:
    ("Eve\x0b\x85\u2028Bcc: x@evil.example\u2029<h1>", "Eve Bcc: x@evil.example <h1>"),
]


@pytest.mark.parametrize(("forgery", "shown"), FORGERIES)
async def test_no_stored_value_adds_a_header_a_recipient_or_a_body(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings, forgery: str, shown: str
) -> None:
    """Names, a sender name and a title as they may already be in the database."""
    session = await drop_in(bensheim)
    await Municipality.update({Municipality.sender_name: forgery}).where(
        Municipality.id == bensheim.id
    )
    await Event.update({Event.texts: {"de": {"title": forgery}}}).where(Event.id == session.event)
    registration = await register_for_session(session.id, "eve@example.org")
    await Registration.update({Registration.name: forgery}).where(
        Registration.id == registration.id
    )
    await OutboxMessage.update({OutboxMessage.recipient_name: forgery}, force=True)

    await run_once(mail_settings, "worker-1")

    [message] = smtp.inbox.messages
    [envelope] = smtp.inbox.envelopes
    assert envelope.recipients == ("eve@example.org",)
    assert set(message.keys()) <= ALLOWED_HEADERS
    assert "Bcc" not in message
    assert message["To"].addresses[0].addr_spec == "eve@example.org"
    assert message["To"].addresses[0].display_name == shown
    assert message["From"].addresses[0].display_name == shown
    assert shown in str(message["Subject"])
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    assert "<h1>" not in body["text/html"]  # the name is text in the page, not markup
    assert "Bitte bestätigen" in body["text/html"] or "bestätigen" in body["text/plain"]


def test_a_built_message_has_one_line_per_header_whatever_the_values_hold() -> None:
    from treffpunkt.notifications.delivery import build_message

    forged = "Eve\x00\r\nBcc: x@evil.example\r\n\r\n<h1>"
    mail = build_message(
        sender_name=forged,
        sender_email="integration@bensheim.example",
        recipient_name=forged,
        recipient_email="eve@example.org",
        subject=forged,
        text="Hallo",
        html="<p>Hallo</p>",
        dedupe_key="registration:1:confirmed",
    )
    head = mail.data.split(b"\r\n\r\n")[0]
    names = [line.split(b":")[0] for line in head.split(b"\r\n") if not line.startswith(b" ")]
    assert names == [
        b"From",
        b"To",
        b"Subject",
        b"Date",
        b"Message-ID",
        b"Auto-Submitted",
        b"X-Treffpunkt-Cause",
        b"MIME-Version",
        b"Content-Type",
    ]
    assert b"\x00" not in mail.data
    assert (mail.sender, mail.recipient) == ("integration@bensheim.example", "eve@example.org")


def test_one_line_keeps_every_visible_character() -> None:
    from treffpunkt.notifications.delivery import one_line

    assert one_line("Olena\r\n Kovalenko\t\x00") == "Olena Kovalenko"
    assert one_line("زبان\u200cها") == "زبان\u200cها"  # a zero-width non-joiner is writing
    assert one_line("أنت على قائمة الانتظار: مقهى") == "أنت على قائمة الانتظار: مقهى"


async def _people_beyond_ascii(municipality: Any) -> None:
    session = await drop_in(municipality, capacity=10)
    for email in ("juergen@example.org", "user@example.org", "plain@example.org"):
        await register_for_session(session.id, email)
    # Already stored (the API refuses a local part beyond ASCII today; see the route test).
    for before, after in (
        ("juergen@example.org", "jürgen@example.org"),
        ("user@example.org", "user@bücher.example.org"),
    ):
        await Registration.update({Registration.email: after}).where(Registration.email == before)
        await OutboxMessage.update({OutboxMessage.recipient_email: after}).where(
            OutboxMessage.recipient_email == before
        )


@pytest.mark.parametrize("smtp", [True], indirect=True)
async def test_addresses_beyond_ascii_arrive_where_the_server_offers_smtputf8(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    await _people_beyond_ascii(bensheim)
    assert await run_once(mail_settings, "worker-1") == 3
    envelopes = {e.recipients[0]: e for e in smtp.inbox.envelopes}
    # The domain travels in its ASCII form, which every server takes ...
    assert not envelopes["user@xn--bcher-kva.example.org"].smtputf8
    assert not envelopes["plain@example.org"].smtputf8
    # ... a local part beyond ASCII needs SMTPUTF8, and gets it.
    assert envelopes["jürgen@example.org"].smtputf8
    [juergen] = smtp.inbox.to("jürgen@example.org")
    assert juergen["To"].addresses[0].addr_spec == "jürgen@example.org"
    assert "Elterncafé" in parts(juergen)["text/plain"]


async def test_without_smtputf8_only_the_address_that_needs_it_fails_and_says_why(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    await _people_beyond_ascii(bensheim)
    assert await run_once(mail_settings, "worker-1") == 2
    assert sorted(e.recipients[0] for e in smtp.inbox.envelopes) == [
        "plain@example.org",
        "user@xn--bcher-kva.example.org",
    ]
    [failed] = await OutboxMessage.select().where(OutboxMessage.status == "failed")
    assert failed["recipient_email"] == "jürgen@example.org"
    assert failed["attempts"] == 1  # for good: asking again cannot help
    assert "SMTPUTF8" in failed["last_error"]


async def test_registering_refuses_a_local_part_beyond_ascii_and_takes_an_idn_domain(
    client: Any, bensheim: Any
) -> None:
    session = await drop_in(bensheim, capacity=10)
    person = {"name": "Jürgen", "consent": True}
    refused = await client.post(
        f"/api/v1/sessions/{session.id}/registrations",
        json={**person, "email": "jürgen@example.org"},
    )
    assert refused.status_code == 422
    assert set(refused.json()["fields"]) == {"email"}
    taken = await client.post(
        f"/api/v1/sessions/{session.id}/registrations",
        json={**person, "email": "user@bücher.example"},
    )
    assert taken.status_code == 201, taken.text


async def test_mail_texts_fall_back_field_by_field_and_say_interpretation_is_offered(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    event = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=5,
        texts={"de": {"title": "Elterncafé", "summary": "Austausch"}},
        interpretation=True,
    )
    await Event.update(  # a Ukrainian text without a title, as an older import left it
        {Event.texts: {"de": {"title": "Elterncafé"}, "uk": {"summary": "Обмін"}}}
    ).where(Event.id == event.id)
    [session] = await sessions_of(event)
    await register_for_session(session.id, "olena@example.org", locale="uk")
    await run_once(mail_settings, "worker-1")
    [mail] = smtp.inbox.messages
    assert "Elterncafé" in str(mail["Subject"])
    body = parts(mail)
    assert "Надається усний переклад." in body["text/plain"]
    assert "Надається усний переклад." in body["text/html"]


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
    assert [str(m["To"]) for m in smtp.inbox.messages] == ["olena@example.org"]


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


async def test_bounces_go_to_the_sender_or_to_treffpunkt_mail_from(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    """The envelope sender (where bounces go) is the municipality's sender_email, or
    TREFFPUNKT_MAIL_FROM when the operator sets one; the From line stays the town's."""
    session = await drop_in(bensheim, capacity=5)
    await register_for_session(session.id, "first@example.org")
    await run_once(mail_settings, "worker-1")
    await register_for_session(session.id, "second@example.org")
    operator = load_settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_tls="none",
        mail_from="Treffpunkt Betrieb <bounces@kreis.example.org>",
    )
    await run_once(operator, "worker-1")

    assert [e.sender for e in smtp.inbox.envelopes] == [
        bensheim.sender_email,
        "bounces@kreis.example.org",
    ]
    assert {m["From"].addresses[0].addr_spec for m in smtp.inbox.messages} == {
        bensheim.sender_email
    }


@pytest.mark.parametrize("locale", ["de", "en", "uk", "ar", "tr", "fa"])
async def test_the_footer_says_what_its_links_do_and_why_the_mail_came(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings, locale: str
) -> None:
    """Offers to cancel only while a place can be cancelled; says the address was
    registered (someone else, or a guide, may have done it); names whose dates the
    calendar address holds and that it is one to subscribe to."""
    said = said_in_mail(locale)
    session = await drop_in(bensheim, capacity=5)
    registration = await register_for_session(session.id, "olena@example.org", locale=locale)
    await run_once(mail_settings, "worker-1")
    await service.confirm_registration(registration.id)
    await run_once(mail_settings, "worker-1")
    await service.cancel_registration(registration.id)
    await run_once(mail_settings, "worker-1")

    texts = {
        str(m["X-Treffpunkt-Cause"]).rpartition(":")[2]: {
            kind: str(m.get_body((kind.split("/")[1],)).get_content())  # type: ignore[union-attr]
            for kind in ("text/plain", "text/html")
        }
        for m in smtp.inbox.to("olena@example.org")
    }
    assert set(texts) == {"confirm_request", "confirmed", "cancelled"}
    reason = said["reason"].replace("{municipality}", bensheim.name)
    calendar = said["calendar"].replace("{municipality}", bensheim.name)
    for kind, body in texts.items():
        for part in body.values():
            assert reason in part, kind
            assert "{municipality}" not in part
        offers_cancel = f"{said['manage']}: http://testserver/r/" in body["text/plain"]
        assert offers_cancel == (kind != "cancelled"), kind
        only_view = f"{said['view']}: http://testserver/r/" in body["text/plain"]
        assert only_view == (kind == "cancelled"), kind
    assert calendar in texts["confirmed"]["text/plain"]
    assert calendar in texts["confirmed"]["text/html"]
