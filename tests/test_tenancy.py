"""Matrices over every route of the app, so that new endpoints are checked automatically.

- every guide route is guarded by the guide router, every admin operation by the admin
  guard, and every unguarded operation is one meant to be public;
- every guide/admin/account operation answers 401 without a token;
- every guide operation answers 404 for another municipality's objects (and works for
  the guide's own, so the 404 is not an accident of a wrong URL);
- every write operation answers 422 naming the field on bad input and writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from litestar import Litestar

from tests.factories import (
    SECRET,
    future_day,
    make_event,
    make_guide,
    make_published_event,
    make_venue,
    sessions_of,
)
from tests.submissions.factories import make_submission
from treffpunkt.accounts.dependencies import admins_only, guides_only, logged_in
from treffpunkt.events.programmes import create_programme
from treffpunkt.events.schemas import ProgrammeCreate
from treffpunkt.partners.schemas import ContactCreate, PartnerCreate
from treffpunkt.partners.service import create_contact, create_partner
from treffpunkt.piccolo_app import APP_CONFIG
from treffpunkt.registrations.schemas import GuideRegistrationCreate
from treffpunkt.registrations.service import register
from treffpunkt.registrations.targets import event_target, session_target
from treffpunkt.web.workspace import account_session, admin_session, guide_session

WRITE_METHODS = {"POST", "PUT", "PATCH"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    # "tenant", "admin", "account" (the API's), "guide page", "admin page" (the
    # workspace's) or None (public): from the route's guards
    guard: str | None
    has_body: bool

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def url(self, values: dict[str, Any]) -> str:
        chosen = {
            **values,
            **{k: values[v] for k, v in OBJECTS_FOR.get(self.operation_id, {}).items()},
        }
        return self.path.format(**{name: chosen[name] for name in self.params})

    def body(self, values: dict[str, Any]) -> dict[str, Any] | None:
        body = VALID_BODIES.get(self.operation_id)
        return body(values) if callable(body) else body

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


GUARDS = {
    guides_only: "tenant",
    admins_only: "admin",
    logged_in: "account",
    guide_session: "guide page",
    admin_session: "admin page",
    account_session: "account page",
}
API_GUARDS = {"tenant", "admin", "account"}


def _operation_id(handler: Any, method: str, path: str) -> str:
    """The id the API description gives: handlers for GET and HEAD name each method."""
    if callable(handler.operation_id):
        return str(handler.operation_id(handler, method, path))
    return str(handler.operation_id)


def operations(app: Litestar) -> list[Operation]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            params = set(handler.parsed_fn_signature.parameters)
            guards = [GUARDS[g] for g in handler.resolve_guards() if g in GUARDS]
            assert len(guards) <= 1, f"{route.path_format}: {guards}"
            guard = guards[0] if guards else None
            for method in sorted(handler.http_methods):
                if method in {"HEAD", "OPTIONS"}:
                    continue
                found.append(
                    Operation(
                        method=method,
                        path=route.path_format,
                        operation_id=_operation_id(handler, method, route.path_format),
                        guard=guard,
                        has_body="data" in params,
                    )
                )
    return found


DAY = future_day(20)
SERIES = {
    "rule": "FREQ=WEEKLY;BYDAY=TU",
    "start_date": DAY.isoformat(),
    "start_time": "14:00",
    "end_time": "16:00",
    "count": 3,
}
TIMES = {"starts_at": f"{DAY}T18:00:00+01:00", "ends_at": f"{DAY}T20:00:00+01:00"}

PERSON = {"name": "Amina Demo", "email": "amina@example.org", "consent": True}
# Registration routes need a published event of the right registration mode.
OBJECTS_FOR: dict[str, dict[str, str]] = {
    **{
        op: {"session_id": "open_session_id"}
        for op in (
            "listSessionRegistrations",
            "exportSessionRegistrations",
            "exportSessionRegistrationsXlsx",
            "addSessionRegistration",
            "addSessionWalkIn",
            "setSessionCapacity",
            "recordAttendance",
            "registerForSession",
        )
    },
    **{op: {"event_id": "invitation_event_id"} for op in ("listInvitations", "invitePartners")},
    **{
        op: {"event_id": "course_id"}
        for op in (
            "listEventRegistrations",
            "exportEventRegistrations",
            "exportEventRegistrationsXlsx",
            "addEventRegistration",
            "addEventWalkIn",
            "registerForEvent",
            "sendEventMessage",  # a course with someone to write to
        )
    },
}

# The door list's pages (web/guide/doors.py): each at a session's and a course's address.
DOOR_PAGES = (
    *("doorList", "markAttendance", "walkInForm", "addWalkIn", "phoneRegistrationForm"),
    *("addPhoneRegistration", "cancelForm", "cancelPlace", "capacityForm", "changeCapacity"),
    *("doorListCsv", "doorListXlsx"),
)
OBJECTS_FOR.update(
    {
        **{f"{name}Session": {"target_id": "open_session_id"} for name in DOOR_PAGES},
        **{
            f"{name}Course": {"target_id": "course_id", "registration_id": "course_registration_id"}
            for name in DOOR_PAGES
        },
    }
)

# A valid body for each write operation; a new write endpoint must add one here.
VALID_BODIES: dict[str, Any] = {
    "login": {"email": "guide@bensheim.example", "password": "correct horse battery"},
    "createMunicipality": {
        "slug": "new-town",
        "name": "Neustadt",
        "contact_email": "a@new-town.example",
        "sender_name": "Neustadt",
        "sender_email": "a@new-town.example",
    },
    "updateMunicipality": {"name": "Stadt Bensheim an der Bergstraße"},
    "createGuide": {"email": "x@bensheim.example", "display_name": "X", "password": "a" * 12},
    "updateAccount": {"display_name": "Renamed"},
    "inviteGuide": {"email": "invited@bensheim.example", "display_name": "Neu"},
    "requestPasswordReset": {"email": "guide@bensheim.example"},
    "changePassword": {"current_password": "correct horse battery", "new_password": "b" * 12},
    "createVenue": {"name": "Rathaus", "street": "Markt 1", "postal_code": "64625", "city": "B"},
    "updateVenue": {"room": "Sitzungssaal"},
    "createProgramme": {
        "slug": "iwk",
        "texts": {"de": {"title": "IKW"}},
        "starts_on": "2027-09-19",
        "ends_on": "2027-09-26",
    },
    "updateProgramme": {"ends_on": "2027-09-27"},
    "createEvent": {"kind": "dialogue", "texts": {"de": {"title": "Dialog"}}, "sessions": [TIMES]},
    "updateEvent": {"capacity": 30},
    "setSeries": SERIES,
    "addSession": TIMES,
    "moveSession": TIMES,
    "registerForSession": PERSON,
    "registerForEvent": PERSON,
    "addSessionRegistration": {"name": "Walk-in", "phone": "06251 123456"},
    "addEventRegistration": {"name": "Walk-in", "email": "walkin@example.org"},
    "setSessionCapacity": {"capacity": 40},
    "previewEventMessage": {"audience": "both", "subject": "Raum", "body": "Wir sind im Hof."},
    "sendEventMessage": {"audience": "confirmed", "subject": "Raum", "body": "Im Hof.\nBis dann"},
    "addSessionWalkIn": {"name": "Walk-in", "seats": 2},
    "addEventWalkIn": {"name": "Walk-in", "phone": "06251 123456"},
    "updateSubmission": {
        "contact_name": "Rania K.",
        "dates": [{"day": str(DAY), "start": "18:00", "end": "20:00"}],
    },
    "declineSubmission": {"message": "Leider ist die Woche schon voll."},
    "recordAttendance": lambda objects: {
        "registration_id": objects["registration_id"],
        "status": "attended",
    },
    "invitePartners": lambda objects: {"partner_ids": [objects["partner_id"]]},
    "updateTownSettings": {
        "sender_name": "Integrationsbüro",
        "contact_email": "integration@bensheim.example",
        "reminder_hours": 24,
        "confirmation_hold_hours": 24,
        "default_locale": "de",
        "accent_colour": "#005a8c",
    },
}
# Body fields whose wrong type must be named in the 422 (a required one where there is one).
TYPED_FIELD: dict[str, tuple[str, Any]] = {
    "login": ("email", 42),
    "createMunicipality": ("slug", ["not", "a", "slug"]),
    "updateMunicipality": ("retention_days", "forever"),
    "createGuide": ("password", 123),
    "updateAccount": ("active", "perhaps"),
    "inviteGuide": ("email", 42),
    "requestPasswordReset": ("email", 42),
    "changePassword": ("new_password", 123),
    "createVenue": ("name", ["not", "a", "name"]),
    "updateVenue": ("step_free", "perhaps"),
    "createProgramme": ("starts_on", "someday"),
    "updateProgramme": ("ends_on", "someday"),
    "createEvent": ("kind", 5),
    "updateEvent": ("capacity", "many"),
    "setSeries": ("rule", 5),
    "addSession": ("starts_at", "soon"),
    "moveSession": ("ends_at", "later"),
    "registerForSession": ("seats", "many"),
    "registerForEvent": ("consent", "maybe"),
    "addSessionRegistration": ("seats", "many"),
    "addEventRegistration": ("name", 5),
    "setSessionCapacity": ("capacity", "lots"),
    "addSessionWalkIn": ("seats", "many"),
    "addEventWalkIn": ("session_id", "first"),
    "recordAttendance": ("status", "present"),
    "invitePartners": ("partner_ids", "all"),
    "updateTownSettings": ("reminder_hours", "a day"),
    "previewEventMessage": ("audience", "everyone"),
    "sendEventMessage": ("subject", ["not", "one", "line"]),
    "updateSubmission": ("languages", "de"),
    "declineSubmission": ("message", 5),
}


async def objects_of(municipality: Any, guide: dict[str, Any]) -> dict[str, Any]:
    """Path parameter values naming fresh objects that belong to `municipality`."""
    venue = await make_venue(municipality)
    programme = await create_programme(
        municipality.id,
        ProgrammeCreate.model_validate(
            {
                **VALID_BODIES["createProgramme"],
                "slug": f"p{venue.id}",
                "submissions_until": str(future_day(10)),
            }
        ),
    )
    event = await make_event(municipality, venue_id=venue.id, programme_id=programme["id"])
    [session] = await sessions_of(event)
    open_event = await make_published_event(municipality, registration_mode="per_session")
    [open_session] = await sessions_of(open_event)
    course = await make_published_event(municipality, registration_mode="whole_event")
    invitation_event = await make_published_event(
        municipality, registration_mode="per_session", access="invitation_only"
    )
    partner = await create_partner(
        municipality.id,
        PartnerCreate(
            name=f"Partner {venue.id}", kind="association", email=f"p{venue.id}@partner.example"
        ),
    )
    contact = await create_contact(
        municipality.id, partner.id, ContactCreate(name="Leyla Aydın", role="Vorsitzende")
    )
    await register(  # someone a guide's message reaches
        await event_target(course.id, municipality.id),
        GuideRegistrationCreate(name="Per Telefon", email="telefon@example.org"),
        SECRET,
    )
    submission_id = await make_submission(municipality, programme)
    walk_in = (
        await register(
            await session_target(open_session.id, municipality.id),
            GuideRegistrationCreate(name="Walk-in"),
            SECRET,
        )
    ).registration
    course_place = (
        await register(
            await event_target(course.id, municipality.id),
            GuideRegistrationCreate(name="Course walk-in"),
            SECRET,
        )
    ).registration
    return {
        "slug": municipality.slug,
        "account_id": guide["id"],
        "venue_id": venue.id,
        "programme_id": programme["id"],
        "event_id": event.id,
        "session_id": session.id,
        "open_session_id": open_session.id,
        "course_id": course.id,
        "invitation_event_id": invitation_event.id,
        "partner_id": partner.id,
        "contact_id": contact.id,
        "registration_id": walk_in.id,
        "course_registration_id": course_place.id,
        "submission_id": submission_id,
    }


class Towns:
    """Makes fresh objects of Bensheim (own) and Butzbach (foreign) on demand."""

    def __init__(self, bensheim: Any, butzbach: Any, own_guide: Any, foreign_guide: Any) -> None:
        self.bensheim, self.butzbach = bensheim, butzbach
        self.own_guide, self.foreign_guide = own_guide, foreign_guide

    async def own(self) -> dict[str, Any]:
        return await objects_of(self.bensheim, self.own_guide)

    async def foreign(self) -> dict[str, Any]:
        return await objects_of(self.butzbach, self.foreign_guide)


async def make_towns(bensheim: Any, butzbach: Any, bensheim_guide: Any) -> Towns:
    second = await make_guide(butzbach, "zweite@butzbach.example")
    return Towns(bensheim, butzbach, bensheim_guide, second)


async def row_counts() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in APP_CONFIG.table_classes}


# Everything anyone may call without a login. A new route is guarded, or added here.
PUBLIC_OPERATIONS = {
    "health",
    "login",
    "requestPasswordReset",
    "listMunicipalities",
    "getMunicipality",
    "listPublicSessions",
    "getPublicEvent",
    "listPublicProgrammes",
    "getPublicProgramme",
    "registerForSession",
    "registerForEvent",
    "getRegistration",
    "confirmRegistration",
    "cancelRegistration",
    "municipalityCalendar",
    "programmeCalendar",
    "eventCalendar",
    "personalCalendar",
    # HEAD, for uptime checks and calendar apps that ask before they fetch
    "healthHead",
    "municipalityCalendarHead",
    "programmeCalendarHead",
    "eventCalendarHead",
    "personalCalendarHead",
}
# Pages behind a registration link, the API description, static files and stylesheets.
PUBLIC_PATHS = (
    *("/r/", "/schema", "/static/", "/assets/", "/m/{slug}/theme.css"),
    *("/m/{slug}/events/{event}", "/m/{slug}/events/{event_id}/"),
    # a town's logo and privacy notice; a partner's invitation link
    *("/m/{slug}/logo.png", "/m/{slug}/privacy", "/m/{slug}/invitations/"),
    "/password/",  # forgot password and the one-time links of mails (web/accounts.py)
)
# A town's pages and feeds for everyone (web/town.py); exact paths, since they prefix others.
PUBLIC_PAGES = {
    "/",
    "/login",
    "/logout",
    "/m/{slug}",
    "/m/{slug}/embed",
    "/m/{slug}/events.atom",
    "/m/{slug}/programmes/{programme_slug}",
    "/m/{slug}/programmes/{programme_slug}/events.atom",
    "/m/{slug}/programmes/{programme_slug}/poster.pdf",
    "/m/{slug}/programmes/{programme_slug}/submit",  # partners' proposals (web/submissions.py)
    "/m/{slug}/programmes/{programme_slug}/submitted",
}
ADMIN_OPERATIONS = {
    "listAccounts",
    "createGuide",
    "updateAccount",
    "inviteGuide",
    "resendInvitation",
    "sendPasswordReset",
    "createMunicipality",
    "updateMunicipality",
}


def test_every_route_is_guarded_or_meant_to_be_public(app: Litestar) -> None:
    found = operations(app)
    for op in found:
        if op.path.startswith("/api/v1/guide"):
            assert op.guard == "tenant", f"{op} is under the guide API without its guard"
        elif op.path.startswith("/guide"):
            assert op.guard == "guide page", f"{op} is a guide's page without its guard"
        elif op.path.startswith("/admin"):
            assert op.guard == "admin page", f"{op} is an admin page without its guard"
        elif op.path.startswith("/account"):
            assert op.guard == "account page", f"{op} is an account page without its guard"
        elif op.operation_id in ADMIN_OPERATIONS:
            assert op.guard == "admin", f"{op} is an admin operation without the admin guard"
        elif op.guard is None:
            public = op.path in PUBLIC_PAGES or op.path.startswith(PUBLIC_PATHS)
            assert op.operation_id in PUBLIC_OPERATIONS or public, (
                f"{op} has no guard: guard it, or list it as public"
            )
    assert {op.operation_id for op in found} >= ADMIN_OPERATIONS


def test_guide_routes_get_their_tenant_from_the_guarded_router(app: Litestar) -> None:
    for op in operations(app):
        if op.guard == "tenant":
            assert op.path.startswith("/api/v1/guide/"), f"{op}: guide routes live in the router"


async def test_every_guarded_operation_answers_401_without_a_token(
    app: Litestar, client: Any, towns: Towns
) -> None:
    guarded = [op for op in operations(app) if op.guard in API_GUARDS]
    assert len(guarded) >= 8
    own = await towns.own()
    for op in guarded:
        response = await client.request(op.method, op.url(own), json=op.body(own))
        assert response.status_code == 401, f"{op} answered {response.status_code}"
        assert response.json()["error"] == "unauthorized"


async def test_every_guide_operation_answers_404_for_another_municipality(
    app: Litestar, client: Any, towns: Towns, bensheim_headers: Any
) -> None:
    scoped = [op for op in operations(app) if op.guard == "tenant" and op.params]
    assert scoped, "no guide operation addresses an object"
    for op in scoped:
        assert op.operation_id in VALID_BODIES or not op.has_body, f"{op}: add a valid body"
        own_objects, foreign_objects = await towns.own(), await towns.foreign()
        before = await row_counts()
        foreign = await client.request(
            op.method,
            op.url(foreign_objects),
            json=op.body(own_objects),
            headers=bensheim_headers,
        )
        assert foreign.status_code == 404, f"{op} answered {foreign.status_code} for Butzbach"
        assert await row_counts() == before, f"{op} changed something of Butzbach"
        own = await client.request(
            op.method, op.url(own_objects), json=op.body(own_objects), headers=bensheim_headers
        )
        assert own.status_code < 300, f"{op} answered {own.status_code} for Bensheim's own"


async def test_guide_operations_are_refused_to_admins_and_admin_operations_to_guides(
    app: Litestar, client: Any, towns: Towns, bensheim_headers: Any, admin_headers: Any
) -> None:
    own = await towns.own()
    for op in operations(app):
        headers = {"tenant": admin_headers, "admin": bensheim_headers}.get(op.guard or "")
        if headers is None:
            continue
        response = await client.request(op.method, op.url(own), json=op.body(own), headers=headers)
        assert response.status_code == 403, f"{op} answered {response.status_code}"


async def test_every_write_operation_names_bad_fields_with_422_and_writes_nothing(
    app: Litestar, client: Any, towns: Towns, admin_headers: Any, bensheim_headers: Any
) -> None:
    writes = [op for op in operations(app) if op.method in WRITE_METHODS and op.has_body]
    assert writes
    headers = {"tenant": bensheim_headers, "admin": admin_headers, "account": bensheim_headers}
    for op in writes:
        assert op.operation_id in VALID_BODIES, f"{op}: add a valid body to VALID_BODIES"
        field, wrong = TYPED_FIELD[op.operation_id]
        for case in ("unknown field", "wrong type"):
            own = await towns.own()
            valid = op.body(own) or {}
            body, named = (
                ({**valid, "surprise": 1}, "surprise")
                if case == "unknown field"
                else ({**valid, field: wrong}, field)
            )
            before = await row_counts()
            response = await client.request(
                op.method,
                op.url(own),
                json=body,
                headers=headers.get(op.guard or "", {}),
            )
            assert response.status_code == 422, f"{op} ({case}) answered {response.status_code}"
            assert named in response.json()["fields"], f"{op} ({case}): {response.json()}"
            assert await row_counts() == before, f"{op} ({case}) wrote something"


# Texts no field takes: NUL (PostgreSQL refuses it), a C1 control, a line separator.
CONTROL_CHARACTERS = ["\x00", "\x85", "\u2028", "\x1b"]


def text_fields(schema: dict[str, Any], defs: dict[str, Any], path: str = "") -> list[str]:
    """Dotted paths of every text field of a body schema (dicts keyed by `de`)."""
    if "$ref" in schema:
        return text_fields(defs[schema["$ref"].split("/")[-1]], defs, path)
    for branch in schema.get("anyOf", []):
        if branch.get("type") != "null":
            return text_fields(branch, defs, path)
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        return [
            found
            for name, sub in schema["properties"].items()
            for found in text_fields(sub, defs, f"{path}.{name}".lstrip("."))
        ]
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return text_fields(schema["additionalProperties"], defs, f"{path}.de")
    if kind == "array":
        return text_fields(schema["items"], defs, f"{path}.0")
    is_text = kind == "string" and "enum" not in schema and schema.get("format") != "date"
    return [path] if is_text and schema.get("format") != "date-time" else []


def with_value(body: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    """`body` with the field at `path` set to `value` (lists get one item)."""
    body = dict(body)
    head, _, rest = path.partition(".")
    if not rest:
        body[head] = value
    elif rest.split(".")[0] == "0":
        tail = rest.partition(".")[2]
        body[head] = [with_value({}, tail, value)[tail]] if not tail else [value]
    else:
        inner = body.get(head) if isinstance(body.get(head), dict) else {}
        body[head] = with_value(inner, rest, value)
    return body


async def test_every_text_field_of_every_write_refuses_control_characters(
    app: Litestar, client: Any, towns: Towns, admin_headers: Any, bensheim_headers: Any
) -> None:
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    writes = [op for op in operations(app) if op.method in WRITE_METHODS and op.has_body]
    headers = {"tenant": bensheim_headers, "admin": admin_headers, "account": bensheim_headers}
    checked = 0
    own = await towns.own()
    for op in writes:
        handler_model = next(
            h.parsed_fn_signature.parameters["data"].annotation
            for route in app.routes
            if route.path_format == op.path
            for h in getattr(route, "route_handlers", [])
            if op.method in h.http_methods
        )
        fields = text_fields(schemas[handler_model.__name__], schemas)
        for path in fields:
            if path.endswith("password"):  # only hashed and compared: any characters (VERBATIM)
                continue
            for character in CONTROL_CHARACTERS:
                valid = op.body(own) or {}
                body = with_value(valid, path, f"Text{character}mit Zeichen")
                before = await row_counts()
                response = await client.request(
                    op.method, op.url(own), json=body, headers=headers.get(op.guard or "", {})
                )
                assert response.status_code == 422, f"{op} {path} {character!r}: {response.text}"
                named = response.json()["fields"]
                top = path.split(".")[0]
                assert any(key == top or key.startswith(f"{top}.") for key in named), (
                    f"{op} {path}: {named}"
                )
                assert await row_counts() == before, f"{op} {path} wrote something"
                checked += 1
    assert checked >= 200
