"""The door list: a session's registrations (or a course's, one session's attendance at a
time) on a phone at the door — who is expected, in which state, with which needs; one
tap marks who came; walk-ins, phone registrations, cancelling a place, the capacity; the
list as CSV and XLSX.

Thin as the API's handlers: every change goes through the registrations service the API
uses (places under the target's lock, the waitlist moving up at once), and every object
is looked up in the guide's town (another town's: 404).

Every action is a plain form answered with 303 back to the list (to the row it changed);
`static/guide/doors.js` sends the attendance forms with fetch instead and updates the row
in place (answered with JSON when the request accepts it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from pydantic import ValidationError

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.errors import Conflict, DomainError, InvalidInput, NotFound
from treffpunkt.events.service import get_event, get_session
from treffpunkt.events.tables import RegistrationMode, Session, SessionStatus
from treffpunkt.i18n import DEFAULT_LOCALE, LOCALES, translated
from treffpunkt.registrations import guide, service, targets
from treffpunkt.registrations.schemas import (
    CapacityIn,
    GuideRegistrationCreate,
    GuideRegistrationOut,
)
from treffpunkt.registrations.tables import ACTIVE, AttendanceStatus, RegistrationStatus
from treffpunkt.schemas import MAX_ID, PathId
from treffpunkt.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from treffpunkt.translations import N_, languages_named_in, translator
from treffpunkt.web.assets import assets
from treffpunkt.web.pages import AUTONYMS, page_route, reader_locale
from treffpunkt.web.workspace import see_other, workspace_page

SECTION = "events"

# Languages people ask interpretation into most here (as on the event page).
INTERPRETATION = ("ar", "fa", "prs", "ps", "ku", "tr", "uk", "ru", "ti", "so", "sq", "en", "fr")

# What each field's error says, whatever the rule that failed.
MESSAGES = {
    "name": N_("Enter a name (one line, at most 200 characters)."),
    "email": N_("Enter an email address, for example name@example.org, or leave it empty."),
    "phone": N_("Enter a phone number of digits (and + ( ) / -), or leave it empty."),
    "contact": N_("Enter a phone number or an email address, so that they can be reached."),
    "locale": N_("Choose a language from the list."),
    "seats": N_("Choose between 1 and 50 places."),
    "interpretation": N_("Choose a language from the list."),
    "accessibility": N_("Please write at most 500 characters."),
    "capacity": N_("Enter a whole number from 1 to 100000, or leave it empty for no limit."),
}


def paths(suffix: str = "") -> list[str]:
    """A page of a list at both its addresses: a drop-in session's and a course's
    (`?session=` or the form's `session` picks the course's date)."""
    return [
        f"/sessions/{{target_id:int}}/doors{suffix}",
        f"/events/{{target_id:int}}/doors{suffix}",
    ]


def door_operation(name: str) -> Callable[..., str]:
    """An operation id per address of a handler (a session's list or a course's), as
    Litestar's callable ids are made: the pages stay out of the API's description, but
    the route matrices of the tests tell the two addresses apart by it."""

    def operation_id(_handler: Any, method: Any, path: Any) -> str:
        text = path if isinstance(path, str) else "/".join(str(part) for part in path)
        return name + ("Course" if "events/" in text else "Session")

    return operation_id


def hidden(name: str) -> dict[str, Any]:
    """The options of a form's POST handler: outside the API's description, its id."""
    return {"include_in_schema": False, "operation_id": door_operation(name)}


# --- which list ---------------------------------------------------------------------------


@dataclass
class Door:
    """One door list: its target, its address, and whose attendance it shows."""

    target: targets.Target
    base: str  # the list's address, without query
    session_id: int  # the session whose attendance the list shows and marks
    sessions: list[dict[str, Any]] = field(default_factory=list)  # a course's, to pick from

    @property
    def course(self) -> bool:
        return self.target.session is None

    def url(self, suffix: str = "", **query: Any) -> str:
        """An address of the list (`suffix`: one of its pages) with the course's session
        picked, and `query`."""
        values: dict[str, Any] = {"session": self.session_id} if self.course else {}
        values.update({k: v for k, v in query.items() if v not in (None, "")})
        return self.base + suffix + ("?" + urlencode(values) if values else "")

    def anchor(self, registration_id: int, **query: Any) -> str:
        return self.url(**query) + f"#r-{registration_id}"


def _is_course_path(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/guide/events/")


def _id_of(value: Any) -> int | None:
    """A form's or query's id, or None when it names nothing (not a number, past 2^63)."""
    text = str(value or "")
    if re.fullmatch(r"[0-9]{1,19}", text) and 1 <= int(text) <= MAX_ID:
        return int(text)
    return None


async def _door(
    request: Request[Any, Any, Any], tenant: Tenant, target_id: int, picked: Any = None
) -> Door:
    """The list at this address, in the guide's town (else 404). A session of a course,
    or an event counting places per session, is a Conflict naming the right list (the
    list page redirects there)."""
    if not _is_course_path(request):
        target = await targets.session_target(target_id, tenant.municipality_id)
        return Door(target, f"/guide/sessions/{target_id}/doors", target_id)
    target = await targets.event_target(target_id, tenant.municipality_id)
    sessions = await guide.list_sessions(target)
    choice = _id_of(picked)
    if picked not in (None, "") and choice not in {s["id"] for s in sessions}:
        raise NotFound("No such session of this course.")
    session_id = choice or await guide.current_session(target)
    return Door(target, f"/guide/events/{target_id}/doors", session_id, sessions)


async def _right_list(
    request: Request[Any, Any, Any], tenant: Tenant, target_id: int
) -> str | None:
    """Where the list of what this address names is, when it is another list: a
    course's session is on the course's list; an event counting places per session has
    one list per session (the one going on or next). None: no other list."""
    if not _is_course_path(request):
        session = await get_session(tenant.municipality_id, target_id)
        event = await get_event(tenant.municipality_id, session.event)
        if event.registration_mode != RegistrationMode.whole_event:
            return None
        return f"/guide/events/{event.id}/doors?session={target_id}"
    event = await get_event(tenant.municipality_id, target_id)
    if event.registration_mode != RegistrationMode.per_session:
        return None
    sessions = (
        await Session.select(Session.id, Session.ends_at, Session.status)
        .where(Session.event == event.id)
        .order_by(Session.starts_at)
    )
    live = [s for s in sessions if s["status"] != SessionStatus.cancelled] or sessions
    if not live:
        return None
    at = service.now()
    chosen = next((s for s in live if s["ends_at"] >= at), live[-1])
    return f"/guide/sessions/{chosen['id']}/doors"


# --- what the list shows ----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    registration: GuideRegistrationOut
    attendance: AttendanceStatus | None
    search: str  # what search-as-you-type matches, folded
    interpretation: str | None  # the language's name


def fold(text: str) -> str:
    """Text as search compares it: no case, no accents (ü matches u)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _rows(door: Door, registrations: list[GuideRegistrationOut], locale: str) -> list[Row]:
    names = languages_named_in(locale)
    rows = []
    for r in registrations:
        if r.status not in ACTIVE:
            continue
        code = r.needs.interpretation if r.needs else None
        rows.append(
            Row(
                registration=r,
                attendance=r.attendance.get(door.session_id),
                search=fold(" ".join(x for x in (r.name, r.email, r.phone) if x)),
                interpretation=names.get(code, code) if code else None,
            )
        )
    # Those with a place first (in arrival order), then the queue in its order.
    return sorted(rows, key=lambda row: row.registration.status == RegistrationStatus.waitlisted)


