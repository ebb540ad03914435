"""Invitations as a person's calendar app sees them: the parts of each mail, checked
one by one, and applied to a calendar kept the way clients keep it (RFC 5546)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from icalendar import Calendar
from icalendar import Event as VEvent

from tests.calendars.parsers import occurrences
from tests.smtp import SMTPServer


def calendar_part(message: EmailMessage) -> tuple[str, Calendar, bytes] | None:
    """The text/calendar part of a mail in the structure of docs/calendars.md rules 19–20,
    checked, with its method; None for a mail without one."""
    if message.get_content_type() != "multipart/mixed":
        assert "text/calendar" not in {p.get_content_type() for p in message.walk()}
        return None
    alternative, attachment = list(message.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, part = list(alternative.iter_parts())
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert part.get_content_type() == "text/calendar"
    assert part.get_content_charset() == "utf-8"
    method = str(part.get_param("method"))
    raw = part.get_payload(decode=True)
    assert isinstance(raw, bytes)
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only (rule 1)
    calendar = Calendar.from_ical(raw)
    assert str(calendar["method"]) == method  # rule 19
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == raw
    events = list(calendar.walk("VEVENT"))
    assert events
    assert len({str(e["UID"]) for e in events}) == 1  # one calendar object per message
    for event in events:
        assert not isinstance(event["ATTENDEE"], list)  # one ATTENDEE: the recipient (rule 21)
        assert str(event["ORGANIZER"]).startswith("mailto:")
    return method, calendar, raw


def uid_of(calendar: Calendar) -> str:
    return str(next(iter(calendar.walk("VEVENT")))["UID"])


def sequence_of(calendar: Calendar) -> int:
    [sequence] = {int(e["SEQUENCE"]) for e in calendar.walk("VEVENT")}
    return sequence


class CalendarApp:
    """One person's calendar: REQUEST replaces an object (RFC 5546 §3.2.2), CANCEL
    removes it, or with RECURRENCE-ID excludes that one occurrence (§3.2.5). An
    update whose SEQUENCE is lower than the one held is an error here (clients
    ignore it); one that changes the object without a higher SEQUENCE is ignored,
    as Google does."""

    def __init__(self) -> None:
        self.objects: dict[str, list[VEvent]] = {}
        self.sequence: dict[str, int] = {}
        self.timezones: list[Any] = []
        self.seen = 0  # mails taken from the inbox so far

    def read_inbox(self, smtp: SMTPServer, email: str) -> list[tuple[str, Calendar, bytes]]:
        """Apply the calendar parts of the mails to `email` that arrived since last time."""
        mails = smtp.inbox.to(email)
        parts = [calendar_part(m) for m in mails[self.seen :]]
        self.seen = len(mails)
        received = [part for part in parts if part is not None]
        for method, calendar, raw in received:
            expanded = occurrences(raw)  # both parsers read every part alike
            assert expanded
            if method == "CANCEL":
                assert {status for _, _, status in expanded} == {"CANCELLED"}
            self.receive(method, calendar)
        return received

    def receive(self, method: str, calendar: Calendar) -> None:
        self.timezones = list(calendar.walk("VTIMEZONE")) or self.timezones
        uid, sequence = uid_of(calendar), sequence_of(calendar)
        events = list(calendar.walk("VEVENT"))
        last = self.sequence.get(uid)
        assert last is None or sequence >= last, (uid, last, sequence)  # never goes down
        if method == "REQUEST":
            if last is not None and sequence == last:
                assert _content(events) == _content(self.objects.get(uid, [])), (
                    "a changed object with an unchanged SEQUENCE: Google would ignore it"
                )
            self.objects[uid] = events
        else:
            assert method == "CANCEL"
            assert last is not None
            assert sequence > last  # rule 22: SEQUENCE+1
            if any("RECURRENCE-ID" not in e for e in events):
                self.objects.pop(uid, None)
            else:
                kept = self.objects[uid]
                [master] = [e for e in kept if "RECURRENCE-ID" not in e]
                for event in events:
                    cancelled = event.decoded("recurrence-id")
                    kept = [e for e in kept if _recurrence(e) != cancelled]
                    master.add("exdate", cancelled)
                self.objects[uid] = kept
        self.sequence[uid] = sequence

    def as_feed(self) -> bytes:
        calendar = Calendar()
        calendar.add("prodid", "-//test//calendar app//EN")
        calendar.add("version", "2.0")
        for timezone in self.timezones:
            calendar.add_component(timezone)
        for events in self.objects.values():
            for event in events:
                calendar.add_component(event)
        return bytes(calendar.to_ical())

    def occurrences(self) -> set[tuple[str, str, str]]:
        return occurrences(self.as_feed())

    def taking_place(self) -> set[tuple[str, str]]:
        """What the person sees in their calendar as happening."""
        return {(start, end) for start, end, status in self.occurrences() if status != "CANCELLED"}


def _recurrence(event: VEvent) -> datetime | None:
    return event.decoded("recurrence-id") if "RECURRENCE-ID" in event else None


def _content(events: list[VEvent]) -> list[bytes]:
    ignored = {"DTSTAMP", "SEQUENCE", "ATTENDEE", "ORGANIZER", "BEGIN", "END"}
    return sorted(
        b"".join(
            name.encode() + b":" + value.to_ical()
            for name, value in event.property_items(recursive=False)
            if name not in ignored
        )
        for event in events
    )


def by_uid(parts: list[tuple[str, Calendar, bytes]]) -> dict[str, list[tuple[str, Calendar]]]:
    grouped: dict[str, list[tuple[str, Calendar]]] = defaultdict(list)
    for method, calendar, _ in parts:
        grouped[uid_of(calendar)].append((method, calendar))
    return grouped
