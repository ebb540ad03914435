from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from treffpunkt.events.schemas import AllDay, LanguageCode
from treffpunkt.events.tables import SessionStatus
from treffpunkt.i18n import Locale
from treffpunkt.outbox import OutboxStatus
from treffpunkt.registrations.tables import AttendanceStatus, MessageAudience, RegistrationStatus
from treffpunkt.schemas import MULTI_LINE, Id, Input, MailAddress, Name, Output

Phone = Annotated[str, StringConstraints(max_length=30, pattern=r"^[0-9+() /-]{5,30}$")]


class Needs(Input):
    """What someone needs to take part."""

    interpretation: LanguageCode | None = Field(
        default=None, description="language to interpret into"
    )
    accessibility: Annotated[
        Annotated[str, StringConstraints(max_length=500)] | None, MULTI_LINE
    ] = None


class NeedsOut(Output):
    interpretation: str | None = None
    accessibility: str | None = None


class RegistrationCreate(Input):
    name: Name
    email: MailAddress
    phone: Phone | None = None
    locale: Locale | None = Field(
        default=None, description="language for mails; the municipality's default if left out"
    )
    seats: int = Field(default=1, ge=1, le=50)
    needs: Needs | None = None
    consent: Literal[True] = Field(description="consent to the privacy notice; must be true")


class GuideRegistrationCreate(Input):
    """Someone registered by a guide (phone call, walk-in): confirmed at once."""

    name: Name
    email: MailAddress | None = None
    phone: Phone | None = None
    locale: Locale | None = None
    seats: int = Field(default=1, ge=1, le=50)
    needs: Needs | None = None


class WalkInCreate(Input):
    """Someone at the door: a free seat, confirmed and marked as attended at once."""

    name: Name
    email: MailAddress | None = None
    phone: Phone | None = None
    locale: Locale | None = None
    seats: int = Field(default=1, ge=1, le=50)
    needs: Needs | None = None
    session_id: Id | None = Field(
        default=None,
        description="for a course: the session they came to (the next one if left out);"
        " for a session's own list it must be left out or be that session",
    )

    def registration(self) -> GuideRegistrationCreate:
        return GuideRegistrationCreate.model_validate(self.model_dump(exclude={"session_id"}))


class RegistrationReceived(Output):
    """The answer to a self-registration: the status alone. A repeated one (an email
    that already has a place or a queue place here) gets the answer a new one would
    get; its owner gets their registration's mail again. What the person holds, and
    their place in the queue, is in the mail: a queue position here would tell anyone
    how many others wait, and differ for a repeated registration."""

    status: Literal[RegistrationStatus.pending, RegistrationStatus.waitlisted] = Field(
        description="pending: a place is held until the email is confirmed by the link in"
        " the mail; waitlisted: in the queue (the mail names the position)"
    )


class RegistrationCreated(Output):
    """A registration a guide made, or the one the person already had."""

    id: int
    status: RegistrationStatus
    position: int | None = Field(description="place on the waitlist, when waitlisted")


class RegistrationSession(AllDay):
    id: int
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus


class RegistrationView(Output):
    """What the holder of a registration link sees."""

    id: int
    status: RegistrationStatus
    position: int | None
    seats: int
    locale: str
    event_id: int
    event_title: str
    municipality: str
    sessions: list[RegistrationSession]
    expires_at: datetime | None = Field(description="an unconfirmed place is held until then")


class RegistrationMail(Output):
    """A mail to the person about this registration, and whether it reached them."""

    kind: str = Field(description="what it says, e.g. registration_confirm_request")
    status: OutboxStatus = Field(
        description="queued (waiting, maybe to be tried again), sending, sent, failed "
        "(for good), skipped (a later change made it wrong, or held back: too many"
        " registrations for this address lately; `error` says which)"
    )
    queued_at: datetime
    sent_at: datetime | None = Field(description="when the mail server accepted it")
    next_attempt_at: datetime | None = Field(description="while queued: the next try")
    error: str | None = Field(description="the mail server's answer when a try failed")


class GuideRegistrationOut(Output):
    id: int
    status: RegistrationStatus
    position: int | None
    seats: int
    name: str | None
    email: str | None
    phone: str | None
    locale: str
    needs: NeedsOut | None
    source: Literal["self", "guide", "invitation"]
    session_id: int | None
    created_at: datetime
    email_confirmed_at: datetime | None
    attendance: dict[int, AttendanceStatus] = Field(description="session id → attendance")
    mails: list[RegistrationMail] = Field(description="the mails to this person, oldest first")


class CapacityIn(Input):
    capacity: int | None = Field(ge=1, le=100_000, description="empty for unlimited")


class AttendanceIn(Input):
    registration_id: Id
    status: AttendanceStatus


class InvitationsIn(Input):
    """Partners of the town to invite (each once; one invited before is left as it is)."""

    partner_ids: list[Id] = Field(min_length=1, max_length=200)


class InvitationOut(Output):
    id: int
    partner_id: int | None = Field(description="the partner invited (empty once deleted)")
    name: str
    email: str
    locale: str = Field(description="the language of the invitation mail")
    created_at: datetime
    registration_id: int | None = Field(description="the registration made through the link")
    registration_status: RegistrationStatus | None


# --- a guide's message to registrants (registrations/messages.py) ---------------------------

MessageSubject = Annotated[str, StringConstraints(min_length=1, max_length=150)]
MessageBody = Annotated[str, StringConstraints(min_length=1, max_length=5000), MULTI_LINE]


class MessageIn(Input):
    """A message to an event's registrants: to the people of one date (`session_id`),
    or of the whole event (left out: a course's people, or those of all its dates)."""

    session_id: Id | None = Field(default=None, description="one date of the event")
    audience: MessageAudience = Field(
        description="confirmed: people with a place; waitlisted: people waiting; both"
    )
    subject: MessageSubject = Field(description="one line, sent as typed")
    body: MessageBody = Field(description="plain text, sent as typed (line breaks kept)")


class MessagePreviewOut(Output):
    """Whom a message would reach: people with a confirmed address, once each, in the
    language each chose for mail."""

    recipients: int
    languages: dict[str, int] = Field(description="locale → how many people read it so")


class EventMessageOut(Output):
    """A message in the event's history."""

    id: int
    session_id: int | None
    session_starts_at: datetime | None
    audience: MessageAudience
    subject: str
    body: str
    author: str | None = Field(description="the guide who sent it")
    sent_at: datetime
    recipients: int
