"""Invitations that follow every change (iMIP), and reminders, through a real SMTP server.

Each calendar part is read by two independent parsers and applied to a calendar kept
as clients keep it (tests/calendars/imip.py); what that calendar shows must be
exactly what the person holds."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

import pytest
from icalendar import Calendar

from tests.calendars.imip import CalendarApp, calendar_part, sequence_of
from tests.calendars.parsers import occurrences
from tests.factories import (
    SECRET,
    make_published_event,
    register_for_course,
    register_for_session,
    sessions_of,
)
from tests.mail_words import said_in_mail
from tests.smtp import SMTPServer
from treffpunkt.events import service as events
from treffpunkt.events.schemas import SeriesRule, SessionTimes
from treffpunkt.events.tables import Event, Session
from treffpunkt.i18n import LOCALES, format_when
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.notifications.rendering import render
from treffpunkt.notifications.worker import Policy, run_once
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations import service as registrations
from treffpunkt.registrations.notices import queue_reminders
from treffpunkt.registrations.service import registration_token
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
    part = calendar_part(message)
    assert part is not None
    return part[0], part[1]


def vevents(calendar: Calendar) -> list[Any]:
    return list(calendar.walk("VEVENT"))


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def held(*sessions: Any, status: str = "CONFIRMED") -> set[tuple[str, str, str]]:
    return {
        (s.starts_at.astimezone(UTC).isoformat(), s.ends_at.astimezone(UTC).isoformat(), status)
        for s in sessions
    }


def taking_place(*sessions: Any) -> set[tuple[str, str]]:
    return {(start, end) for start, end, _ in held(*sessions)}


async def drop_in_series(municipality: Any, capacity: int = 5) -> list[Any]:
    event = await make_published_event(
        municipality, registration_mode="per_session", capacity=capacity, sessions=[], series=SERIES
    )
    return await sessions_of(event)


async def move(municipality: Any, session: Any, start: datetime) -> Any:
    return await events.move_session(
        municipality.id,
        session.id,
        SessionTimes(starts_at=start, ends_at=start + (session.ends_at - session.starts_at)),
    )


async def token_of(registration: Any) -> str:
    return registration_token(SECRET, registration.token_salt)


async def test_a_place_in_a_series_arrives_as_the_persons_view_of_the_series(
    client: Any, bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    await confirmed(sessions[2].id, "olena@example.org", locale="uk")
    changed = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)  # the guide's last edit
    await Event.update({Event.updated_at: changed}, force=True)
    await Session.update({Session.updated_at: changed}, force=True)
    before = datetime.now(UTC).replace(microsecond=0)
    await send_all(mail_settings)
    after = datetime.now(UTC)
    [mail] = mails(smtp, "olena@example.org", "confirmed")
    part = calendar_part(mail)
    assert part is not None
    method, calendar, raw = part
    assert method == "REQUEST"
    # It stands alone: the series with its rule, everything but her date excluded.
    [master] = vevents(calendar)
    assert "RRULE" in master
    assert "EXDATE" in master
    assert occurrences(raw) == held(sessions[2])
    # The public feed's UID, so that no client shows the date twice.
    feed = Calendar.from_ical((await client.get("/m/bensheim/calendar.ics")).content)
    [public] = [c for c in vevents(feed) if "RRULE" in c]
    assert master["uid"] == public["uid"]
    # DTSTAMP is when the message was made, not when the event last changed.
    assert before <= master.decoded("dtstamp") <= after
    assert master.decoded("last-modified") == changed
    assert str(master["organizer"]) == f"mailto:{bensheim.sender_email}"
    assert str(master["attendee"]) == "mailto:olena@example.org"
    assert master["attendee"].params["PARTSTAT"] == "ACCEPTED"
    assert calendar.walk("VTIMEZONE")[0]["tzid"] == "Europe/Berlin"
    assert "/feeds/" in text_of(mail)  # the mail links the person's calendar feed


async def test_sequence_rises_with_every_change_of_what_the_person_holds(
    client: Any,
    bensheim: Any,
    bensheim_headers: dict[str, str],
    smtp: SMTPServer,
    mail_settings: Settings,
) -> None:
    """Registrations, a move, cancellations by link and by a guide, a new place: after
    each mail the person's calendar shows exactly what they hold, SEQUENCE only rises."""
    sessions = await drop_in_series(bensheim)
    app, email = CalendarApp(), "olena@example.org"
    sequences: list[int] = []

    async def deliver(expected: set[tuple[str, str]], methods: list[str]) -> None:
        await send_all(mail_settings)
        received = app.read_inbox(smtp, email)
        assert [method for method, _, _ in received] == methods
        for method, calendar, raw in received:
            sequences.append(sequence_of(calendar))
            if method == "REQUEST":  # each invitation alone: the person's whole view
                assert {(s, e) for s, e, _ in occurrences(raw)} == expected
        assert app.taking_place() == expected

    first = await confirmed(sessions[2].id, email)
    await deliver(taking_place(sessions[2]), ["REQUEST"])
    second = await confirmed(sessions[5].id, email)
    await deliver(taking_place(sessions[2], sessions[5]), ["REQUEST"])
    moved = await move(bensheim, sessions[5], sessions[5].starts_at + timedelta(hours=3))
    await deliver(taking_place(sessions[2], moved), ["REQUEST"])
    cancelled = await client.post(f"/api/v1/registrations/{await token_of(first)}/cancel")
    assert cancelled.status_code == 200
    await deliver(taking_place(moved), ["CANCEL"])
    [instance] = vevents(invitation(mails(smtp, email, "cancelled")[-1])[1])
    assert instance.decoded("recurrence-id") == sessions[2].starts_at  # just that date
    await register_for_session(sessions[7].id, email)  # unconfirmed: not in the calendar
    await deliver(taking_place(moved), [])
    by_guide = await client.post(
        f"/api/v1/guide/registrations/{second.id}/cancel", headers=bensheim_headers
    )
    assert by_guide.status_code == 204
    await deliver(set(), ["CANCEL"])
    assert app.objects == {}
    await confirmed(sessions[8].id, email)
    await deliver(taking_place(sessions[8]), ["REQUEST"])
    assert sequences == sorted(set(sequences))  # strictly rising


