"""The guide's events: the list (`/guide/events`), the editor with the texts side by
side (`/guide/events/new`, `/guide/events/{id}`), publishing, and cancelling after a
page that says whom the cancellation tells and shows their mail.

Thin as the API's handlers: the form is read into the API's bodies (event_form.py)
and goes through the same services (events/service.py); an error comes back on its
field, with what was typed kept (422). Dates and series are edited on the dates page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.errors import Conflict, InvalidInput
from treffpunkt.events import programmes, service, venues
from treffpunkt.events.schemas import EventCreate, EventUpdate, GuideEventOut
from treffpunkt.events.tables import EventKind, EventStatus, RegistrationMode, SessionStatus
from treffpunkt.i18n import DEFAULT_LOCALE, translated
from treffpunkt.links import event_page_path
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.partners import service as partners
from treffpunkt.schemas import PathId
from treffpunkt.settings import Settings
from treffpunkt.translations import N_, languages_named_in, translator
from treffpunkt.web.assets import assets
from treffpunkt.web.guide import event_form
from treffpunkt.web.guide.event_form import EventForm, Failed
from treffpunkt.web.guide.telling import CANCELLED, telling
from treffpunkt.web.pages import page_route, reader_locale
from treffpunkt.web.town import AUDIENCE_NAMES, KIND_NAMES
from treffpunkt.web.workspace import see_other, workspace_page

STATUS_NAMES = {
    EventStatus.draft: N_("Draft"),
    EventStatus.published: N_("Published"),
    EventStatus.cancelled: N_("Cancelled"),
}
MODE_NAMES = {
    RegistrationMode.none: N_("No registration"),
    RegistrationMode.per_session: N_("For each date on its own"),
    RegistrationMode.whole_event: N_("For all dates together (a course)"),
}
NEW_VENUE_CHOICE = N_("A new venue (fill in below)")
DONE = {
    "created": N_("The event is saved as a draft."),
    "saved": N_("Your changes are saved."),
    "published": N_("The event is published."),
    "cancelled": N_("The event is cancelled."),
}
LIST_DONE = {"deleted": N_("The draft is deleted.")}
StatusChoice = Annotated[
    str | None, QueryParameter(name="status", pattern=f"^({'|'.join(EventStatus)})?$")
]
KindChoice = Annotated[
    str | None, QueryParameter(name="kind", pattern=f"^({'|'.join(EventKind)})?$")
]
ProgrammeChoice = Annotated[
    str | None, QueryParameter(name="programme", pattern=r"^([0-9]{1,10})?$")
]
Search = Annotated[str | None, QueryParameter(name="q", max_length=200)]
DoneChoice = Annotated[str | None, QueryParameter(name="done", pattern=r"^[a-z]{0,20}$")]


async def _town(tenant: Tenant) -> Municipality:
    town = await Municipality.objects().where(Municipality.id == tenant.municipality_id).first()
    assert town is not None  # the guard let in a guide of this town
    return town


def _locale(request: Request[Any, Any, Any], town: Municipality) -> str:
    """The page's language as workspace_page chooses it (German unless chosen)."""
    return reader_locale(request, DEFAULT_LOCALE)


# --- the list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fill:
    """How full the next date (or the course) is."""

    taken: int
    capacity: int | None
    waiting: int


@dataclass(frozen=True)
class Row:
    event: GuideEventOut
    title: str
    title_locale: str
    next_start: datetime | None
    next_session_id: int | None
    fill: Fill | None


def _row(event: GuideEventOut, locale: str, default: str, at: datetime) -> Row:
    title_locale, texts = translated(
        {k: v.model_dump() for k, v in event.texts.items()}, locale, default
    )
    upcoming = [
        s for s in event.sessions if s.status == "scheduled" and s.ends_at.astimezone(UTC) > at
    ]
    first = upcoming[0] if upcoming else None
    fill = None
    if event.registration_mode == RegistrationMode.whole_event:
        fill = Fill(event.seats_taken, event.capacity, event.waiting)
    elif event.registration_mode == RegistrationMode.per_session and first is not None:
        fill = Fill(first.seats_taken, first.capacity, first.waiting)
    return Row(
        event=event,
        title=texts.get("title", ""),
        title_locale=title_locale,
        next_start=first.starts_at if first else None,
        next_session_id=first.id if first else None,
        fill=fill,
    )


