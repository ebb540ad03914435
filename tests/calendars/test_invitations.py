"""Invitations that follow every change (iMIP), and reminders, through a real SMTP server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from icalendar import Calendar

from tests.factories import (
    make_published_event,
    register_for_course,
    register_for_session,
    sessions_of,
)
from tests.smtp import SMTPServer
from treffpunkt.events import service as events
from treffpunkt.events.schemas import SeriesRule, SessionTimes
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.notifications.worker import Policy, run_once
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations import service as registrations
from treffpunkt.registrations.notices import queue_reminders
from treffpunkt.settings import Settings

SERIES = {
    "rule": "FREQ=WEEKLY;BYDAY=TU",
    "start_date": "2027-03-02",
    "start_time": "10:00",
    "end_time": "12:00",
    "count": 10,
}


async def confirmed(session_id: int, email: str, locale: str | None = None) -> Any:
    registration = await register_for_session(session_id, email, locale=locale)
    return await registrations.confirm_registration(registration.id)


async def send_all(settings: Settings) -> None:
    """The coalescing window passes, and the worker sends what is due."""
    await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC)}).where(
        OutboxMessage.status == "queued"
    )
    await run_once(settings, "worker-1")


def mails(smtp: SMTPServer, email: str, kind: str) -> list[EmailMessage]:
    return [
        m
        for m in smtp.inbox.to(email)
        if str(m["X-Treffpunkt-Cause"]).startswith("registration:")
        and kind in str(m["X-Treffpunkt-Cause"])
    ]


def reminders(smtp: SMTPServer) -> list[EmailMessage]:
    return [m for m in smtp.inbox.messages if "reminder" in str(m["X-Treffpunkt-Cause"])]


def invitation(message: EmailMessage) -> tuple[str, Calendar]:
    """The calendar part, checked for the structure of ICALENDAR.md rules 19–20."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = list(message.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, calendar = list(alternative.iter_parts())
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_content_charset() == "utf-8"
    method = calendar.get_param("method")
    raw = calendar.get_payload(decode=True)
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only (rule 1)
    parsed = Calendar.from_ical(raw)
    assert str(parsed["method"]) == method  # rule 19
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == raw
    return str(method), parsed


def vevents(calendar: Calendar) -> list[Any]:
    return list(calendar.walk("VEVENT"))


async def drop_in_series(municipality: Any, capacity: int = 5) -> list[Any]:
    event = await make_published_event(
        municipality, registration_mode="per_session", capacity=capacity, sessions=[], series=SERIES
    )
    return await sessions_of(event)