async def test_cancelling_a_session_the_person_holds_among_others_cancels_that_date(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    app, email = CalendarApp(), "olena@example.org"
    for session in (sessions[3], sessions[4]):
        await confirmed(session.id, email)
    await send_all(mail_settings)
    app.read_inbox(smtp, email)
    await events.cancel_session(bensheim.id, sessions[3].id)
    await send_all(mail_settings)
    [(method, calendar, _)] = app.read_inbox(smtp, email)
    assert method == "CANCEL"
    [instance] = vevents(calendar)
    assert instance.decoded("recurrence-id") == sessions[3].starts_at
    assert str(instance["status"]) == "CANCELLED"
    assert app.taking_place() == taking_place(sessions[4])
    [mail] = mails(smtp, email, "event_cancelled")
    assert "abgesagt" in text_of(mail)


async def test_cancelling_a_course_cancels_the_whole_series(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    event = await make_published_event(
        bensheim, registration_mode="whole_event", capacity=5, sessions=[], series=SERIES
    )
    course = await register_for_course(event.id, "amira@example.org")
    await registrations.confirm_registration(course.id)
    await send_all(mail_settings)
    app = CalendarApp()
    [(method, calendar, raw)] = app.read_inbox(smtp, "amira@example.org")
    assert method == "REQUEST"
    [master] = vevents(calendar)  # the whole course: the series, written once
    assert "RRULE" in master
    assert occurrences(raw) == held(*await sessions_of(event))
    await events.cancel_event(bensheim.id, event.id)
    await send_all(mail_settings)
    [(method, calendar, raw)] = app.read_inbox(smtp, "amira@example.org")  # one for ten
    assert method == "CANCEL"
    assert {status for _, _, status in occurrences(raw)} == {"CANCELLED"}
    [cancelled_master] = [c for c in vevents(calendar) if "RECURRENCE-ID" not in c]
    assert cancelled_master["uid"] == master["uid"]
    assert cancelled_master["sequence"] > master["sequence"]
    assert app.objects == {}


async def test_a_course_with_dates_outside_its_series_gets_one_invitation_per_object(
    client: Any, bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    event = await make_published_event(
        bensheim,
        registration_mode="whole_event",
        capacity=5,
        sessions=[],
        series={**SERIES, "count": 3},
    )
    extra = datetime(2027, 4, 1, 15, tzinfo=UTC)
    await events.add_session(
        bensheim.id, event.id, SessionTimes(starts_at=extra, ends_at=extra + timedelta(hours=2))
    )
    course = await register_for_course(event.id, "amira@example.org", locale="en")
    await registrations.confirm_registration(course.id)
    await send_all(mail_settings)
    app = CalendarApp()
    received = app.read_inbox(smtp, "amira@example.org")
    assert [method for method, _, _ in received] == ["REQUEST", "REQUEST"]
    assert app.taking_place() == taking_place(*await sessions_of(event))
    entry = smtp.inbox.to("amira@example.org")[-1]
    assert str(entry["Subject"]).startswith("Calendar:")
    await client.post(f"/api/v1/registrations/{await token_of(course)}/cancel")
    await send_all(mail_settings)
    assert [m for m, _, _ in app.read_inbox(smtp, "amira@example.org")] == ["CANCEL", "CANCEL"]
    assert app.objects == {}


async def test_a_place_that_ended_before_its_invitation_went_out_gets_no_cancel(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    registration = await confirmed(sessions[1].id, "olena@example.org")
    await registrations.cancel_registration(registration.id)
    await send_all(mail_settings)
    assert mails(smtp, "olena@example.org", "cancelled")  # the mail, without a calendar
    assert CalendarApp().read_inbox(smtp, "olena@example.org") == []


async def test_a_cancel_that_could_not_be_sent_goes_out_the_same_when_retried(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    app = CalendarApp()
    registration = await confirmed(sessions[1].id, "olena@example.org")
    await send_all(mail_settings)
    app.read_inbox(smtp, "olena@example.org")
    await registrations.cancel_registration(registration.id)
    smtp.stop()
    await send_all(mail_settings)  # the server is away: tried, not sent
    smtp.start()
    await send_all(mail_settings)
    [(method, _, _)] = app.read_inbox(smtp, "olena@example.org")
    assert method == "CANCEL"
    assert app.objects == {}


async def test_a_date_that_leaves_the_series_is_cancelled_in_the_series(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    app = CalendarApp()
    for session in (sessions[6], sessions[7]):
        await confirmed(session.id, "olena@example.org")
    await send_all(mail_settings)
    app.read_inbox(smtp, "olena@example.org")
    dropped = sessions[6].starts_at.astimezone(events.ZoneInfo("Europe/Berlin")).date()
    await events.set_series(
        bensheim.id, sessions[0].event, SeriesRule(**{**SERIES, "excluded_dates": [dropped]})
    )
    await send_all(mail_settings)
    app.read_inbox(smtp, "olena@example.org")
    assert app.taking_place() == taking_place(sessions[7])


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
        master, override = vevents(calendar)
        assert master["uid"] == override["uid"] == first["uid"]
        assert override.decoded("recurrence-id") == sessions[4].starts_at
        assert override.decoded("dtstart") == later
        assert master["sequence"] == override["sequence"] == first["sequence"] + 1
        assert str(override["status"]) == "CONFIRMED"
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
    _, override = vevents(invitation(mail)[1])
    assert override.decoded("dtstart") == sessions[4].starts_at + timedelta(hours=2)
    assert override["sequence"] > first["sequence"]


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


async def test_series_changes_reach_the_registrants_of_moved_sessions(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim)
    app = CalendarApp()
    await confirmed(sessions[6].id, "olena@example.org")
    await send_all(mail_settings)
    app.read_inbox(smtp, "olena@example.org")
    await events.set_series(
        bensheim.id,
        sessions[0].event,
        SeriesRule(**{**SERIES, "start_time": "15:00", "end_time": "17:00"}),
    )
    await send_all(mail_settings)
    [(method, _, _)] = app.read_inbox(smtp, "olena@example.org")
    assert method == "REQUEST"
    later = sessions[6].starts_at + timedelta(hours=5)
    assert app.taking_place() == {(later.isoformat(), (later + timedelta(hours=2)).isoformat())}


# --- what each mail says to its reader ----------------------------------------------------


async def test_change_mails_say_what_is_true_for_each_reader(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    sessions = await drop_in_series(bensheim, capacity=2)
    await confirmed(sessions[1].id, "olena@example.org")
    await register_for_session(sessions[1].id, "paul@example.org")  # holds a place, unconfirmed
    await confirmed(sessions[1].id, "karim@example.org", locale="ar")  # waitlisted, first
    await move(bensheim, sessions[1], sessions[1].starts_at + timedelta(hours=1))
    await send_all(mail_settings)
    de, ar = said_in_mail("de"), said_in_mail("ar")
    [olena] = mails(smtp, "olena@example.org", "event_changed")
    assert de["standing_confirmed"] in text_of(olena)
    [paul] = mails(smtp, "paul@example.org", "event_changed")
    assert "reserviert" in text_of(paul)
    assert "?confirm=1" in text_of(paul)
    assert de["standing_confirmed"] not in text_of(paul)
    assert calendar_part(paul) is None
    [karim] = mails(smtp, "karim@example.org", "event_changed")
    assert ar["standing_waitlisted"].replace("{position}", "1") in text_of(karim)
    assert ar["standing_confirmed"] not in text_of(karim)
    assert calendar_part(karim) is None
    assert str(karim["Subject"]).startswith("تغيير في الموعد")

    await events.cancel_session(bensheim.id, sessions[1].id)
    await send_all(mail_settings)
    [karim] = mails(smtp, "karim@example.org", "event_cancelled")
    assert ar["ended_waitlisted"] in text_of(karim)
    [paul] = mails(smtp, "paul@example.org", "event_cancelled")
    assert de["ended_pending"] in text_of(paul)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("status", ["confirmed", "pending", "waitlisted"])
def test_every_locale_says_what_is_true_for_each_status(locale: str, status: str) -> None:
    """event_changed and event_cancelled in all six languages, for each kind of reader."""
    said = said_in_mail(locale)
    context = {
        "name": "Olena",
        "event_title": "Elterncafé",
        "status": status,
        "position": 3 if status == "waitlisted" else None,
        "expires_at": "2027-03-01T12:00:00+00:00" if status == "pending" else None,
        "seats": 1,
        "sessions": [
            {
                "id": 1,
                "starts_at": "2027-03-02T09:00:00+00:00",
                "ends_at": "2027-03-02T11:00:00+00:00",
                "status": "scheduled",
            }
        ],
        "venue": None,
        "online_url": None,
        "event_status": "published",
        "municipality": {
            "name": "Stadt Bensheim",
            "sender_name": "Integration",
            "contact_email": "integration@bensheim.example",
            "website": None,
            "privacy_url": None,
            "time_zone": "Europe/Berlin",
        },
        "manage_url": "http://testserver/r/x",
        "confirm_url": "http://testserver/r/x?confirm=1",
        "calendar_url": None,
    }
    until = format_when(datetime(2027, 3, 1, 13, tzinfo=events.ZoneInfo("Europe/Berlin")), locale)
    standing = {
        "confirmed": said["standing_confirmed"],
        "pending": said["standing_pending"].replace("{until}", until),
        "waitlisted": said["standing_waitlisted"].replace("{position}", "3"),
    }
    changed = render("event_changed", locale, context)
    for part in (changed.text, changed.html):
        assert standing[status] in part
        assert {s for s in standing.values() if s in part} == {standing[status]}
    for remaining in (True, False):
        cancelled = render("event_cancelled", locale, {**context, "remaining": remaining})
        for part in (cancelled.text, cancelled.html):
            said_there = {s for s in standing.values() if s in part}
            assert said_there == ({standing[status]} if remaining else set())
            if not remaining and status != "confirmed":
                assert said[f"ended_{status}"] in part


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


async def test_an_all_day_place_arrives_with_dates_and_its_mail_names_no_times(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    event = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=50,
        sessions=[{"first_day": "2027-09-25", "last_day": "2027-09-26"}],
    )
    [session] = await sessions_of(event)
    await confirmed(session.id, "olena@example.org")
    await send_all(mail_settings)
    [mail] = mails(smtp, "olena@example.org", "confirmed")
    part = calendar_part(mail)
    assert part is not None
    method, calendar, raw = part
    assert method == "REQUEST"
    [vevent] = vevents(calendar)
    assert b"DTSTART;VALUE=DATE:20270925" in raw
    assert "TZID" not in vevent["DTSTART"].params
    assert occurrences(raw) == {("2027-09-25", "2027-09-27", "CONFIRMED")}
    text = text_of(mail)
    assert "Samstag, 25. September 2027 – Sonntag, 26. September 2027" in text
    assert "00:00" not in text


async def test_a_calendar_its_data_cannot_give_fails_the_mail_for_good(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    """A stored rule that no longer expands (written before rules were checked) fails
    the same way every time: the mail ends as failed at once, naming why."""
    sessions = await drop_in_series(bensheim)
    registration = await confirmed(sessions[2].id, "olena@example.org")
    await Event.update({Event.series: {**SERIES, "rule": "FREQ=HOURLY"}}).where(
        Event.id == registration.event
    )
    await send_all(mail_settings)
    rows = await OutboxMessage.select().where(OutboxMessage.kind == "registration_confirmed")
    [row] = rows
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "FREQ" in row["last_error"]
    assert mails(smtp, "olena@example.org", "confirmed") == []


async def test_a_database_error_while_making_a_calendar_is_tried_again(
    bensheim: Any, smtp: SMTPServer, mail_settings: Settings
) -> None:
    from tests.notifications.test_delivery import _database_fails_for_now
    from treffpunkt.notifications import registry

    sessions = await drop_in_series(bensheim)
    await confirmed(sessions[2].id, "olena@example.org")
    wired = registry.current_registry()
    assert wired.calendar is not None
    calls = []

    async def flaky(row: Any, context: Any, settings: Settings) -> Any:
        calls.append(row["kind"])
        if row["kind"] == "registration_confirmed" and calls.count(row["kind"]) == 1:
            await _database_fails_for_now()
        return await wired.calendar(row, context, settings)  # type: ignore[misc]

    flaky_registry = dataclasses.replace(wired, calendar=flaky)
    await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC)}, force=True)
    await run_once(mail_settings, "worker-1", registry=flaky_registry)
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "registration_confirmed")
    assert (row["status"], row["attempts"]) == ("queued", 1)
    await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC)}, force=True)
    await run_once(mail_settings, "worker-1", registry=flaky_registry)
    [mail] = mails(smtp, "olena@example.org", "confirmed")
    assert invitation(mail)[0] == "REQUEST"


@pytest.mark.parametrize(
    "zone", ["Europe/Vienna", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
)
async def test_invitations_in_any_zone_are_read_alike_across_the_clock_change(
    app: Any, zone: str, smtp: SMTPServer, mail_settings: Settings
) -> None:
    """A town in another zone: places in a weekly series before and after its spring or
    autumn change, one of them moved into the hour that autumn repeats (Kolkata: any
    night). Both parsers read each invitation as the API's instants."""
    from zoneinfo import ZoneInfo

    from tests.factories import make_municipality
    from treffpunkt.calendars.timezones import _changes

    town = await make_municipality("elsewhere", "Elsewhere", time_zone=zone)
    sessions = await drop_in_series(town)  # Tuesdays 10:00–12:00 from 2 March 2027
    email = "olena@example.org"
    backwards = [c.at for c in _changes(ZoneInfo(zone)) if c.at.year == 2027 and c.after < c.before]
    # Into the second pass of the repeated hour: wall time 30 minutes after the change.
    into = backwards[0] + timedelta(minutes=30) if backwards else sessions[6].starts_at
    moved = await move(town, sessions[6], into)
    for session in (sessions[0], sessions[4], sessions[6], sessions[9]):
        await confirmed(session.id, email)
    await send_all(mail_settings)
    person = CalendarApp()
    received = person.read_inbox(smtp, email)  # both parsers agree on every part
    assert received
    for _, calendar, _ in received:
        [timezone] = calendar.walk("VTIMEZONE")
        assert str(timezone["TZID"]) == zone
    assert person.taking_place() == taking_place(sessions[0], sessions[4], moved, sessions[9])
