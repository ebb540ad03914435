"""A partner's personal invitation link (`/m/{slug}/invitations/{token}`): the
registration form, filled in for that partner, for an event by invitation.

Thin: the rules are `registrations.invitations` (one registration per invitation, to
the invited address). Opened again after registering, the link leads to that
registration's page (`/r/…`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.public import EventPage, event_page
from treffpunkt.events.tables import RegistrationMode
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.registrations import invitations, public, targets
from treffpunkt.registrations.service import registration_token
from treffpunkt.registrations.tables import Invitation
from treffpunkt.schemas import PathSlug, PathToken
from treffpunkt.settings import Settings
from treffpunkt.throttle import Throttle, client_of
from treffpunkt.web.events import FIELDS, _form_context, _messages, _registration_data
from treffpunkt.web.pages import page, page_route, reader_locale


async def _invitation(
    request: Request[Any, Any, Any], slug: str, token: str
) -> tuple[Municipality, Invitation, str, EventPage]:
    municipality = await get_municipality(slug)
    invitation = await invitations.by_token(token)
    if invitation.municipality != municipality.id:
        raise NotFound("This invitation link is not valid.")
    locale = reader_locale(request, municipality.default_locale, invitation.locale)
    base_url = request.app.state["settings"].base_url
    found = await event_page(municipality, invitation.event, locale, base_url)
    return municipality, invitation, locale, found


def _done(invitation_secret: str, salt: str) -> Redirect:
    return Redirect(
        f"/r/{registration_token(invitation_secret, salt)}", status_code=HTTP_303_SEE_OTHER
    )


def _form_page(
    request: Request[Any, Any, Any],
    municipality: Municipality,
    invitation: Invitation,
    found: EventPage,
    locale: str,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    context = _form_context(
        request,
        found,
        locale,
        {"name": invitation.name, "locale": invitation.locale, **(form or {})},
        errors,
    )
    context["action"] = request.url.path
    return page(
        request,
        "invitation.html",
        municipality=municipality,
        own_locale=invitation.locale,
        status_code=status_code,
        invited_email=invitation.email,
        **context,
    )


@page_route("/m/{slug:str}/invitations/{token:str}")
async def invitation_page(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    token: PathToken,
    secret_key: NamedDependency[str],
) -> Response[Any]:
    """The form, filled in for the invited partner; once they registered, their
    registration's page."""
    municipality, invitation, locale, found = await _invitation(request, slug, token)
    registration = await invitations.registration_of(invitation)
    if registration is not None and registration.token_salt:
        return _done(secret_key, registration.token_salt)
    return _form_page(request, municipality, invitation, found, locale)


@post("/m/{slug:str}/invitations/{token:str}", include_in_schema=False)
async def accept_invitation(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    token: PathToken,
    settings: NamedDependency[Settings],
    secret_key: NamedDependency[str],
    throttle: NamedDependency[Throttle],
) -> Response[Any]:
    """Register through the invitation: to the registration's page (303), the form again
    with its errors (422), or why no place can be had (409)."""
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in FIELDS}
    await public.count_attempt(throttle, settings, client_of(request))
    municipality, invitation, locale, found = await _invitation(request, slug, token)
    registration = await invitations.registration_of(invitation)
    if registration is not None and registration.token_salt:
        return _done(secret_key, registration.token_salt)
    event = found.event
    values["email"] = invitation.email  # the invited address, whatever was sent
    data, failed = _registration_data(values, event.max_seats_per_registration)
    per_session = event.registration_mode == RegistrationMode.per_session
    if per_session and values["session"] not in {str(s.id) for s in event.sessions}:
        failed["session"] = ""
    if data is None or failed:
        errors = _messages(failed, locale, event.max_seats_per_registration)
        return _form_page(
            request,
            municipality,
            invitation,
            found,
            locale,
            values,
            errors,
            HTTP_422_UNPROCESSABLE_ENTITY,
        )
    try:
        if per_session:
            target = await targets.session_target(int(values["session"]), municipality.id)
        else:
            target = await targets.event_target(event.id, municipality.id)
        registration, _ = await invitations.register_invited(invitation, target, data, secret_key)
    except InvalidInput as error:
        errors = _messages(dict(error.fields), locale, event.max_seats_per_registration)
        return _form_page(
            request,
            municipality,
            invitation,
            found,
            locale,
            values,
            errors,
            HTTP_422_UNPROCESSABLE_ENTITY,
        )
    except Conflict as error:
        outcome = "full" if error.fields.get("seats") == "fully booked" else "closed"
        return page(
            request,
            "registration_outcome.html",
            municipality=municipality,
            status_code=HTTP_409_CONFLICT,
            outcome=outcome,
            event=event,
            texts=found.texts,
        )
    assert registration.token_salt
    return _done(secret_key, registration.token_salt)


INVITATION_PAGES = [invitation_page, accept_invitation]
