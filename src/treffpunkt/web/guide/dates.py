"""An event's dates in the guide workspace: /guide/events/{id}/dates.

The series in plain words (web/guide/series.py) with the preview of its dates, the
sessions with their actions (move, cancel, restore), and before any change that
mails people a page that says how many will be told and shows the mail
(web/guide/telling.py). Thin: the rules are the events service's, the same the
API's routes call (set_series, move_session, cancel_session, restore_session).
Without JavaScript every action is a form; series.js adds the preview as one types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Response, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.errors import InvalidInput, NotFound
from treffpunkt.events import service
from treffpunkt.events.recurrence import missing
from treffpunkt.events.schemas import GuideEventOut, SeriesRule, SessionTimes
from treffpunkt.events.tables import SessionStatus
from treffpunkt.i18n import DEFAULT_LOCALE, translated
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.schemas import PathId
from treffpunkt.translations import N_, translator
from treffpunkt.web.assets import assets
from treffpunkt.web.guide import series
from treffpunkt.web.guide.telling import CANCELLED, CHANGED, Telling, telling
from treffpunkt.web.pages import page_route, reader_locale, settings_of
from treffpunkt.web.workspace import see_other, workspace_page

SECTION = "events"

# What the page says after a change (?done=…).
DONE = {
    "series": N_("The series is saved."),
    "moved": N_("The date is moved."),
    "cancelled": N_("The date is cancelled."),
    "restored": N_("The date is restored."),
}
PATTERNS = (
    ("weekly", N_("Weekly, on chosen weekdays")),
    ("monthly", N_("Monthly, on a weekday of the month")),
    ("custom", N_("By another rule")),
)
INTERVALS = (
    ("1", N_("every week")),
    ("2", N_("every second week")),
    ("3", N_("every third week")),
    ("4", N_("every fourth week")),
)
POSITIONS = (
    ("1", N_("first")),
    ("2", N_("second")),
    ("3", N_("third")),
    ("4", N_("fourth")),
    ("-1", N_("last")),
)
MOVE_INVALID = N_("Enter a date and a start and end time, the end after the start.")
MOVE_SKIPPED = N_("This time does not exist on that day: the clocks go forward over it.")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def _locale(request: Request[Any, Any, Any]) -> str:
    return reader_locale(request, DEFAULT_LOCALE)


async def _zone(tenant: Tenant) -> ZoneInfo:
    municipality = (
        await Municipality.objects().where(Municipality.id == tenant.municipality_id).first()
    )
    if municipality is None:
        raise NotFound("No such municipality.")
    return ZoneInfo(municipality.time_zone)


def _title(event: GuideEventOut, locale: str) -> str:
    texts = {code: text.model_dump() for code, text in event.texts.items()}
    default = DEFAULT_LOCALE if DEFAULT_LOCALE in texts else next(iter(texts))
    return str(translated(texts, locale, default)[1]["title"])


def _choices(locale: str) -> dict[str, Any]:
    t = translator(locale)
    return {
        "patterns": [(value, t.gettext(label)) for value, label in PATTERNS],
        "intervals": [(value, t.gettext(label)) for value, label in INTERVALS],
        "positions": [(value, t.gettext(label)) for value, label in POSITIONS],
        "weekdays": list(series.weekday_names(locale).items()),
    }


def _dates_url(event_id: int, done: str | None = None, session_id: int | None = None) -> str:
    url = f"/guide/events/{event_id}/dates"
    if done:
        url += f"?done={done}"
    if session_id:
        url += f"#session-{session_id}"
    return url


async def _dates_page(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    event_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    preview: series.Preview | None = None,
    done: str | None = None,
    moving: int | None = None,
    move_error: str | None = None,
    move_values: Mapping[int, Mapping[str, str]] | None = None,
    status_code: int = 200,
) -> Template:
    locale = _locale(request)
    event = await service.guide_event(tenant.municipality_id, event_id)
    if form is None:
        if event.series is not None:
            form = series.form_of_rule(event.series.model_dump(mode="json"))
        else:
            first = next((s.starts_at.date() for s in event.sessions), None)
            form = series.default_form(first or datetime.now(await _zone(tenant)).date())
    t = translator(locale)
    return await workspace_page(
        request,
        "guide/dates.html",
        tenant,
        section=SECTION,
        status_code=status_code,
        event=event,
        title=_title(event, locale),
        current=series.describe(event.series.model_dump(mode="json"), locale)
        if event.series
        else None,
        form=form,
        errors=dict(errors or {}),
        preview=preview,
        done=t.gettext(DONE[done]) if done in DONE else None,
        sessions=event.sessions,
        now=datetime.now(UTC),
        moving=moving,
        move_error=move_error,
        move_values=dict(move_values or {}),
        series_script=f"{assets().own_prefix}/guide/series.js",
        **_choices(locale),
    )


@page_route("/events/{event_id:int}/dates")
async def dates_page(
    request: Request[Any, Any, Any],
    event_id: PathId,
    tenant: NamedDependency[Tenant],
    done: FromQuery[str | None] = None,
) -> Template:
    """The event's series and sessions."""
    return await _dates_page(request, tenant, event_id, done=done)


