"""Self-registration as the API and the event page take it: one rule, two faces.

Both limits apply before anything is written. Per client address
(TREFFPUNKT_REGISTRATIONS_PER_CLIENT): a 429. Per email address and municipality
(TREFFPUNKT_REGISTRATIONS_PER_EMAIL): nobody is refused and the answer stays the same,
only the mail is held back: a 429 would tell a stranger that someone else registered
the address lately, and an address cannot be bombed.
"""

from __future__ import annotations

from treffpunkt.errors import NotFound
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.registrations import service
from treffpunkt.registrations.schemas import RegistrationCreate, RegistrationReceived
from treffpunkt.registrations.targets import Target
from treffpunkt.settings import Settings
from treffpunkt.throttle import Throttle


async def count_attempt(throttle: Throttle, settings: Settings, client: str) -> None:
    """Count a registration attempt of this client; past the limit, TooManyRequests.
    Counted before the target is looked up, so that probing ids costs the same."""
    await throttle.hit(settings.registrations_per_client, "register-client", client)


async def _of_an_active_town(target: Target) -> None:
    """A deactivated municipality takes no registrations: its events are not found."""
    active = await Municipality.exists().where(
        (Municipality.id == target.event.municipality) & Municipality.active.eq(True)
    )
    if not active:
        raise NotFound("No such event.")


async def register_self(
    target: Target,
    data: RegistrationCreate,
    secret_key: str,
    throttle: Throttle,
    settings: Settings,
) -> RegistrationReceived:
    """Register someone who asked themselves. One answer for a new and a repeated
    registration: the status alone (`service.register`); no id (ids would count
    registrations, and a repeat has no new one), no queue position (it would count the
    people waiting)."""
    await _of_an_active_town(target)
    mail = await throttle.allow(
        settings.registrations_per_email,
        "register-email",
        str(target.event.municipality),
        data.email.lower(),
    )
    outcome = await service.register(target, data, secret_key, mail=mail)
    # Validated, not cast: a self-registration is pending or waitlisted, never confirmed.
    return RegistrationReceived.model_validate({"status": outcome.status})


async def answer_without_registering(
    target: Target, data: RegistrationCreate
) -> RegistrationReceived:
    """What `register_self` would answer now, with nothing written: the answer to a
    bot (the form's trap), which must not tell it apart from a person's."""
    await _of_an_active_town(target)
    status = await service.would_register(target, data.seats)
    return RegistrationReceived.model_validate({"status": status})
