"""Writing to an event's registrants (`/guide/events/{id}/messages`): the form, a
preview that counts the people and shows the mail as one of them gets it (in German;
each person gets it in their own language), sending, and the event's history.

Thin as the API's handlers: the form is read into the API's body (`MessageIn`) and goes
through the same service (registrations/messages.py). Sending needs the count the
preview showed: when it changed meanwhile, the preview comes again with the new count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Response
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY
from pydantic import ValidationError

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.errors import Conflict, InvalidInput
from treffpunkt.events.tables import RegistrationMode, SessionStatus
from treffpunkt.i18n import DEFAULT_LOCALE, translated
from treffpunkt.links import event_page_path
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.notifications.rendering import render
from treffpunkt.registrations import messages
from treffpunkt.registrations.schemas import EventMessageOut, MessageIn
from treffpunkt.registrations.tables import MessageAudience
from treffpunkt.schemas import MAX_ID, PathId
from treffpunkt.settings import Settings
from treffpunkt.translations import N_, languages_named_in, translator
from treffpunkt.web.pages import page_route, reader_locale
from treffpunkt.web.workspace import see_other, workspace_page

PREVIEW_LOCALE = "de"  # the guide reads the preview in German; each person in their own
FIELDS = ("session", "audience", "subject", "body")
MESSAGES = {
    "session": N_("Choose one of the event's dates, or all of them."),
    "audience": N_("Choose who gets the message."),
    "subject": N_("Enter a subject: one line, at most 150 characters."),
    "body": N_("Write the message: at most 5000 characters."),
}
AUDIENCES = {
    MessageAudience.confirmed: N_("People with a place"),
    MessageAudience.waitlisted: N_("People on the waitlist"),
    MessageAudience.both: N_("Both"),
}
SessionChoice = Annotated[int | None, QueryParameter(name="session", ge=1, le=MAX_ID)]
SentChoice = Annotated[int | None, QueryParameter(name="sent", ge=1, le=MAX_ID)]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def _path(event_id: int) -> str:
    return f"/guide/events/{event_id}/messages"


def _locale(request: Request[Any, Any, Any]) -> str:
    """The workspace's language: German unless the guide chose another (as the layout)."""
    return reader_locale(request, DEFAULT_LOCALE)


async def _town(tenant: Tenant) -> Municipality:
    town = await Municipality.objects().where(Municipality.id == tenant.municipality_id).first()
    assert town is not None  # the guard let in a guide of this town
    return town


def _read(values: dict[str, str]) -> tuple[MessageIn | None, set[str]]:
    """The form as the API's body, or the fields that fail (by form name)."""
    session = values["session"].strip()
    failed: set[str] = set()
    if session and not (session.isascii() and session.isdigit() and len(session) <= 10):
        failed.add("session")
    body = {
        "session_id": int(session) if session and not failed else None,
        "audience": values["audience"],
        "subject": values["subject"],
        "body": values["body"],
    }
    try:
        data = MessageIn.model_validate(body)
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0])
            failed.add("session" if name == "session_id" else name)
        return None, failed
    return (None, failed) if failed else (data, failed)


async def _page(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    event_id: int,
    *,
    values: dict[str, str] | None = None,
    failed: dict[str, str] | None = None,
    status_code: int = 200,
    preview: dict[str, Any] | None = None,
    sent: int | None = None,
) -> Response[Any]:
    locale = _locale(request)
    said = translator(locale)
    town = await _town(tenant)
    zone = ZoneInfo(town.time_zone)
    choices = await messages.message_choices(tenant.municipality_id, event_id)
    event = choices.event
    texts: dict[str, Any] = event.texts  # type: ignore[assignment]  # JSON, loaded
    title = translated(texts, locale, town.default_locale)[1].get("title", "")
    history = await messages.history(tenant.municipality_id, event_id)
    delivery = await messages.delivery(tenant.municipality_id, [m.id for m in history])
    errors = {
        name: message or said.gettext(MESSAGES[name]) for name, message in (failed or {}).items()
    }
    form = {"session": "", "audience": MessageAudience.confirmed, "subject": "", "body": ""}
    form.update(values or {})

    def when(moment: datetime) -> datetime:
        return moment.astimezone(zone)

    sessions = [
        Choice(
            str(s["id"]),
            said.gettext(
                "%(when)s (cancelled)",
                when=_session_label(when(s["starts_at"]), when(s["ends_at"]), locale),
            )
            if s["status"] == SessionStatus.cancelled
            else _session_label(when(s["starts_at"]), when(s["ends_at"]), locale),
        )
        for s in choices.sessions
    ]
    return await workspace_page(
        request,
        "guide/messages.html",
        tenant,
        section="events",
        status_code=status_code,
        event_id=event.id,
        event_title=title,
        takes_registrations=event.registration_mode != RegistrationMode.none,
        per_session=event.registration_mode == RegistrationMode.per_session,
        session_choices=sessions,
        audiences=[Choice(value, said.gettext(label)) for value, label in AUDIENCES.items()],
        audience_names={value: said.gettext(label) for value, label in AUDIENCES.items()},
        form=form,
        errors=errors,
        action=_path(event.id),
        preview=preview,
        history=[_history_item(m, delivery.get(m.id, {}), zone) for m in history],
        sent=next((m for m in history if m.id == sent), None) if sent else None,
    )