@page_route("/events")
async def event_list(
    request: Request[Any, Any, Any],
    tenant: NamedDependency[Tenant],
    status: StatusChoice = None,
    kind: KindChoice = None,
    programme: ProgrammeChoice = None,
    q: Search = None,
    done: DoneChoice = None,
) -> Template:
    """The town's events, the next date first, filtered by state, kind, programme and
    words of the title (in any language)."""
    town = await _town(tenant)
    locale = _locale(request, town)
    at = datetime.now(UTC)
    found = await service.guide_events(
        tenant.municipality_id, EventStatus(status) if status else None
    )
    words = (q or "").casefold().split()
    rows = [
        _row(event, locale, town.default_locale, at)
        for event in found
        if (not kind or event.kind == kind)
        and (not programme or str(event.programme_id) == programme)
        and all(
            any(word in text.title.casefold() for text in event.texts.values()) for word in words
        )
    ]
    far = datetime.max.replace(tzinfo=UTC)
    rows.sort(key=lambda row: (row.next_start is None, row.next_start or far, -row.event.id))
    return await workspace_page(
        request,
        "guide/events.html",
        tenant,
        section="events",
        rows=rows,
        filters={
            "status": status or "",
            "kind": kind or "",
            "programme": programme or "",
            "q": q or "",
        },
        programme_choices=await _programme_choices(tenant.municipality_id, locale, town),
        done_message=LIST_DONE.get(done or ""),
        **_names(),
    )


def _names() -> dict[str, Any]:
    return {
        "status_names": STATUS_NAMES,
        "kind_names": KIND_NAMES,
        "audience_names": AUDIENCE_NAMES,
        "mode_names": MODE_NAMES,
    }


async def _programme_choices(
    municipality_id: int, locale: str, town: Municipality
) -> list[tuple[str, str]]:
    return [
        (str(row["id"]), translated(row["texts"], locale, town.default_locale)[1]["title"])
        for row in await programmes.list_programmes(municipality_id)
    ]


# --- the editor -------------------------------------------------------------------------


async def _editor(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    town: Municipality,
    form: EventForm,
    *,
    event: GuideEventOut | None = None,
    failed: Failed | None = None,
    status_code: int = 200,
    done: str | None = None,
    problem: str | None = None,
) -> Template:
    locale = _locale(request, town)
    said = translator(locale)
    venue_rows = await venues.list_venues(tenant.municipality_id)
    zone = ZoneInfo(town.time_zone)
    at = datetime.now(UTC)
    upcoming = [s for s in event.sessions if s.ends_at.astimezone(UTC) > at][:8] if event else []
    title = ""
    if event is not None:
        title = translated(
            {k: v.model_dump() for k, v in event.texts.items()}, locale, town.default_locale
        )[1].get("title", "")
    return await workspace_page(
        request,
        "guide/event_form.html",
        tenant,
        section="events",
        status_code=status_code,
        form=form,
        errors=failed.messages(said) if failed else {},
        event=event,
        event_title=title,
        upcoming=upcoming,
        zone=zone,
        choices={
            "kind": [(value, said.gettext(name)) for value, name in KIND_NAMES.items()],
            "audience": [(value, said.gettext(name)) for value, name in AUDIENCE_NAMES.items()],
            "registration_mode": [
                (value, said.gettext(name)) for value, name in MODE_NAMES.items()
            ],
            "venue_id": [
                (str(venue.id), f"{venue.name}, {venue.street}, {venue.city}")
                for venue in venue_rows
            ]
            + [(event_form.NEW_VENUE, said.gettext(NEW_VENUE_CHOICE))],
            "partner_id": [
                (pid, name) for pid, name, _ in await _partner_choices(tenant.municipality_id)
            ],
        },
        programme_choices=await _programme_choices(tenant.municipality_id, locale, town),
        spoken=[(code, languages_named_in(locale).get(code, code)) for code in event_form.SPOKEN],
        locale_names={code: languages_named_in(locale).get(code, code) for code in form.locales},
        town_locale=town.default_locale,
        public_path=event_page_path(town.slug, event.id) if event else None,
        done_message=said.gettext(DONE[done]) if done in DONE else None,
        problem=problem,
        form_script=f"{assets().own_prefix}/guide/event-form.js",
        **_names(),
    )


async def _partner_choices(municipality_id: int) -> list[tuple[str, str, str]]:
    """The town's partner organisations: id, name, email."""
    return [
        (str(p.id), p.name, p.email or "") for p in await partners.list_partners(municipality_id)
    ]


def _locales_of(town: Municipality, event: GuideEventOut | None = None) -> list[str]:
    return event_form.text_locales(
        town.default_locale, town.offered_locales or [], event.texts if event else ()
    )