async def _confirm(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    *,
    heading: str,
    change: str,
    told: list[Telling],
    action: str,
    hidden: Mapping[str, Any],
    button: str,
    back: str,
) -> Template:
    return await workspace_page(
        request,
        "guide/confirm.html",
        tenant,
        section=SECTION,
        heading=heading,
        change=change,
        told=told,
        action=action,
        hidden=dict(hidden),
        button=button,
        back=back,
    )


def _confirmed(form: Any) -> bool:
    return str(form.get("confirmed") or "") == "yes"


# --- the series -----------------------------------------------------------------------


@post("/events/{event_id:int}/dates/preview", include_in_schema=False)
async def series_preview(
    request: Request[Any, Any, Any], event_id: PathId, tenant: NamedDependency[Tenant]
) -> Template:
    """The preview alone, for series.js: what the form gives as it stands."""
    await service.get_event(tenant.municipality_id, event_id)  # another town's: 404
    values = series.form_values(await request.form())
    _, found = series.preview(values, await _zone(tenant), _locale(request))
    return await workspace_page(
        request,
        "guide/series_preview.html",
        tenant,
        section=SECTION,
        status_code=HTTP_422_UNPROCESSABLE_ENTITY if found.errors else 200,
        preview=found,
    )


def _moved_times(
    event: GuideEventOut, ids: list[int], rule: SeriesRule, zone: ZoneInfo
) -> dict[int, dict[str, Any]]:
    """Where a new rule puts the sessions it moves: their day, at the rule's times."""
    proposed = {}
    for session in event.sessions:
        if session.id in ids and session.occurrence_start is not None:
            day = session.occurrence_start.astimezone(zone).date()
            proposed[session.id] = {
                "starts_at": datetime.combine(day, rule.start_time, tzinfo=zone),
                "ends_at": datetime.combine(day, rule.end_time, tzinfo=zone),
            }
    return proposed


