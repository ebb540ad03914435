"""The guide's side of registrations: lists, attendance, the CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt import db
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.schemas import EventUpdate
from treffpunkt.events.service import get_session, update_event
from treffpunkt.events.tables import Session
from treffpunkt.i18n import DEFAULT_LOCALE
from treffpunkt.outbox import OutboxMessage, OutboxStatus
from treffpunkt.registrations import service
from treffpunkt.registrations.schemas import GuideRegistrationOut, NeedsOut, RegistrationMail
from treffpunkt.registrations.tables import (
    HOLDING,
    Attendance,
    AttendanceStatus,
    Registration,
    RegistrationStatus,
)
from treffpunkt.registrations.targets import Target
from treffpunkt.spreadsheets import csv_for_excel, xlsx_workbook
from treffpunkt.tenancy import owned
from treffpunkt.translations import languages_named_in


async def guide_registrations(target: Target) -> list[GuideRegistrationOut]:
    """Every registration of the target in arrival order, with waitlist positions and
    whether each mail reached the person."""
    rows = await Registration.objects().where(target.registrations()).order_by(Registration.id)
    ids = [r.id for r in rows] or [-1]
    attendance: dict[int, dict[int, AttendanceStatus]] = {}
    for mark in await Attendance.select().where(Attendance.registration.is_in(ids)):
        marks = attendance.setdefault(mark["registration"], {})
        marks[mark["session"]] = AttendanceStatus(mark["status"])
    mails = await _mails(ids)
    out, position = [], 0
    for registration in rows:
        waitlisted = registration.status == RegistrationStatus.waitlisted
        position += waitlisted
        needs = None
        if registration.needs_interpretation or registration.needs_accessibility:
            needs = NeedsOut(
                interpretation=registration.needs_interpretation,
                accessibility=registration.needs_accessibility,
            )
        out.append(
            GuideRegistrationOut(
                id=registration.id,
                status=RegistrationStatus(registration.status),
                position=position if waitlisted else None,
                seats=registration.seats,
                name=registration.name,
                email=registration.email,
                phone=registration.phone,
                locale=registration.locale,
                needs=needs,
                source=registration.source,  # type: ignore[arg-type]
                session_id=registration.session,
                created_at=registration.created_at,
                email_confirmed_at=registration.email_confirmed_at,
                attendance=attendance.get(registration.id, {}),
                mails=mails.get(registration.id, []),
            )
        )
    return out


async def _mails(registration_ids: list[int]) -> dict[int, list[RegistrationMail]]:
    """The mails of these registrations, in one query; what they say stays out."""
    rows = (
        await OutboxMessage.select(
            OutboxMessage.registration,
            OutboxMessage.kind,
            OutboxMessage.status,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
            OutboxMessage.next_attempt_at,
            OutboxMessage.last_error,
        )
        .where(OutboxMessage.registration.is_in(registration_ids))
        .order_by(OutboxMessage.id)
    )
    mails: dict[int, list[RegistrationMail]] = {}
    for row in rows:
        status = OutboxStatus(row["status"])
        mails.setdefault(row["registration"], []).append(
            RegistrationMail(
                kind=row["kind"],
                status=status,
                queued_at=row["created_at"],
                sent_at=row["sent_at"],
                next_attempt_at=row["next_attempt_at"] if status == OutboxStatus.queued else None,
                error=row["last_error"] if status != OutboxStatus.sent else None,
            )
        )
    return mails


async def guide_registration(municipality_id: int, registration_id: int) -> Registration:
    registration = (
        await Registration.objects()
        .where(owned(Registration, municipality_id, registration_id))
        .first()
    )
    if registration is None:
        raise NotFound("No such registration.")
    return registration


async def record_attendance(
    municipality_id: int, session_id: int, registration_id: int, status: AttendanceStatus
) -> None:
    """Mark who came; a course registration is marked per session."""
    registration = await guide_registration(municipality_id, registration_id)
    session = await get_session(municipality_id, session_id)
    belongs = registration.session == session.id or (
        registration.session is None and registration.event == session.event
    )
    if not belongs:
        raise InvalidInput(
            "The registration is not for this session.", {"registration_id": "not for this session"}
        )
    if registration.status != RegistrationStatus.confirmed:
        raise Conflict(
            "Only confirmed registrations take attendance.", {"status": registration.status}
        )
    async with db.write_transaction():
        await service.mark_attendance(registration, session.id, status)


# --- the door list: one target's registrations, as a guide works them at the door ---------


def on_list(target: Target, registration: Registration) -> bool:
    """Whether the registration is one of the target's (a session's, or a course's)."""
    if target.session is not None:
        return registration.session == target.session.id
    return registration.event == target.event.id and registration.session is None


async def door_registration(
    target: Target, municipality_id: int, registration_id: int
) -> Registration:
    """A registration of this list, of the guide's town; any other is not found."""
    registration = await guide_registration(municipality_id, registration_id)
    if not on_list(target, registration):
        raise NotFound("No such registration on this list.")
    return registration


async def cancel_at_door(
    target: Target, municipality_id: int, registration_id: int
) -> tuple[Registration, list[Registration]]:
    """Cancel a place of this list; its seats go to the waitlist at once. Returns the
    registration and those moved up (by name, for the guide to tell)."""
    registration = await door_registration(target, municipality_id, registration_id)
    return await service.cancel_and_promote(registration.id)


