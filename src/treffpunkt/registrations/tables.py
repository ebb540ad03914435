from enum import StrEnum

from piccolo.columns import (
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from treffpunkt.accounts.tables import Account
from treffpunkt.events.tables import Event, Session
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.partners.tables import Partner


class RegistrationStatus(StrEnum):
    pending = "pending"  # holds its seats until the email is confirmed or the hold ends
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"
    expired = "expired"


ACTIVE = (RegistrationStatus.pending, RegistrationStatus.confirmed, RegistrationStatus.waitlisted)
HOLDING = (RegistrationStatus.pending, RegistrationStatus.confirmed)


class AttendanceStatus(StrEnum):
    attended = "attended"
    no_show = "no_show"


class Registration(Table, tablename="registration"):
    """A place (or a place in the queue) for one session, or for a whole course.

    `session` is empty for whole-event registrations. Only a hash of the
    self-service token is kept; the token itself is derived from the secret key
    and `token_salt`, so links can be sent again without storing it.
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    event = ForeignKey(Event, on_delete=OnDelete.restrict, index=True, null=False)
    session = ForeignKey(Session, on_delete=OnDelete.restrict, index=True, null=True)
    status = Varchar(length=16, choices=RegistrationStatus, index=True)
    seats = Integer(default=1)
    name = Varchar(length=200, null=True, default=None)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=50, null=True, default=None)
    locale = Varchar(length=8, default="de")
    needs_interpretation = Varchar(length=3, null=True, default=None)
    needs_accessibility = Text(null=True, default=None)
    source = Varchar(length=16, default="self")  # "self" or "guide"
    consent_version = Varchar(length=32, null=True, default=None)
    consent_at = Timestamptz(null=True, default=None)
    token_hash = Varchar(length=64, null=True, default=None, unique=True)
    token_salt = Varchar(length=64, null=True, default=None, secret=True)
    email_confirmed_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    anonymised_at = Timestamptz(null=True, default=None)


class Attendance(Table, tablename="attendance"):
    """Who came to which session (a course registration has one row per session)."""

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    registration = ForeignKey(Registration, on_delete=OnDelete.cascade, index=True, null=False)
    session = ForeignKey(Session, on_delete=OnDelete.cascade, index=True, null=False)
    status = Varchar(length=16, choices=AttendanceStatus)
    recorded_at = Timestamptz(default=TimestamptzNow())


class Invitation(Table, tablename="invitation"):
    """A personal invitation of a partner to an invitation-only event
    (registrations/invitations.py).

    The link's token is derived from the secret key and `token_salt` (like a
    registration's); only its hash is kept. It allows exactly one registration,
    `registration`, made through it; name, email and language are those the invitation
    went to (the partner may change later).
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True, null=False)
    partner = ForeignKey(Partner, on_delete=OnDelete.set_null, index=True, null=True)
    name = Varchar(length=200)
    email = Varchar(length=254)
    locale = Varchar(length=8, default="de")
    token_salt = Varchar(length=64, secret=True)
    token_hash = Varchar(length=64, unique=True)
    registration = ForeignKey(Registration, on_delete=OnDelete.set_null, null=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class MessageAudience(StrEnum):
    """Whom a guide's message goes to: people with a place, people waiting, or both."""

    confirmed = "confirmed"
    waitlisted = "waitlisted"
    both = "both"


class EventMessage(Table, tablename="event_message"):
    """A message a guide sent to an event's registrants (registrations/messages.py):
    kept in the event's history, as typed, with how many people it went to.

    `session` names the one date it was about; empty: every registrant of the event
    (a course's, or those of all its dates)."""

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True, null=False)
    session = ForeignKey(Session, on_delete=OnDelete.set_null, null=True, default=None)
    audience = Varchar(length=16, choices=MessageAudience)
    subject = Varchar(length=200)
    body = Text()
    author = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    sent_at = Timestamptz(default=TimestamptzNow())
    recipient_count = Integer(default=0)
