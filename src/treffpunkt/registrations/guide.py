"""The guide's side of registrations: lists, attendance, the CSV export."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from treffpunkt import db
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.service import get_session
from treffpunkt.registrations.schemas import GuideRegistrationOut, NeedsOut
from treffpunkt.registrations.tables import (
    Attendance,
    AttendanceStatus,
    Registration,
    RegistrationStatus,
)
from treffpunkt.registrations.targets import Target
from treffpunkt.tenancy import owned


async def guide_registrations(target: Target) -> list[GuideRegistrationOut]:
    """Every registration of the target in arrival order, with waitlist positions."""
    rows = await Registration.objects().where(target.registrations()).order_by(Registration.id)
    attendance: dict[int, dict[int, AttendanceStatus]] = {}
    for mark in await Attendance.select().where(
        Attendance.registration.is_in([r.id for r in rows] or [-1])
    ):
        marks = attendance.setdefault(mark["registration"], {})
        marks[mark["session"]] = AttendanceStatus(mark["status"])
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
            )
        )
    return out


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


CSV_COLUMNS = [
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
]


async def registrations_csv(target: Target) -> bytes:
    """The registration list as German Excel opens it: UTF-8 with BOM, `;` separated."""
    zone = ZoneInfo(target.municipality.time_zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in await guide_registrations(target):
        writer.writerow(
            [
                r.name or "",
                r.email or "",
                r.phone or "",
                r.status,
                r.seats,
                r.position or "",
                r.locale,
                r.needs.interpretation if r.needs and r.needs.interpretation else "",
                r.needs.accessibility if r.needs and r.needs.accessibility else "",
                "Guide" if r.source == "guide" else "selbst",
                r.created_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
                ", ".join(f"{sid}: {status}" for sid, status in sorted(r.attendance.items())),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