@page_route("/events/new")
async def new_event(request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]) -> Template:
    town = await _town(tenant)
    return await _editor(
        request, tenant, town, event_form.empty_form(town.default_locale, _locales_of(town))
    )


async def _apply_partner(form: EventForm, tenant: Tenant, failed: Failed) -> None:
    """A partner picked as organiser fills the organiser's name and contact."""
    chosen = form.get("partner_id")
    if not chosen:
        return
    choices = {
        pid: (name, email) for pid, name, email in await _partner_choices(tenant.municipality_id)
    }
    if chosen not in choices:
        failed.add("partner_id")
        return
    name, email = choices[chosen]
    form.values["organiser.name"] = name
    form.values["organiser.contact"] = email


def _service_errors(error: InvalidInput | Conflict, town: Municipality, failed: Failed) -> None:
    """A service's refusal on the form fields it names."""
    for name, detail in error.fields.items():
        field = event_form.field_of(name.split("."))
        if name == f"texts.{town.default_locale}":
            names = languages_named_in(town.default_locale)
            failed.add(
                field,
                event_form.DEFAULT_TEXT_NEEDED,
                language=names.get(town.default_locale, town.default_locale),
            )
        elif name == "capacity" and isinstance(error, Conflict):
            taken = "".join(ch for ch in str(detail) if ch.isdigit())
            failed.add(field, event_form.CAPACITY_BELOW_TAKEN, taken=taken)
        elif name == "registration_mode" and isinstance(error, Conflict):
            failed.add(field, event_form.MODE_FIXED)
        else:
            failed.add(field)