async def change_capacity(
    municipality_id: int, target: Target, capacity: int | None
) -> list[Registration]:
    """A guide changes the capacity of a session (its own from now on, as the API's
    setSessionCapacity) or of a course (the event's, as updateEvent does, its sessions
    following). More room promotes from the waitlist at once; returns those promoted."""
    if target.session is not None:
        return await service.set_capacity(target, capacity)
    # The course's capacity is the event's: the events service changes it and serves
    # the waitlist in its transaction (events.hooks). Who moved up is read afterwards:
    # of those who waited before, the ones who hold a place now.
    waiting = [
        row["id"]
        for row in await Registration.select(Registration.id).where(
            target.registrations() & (Registration.status == RegistrationStatus.waitlisted)
        )
    ]
    await update_event(municipality_id, target.event.id, EventUpdate(capacity=capacity))
    if not waiting:
        return []
    return list(
        await Registration.objects()
        .where(Registration.id.is_in(waiting) & Registration.status.is_in(list(HOLDING)))
        .order_by(Registration.id)
    )


# The words of the export, per locale: guides read it in German; a missing locale
# falls back to German. (Pages and mail will share one catalogue later.)
EXPORT_WORDS: dict[str, dict[str, Any]] = {
    "de": {
        "columns": [
            "Name",
            "E-Mail",
            "Telefon",
            "Status",
            "Plätze",
            "Warteliste",
            "Sprache",
            "Dolmetschen",
            "Barrierefreiheit",
            "Quelle",
            "Angemeldet am",
            "Anwesenheit",
        ],
        "status": {
            RegistrationStatus.pending: "unbestätigt",
            RegistrationStatus.confirmed: "bestätigt",
            RegistrationStatus.waitlisted: "Warteliste",
            RegistrationStatus.cancelled: "storniert",
            RegistrationStatus.expired: "verfallen",
        },
        "source": {"self": "selbst", "guide": "Guide"},
        "attendance": {
            AttendanceStatus.attended: "anwesend",
            AttendanceStatus.no_show: "nicht erschienen",
        },
        "datetime": "%d.%m.%Y %H:%M",
        "sheet": "Anmeldungen",
    },
}


async def _export_rows(target: Target, locale: str) -> tuple[list[str], list[list[Any]]]:
    """The export's header and rows, the same for CSV and XLSX: instants as datetimes in
    the town's zone without a zone (spreadsheets have none), the rest as text or numbers."""
    words = EXPORT_WORDS.get(locale, EXPORT_WORDS[DEFAULT_LOCALE])
    languages = languages_named_in(locale)
    zone = ZoneInfo(target.municipality.time_zone)
    registrations = await guide_registrations(target)
    session_ids = {sid for r in registrations for sid in r.attendance}
    starts = {
        row["id"]: row["starts_at"]
        for row in await Session.select(Session.id, Session.starts_at).where(
            Session.id.is_in(list(session_ids) or [-1])
        )
    }

    def local(moment: datetime) -> datetime:
        return moment.astimezone(zone).replace(tzinfo=None)

    def language(code: str | None) -> str:
        return languages.get(code, code) if code else ""

    rows = [
        [
            r.name,
            r.email,
            r.phone,
            words["status"][r.status],
            r.seats,
            r.position,
            language(r.locale),
            language(r.needs.interpretation if r.needs else None),
            r.needs.accessibility if r.needs else None,
            words["source"][r.source],
            local(r.created_at),
            ", ".join(
                f"{local(starts[sid]).strftime(words['datetime'])}: {words['attendance'][status]}"
                for sid, status in sorted(r.attendance.items(), key=lambda item: starts[item[0]])
            ),
        ]
        for r in registrations
    ]
    return words["columns"], rows


async def registrations_csv(target: Target, locale: str = DEFAULT_LOCALE) -> bytes:
    """The registration list as German Excel opens it, in the export's language."""
    header, rows = await _export_rows(target, locale)
    pattern = EXPORT_WORDS.get(locale, EXPORT_WORDS[DEFAULT_LOCALE])["datetime"]
    return csv_for_excel(
        header,
        (
            [value.strftime(pattern) if isinstance(value, datetime) else value for value in row]
            for row in rows
        ),
    )


async def registrations_xlsx(target: Target, locale: str = DEFAULT_LOCALE) -> bytes:
    """The same list as an Excel workbook: the same columns, dates as dates."""
    header, rows = await _export_rows(target, locale)
    return xlsx_workbook(header, rows, sheet_title=EXPORT_WORDS["de"]["sheet"])


async def list_sessions(target: Target) -> list[dict[str, Any]]:
    """The sessions whose attendance the list takes: the session, or the course's."""
    query = Session.select(
        Session.id, Session.starts_at, Session.ends_at, Session.status, Session.all_day
    )
    if target.session is not None:
        query = query.where(Session.id == target.session.id)
    else:
        query = query.where(Session.event == target.event.id)
    return list(await query.order_by(Session.starts_at))


async def current_session(target: Target, at: datetime | None = None) -> int:
    """The session a door list is for when none is picked: the one going on or next
    (not cancelled, unless all are); after the last, the last."""
    if target.session is not None:
        return target.session.id
    at = at or service.now()
    sessions = await list_sessions(target)
    sessions = [s for s in sessions if s["status"] != "cancelled"] or sessions
    if not sessions:
        raise Conflict("The course has no sessions.", {"session_id": "none scheduled"})
    for session in sessions:
        if session["ends_at"] >= at:
            return int(session["id"])
    return int(sessions[-1]["id"])
