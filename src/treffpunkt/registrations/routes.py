from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.errors import InvalidInput
from treffpunkt.openapi import errors
from treffpunkt.registrations import guide, invitations, messages, public, service, targets
from treffpunkt.registrations.schemas import (
    AttendanceIn,
    CapacityIn,
    EventMessageOut,
    GuideRegistrationCreate,
    GuideRegistrationOut,
    InvitationOut,
    InvitationsIn,
    MessageIn,
    MessagePreviewOut,
    RegistrationCreate,
    RegistrationCreated,
    RegistrationReceived,
    RegistrationView,
    WalkInCreate,
)
from treffpunkt.schemas import PathId, PathToken
from treffpunkt.settings import Settings
from treffpunkt.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from treffpunkt.throttle import Throttle, client_of


async def _created(
    target: targets.Target, data: GuideRegistrationCreate, secret_key: str
) -> Response[RegistrationCreated]:
    return _answer(await service.register(target, data, secret_key))


def _answer(outcome: service.Outcome) -> Response[RegistrationCreated]:
    body = RegistrationCreated(
        id=outcome.registration.id, status=outcome.status, position=outcome.position
    )
    return Response(body, status_code=HTTP_201_CREATED if outcome.created else HTTP_200_OK)


ALREADY_REGISTERED = {
    HTTP_200_OK: ResponseSpec(
        RegistrationCreated,
        generate_examples=False,
        description="this email is registered already: that registration",
    )
}


class PublicRegistrationController(Controller):
    path = "/api/v1"
    tags = ["registrations"]

    @post(
        "/sessions/{session_id:int}/registrations",
        operation_id="registerForSession",
        status_code=HTTP_201_CREATED,
        responses=errors(409, 429),
    )
    async def register_for_session(
        self,
        request: Request[Any, Any, Any],
        session_id: PathId,
        data: JSONBody[RegistrationCreate],
        throttle: NamedDependency[Throttle],
        settings: NamedDependency[Settings],
        secret_key: NamedDependency[str],
    ) -> RegistrationReceived:
        """Register for a drop-in session: 201 with `pending` (a place is held until the
        link in the mail confirms the address) or `waitlisted`; the mail says more
        (the queue position, how long the place is held).

        An email that already has a place or a queue place here keeps it and gets its
        mail again; the answer is the one a new registration would get, so that it never
        tells whether an address is registered."""
        await public.count_attempt(throttle, settings, client_of(request))
        target = await targets.session_target(session_id)
        return await public.register_self(target, data, secret_key, throttle, settings)

    @post(
        "/events/{event_id:int}/registrations",
        operation_id="registerForEvent",
        status_code=HTTP_201_CREATED,
        responses=errors(409, 429),
    )
    async def register_for_event(
        self,
        request: Request[Any, Any, Any],
        event_id: PathId,
        data: JSONBody[RegistrationCreate],
        throttle: NamedDependency[Throttle],
        settings: NamedDependency[Settings],
        secret_key: NamedDependency[str],
    ) -> RegistrationReceived:
        """Register for a whole course (all its sessions); answers as
        `registerForSession` does, a repeated email included."""
        await public.count_attempt(throttle, settings, client_of(request))
        target = await targets.event_target(event_id)
        return await public.register_self(target, data, secret_key, throttle, settings)

    @get("/registrations/{token:str}", operation_id="getRegistration")
    async def get_registration(self, token: PathToken) -> RegistrationView:
        """The registration behind a mailed link."""
        return await service.view(await service.by_token(token))

    @post(
        "/registrations/{token:str}/confirm",
        operation_id="confirmRegistration",
        responses=errors(409),
        status_code=HTTP_200_OK,
    )
    async def confirm(self, token: PathToken) -> RegistrationView:
        """Confirm the email address; a held place becomes confirmed."""
        registration = await service.by_token(token)
        return await service.view(await service.confirm_registration(registration.id))

    @post(
        "/registrations/{token:str}/cancel",
        operation_id="cancelRegistration",
        responses=errors(409),
        status_code=HTTP_200_OK,
    )
    async def cancel(self, token: PathToken) -> RegistrationView:
        """Cancel; the place goes to the next person on the waitlist."""
        registration = await service.by_token(token)
        return await service.view(await service.cancel_registration(registration.id))