def _ids(text: str | None) -> list[int]:
    parts = (text or "").split(",")[:50]
    return [int(part) for part in parts if re.fullmatch(r"[0-9]{1,9}", part)]


def _title_in(door: Door, locale: str) -> tuple[str, str]:
    """The event's title in the page's language, else the town's, and its language."""
    municipality = door.target.municipality
    found, texts = translated(door.target.event.texts, locale, municipality.default_locale)  # type: ignore[arg-type]
    return str(texts["title"]), found


def _title(door: Door, locale: str) -> str:
    return _title_in(door, locale)[0]


def _zone(door: Door) -> ZoneInfo:
    return ZoneInfo(door.target.municipality.time_zone)


def _local(session: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    return {
        **session,
        "starts_at": session["starts_at"].astimezone(zone),
        "ends_at": session["ends_at"].astimezone(zone),
    }


def _current(door: Door) -> dict[str, Any]:
    if door.target.session is not None:
        s = door.target.session
        session = {
            "id": s.id,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "status": s.status,
            "all_day": s.all_day,
        }
    else:
        session = next(s for s in door.sessions if s["id"] == door.session_id)
    return _local(session, _zone(door))


def _locale(request: Request[Any, Any, Any], door: Door) -> str:
    """The page's language, as workspace_page chooses it (German unless picked)."""
    return reader_locale(request, DEFAULT_LOCALE)


def _notice(
    registrations: list[GuideRegistrationOut],
    done: str | None,
    who: str | None,
    promoted: str | None,
) -> dict[str, Any] | None:
    """What the last action did, said at the top of the list (from the 303's query);
    ids name only this list's registrations."""
    if done not in ("attendance", "walk_in", "added", "cancelled", "capacity"):
        return None
    by_id = {r.id: r for r in registrations}
    person = by_id.get(_ids(who)[0]) if _ids(who) else None
    if done != "capacity" and person is None:
        return None
    return {
        "done": done,
        "person": person,
        "promoted": [by_id[i].name or "–" for i in _ids(promoted) if i in by_id],
    }


async def _neighbours(door: Door) -> dict[str, str | None]:
    """The addresses of the lists of the event's previous and next date (None: none)."""
    if door.course:
        sessions = door.sessions
    else:
        sessions = (
            await Session.select(Session.id, Session.starts_at)
            .where(Session.event == door.target.event.id)
            .order_by(Session.starts_at)
        )
    ids = [s["id"] for s in sessions]
    if door.session_id not in ids:
        return {"previous": None, "next": None}
    at = ids.index(door.session_id)

    def url(session_id: int) -> str:
        if door.course:
            return f"{door.base}?{urlencode({'session': session_id})}"
        return f"/guide/sessions/{session_id}/doors"

    return {
        "previous": url(ids[at - 1]) if at > 0 else None,
        "next": url(ids[at + 1]) if at + 1 < len(ids) else None,
    }


async def _list_page(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    door: Door,
    query: dict[str, str | None],
) -> Template:
    registrations = await guide.guide_registrations(door.target)
    locale = _locale(request, door)
    rows = _rows(door, registrations, locale)
    q = (query.get("q") or "").strip()[:100]
    shown = [row for row in rows if fold(q) in row.search] if q else rows
    zone = _zone(door)
    return await workspace_page(
        request,
        "guide/doors.html",
        tenant,
        section=SECTION,
        door_event_id=door.target.event.id,
        door_neighbours=await _neighbours(door),
        door_assets=assets().own_prefix,
        door=door,
        event_title=_title(door, locale),
        title_locale=_title_in(door, locale)[1],
        door_session=_current(door),
        course_sessions=[_local(s, zone) for s in door.sessions],
        rows=shown,
        total=len(rows),
        search_query=q,
        counters=await targets.read_counters(door.target),
        attended=sum(r.registration.seats for r in rows if r.attendance == "attended"),
        door_notice=_notice(
            registrations, query.get("done"), query.get("who"), query.get("promoted")
        ),
    )


@page_route(paths(), operation_id=door_operation("doorList"))
async def door_list(
    request: Request[Any, Any, Any],
    target_id: PathId,
    tenant: NamedDependency[Tenant],
    session: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
    done: FromQuery[str | None] = None,
    who: FromQuery[str | None] = None,
    promoted: FromQuery[str | None] = None,
) -> Response[Any]:
    """The door list: names with state and needs, a search, one tap for attendance."""
    try:
        door = await _door(request, tenant, target_id, session)
    except Conflict:  # the places count on another list: go there
        elsewhere = await _right_list(request, tenant, target_id)
        if elsewhere is None:
            raise
        return see_other(elsewhere)
    query = {"q": q, "done": done, "who": who, "promoted": promoted}
    return await _list_page(request, tenant, door, query)


# --- attendance ------------------------------------------------------------------------


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return "application/json" in request.headers.get("accept", "")


@post(paths("/attendance"), **hidden("markAttendance"))
async def mark_attendance(
    request: Request[Any, Any, Any], target_id: PathId, tenant: NamedDependency[Tenant]
) -> Response[Any]:
    """One tap: attended or not attended, for a confirmed registration of the list.
    Back to its row (303), or JSON for doors.js."""
    form = await request.form()
    door = await _door(request, tenant, target_id, form.get("session"))
    registration_id = _id_of(form.get("registration_id"))
    status = str(form.get("status") or "")
    if registration_id is None:
        raise NotFound("No such registration on this list.")
    await guide.door_registration(door.target, tenant.municipality_id, registration_id)
    if status not in (AttendanceStatus.attended, AttendanceStatus.no_show):
        raise InvalidInput("Choose attended or not attended.", {"status": "attended or no_show"})
    await guide.record_attendance(
        tenant.municipality_id, door.session_id, registration_id, AttendanceStatus(status)
    )
    if _wants_json(request):
        return Response(
            {"registration_id": registration_id, "session_id": door.session_id, "status": status},
            status_code=HTTP_200_OK,
        )
    return see_other(door.anchor(registration_id, done="attendance", who=registration_id))


# --- walk-ins and phone registrations ------------------------------------------------------

WALK_IN_FIELDS = ("name", "email", "phone", "seats")
ADD_FIELDS = ("name", "phone", "email", "locale", "seats", "interpretation", "accessibility")


def _person(values: dict[str, str], require_contact: bool) -> tuple[Any, dict[str, str]]:
    """The form's values as the API's body; the fields that fail, by form name."""
    interpretation = values.get("interpretation") or None
    accessibility = (values.get("accessibility") or "").strip() or None
    body = {
        "name": values["name"].strip(),
        "email": values["email"].strip() or None,
        "phone": values["phone"].strip() or None,
        "locale": values.get("locale") or None,
        "seats": values["seats"].strip() or "1",
        "needs": {"interpretation": interpretation, "accessibility": accessibility}
        if interpretation or accessibility
        else None,
    }
    failed: set[str] = set()
    data = None
    try:
        data = GuideRegistrationCreate.model_validate(body)
    except ValidationError as error:
        failed = {
            str(e["loc"][-1] if e["loc"][0] == "needs" else e["loc"][0]) for e in error.errors()
        }
    if require_contact and not body["email"] and not body["phone"]:
        failed.add("contact")
    return (None if failed else data), {name: "" for name in MESSAGES if name in failed}


def _messages(failed: dict[str, str], locale: str) -> dict[str, str]:
    t = translator(locale)
    return {name: t.gettext(MESSAGES[name]) for name in MESSAGES if name in failed}


async def _form_page(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    door: Door,
    form: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    locale = _locale(request, door)
    town = door.target.municipality
    names = languages_named_in(locale)
    return await workspace_page(
        request,
        "guide/doors_form.html",
        tenant,
        section=SECTION,
        status_code=status_code,
        door_assets=assets().own_prefix,
        door=door,
        form=form,
        event_title=_title(door, locale),
        title_locale=_title_in(door, locale)[1],
        door_session=_current(door),
        values={
            **dict.fromkeys((*ADD_FIELDS, "capacity"), ""),
            "seats": "1",
            "locale": town.default_locale,
            **(values or {}),
        },
        errors=errors or {},
        problem=problem,
        mail_languages=[
            (code, AUTONYMS[code]) for code in LOCALES if code in (town.offered_locales or LOCALES)
        ],
        interpretation_languages=[
            (code, names.get(code, code))
            for code in dict.fromkeys(
                [*(c for c in door.target.event.languages if c != "de"), *INTERPRETATION]
            )
        ],
        **context,
    )


def _problem(error: DomainError, locale: str) -> str:
    """A service's refusal in the guide's words."""
    t = translator(locale)
    seats = error.fields.get("seats", "")
    if seats.endswith("waiting"):
        return t.gettext(
            "People are waiting for places; until the session starts, they come first."
            " Raise the capacity to let them in."
        )
    if seats.endswith("free"):
        return t.gettext(
            "Not enough places are free (%(free)s). Raise the capacity to let them in.",
            free=seats.split()[0],
        )
    if seats == "fully booked":
        return t.gettext("No places are left, and the event has no waitlist.")
    if "event" in error.fields or "session" in error.fields:
        return t.gettext("This event takes no registrations now (a draft, or cancelled).")
    return t.gettext("This did not work: %(reason)s", reason=error.detail)


@page_route(paths("/walk-in"), operation_id=door_operation("walkInForm"))
async def walk_in_form(
    request: Request[Any, Any, Any],
    target_id: PathId,
    tenant: NamedDependency[Tenant],
    session: FromQuery[str | None] = None,
) -> Template:
    """Someone at the door: name, maybe email or phone, places."""
    door = await _door(request, tenant, target_id, session)
    return await _form_page(request, tenant, door, "walk_in")


@post(paths("/walk-in"), **hidden("addWalkIn"))
async def add_walk_in(
    request: Request[Any, Any, Any],
    target_id: PathId,
    tenant: NamedDependency[Tenant],
    secret_key: NamedDependency[str],
) -> Response[Any]:
    """A free seat, confirmed and marked as attended; back to their row (303). No seat:
    the form again saying why (409)."""
    form = await request.form()
    door = await _door(request, tenant, target_id, form.get("session"))
    values = {name: str(form.get(name) or "") for name in WALK_IN_FIELDS}
    locale = _locale(request, door)
    data, failed = _person(values, require_contact=False)
    if data is None:
        return await _form_page(
            request,
            tenant,
            door,
            "walk_in",
            values,
            _messages(failed, locale),
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    try:
        outcome = await service.register_walk_in(door.target, data, door.session_id, secret_key)
    except (Conflict, InvalidInput) as error:
        return await _form_page(
            request,
            tenant,
            door,
            "walk_in",
            values,
            problem=_problem(error, locale),
            status_code=HTTP_409_CONFLICT,
        )
    rid = outcome.registration.id
    return see_other(door.anchor(rid, done="walk_in", who=rid))


@page_route(paths("/add"), operation_id=door_operation("phoneRegistrationForm"))
async def add_form(
    request: Request[Any, Any, Any],
    target_id: PathId,
    tenant: NamedDependency[Tenant],
    session: FromQuery[str | None] = None,
) -> Template:
    """A registration taken by phone: name, phone or email, language, needs."""
    door = await _door(request, tenant, target_id, session)
    return await _form_page(request, tenant, door, "add")


@post(paths("/add"), **hidden("addPhoneRegistration"))
async def add_registration(
    request: Request[Any, Any, Any],
    target_id: PathId,
    tenant: NamedDependency[Tenant],
    secret_key: NamedDependency[str],
) -> Response[Any]:
    """Registered at once (confirmed), or on the waitlist when full; back to the row."""
    form = await request.form()
    door = await _door(request, tenant, target_id, form.get("session"))
    values = {name: str(form.get(name) or "") for name in ADD_FIELDS}
    locale = _locale(request, door)
    data, failed = _person(values, require_contact=True)
    if data is not None and data.locale is None:
        failed["locale"] = ""
    if data is None or failed:
        return await _form_page(
            request,
            tenant,
            door,
            "add",
            values,
            _messages(failed, locale),
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    try:
        outcome = await service.register(door.target, data, secret_key)
    except (Conflict, InvalidInput) as error:
        return await _form_page(
            request,
            tenant,
            door,
            "add",
            values,
            problem=_problem(error, locale),
            status_code=HTTP_409_CONFLICT,
        )
    rid = outcome.registration.id
    return see_other(door.anchor(rid, done="added", who=rid))


# --- cancelling a place ----------------------------------------------------------------


@page_route(paths("/cancel/{registration_id:int}"), operation_id=door_operation("cancelForm"))
async def cancel_form(
    request: Request[Any, Any, Any],
    target_id: PathId,
    registration_id: PathId,
    tenant: NamedDependency[Tenant],
    session: FromQuery[str | None] = None,
) -> Template:
    """Check before cancelling: whose place, how many, and that the waitlist moves up."""
    door = await _door(request, tenant, target_id, session)
    registration = await guide.door_registration(
        door.target, tenant.municipality_id, registration_id
    )
    if registration.status not in ACTIVE:
        raise NotFound("This place is cancelled already.")
    counters = await targets.read_counters(door.target)
    return await _form_page(
        request, tenant, door, "cancel", registration=registration, waiting=counters["waiting"]
    )


@post(paths("/cancel/{registration_id:int}"), **hidden("cancelPlace"))
async def cancel_place(
    request: Request[Any, Any, Any],
    target_id: PathId,
    registration_id: PathId,
    tenant: NamedDependency[Tenant],
) -> Response[Any]:
    """Cancel the place; the list then says whom the waitlist moved up."""
    form = await request.form()
    door = await _door(request, tenant, target_id, form.get("session"))
    cancelled, promoted = await guide.cancel_at_door(
        door.target, tenant.municipality_id, registration_id
    )
    return see_other(
        door.url(
            done="cancelled",
            who=cancelled.id,
            promoted=",".join(str(r.id) for r in promoted),
        )
    )


# --- capacity --------------------------------------------------------------------------


@page_route(paths("/capacity"), operation_id=door_operation("capacityForm"))
async def capacity_form(
    request: Request[Any, Any, Any],
    target_id: PathId,
    tenant: NamedDependency[Tenant],
    session: FromQuery[str | None] = None,
) -> Template:
    """The capacity of the session (or course), with what is taken and who waits."""
    door = await _door(request, tenant, target_id, session)
    counters = await targets.read_counters(door.target)
    capacity = counters["capacity"]
    return await _form_page(
        request,
        tenant,
        door,
        "capacity",
        {"capacity": "" if capacity is None else str(capacity)},
        counters=counters,
    )


@post(paths("/capacity"), **hidden("changeCapacity"))
async def change_capacity(
    request: Request[Any, Any, Any], target_id: PathId, tenant: NamedDependency[Tenant]
) -> Response[Any]:
    """A new capacity; more room moves the waitlist up, and the list names who moved."""
    form = await request.form()
    door = await _door(request, tenant, target_id, form.get("session"))
    text = str(form.get("capacity") or "").strip()
    locale = _locale(request, door)
    counters = await targets.read_counters(door.target)
    try:
        capacity = CapacityIn.model_validate(
            {"capacity": int(text) if re.fullmatch(r"[0-9]{1,6}", text) else text or None}
        ).capacity
    except ValidationError:
        return await _form_page(
            request,
            tenant,
            door,
            "capacity",
            {"capacity": text},
            _messages({"capacity": ""}, locale),
            counters=counters,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    try:
        promoted = await guide.change_capacity(tenant.municipality_id, door.target, capacity)
    except (Conflict, InvalidInput) as error:
        taken = counters["seats_taken"]
        message = (
            translator(locale).gettext(
                "%(taken)s places are taken: the capacity cannot be lower. Cancel places first.",
                taken=taken,
            )
            if "capacity" in error.fields
            else _problem(error, locale)
        )
        return await _form_page(
            request,
            tenant,
            door,
            "capacity",
            {"capacity": text},
            {"capacity": message},
            counters=counters,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY
            if "capacity" in error.fields
            else HTTP_409_CONFLICT,
        )
    return see_other(door.url(done="capacity", promoted=",".join(str(r.id) for r in promoted)))


# --- exports -----------------------------------------------------------------------------


def filename(door: Door, extension: str) -> str:
    """An ASCII file name from the title and the date, e.g.
    anmeldungen-dialogrunde-ankommen-2026-12-09.csv (a title in another script falls
    back to the list's kind and id)."""
    title = _title(door, door.target.municipality.default_locale)
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    if not slug:
        slug = f"{'event' if door.course else 'session'}-{door.target.row_id}"
    when = _current(door)["starts_at"].date().isoformat() if not door.course else ""
    parts = ["anmeldungen", slug, when]
    return "-".join(p for p in parts if p) + "." + extension


def _download(content: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@page_route(paths(".csv"), operation_id=door_operation("doorListCsv"))
async def export_csv(
    request: Request[Any, Any, Any], target_id: PathId, tenant: NamedDependency[Tenant]
) -> Response[bytes]:
    """The list as the API's CSV: German Excel's format (UTF-8 with BOM, `;`)."""
    door = await _door(request, tenant, target_id)
    content = await guide.registrations_csv(door.target)
    return _download(content, CSV_MEDIA_TYPE, filename(door, "csv"))


@page_route(paths(".xlsx"), operation_id=door_operation("doorListXlsx"))
async def export_xlsx(
    request: Request[Any, Any, Any], target_id: PathId, tenant: NamedDependency[Tenant]
) -> Response[bytes]:
    """The list as an Excel workbook: the CSV's columns, dates as dates."""
    door = await _door(request, tenant, target_id)
    content = await guide.registrations_xlsx(door.target)
    return _download(content, XLSX_MEDIA_TYPE, filename(door, "xlsx"))


ROUTES = [
    door_list,
    mark_attendance,
    walk_in_form,
    add_walk_in,
    add_form,
    add_registration,
    cancel_form,
    cancel_place,
    capacity_form,
    change_capacity,
    export_csv,
    export_xlsx,
]
