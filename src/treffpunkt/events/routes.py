from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.events import programmes, public, service, venues
from treffpunkt.events.schemas import (
    EventCreate,
    EventUpdate,
    GuideEventOut,
    GuideSessionOut,
    ProgrammeCreate,
    ProgrammeOut,
    ProgrammePartnerOut,
    ProgrammeUpdate,
    PublicEvent,
    PublicProgramme,
    PublicProgrammeDetail,
    SeriesRule,
    SessionPage,
    SessionTimes,
    VenueCreate,
    VenueOut,
    VenueUpdate,
)
from treffpunkt.events.tables import Audience, EventKind, EventStatus
from treffpunkt.i18n import Locale
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.openapi import errors
from treffpunkt.schemas import SLUG_PATTERN, Day, PathId, PathSlug
from treffpunkt.settings import Settings

# --- guide side ---------------------------------------------------------------------------


class GuideVenueController(Controller):
    path = "/venues"
    tags = ["guide: venues"]

    @get("/", operation_id="listVenues")
    async def list_venues(self, tenant: NamedDependency[Tenant]) -> list[VenueOut]:
        """The municipality's venues."""
        return [
            VenueOut.model_validate(v) for v in await venues.list_venues(tenant.municipality_id)
        ]

    @post("/", operation_id="createVenue")
    async def create_venue(
        self, data: JSONBody[VenueCreate], tenant: NamedDependency[Tenant]
    ) -> VenueOut:
        """Add a venue."""
        return VenueOut.model_validate(await venues.create_venue(tenant.municipality_id, data))

    @get("/{venue_id:int}", operation_id="getVenue")
    async def get_venue(self, venue_id: PathId, tenant: NamedDependency[Tenant]) -> VenueOut:
        """One venue."""
        return VenueOut.model_validate(await venues.get_venue(tenant.municipality_id, venue_id))

    @patch("/{venue_id:int}", operation_id="updateVenue")
    async def update_venue(
        self, venue_id: PathId, data: JSONBody[VenueUpdate], tenant: NamedDependency[Tenant]
    ) -> VenueOut:
        """Change a venue."""
        venue = await venues.update_venue(tenant.municipality_id, venue_id, data)
        return VenueOut.model_validate(venue)