class GuideRegistrationController(Controller):
    path = "/"
    tags = ["guide: registrations"]

    @get(
        "/sessions/{session_id:int}/registrations",
        operation_id="listSessionRegistrations",
        responses=errors(409),
    )
    async def list_for_session(
        self, session_id: PathId, tenant: NamedDependency[Tenant]
    ) -> list[GuideRegistrationOut]:
        """Registrations of a drop-in session, in arrival order, with waitlist positions."""
        target = await targets.session_target(session_id, tenant.municipality_id)
        return await guide.guide_registrations(target)

    @get(
        "/events/{event_id:int}/registrations",
        operation_id="listEventRegistrations",
        responses=errors(409),
    )
    async def list_for_event(
        self, event_id: PathId, tenant: NamedDependency[Tenant]
    ) -> list[GuideRegistrationOut]:
        """Registrations of a whole course."""
        target = await targets.event_target(event_id, tenant.municipality_id)
        return await guide.guide_registrations(target)

    @get(
        "/sessions/{session_id:int}/registrations.csv",
        operation_id="exportSessionRegistrations",
        responses=errors(409),
        media_type=CSV_MEDIA_TYPE,
    )
    async def export_session(
        self, session_id: PathId, tenant: NamedDependency[Tenant]
    ) -> Response[bytes]:
        """The list as CSV for Excel (UTF-8 with BOM, `;`)."""
        target = await targets.session_target(session_id, tenant.municipality_id)
        return _csv(await guide.registrations_csv(target), f"session-{session_id}")

    @get(
        "/events/{event_id:int}/registrations.csv",
        operation_id="exportEventRegistrations",
        responses=errors(409),
        media_type=CSV_MEDIA_TYPE,
    )
    async def export_event(
        self, event_id: PathId, tenant: NamedDependency[Tenant]
    ) -> Response[bytes]:
        """The course list as CSV for Excel."""
        target = await targets.event_target(event_id, tenant.municipality_id)
        return _csv(await guide.registrations_csv(target), f"event-{event_id}")

    @get(
        "/sessions/{session_id:int}/registrations.xlsx",
        operation_id="exportSessionRegistrationsXlsx",
        responses=errors(409),
        media_type=XLSX_MEDIA_TYPE,
    )
    async def export_session_xlsx(
        self, session_id: PathId, tenant: NamedDependency[Tenant]
    ) -> Response[bytes]:
        """The list as an Excel workbook: the CSV's columns, dates as dates."""
        target = await targets.session_target(session_id, tenant.municipality_id)
        return xlsx_download(await guide.registrations_xlsx(target), f"session-{session_id}")

    @get(
        "/events/{event_id:int}/registrations.xlsx",
        operation_id="exportEventRegistrationsXlsx",
        responses=errors(409),
        media_type=XLSX_MEDIA_TYPE,
    )
    async def export_event_xlsx(
        self, event_id: PathId, tenant: NamedDependency[Tenant]
    ) -> Response[bytes]:
        """The course list as an Excel workbook."""
        target = await targets.event_target(event_id, tenant.municipality_id)
        return xlsx_download(await guide.registrations_xlsx(target), f"event-{event_id}")

    @post(
        "/sessions/{session_id:int}/walk-ins",
        operation_id="addSessionWalkIn",
        responses={**errors(409), **ALREADY_REGISTERED},
    )
    async def walk_in_to_session(
        self,
        session_id: PathId,
        data: JSONBody[WalkInCreate],
        tenant: NamedDependency[Tenant],
        secret_key: NamedDependency[str],
    ) -> Response[RegistrationCreated]:
        """Someone came to the door: 201, a free seat, confirmed and marked as attended;
        409 when no seat is free (or, before the start, people wait for one). 200 with
        the existing registration when this email has a place here already (a confirmed
        one is marked as attended)."""
        target = await targets.session_target(session_id, tenant.municipality_id)
        if data.session_id not in (None, session_id):
            raise InvalidInput(
                "session_id names another session.", {"session_id": "not this session"}
            )
        outcome = await service.register_walk_in(
            target, data.registration(), session_id, secret_key
        )
        return _answer(outcome)

    @post(
        "/events/{event_id:int}/walk-ins",
        operation_id="addEventWalkIn",
        responses={**errors(409), **ALREADY_REGISTERED},
    )
    async def walk_in_to_event(
        self,
        event_id: PathId,
        data: JSONBody[WalkInCreate],
        tenant: NamedDependency[Tenant],
        secret_key: NamedDependency[str],
    ) -> Response[RegistrationCreated]:
        """Someone came to the door of a course's session (`session_id`, else the one
        today or next): as addSessionWalkIn, their place is for the whole course."""
        target = await targets.event_target(event_id, tenant.municipality_id)
        session_id = data.session_id or await guide.current_session(target)
        outcome = await service.register_walk_in(
            target, data.registration(), session_id, secret_key
        )
        return _answer(outcome)

    @post(
        "/sessions/{session_id:int}/registrations",
        operation_id="addSessionRegistration",
        responses={**errors(409), **ALREADY_REGISTERED},
    )
    async def add_to_session(
        self,
        session_id: PathId,
        data: JSONBody[GuideRegistrationCreate],
        tenant: NamedDependency[Tenant],
        secret_key: NamedDependency[str],
    ) -> Response[RegistrationCreated]:
        """Register someone by phone or at the door: 201, confirmed at once (or
        waitlisted), no opt-in mail; 200 with the existing registration when this email
        has a place or a queue place here already."""
        target = await targets.session_target(session_id, tenant.municipality_id)
        return await _created(target, data, secret_key)

    @post(
        "/events/{event_id:int}/registrations",
        operation_id="addEventRegistration",
        responses={**errors(409), **ALREADY_REGISTERED},
    )
    async def add_to_event(
        self,
        event_id: PathId,
        data: JSONBody[GuideRegistrationCreate],
        tenant: NamedDependency[Tenant],
        secret_key: NamedDependency[str],
    ) -> Response[RegistrationCreated]:
        """Register someone for a whole course on their behalf."""
        target = await targets.event_target(event_id, tenant.municipality_id)
        return await _created(target, data, secret_key)

    @post(
        "/registrations/{registration_id:int}/cancel",
        operation_id="cancelRegistrationAsGuide",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def cancel(self, registration_id: PathId, tenant: NamedDependency[Tenant]) -> None:
        """Cancel a registration; the waitlist moves up."""
        registration = await guide.guide_registration(tenant.municipality_id, registration_id)
        await service.cancel_registration(registration.id)

    @put(
        "/sessions/{session_id:int}/capacity",
        operation_id="setSessionCapacity",
        responses=errors(409),
    )
    async def set_capacity(
        self, session_id: PathId, data: JSONBody[CapacityIn], tenant: NamedDependency[Tenant]
    ) -> list[GuideRegistrationOut]:
        """Change one session's capacity; more room promotes from the waitlist at once."""
        target = await targets.session_target(session_id, tenant.municipality_id)
        await service.set_capacity(target, data.capacity)
        return await guide.guide_registrations(target)

    @put(
        "/sessions/{session_id:int}/attendance",
        operation_id="recordAttendance",
        responses=errors(409),
        status_code=HTTP_204_NO_CONTENT,
    )
    async def record_attendance(
        self,
        session_id: PathId,
        data: JSONBody[AttendanceIn],
        tenant: NamedDependency[Tenant],
    ) -> None:
        """Mark a confirmed registration as attended or no-show for this session."""
        await guide.record_attendance(
            tenant.municipality_id, session_id, data.registration_id, data.status
        )


class GuideMessageController(Controller):
    path = "/events/{event_id:int}/messages"
    tags = ["guide: messages"]

    @get("/", operation_id="listEventMessages")
    async def list_messages(
        self, event_id: PathId, tenant: NamedDependency[Tenant]
    ) -> list[EventMessageOut]:
        """The messages guides sent to this event's registrants, newest first."""
        return await messages.history(tenant.municipality_id, event_id)

    @post("/preview", operation_id="previewEventMessage", status_code=HTTP_200_OK)
    async def preview(
        self, event_id: PathId, data: JSONBody[MessageIn], tenant: NamedDependency[Tenant]
    ) -> MessagePreviewOut:
        """How many people a message would reach, and in which languages; sends nothing.
        People with a confirmed address only (unconfirmed ones never get a guide's text),
        once per address."""
        return await messages.preview(tenant.municipality_id, event_id, data)

    @post(
        "/",
        operation_id="sendEventMessage",
        status_code=HTTP_201_CREATED,
        responses=errors(409),
    )
    async def send(
        self, event_id: PathId, data: JSONBody[MessageIn], tenant: NamedDependency[Tenant]
    ) -> EventMessageOut:
        """Send a message to the registrants of one date (`session_id`) or of the whole
        event: one mail per person through the outbox, in their language, with the
        event's details around the text as typed; kept in the event's history. 409 when
        nobody would get it, or when the same message went to them minutes ago."""
        return await messages.send_message(
            tenant.municipality_id, tenant.account_id, event_id, data
        )


def _csv(content: bytes, name: str) -> Response[bytes]:
    return Response(
        content,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="registrations-{name}.csv"'},
    )


class GuideInvitationController(Controller):
    path = "/events/{event_id:int}/invitations"
    tags = ["guide: invitations"]

    @get("/", operation_id="listInvitations")
    async def list_invitations(
        self, event_id: PathId, tenant: NamedDependency[Tenant]
    ) -> list[InvitationOut]:
        """Who was invited to an event by invitation, and who registered through their link."""
        found = await invitations.list_invitations(tenant.municipality_id, event_id)
        return [InvitationOut.model_validate(i) for i in found]

    @post("/", operation_id="invitePartners", responses=errors(409))
    async def invite(
        self,
        event_id: PathId,
        data: JSONBody[InvitationsIn],
        tenant: NamedDependency[Tenant],
        secret_key: NamedDependency[str],
    ) -> list[InvitationOut]:
        """Invite partners of the town (with an email address) to a published event by
        invitation (`access` invitation_only): each gets a mail in their language with a
        personal link that allows one registration. A partner invited before is left as
        it is. Answers every invitation of the event."""
        found = await invitations.invite(
            tenant.municipality_id, event_id, data.partner_ids, secret_key
        )
        return [InvitationOut.model_validate(i) for i in found]


def xlsx_download(content: bytes, name: str) -> Response[bytes]:
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="registrations-{name}.xlsx"'},
    )
