"""The guide's side of registrations: lists, attendance, the CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt import db
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.service import get_session
from treffpunkt.events.tables import Session
from treffpunkt.i18n import DEFAULT_LOCALE
from treffpunkt.outbox import OutboxMessage, OutboxStatus
from treffpunkt.registrations.schemas import GuideRegistrationOut, NeedsOut, RegistrationMail
from treffpunkt.registrations.tables import (
    Attendance,
    AttendanceStatus,
    Registration,
    RegistrationStatus,
)
from treffpunkt.registrations.targets import Target
from treffpunkt.spreadsheets import csv_for_excel
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
        await Attendance.delete().where(
            (Attendance.registration == registration.id) & (Attendance.session == session.id)
        )
        await Attendance(
            municipality=municipality_id,
            registration=registration.id,
            session=session.id,
            status=status,
        ).save()


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
    },
}


async def registrations_csv(target: Target, locale: str = DEFAULT_LOCALE) -> bytes:
    """The registration list as German Excel opens it, in the export's language."""
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

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime(words["datetime"])

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
            when(r.created_at),
            ", ".join(
                f"{when(starts[sid])}: {words['attendance'][status]}"
                for sid, status in sorted(r.attendance.items(), key=lambda item: starts[item[0]])
            ),
        ]
        for r in registrations
    ]
    return csv_for_excel(words["columns"], rows)