@post("/events/{event_id:int}/dates/series", include_in_schema=False)
async def save_series(
    request: Request[Any, Any, Any], event_id: PathId, tenant: NamedDependency[Tenant]
) -> Response[Any]:
    """ "Show dates": the page with the preview. "Save series": saved (303), after a
    confirmation when people will be told of moved or cancelled sessions."""
    locale = _locale(request)
    event = await service.guide_event(tenant.municipality_id, event_id)
    data = await request.form()
    values = series.form_values(data)
    zone = await _zone(tenant)
    rule, found = series.preview(values, zone, locale)
    status = HTTP_422_UNPROCESSABLE_ENTITY if found.errors else 200
    if data.get("action") != "save" or rule is None:
        return await _dates_page(
            request,
            tenant,
            event_id,
            form=values,
            errors=found.errors,
            preview=found,
            status_code=status,
        )
    try:
        changes = await service.plan_series(tenant.municipality_id, event_id, rule)
    except InvalidInput as error:  # the service's own check, should the form's have missed
        failed = {series.form_field(name, values) for name in error.fields}
        return await _dates_page(
            request,
            tenant,
            event_id,
            form=values,
            errors=series.messages(failed, locale),
            preview=found,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    told = [
        found_told
        for found_told in (
            await telling(
                event_id,
                changes.moved,
                CHANGED,
                locale=locale,
                proposed=_moved_times(event, changes.moved, rule, zone),
                base_url=settings_of(request).base_url,
            ),
            await telling(
                event_id,
                changes.cancelled,
                CANCELLED,
                locale=locale,
                proposed={i: {"status": SessionStatus.cancelled} for i in changes.cancelled},
                base_url=settings_of(request).base_url,
            ),
        )
        if found_told is not None
    ]
    if told and not _confirmed(data):
        t = translator(locale)
        return await _confirm(
            request,
            tenant,
            heading=t.gettext("Save the series and tell people?"),
            change=series.describe(rule, locale),
            told=told,
            action=f"/guide/events/{event_id}/dates/series",
            hidden={**values, "action": "save"},
            button=t.gettext("Save series and send the emails"),
            back=_dates_url(event_id),
        )
    await service.set_series(tenant.municipality_id, event_id, rule)
    return see_other(_dates_url(event_id, "series"))


# --- single sessions --------------------------------------------------------------------


async def _session_of(tenant: Tenant, event_id: int, session_id: int) -> Any:
    """The session, if it is this event's (and so this town's); else 404."""
    session = await service.get_session(tenant.municipality_id, session_id)
    if session.event != event_id:
        raise NotFound("No such session.")
    return session


def _move_times(values: Mapping[str, str], zone: ZoneInfo) -> tuple[datetime, datetime] | str:
    """The local start and end the move form says, or the message of what is wrong."""
    try:
        day = date.fromisoformat(values["date"])
    except ValueError:
        return MOVE_INVALID
    found = [_TIME.fullmatch(values[name]) for name in ("start_time", "end_time")]
    if not all(found) or not 2000 <= day.year <= 2100:
        return MOVE_INVALID
    start, end = (
        datetime.combine(day, time(int(m.group(1)), int(m.group(2))), tzinfo=zone)
        for m in found
        if m
    )
    if end <= start:
        return MOVE_INVALID
    if missing(start) or missing(end):
        return MOVE_SKIPPED
    return start, end


@post("/events/{event_id:int}/sessions/{session_id:int}/move", include_in_schema=False)
async def move_session(
    request: Request[Any, Any, Any],
    event_id: PathId,
    session_id: PathId,
    tenant: NamedDependency[Tenant],
) -> Response[Any]:
    """Move one date; those who hold places are told, after a confirmation."""
    locale = _locale(request)
    t = translator(locale)
    session = await _session_of(tenant, event_id, session_id)
    data = await request.form()
    values = {
        name: str(data.get(name) or "").strip() for name in ("date", "start_time", "end_time")
    }
    zone = await _zone(tenant)
    times = _move_times(values, zone)
    if isinstance(times, str):
        return await _dates_page(
            request,
            tenant,
            event_id,
            moving=session_id,
            move_error=t.gettext(times),
            move_values={session_id: values},
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    start, end = times
    told = await telling(
        event_id,
        [session_id],
        CHANGED,
        locale=locale,
        proposed={session_id: {"starts_at": start, "ends_at": end}},
        base_url=settings_of(request).base_url,
    )
    unchanged = (start, end) == (session.starts_at, session.ends_at)
    if told is not None and not unchanged and not _confirmed(data):
        return await _confirm(
            request,
            tenant,
            heading=t.gettext("Move this date and tell people?"),
            change=t.gettext(
                "The date moves to %(date)s, %(start)s–%(end)s.",
                date=_format_date(start, locale),
                start=_format_time(start, locale),
                end=_format_time(end, locale),
            ),
            told=[told],
            action=f"/guide/events/{event_id}/sessions/{session_id}/move",
            hidden=values,
            button=t.gettext("Move and send the emails"),
            back=_dates_url(event_id, session_id=session_id),
        )
    await service.move_session(
        tenant.municipality_id,
        session_id,
        SessionTimes.model_validate({"starts_at": start, "ends_at": end}),
    )
    return see_other(_dates_url(event_id, "moved", session_id))


@post("/events/{event_id:int}/sessions/{session_id:int}/cancel", include_in_schema=False)
async def cancel_session(
    request: Request[Any, Any, Any],
    event_id: PathId,
    session_id: PathId,
    tenant: NamedDependency[Tenant],
) -> Response[Any]:
    """Cancel one date (it stays visible as cancelled); people are told, after a
    confirmation."""
    locale = _locale(request)
    t = translator(locale)
    session = await _session_of(tenant, event_id, session_id)
    data = await request.form()
    told = None
    if session.status != SessionStatus.cancelled:
        told = await telling(
            event_id,
            [session_id],
            CANCELLED,
            locale=locale,
            proposed={session_id: {"status": SessionStatus.cancelled}},
            base_url=settings_of(request).base_url,
        )
    if told is not None and not _confirmed(data):
        zone = await _zone(tenant)
        return await _confirm(
            request,
            tenant,
            heading=t.gettext("Cancel this date and tell people?"),
            change=t.gettext(
                "The date of %(date)s, %(start)s–%(end)s, is cancelled.",
                date=_format_date(session.starts_at.astimezone(zone), locale),
                start=_format_time(session.starts_at.astimezone(zone), locale),
                end=_format_time(session.ends_at.astimezone(zone), locale),
            ),
            told=[told],
            action=f"/guide/events/{event_id}/sessions/{session_id}/cancel",
            hidden={},
            button=t.gettext("Cancel the date and send the emails"),
            back=_dates_url(event_id, session_id=session_id),
        )
    await service.cancel_session(tenant.municipality_id, session_id)
    return see_other(_dates_url(event_id, "cancelled", session_id))


@post("/events/{event_id:int}/sessions/{session_id:int}/restore", include_in_schema=False)
async def restore_session(
    request: Request[Any, Any, Any],
    event_id: PathId,
    session_id: PathId,
    tenant: NamedDependency[Tenant],
) -> Response[Any]:
    """Let a cancelled date take place after all; people are told, after a
    confirmation."""
    locale = _locale(request)
    t = translator(locale)
    session = await _session_of(tenant, event_id, session_id)
    data = await request.form()
    told = None
    if session.status == SessionStatus.cancelled:
        told = await telling(
            event_id,
            [session_id],
            CHANGED,
            locale=locale,
            proposed={session_id: {"status": SessionStatus.scheduled}},
            base_url=settings_of(request).base_url,
        )
    if told is not None and not _confirmed(data):
        zone = await _zone(tenant)
        return await _confirm(
            request,
            tenant,
            heading=t.gettext("Restore this date and tell people?"),
            change=t.gettext(
                "The date of %(date)s, %(start)s–%(end)s, takes place after all.",
                date=_format_date(session.starts_at.astimezone(zone), locale),
                start=_format_time(session.starts_at.astimezone(zone), locale),
                end=_format_time(session.ends_at.astimezone(zone), locale),
            ),
            told=[told],
            action=f"/guide/events/{event_id}/sessions/{session_id}/restore",
            hidden={},
            button=t.gettext("Restore the date and send the emails"),
            back=_dates_url(event_id, session_id=session_id),
        )
    await service.restore_session(tenant.municipality_id, session_id)
    return see_other(_dates_url(event_id, "restored", session_id))


def _format_date(value: datetime, locale: str) -> str:
    return format_date(value, "full", locale=locale)


def _format_time(value: datetime, locale: str) -> str:
    return format_time(value, "short", locale=locale)


ROUTES = [dates_page, series_preview, save_series, move_session, cancel_session, restore_session]