class GuideProgrammeController(Controller):
    path = "/programmes"
    tags = ["guide: programmes"]

    @get("/", operation_id="listProgrammes")
    async def list_programmes(self, tenant: NamedDependency[Tenant]) -> list[ProgrammeOut]:
        """The municipality's programmes."""
        rows = await programmes.list_programmes(tenant.municipality_id)
        return [ProgrammeOut.model_validate(row) for row in rows]

    @post("/", operation_id="createProgramme", responses=errors(409))
    async def create_programme(
        self, data: JSONBody[ProgrammeCreate], tenant: NamedDependency[Tenant]
    ) -> ProgrammeOut:
        """Create a programme such as an Interkulturelle Woche."""
        row = await programmes.create_programme(tenant.municipality_id, data)
        return ProgrammeOut.model_validate(row)

    @get("/{programme_id:int}", operation_id="getProgramme")
    async def get_programme(
        self, programme_id: PathId, tenant: NamedDependency[Tenant]
    ) -> ProgrammeOut:
        """One programme."""
        row = await programmes.get_programme(tenant.municipality_id, programme_id)
        return ProgrammeOut.model_validate(row)

    @patch("/{programme_id:int}", operation_id="updateProgramme")
    async def update_programme(
        self,
        programme_id: PathId,
        data: JSONBody[ProgrammeUpdate],
        tenant: NamedDependency[Tenant],
    ) -> ProgrammeOut:
        """Change a programme's texts, dates, or the last day for partners' proposals."""
        row = await programmes.update_programme(tenant.municipality_id, programme_id, data)
        return ProgrammeOut.model_validate(row)

    @get("/{programme_id:int}/partners", operation_id="listProgrammePartners")
    async def list_partners(
        self, programme_id: PathId, tenant: NamedDependency[Tenant]
    ) -> list[ProgrammePartnerOut]:
        """The partner organisations taking part in the programme."""
        rows = await programmes.programme_partners(tenant.municipality_id, programme_id)
        return [ProgrammePartnerOut.model_validate(row) for row in rows]

    @put(
        "/{programme_id:int}/partners/{partner_id:int}",
        operation_id="addProgrammePartner",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def add_partner(
        self, programme_id: PathId, partner_id: PathId, tenant: NamedDependency[Tenant]
    ) -> None:
        """One of the town's partners takes part (again: nothing changes)."""
        await programmes.add_partner(tenant.municipality_id, programme_id, partner_id)

    @delete(
        "/{programme_id:int}/partners/{partner_id:int}",
        operation_id="removeProgrammePartner",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove_partner(
        self, programme_id: PathId, partner_id: PathId, tenant: NamedDependency[Tenant]
    ) -> None:
        """The partner no longer takes part (already not: nothing changes)."""
        await programmes.remove_partner(tenant.municipality_id, programme_id, partner_id)


class GuideEventController(Controller):
    path = "/events"
    tags = ["guide: events"]

    @get("/", operation_id="listEvents")
    async def list_events(
        self, tenant: NamedDependency[Tenant], status: FromQuery[EventStatus | None] = None
    ) -> list[GuideEventOut]:
        """Every event of the municipality, drafts included, with sessions."""
        return await service.guide_events(tenant.municipality_id, status)

    @post("/", operation_id="createEvent")
    async def create_event(
        self, data: JSONBody[EventCreate], tenant: NamedDependency[Tenant]
    ) -> GuideEventOut:
        """Create a draft event with one-off sessions and/or a series."""
        event = await service.create_event(tenant.municipality_id, data)
        return await service.guide_event(tenant.municipality_id, event.id)

    @get("/{event_id:int}", operation_id="getEvent")
    async def get_event(self, event_id: PathId, tenant: NamedDependency[Tenant]) -> GuideEventOut:
        """One event with every translation, its series and sessions."""
        return await service.guide_event(tenant.municipality_id, event_id)

    @patch("/{event_id:int}", operation_id="updateEvent", responses=errors(409))
    async def update_event(
        self, event_id: PathId, data: JSONBody[EventUpdate], tenant: NamedDependency[Tenant]
    ) -> GuideEventOut:
        """Change texts, venue, languages, capacity, registration … (not times)."""
        await service.update_event(tenant.municipality_id, event_id, data)
        return await service.guide_event(tenant.municipality_id, event_id)

    @delete(
        "/{event_id:int}",
        operation_id="deleteEvent",
        status_code=HTTP_204_NO_CONTENT,
        responses=errors(409),
    )
    async def delete_event(self, event_id: PathId, tenant: NamedDependency[Tenant]) -> None:
        """Delete a draft (published events are cancelled instead)."""
        await service.delete_event(tenant.municipality_id, event_id)

    @post(
        "/{event_id:int}/publish",
        operation_id="publishEvent",
        status_code=HTTP_200_OK,
        responses=errors(409),
    )
    async def publish_event(
        self, event_id: PathId, tenant: NamedDependency[Tenant]
    ) -> GuideEventOut:
        """Make a draft visible to everyone."""
        await service.publish_event(tenant.municipality_id, event_id)
        return await service.guide_event(tenant.municipality_id, event_id)

    @post("/{event_id:int}/cancel", operation_id="cancelEvent", status_code=HTTP_200_OK)
    async def cancel_event(
        self, event_id: PathId, tenant: NamedDependency[Tenant]
    ) -> GuideEventOut:
        """Cancel the event and its sessions still to come; they stay visible as cancelled."""
        await service.cancel_event(tenant.municipality_id, event_id)
        return await service.guide_event(tenant.municipality_id, event_id)

    @put("/{event_id:int}/series", operation_id="setSeries", responses=errors(409))
    async def set_series(
        self, event_id: PathId, data: JSONBody[SeriesRule], tenant: NamedDependency[Tenant]
    ) -> GuideEventOut:
        """Set or change the series; future sessions follow, single exceptions stay."""
        await service.set_series(tenant.municipality_id, event_id, data)
        return await service.guide_event(tenant.municipality_id, event_id)

    @post("/{event_id:int}/sessions", operation_id="addSession", responses=errors(409))
    async def add_session(
        self, event_id: PathId, data: JSONBody[SessionTimes], tenant: NamedDependency[Tenant]
    ) -> GuideSessionOut:
        """Add a date outside the series."""
        session = await service.add_session(tenant.municipality_id, event_id, data)
        return await _session_out(tenant, session.id)


class GuideSessionController(Controller):
    path = "/sessions"
    tags = ["guide: events"]

    @patch("/{session_id:int}", operation_id="moveSession")
    async def move_session(
        self,
        session_id: PathId,
        data: JSONBody[SessionTimes],
        tenant: NamedDependency[Tenant],
    ) -> GuideSessionOut:
        """Move one session (in a series it becomes a kept exception)."""
        await service.move_session(tenant.municipality_id, session_id, data)
        return await _session_out(tenant, session_id)

    @post("/{session_id:int}/cancel", operation_id="cancelSession", status_code=HTTP_200_OK)
    async def cancel_session(
        self, session_id: PathId, tenant: NamedDependency[Tenant]
    ) -> GuideSessionOut:
        """Cancel one session; it stays visible as cancelled."""
        await service.cancel_session(tenant.municipality_id, session_id)
        return await _session_out(tenant, session_id)

    @post(
        "/{session_id:int}/restore",
        operation_id="restoreSession",
        status_code=HTTP_200_OK,
        responses=errors(409),
    )
    async def restore_session(
        self, session_id: PathId, tenant: NamedDependency[Tenant]
    ) -> GuideSessionOut:
        """Let a cancelled session take place after all; its registrants are told."""
        await service.restore_session(tenant.municipality_id, session_id)
        return await _session_out(tenant, session_id)

    @delete("/{session_id:int}", operation_id="removeSession", status_code=HTTP_204_NO_CONTENT)
    async def remove_session(self, session_id: PathId, tenant: NamedDependency[Tenant]) -> None:
        """Remove a date; one with registrations is cancelled instead."""
        await service.remove_session(tenant.municipality_id, session_id)


async def _session_out(tenant: Tenant, session_id: int) -> GuideSessionOut:
    session = await service.get_session(tenant.municipality_id, session_id)
    event = await service.guide_event(tenant.municipality_id, session.event)
    return next(s for s in event.sessions if s.id == session_id)


# --- public side -----------------------------------------------------------------------------

Limit = Annotated[int, QueryParameter(name="limit", ge=1, le=200)]
FromDate = Annotated[Day | None, QueryParameter(name="from", description="first local date")]
ToDate = Annotated[Day | None, QueryParameter(name="to", description="last local date, inclusive")]
Language = Annotated[
    str | None, QueryParameter(name="lang", pattern=r"^[a-z]{2,3}$", description="spoken language")
]
TagFilter = Annotated[str | None, QueryParameter(name="tag", pattern=SLUG_PATTERN, max_length=40)]
ProgrammeFilter = Annotated[
    str | None, QueryParameter(name="programme", pattern=SLUG_PATTERN, max_length=64)
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        name="cursor", pattern=r"^[A-Za-z0-9_=-]{1,200}$", description="from `next_cursor`"
    ),
]
Before = Annotated[
    str | None,
    QueryParameter(
        name="before",
        pattern=r"^[A-Za-z0-9_=-]{1,200}$",
        description="from `previous_cursor`: the page before (ignored with `cursor`)",
    ),
]


async def _reader(
    slug: str, locale: str | None, request: Request, settings: Settings
) -> public.Reader:
    municipality = await get_municipality(slug)
    return public.Reader(
        municipality, locale, request.headers.get("accept-language"), settings.base_url
    )


class PublicEventController(Controller):
    path = "/api/v1"
    tags = ["public"]
    # Texts follow the reader's Accept-Language: shared caches must keep them apart.
    response_headers = [ResponseHeader(name="Vary", value="Accept-Language")]

    @get("/municipalities/{slug:str}/sessions", operation_id="listPublicSessions")
    async def list_sessions(
        self,
        request: Request,
        slug: PathSlug,
        settings: NamedDependency[Settings],
        start: FromDate = None,
        end: ToDate = None,
        kind: FromQuery[EventKind | None] = None,
        lang: Language = None,
        programme: ProgrammeFilter = None,
        audience: FromQuery[Audience | None] = None,
        tag: TagFilter = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        before: Before = None,
        locale: FromQuery[Locale | None] = None,
    ) -> SessionPage:
        """Published sessions across events, upcoming by default, ordered by start."""
        filters = public.SessionFilters(
            kind=kind,
            language=lang,
            programme=programme,
            audience=audience,
            tag=tag,
            start=start,
            end=end,
        )
        reader = await _reader(slug, locale, request, settings)
        return await public.list_sessions(reader, filters, limit, cursor, before)

    @get("/events/{event_id:int}", operation_id="getPublicEvent")
    async def get_event(
        self,
        request: Request,
        event_id: PathId,
        settings: NamedDependency[Settings],
        locale: FromQuery[Locale | None] = None,
    ) -> PublicEvent:
        """A published event with its sessions, in the reader's language."""
        return await public.get_public_event(
            event_id, locale, request.headers.get("accept-language"), settings.base_url
        )

    @get("/municipalities/{slug:str}/programmes", operation_id="listPublicProgrammes")
    async def list_programmes(
        self,
        request: Request,
        slug: PathSlug,
        settings: NamedDependency[Settings],
        locale: FromQuery[Locale | None] = None,
    ) -> list[PublicProgramme]:
        """The municipality's programmes."""
        return await public.public_programmes(await _reader(slug, locale, request, settings))

    @get(
        "/municipalities/{slug:str}/programmes/{programme_slug:str}",
        operation_id="getPublicProgramme",
    )
    async def get_programme(
        self,
        request: Request,
        slug: PathSlug,
        programme_slug: PathSlug,
        settings: NamedDependency[Settings],
        locale: FromQuery[Locale | None] = None,
    ) -> PublicProgrammeDetail:
        """One programme with its published events."""
        reader = await _reader(slug, locale, request, settings)
        return await public.public_programme(reader, programme_slug)