def _session_label(starts_at: datetime, ends_at: datetime, locale: str) -> str:
    from babel.dates import format_date, format_time

    return (
        f"{format_date(starts_at, 'full', locale=locale)}, "
        f"{format_time(starts_at, 'short', locale=locale)}–"
        f"{format_time(ends_at, 'short', locale=locale)}"
    )


def _history_item(message: EventMessageOut, counted: Any, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "message": message,
        "sent_at": message.sent_at.astimezone(zone),
        "session_starts_at": message.session_starts_at.astimezone(zone)
        if message.session_starts_at
        else None,
        "delivered": counted.get("sent", 0),
        "waiting": counted.get("queued", 0) + counted.get("sending", 0),
        "failed": counted.get("failed", 0),
        "skipped": counted.get("skipped", 0),
    }


@page_route("/events/{event_id:int}/messages")
async def message_form(
    request: Request[Any, Any, Any],
    event_id: PathId,
    tenant: NamedDependency[Tenant],
    session: SessionChoice = None,
    sent: SentChoice = None,
) -> Response[Any]:
    """The form to write to the event's registrants, and the messages sent before."""
    values = {"session": str(session)} if session else {}
    return await _page(request, tenant, event_id, values=values, sent=sent)


async def _form_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name) or "") for name in (*FIELDS, "expected", "edit")}


async def _preview(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    event_id: int,
    values: dict[str, str],
    data: MessageIn,
    settings: Settings,
    *,
    changed: bool = False,
) -> Response[Any]:
    """The preview step: how many people, in which languages, and the mail itself."""
    try:
        found = await messages.recipients(
            tenant.municipality_id, event_id, data.session_id, data.audience
        )
    except InvalidInput:
        return await _page(
            request,
            tenant,
            event_id,
            values=values,
            failed={"session": ""},
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    mail = None
    sample = await messages.sample(found, data, PREVIEW_LOCALE)
    if sample is not None:
        town = await _town(tenant)
        page = settings.base_url + event_page_path(town.slug, event_id)
        context = {
            **sample[1],
            # The personal links each mail carries; the preview shows where they go.
            "manage_url": f"{settings.base_url}/r/…",
            "confirm_url": None,
            "can_cancel": True,
            "event_url": page,
        }
        mail = render(messages.GUIDE_MESSAGE, PREVIEW_LOCALE, context)
    names = languages_named_in(_locale(request))
    return await _page(
        request,
        tenant,
        event_id,
        values=values,
        preview={
            "count": len(found.people),
            "languages": [(names.get(code, code), n) for code, n in found.languages.items()],
            "mail": mail,
            "changed": changed,
        },
        status_code=HTTP_409_CONFLICT if changed else 200,
    )


@post("/events/{event_id:int}/messages/preview", include_in_schema=False)
async def preview_message(
    request: Request[Any, Any, Any],
    event_id: PathId,
    tenant: NamedDependency[Tenant],
    settings: NamedDependency[Settings],
) -> Response[Any]:
    """The preview; errors come back on their fields (422), nothing is sent. From the
    preview, "change" brings the form back with what was written."""
    values = await _form_values(request)
    if values["edit"]:
        return await _page(request, tenant, event_id, values=values)
    data, failed = _read(values)
    if data is None:
        return await _page(
            request,
            tenant,
            event_id,
            values=values,
            failed=dict.fromkeys(failed, ""),
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return await _preview(request, tenant, event_id, values, data, settings)


@post("/events/{event_id:int}/messages", include_in_schema=False)
async def send_message(
    request: Request[Any, Any, Any],
    event_id: PathId,
    tenant: NamedDependency[Tenant],
    settings: NamedDependency[Settings],
) -> Response[Any]:
    """Send what the preview showed; a different count than it said shows the preview
    again (409), so nobody sends to people they did not count."""
    values = await _form_values(request)
    data, failed = _read(values)
    if data is None:
        return await _page(
            request,
            tenant,
            event_id,
            values=values,
            failed=dict.fromkeys(failed, ""),
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    try:
        found = await messages.recipients(
            tenant.municipality_id, event_id, data.session_id, data.audience
        )
    except InvalidInput:
        return await _page(
            request,
            tenant,
            event_id,
            values=values,
            failed={"session": ""},
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if values["expected"] != str(len(found.people)) or not found.people:
        return await _preview(
            request, tenant, event_id, values, data, settings, changed=bool(values["expected"])
        )
    said = translator(_locale(request))
    try:
        sent = await messages.send_message(
            tenant.municipality_id, tenant.account_id, event_id, data
        )
    except Conflict as error:
        field = "body" if "body" in error.fields else "audience"
        message = (
            said.gettext("This message went to these people a few minutes ago already.")
            if field == "body"
            else said.gettext("Nobody would get this message.")
        )
        return await _page(
            request,
            tenant,
            event_id,
            values=values,
            failed={field: message},
            status_code=HTTP_409_CONFLICT,
        )
    return see_other(f"{_path(event_id)}?sent={sent.id}")


ROUTES = [message_form, preview_message, send_message]
