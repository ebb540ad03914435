"""The demo shows what the product is for; these checks keep it honest."""

from __future__ import annotations

import mailbox
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.factories import SECRET
from tests.smtp import SMTPServer
from treffpunkt.accounts.service import create_account
from treffpunkt.accounts.tables import Account, Role
from treffpunkt.demo import NotEmpty, _interkulturelle_woche_start, load_demo
from treffpunkt.events.tables import Session
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.notifications.worker import run_once
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations.tables import Registration
from treffpunkt.settings import Settings


def test_interkulturelle_woche_is_the_last_full_week_of_next_september() -> None:
    assert _interkulturelle_woche_start(date(2026, 11, 21)) == date(2027, 9, 19)
    assert _interkulturelle_woche_start(date(2027, 3, 1)) == date(2027, 9, 19)
    assert _interkulturelle_woche_start(date(2028, 1, 10)) == date(2028, 9, 17)


async def test_demo_events_are_public_in_all_three_towns(client: Any) -> None:
    await load_demo(today=date.today(), secret_key=SECRET)
    bensheim = (
        await client.get("/api/v1/municipalities/bensheim/sessions", params={"limit": 200})
    ).json()["items"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in bensheim:
        by_kind.setdefault(item["kind"], []).append(item)
    office_hours = by_kind["office_hours"]
    assert len(office_hours) == 26  # Tue and Thu for 13 weeks
    assert {item["starts_at"][11:16] for item in office_hours} == {"14:00"}
    assert len(by_kind["dialogue"]) == 8
    assert len(by_kind["training"]) == 3
    assert {item["registration_mode"] for item in by_kind["training"]} == {"whole_event"}

    dialogue = (await client.get(f"/api/v1/events/{by_kind['dialogue'][0]['event_id']}")).json()
    assert dialogue["interpretation"] is True
    assert set(dialogue["languages"]) == {"de", "ar", "uk"}

    [programme] = (await client.get("/api/v1/municipalities/bensheim/programmes")).json()
    detail = (
        await client.get(f"/api/v1/municipalities/bensheim/programmes/{programme['slug']}")
    ).json()
    assert len(detail["events"]) == 6
    assert all(event["organiser"] for event in detail["events"])

    for town in ("butzbach", "oestrich-winkel"):
        items = (await client.get(f"/api/v1/municipalities/{town}/sessions")).json()["items"]
        assert items, f"{town} has no demo sessions"


async def test_demo_has_nearly_full_sessions_and_waitlists(client: Any) -> None:
    await load_demo(today=date.today(), secret_key=SECRET)
    rounds = (
        await client.get(
            "/api/v1/municipalities/bensheim/sessions", params={"kind": "dialogue", "limit": 2}
        )
    ).json()["items"]
    assert [r["seats_left"] for r in rounds] == [2, 0]
    waiting = await Session.select(Session.waiting).where(Session.id == rounds[1]["id"]).first()
    assert waiting == {"waiting": 3}
    queued = await Registration.count().where(Registration.status == "waitlisted")
    assert queued == 3 + 4


async def test_demo_mail_never_reaches_a_real_server(
    app: Any, smtp: SMTPServer, mail_settings: Settings, tmp_path: Path
) -> None:
    await load_demo(today=date.today(), secret_key=SECRET)
    queued = await OutboxMessage.count()
    assert queued > 10
    settings = mail_settings.model_copy(update={"data_dir": tmp_path})  # SMTP configured
    assert await run_once(settings, "worker-1") == queued
    assert smtp.inbox.messages == []
    assert len(list(mailbox.Maildir(tmp_path / "mail"))) == queued
    # Because every address the demo makes is under the reserved name .example.
    addresses = [row["email"] for row in await Account.select(Account.email)]
    addresses += [
        row["email"] for row in await Registration.select(Registration.email) if row["email"]
    ]
    for town in await Municipality.select(Municipality.contact_email, Municipality.sender_email):
        addresses += town.values()
    assert all(address.endswith(".example") for address in addresses), addresses


async def test_demo_data_goes_only_into_an_empty_database(app: Any) -> None:
    await create_account(
        email="it@kreis.example", display_name="IT", password="x" * 16, role=Role.admin
    )
    with pytest.raises(NotEmpty, match="not empty"):
        await load_demo(today=date.today(), secret_key=SECRET)
    assert await Account.count() == 1
    assert await Municipality.count() == 0