async def test_a_confirmed_place_arrives_as_an_invitation(
    client: Any, bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    await confirmed(sessions[2].id, "olena@example.org", locale="uk")
    await send_all(mail_settings)
    [mail] = mails(smtp, "olena@example.org", "confirmed")
    method, calendar = invitation(mail)
    assert method == "REQUEST"
    [component] = vevents(calendar)
    # The instance of the public feed's series: same UID, RECURRENCE-ID its original start.
    feed = Calendar.from_ical((await client.get("/m/bensheim/calendar.ics")).content)
    [master] = [c for c in vevents(feed) if "RECURRENCE-ID" not in c]
    assert component["uid"] == master["uid"]
    assert component.decoded("recurrence-id") == sessions[2].starts_at
    assert component.decoded("dtstart") == sessions[2].starts_at
    assert str(component["organizer"]) == f"mailto:{bensheim.sender_email}"
    [attendee] = [component["attendee"]]
    assert str(attendee) == "mailto:olena@example.org"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert calendar.walk("VTIMEZONE")[0]["tzid"] == "Europe/Berlin"
    # The mail's text links the person's calendar feed.
    assert "/feeds/" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_moving_a_session_sends_one_request_with_sequence_plus_one(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    people = ["olena@example.org", "karim@example.org"]
    for email in people:
        await confirmed(sessions[4].id, email)
    await register_for_session(sessions[5].id, "other@example.org")  # another session
    await send_all(mail_settings)
    [first] = vevents(invitation(mails(smtp, people[0], "confirmed")[0])[1])
    later = sessions[4].starts_at + timedelta(hours=1)
    await move(bensheim, sessions[4], later)
    await send_all(mail_settings)
    for email in people:
        [mail] = mails(smtp, email, "event_changed")
        method, calendar = invitation(mail)
        assert method == "REQUEST"
        [component] = vevents(calendar)
        assert component["uid"] == first["uid"]
        assert component.decoded("recurrence-id") == first.decoded("recurrence-id")
        assert component.decoded("dtstart") == later
        assert component["sequence"] == first["sequence"] + 1
        assert str(component["status"]) == "CONFIRMED"
    assert mails(smtp, "other@example.org", "event_changed") == []


async def test_quick_edits_reach_each_person_as_one_mail_of_the_result(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    await confirmed(sessions[4].id, "olena@example.org")
    await send_all(mail_settings)
    [first] = vevents(invitation(mails(smtp, "olena@example.org", "confirmed")[0])[1])
    # A guide moves the session, then corrects herself within the window.
    for hours in (1, 2):
        await move(bensheim, sessions[4], sessions[4].starts_at + timedelta(hours=hours))
    await send_all(mail_settings)
    [mail] = mails(smtp, "olena@example.org", "event_changed")
    [component] = vevents(invitation(mail)[1])
    assert component.decoded("dtstart") == sessions[4].starts_at + timedelta(hours=2)
    assert component["sequence"] == first["sequence"] + 2


async def move(municipality: Any, session: Any, start: datetime) -> None:
    await events.move_session(
        municipality.id,
        session.id,
        SessionTimes(starts_at=start, ends_at=start + (session.ends_at - session.starts_at)),
    )


async def test_cancelling_one_session_of_a_series_sends_cancel_for_that_instance(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    await confirmed(sessions[3].id, "olena@example.org")
    await send_all(mail_settings)
    [before] = vevents(invitation(mails(smtp, "olena@example.org", "confirmed")[0])[1])
    await events.cancel_session(bensheim.id, sessions[3].id)
    await send_all(mail_settings)
    [mail] = mails(smtp, "olena@example.org", "event_cancelled")
    method, calendar = invitation(mail)
    assert method == "CANCEL"
    [component] = vevents(calendar)
    assert component["uid"] == before["uid"]
    assert component.decoded("recurrence-id") == sessions[3].starts_at
    assert str(component["status"]) == "CANCELLED"
    assert component["sequence"] == before["sequence"] + 1
    assert "abgesagt" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_cancelling_a_course_cancels_the_whole_series(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    event = await make_published_event(
        bensheim, registration_mode="whole_event", capacity=5, sessions=[], series=SERIES
    )
    course = await register_for_course(event.id, "amira@example.org")
    await registrations.confirm_registration(course.id)
    await send_all(mail_settings)
    method, calendar = invitation(mails(smtp, "amira@example.org", "confirmed")[0])
    [master] = vevents(calendar)  # the whole course: the series, written once
    assert method == "REQUEST"
    assert "RRULE" in master
    await events.cancel_event(bensheim.id, event.id)
    await send_all(mail_settings)
    [mail] = mails(smtp, "amira@example.org", "event_cancelled")  # one mail for ten sessions
    method, calendar = invitation(mail)
    assert method == "CANCEL"
    components = vevents(calendar)
    assert {str(c["status"]) for c in components} == {"CANCELLED"}
    [cancelled_master] = [c for c in components if "RECURRENCE-ID" not in c]
    assert cancelled_master["uid"] == master["uid"]
    assert cancelled_master["sequence"] == master["sequence"] + 1


async def test_a_change_then_a_cancellation_sends_only_the_cancellation(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    await confirmed(sessions[1].id, "olena@example.org")
    later = sessions[1].starts_at + timedelta(hours=3)
    await events.move_session(
        bensheim.id,
        sessions[1].id,
        SessionTimes(starts_at=later, ends_at=later + timedelta(hours=1)),
    )
    await events.cancel_session(bensheim.id, sessions[1].id)
    await send_all(mail_settings)
    assert mails(smtp, "olena@example.org", "event_changed") == []
    assert len(mails(smtp, "olena@example.org", "event_cancelled")) == 1
    assert await OutboxMessage.count().where(OutboxMessage.status == "skipped") == 1


async def test_people_on_the_waitlist_hear_of_changes_without_an_invitation(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim, capacity=1)
    await confirmed(sessions[1].id, "olena@example.org")
    await confirmed(sessions[1].id, "karim@example.org", locale="ar")  # waitlisted
    later = sessions[1].starts_at + timedelta(hours=1)
    await events.move_session(
        bensheim.id,
        sessions[1].id,
        SessionTimes(starts_at=later, ends_at=later + timedelta(hours=2)),
    )
    await send_all(mail_settings)
    [mail] = mails(smtp, "karim@example.org", "event_changed")
    assert mail.get_content_type() == "multipart/alternative"
    assert "text/calendar" not in {p.get_content_type() for p in mail.iter_parts()}
    assert str(mail["Subject"]).startswith("تغيير في الموعد")


async def test_series_changes_reach_the_registrants_of_moved_sessions(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    await confirmed(sessions[6].id, "olena@example.org")
    await send_all(mail_settings)
    [before] = vevents(invitation(mails(smtp, "olena@example.org", "confirmed")[0])[1])
    await events.set_series(
        bensheim.id,
        sessions[0].event,
        SeriesRule(**{**SERIES, "start_time": "15:00", "end_time": "17:00"}),
    )
    await send_all(mail_settings)
    [mail] = mails(smtp, "olena@example.org", "event_changed")
    method, calendar = invitation(mail)
    [component] = vevents(calendar)
    assert method == "REQUEST"
    assert component.decoded("dtstart").astimezone(UTC) == sessions[6].starts_at + timedelta(
        hours=5
    )
    assert component["sequence"] > before["sequence"]


# --- reminders -------------------------------------------------------------------------


async def soon(municipality: Any, hours: float) -> Any:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)
    event = await make_published_event(
        municipality,
        registration_mode="per_session",
        capacity=5,
        sessions=[
            {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
        ],
    )
    [session] = await sessions_of(event)
    return session


async def test_a_reminder_goes_out_once_a_day_before(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    tomorrow, later = await soon(bensheim, 20), await soon(bensheim, 30)
    await confirmed(tomorrow.id, "olena@example.org", locale="uk")
    await confirmed(later.id, "olena@example.org", locale="uk")  # not yet due
    await register_for_session(tomorrow.id, "unconfirmed@example.org")
    gone = await confirmed(tomorrow.id, "gone@example.org")
    await registrations.cancel_registration(gone.id)
    for _ in range(3):
        await send_all(mail_settings)
    [reminder] = [m for m in reminders(smtp) if "olena" in str(m["To"])]
    assert str(reminder["Subject"]).startswith("Нагадування")
    assert not [m for m in reminders(smtp) if "olena" not in str(m["To"])]


async def test_two_workers_send_a_reminder_once(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    session = await soon(bensheim, 5)
    for i in range(5):
        await confirmed(session.id, f"p{i}@example.org")
    await OutboxMessage.update({OutboxMessage.status: "sent"}).where(
        OutboxMessage.status == "queued"
    )
    policy = Policy(batch_size=3)
    for _ in range(3):
        await asyncio.gather(
            run_once(mail_settings, "worker-a", policy), run_once(mail_settings, "worker-b", policy)
        )
    assert sorted(parseaddr(str(m["To"]))[1] for m in reminders(smtp)) == [
        f"p{i}@example.org" for i in range(5)
    ]


async def test_a_course_registration_is_reminded_of_each_session(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=10)
    event = await make_published_event(
        bensheim,
        registration_mode="whole_event",
        capacity=5,
        sessions=[
            {
                "starts_at": (start + timedelta(days=d)).isoformat(),
                "ends_at": (start + timedelta(days=d, hours=2)).isoformat(),
            }
            for d in (0, 3)
        ],
    )
    course = await register_for_course(event.id, "amira@example.org")
    await registrations.confirm_registration(course.id)
    await send_all(mail_settings)
    await send_all(mail_settings)
    [reminder] = reminders(smtp)  # the first session; the second is three days away
    first, _ = await sessions_of(event)
    assert f":{first.id}:" in str(reminder["X-Treffpunkt-Cause"])


async def test_no_reminder_for_cancelled_sessions_or_when_turned_off(
    bensheim: Any, butzbach: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    cancelled = await soon(bensheim, 3)
    await confirmed(cancelled.id, "olena@example.org")
    await events.cancel_session(bensheim.id, cancelled.id)
    await Municipality.update({Municipality.reminder_hours: 0}).where(
        Municipality.id == butzbach.id
    )
    quiet = await soon(butzbach, 3)
    await confirmed(quiet.id, "karim@example.org")
    await send_all(mail_settings)
    assert reminders(smtp) == []


async def test_a_queued_reminder_is_dropped_when_the_place_is_cancelled(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    session = await soon(bensheim, 3)
    registration = await confirmed(session.id, "olena@example.org")
    assert await queue_reminders(datetime.now(UTC)) == 1
    await registrations.cancel_registration(registration.id)
    await send_all(mail_settings)
    assert reminders(smtp) == []