@post("/events/new", include_in_schema=False)
async def create_event(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Response[Any]:
    """A new event as a draft: to its page (303), or the form again with its errors (422)."""
    town = await _town(tenant)
    form = event_form.read_form(await request.form(), _locales_of(town))
    failed = Failed()
    await _apply_partner(form, tenant, failed)
    checked = event_form.check(form, ZoneInfo(town.time_zone), creating=True)
    failed.fields.update(checked.failed.fields)
    if not failed and checked.event is not None:
        assert isinstance(checked.event, EventCreate)
        try:
            if checked.new_venue is not None:
                event = await service.create_event_at_new_venue(
                    tenant.municipality_id, checked.event, checked.new_venue
                )
            else:
                event = await service.create_event(tenant.municipality_id, checked.event)
            return see_other(f"/guide/events/{event.id}?done=created")
        except (InvalidInput, Conflict) as error:
            _service_errors(error, town, failed)
    return await _editor(
        request, tenant, town, form, failed=failed, status_code=HTTP_422_UNPROCESSABLE_ENTITY
    )


@page_route("/events/{event_id:int}")
async def edit_event(
    request: Request[Any, Any, Any],
    event_id: PathId,
    tenant: NamedDependency[Tenant],
    done: DoneChoice = None,
) -> Template:
    town = await _town(tenant)
    event = await service.guide_event(tenant.municipality_id, event_id)
    locales = _locales_of(town, event)
    form = event_form.form_of_event(event, ZoneInfo(town.time_zone), locales)
    return await _editor(request, tenant, town, form, event=event, done=done)


@post("/events/{event_id:int}", include_in_schema=False)
async def update_event(
    request: Request[Any, Any, Any], event_id: PathId, tenant: NamedDependency[Tenant]
) -> Response[Any]:
    """Save the form's changes: to the event's page (303), or the form again (422)."""
    town = await _town(tenant)
    event = await service.guide_event(tenant.municipality_id, event_id)  # another town's: 404
    form = event_form.read_form(await request.form(), _locales_of(town, event))
    failed = Failed()
    await _apply_partner(form, tenant, failed)
    checked = event_form.check(form, ZoneInfo(town.time_zone), creating=False)
    failed.fields.update(checked.failed.fields)
    status_code = HTTP_422_UNPROCESSABLE_ENTITY
    if not failed and checked.event is not None:
        assert isinstance(checked.event, EventUpdate)
        try:
            if checked.new_venue is not None:
                await service.update_event_at_new_venue(
                    tenant.municipality_id, event_id, checked.event, checked.new_venue
                )
            else:
                await service.update_event(tenant.municipality_id, event_id, checked.event)
            return see_other(f"/guide/events/{event_id}?done=saved")
        except (InvalidInput, Conflict) as error:
            if isinstance(error, Conflict):
                status_code = HTTP_409_CONFLICT
            _service_errors(error, town, failed)
    return await _editor(
        request, tenant, town, form, event=event, failed=failed, status_code=status_code
    )


PUBLISH_NEEDS_DATE = N_("Add a date on the dates page before you publish the event.")
PUBLISH_CANCELLED = N_("A cancelled event cannot be published again.")


@post("/events/{event_id:int}/publish", include_in_schema=False)
async def publish_event(
    request: Request[Any, Any, Any], event_id: PathId, tenant: NamedDependency[Tenant]
) -> Response[Any]:
    """Publish: residents see the event. Without a date the page says so (409)."""
    town = await _town(tenant)
    try:
        await service.publish_event(tenant.municipality_id, event_id)
    except Conflict as error:
        event = await service.guide_event(tenant.municipality_id, event_id)
        form = event_form.form_of_event(event, ZoneInfo(town.time_zone), _locales_of(town, event))
        problem = PUBLISH_CANCELLED if "status" in error.fields else PUBLISH_NEEDS_DATE
        said = translator(_locale(request, town))
        return await _editor(
            request,
            tenant,
            town,
            form,
            event=event,
            status_code=HTTP_409_CONFLICT,
            problem=said.gettext(problem),
        )
    return see_other(f"/guide/events/{event_id}?done=published")


# --- cancelling: first what it tells, then the deed --------------------------------------


def _upcoming(event: GuideEventOut, at: datetime) -> list[int]:
    """The dates cancelling cancels (events.service.cancel_event): scheduled, not over."""
    return [
        s.id
        for s in event.sessions
        if s.status == SessionStatus.scheduled and s.ends_at.astimezone(UTC) > at
    ]


@page_route("/events/{event_id:int}/cancel")
async def cancel_event_page(
    request: Request[Any, Any, Any],
    event_id: PathId,
    tenant: NamedDependency[Tenant],
    settings: NamedDependency[Settings],
) -> Template:
    """Before cancelling: how many people will be told, and the mail they get
    (web/guide/telling.py, as the dates page tells of its changes)."""
    town = await _town(tenant)
    event = await service.guide_event(tenant.municipality_id, event_id)
    locale = _locale(request, town)
    upcoming = _upcoming(event, datetime.now(UTC))
    told = await telling(
        event_id,
        upcoming,
        CANCELLED,
        locale=locale,
        proposed={session_id: {"status": SessionStatus.cancelled} for session_id in upcoming},
        event_status=EventStatus.cancelled,
        base_url=settings.base_url,
    )
    title = translated(
        {k: v.model_dump() for k, v in event.texts.items()}, locale, town.default_locale
    )[1].get("title", "")
    return await workspace_page(
        request,
        "guide/event_cancel.html",
        tenant,
        section="events",
        event=event,
        event_title=title,
        told=told,
    )


@post("/events/{event_id:int}/cancel", include_in_schema=False)
async def cancel_event(
    request: Request[Any, Any, Any], event_id: PathId, tenant: NamedDependency[Tenant]
) -> Redirect:
    """Cancel the event and its dates still to come; the people registered are told
    (events.service.cancel_event queues it)."""
    await service.cancel_event(tenant.municipality_id, event_id)
    return see_other(f"/guide/events/{event_id}?done=cancelled")


# --- deleting a draft: first the question, then the deed ---------------------------------


@page_route("/events/{event_id:int}/delete")
async def delete_event_page(
    request: Request[Any, Any, Any], event_id: PathId, tenant: NamedDependency[Tenant]
) -> Template:
    """Before deleting a draft: what goes (its texts and dates), and a way back."""
    town = await _town(tenant)
    event = await service.guide_event(tenant.municipality_id, event_id)
    locale = _locale(request, town)
    title = translated(
        {k: v.model_dump() for k, v in event.texts.items()}, locale, town.default_locale
    )[1].get("title", "")
    return await workspace_page(
        request,
        "guide/event_delete.html",
        tenant,
        section="events",
        event=event,
        event_title=title,
    )


@post("/events/{event_id:int}/delete", include_in_schema=False)
async def delete_event(
    request: Request[Any, Any, Any], event_id: PathId, tenant: NamedDependency[Tenant]
) -> Redirect:
    """Delete a draft (events.service.delete_event; a published event is a Conflict:
    it is cancelled instead)."""
    await service.delete_event(tenant.municipality_id, event_id)
    return see_other("/guide/events?done=deleted")


ROUTES = [
    event_list,
    new_event,
    create_event,
    edit_event,
    update_event,
    publish_event,
    cancel_event_page,
    cancel_event,
    delete_event_page,
    delete_event,
]
