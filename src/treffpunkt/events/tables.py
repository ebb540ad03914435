from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from piccolo.columns import (
    JSON,
    Array,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import Column, OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from treffpunkt.municipalities.tables import Municipality
from treffpunkt.partners.tables import Partner


class EventKind(StrEnum):
    dialogue = "dialogue"  # Dialogrunde / Dialogformat
    training = "training"  # Schulung for volunteers
    programme_item = "programme_item"  # part of a programme such as the Interkulturelle Woche
    office_hours = "office_hours"  # Sprechstunde
    info = "info"  # information evening
    other = "other"


class Audience(StrEnum):
    public = "public"
    volunteers = "volunteers"


class RegistrationMode(StrEnum):
    none = "none"
    per_session = "per_session"  # drop-in rounds: one registration per session
    whole_event = "whole_event"  # courses: one registration covers every session


class EventAccess(StrEnum):
    public = "public"  # anyone may register on the public page
    invitation_only = "invitation_only"  # only by a personal invitation link (registrations)


class EventStatus(StrEnum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class HoldsPlaces:
    """A row that counts places (`seats_taken`, `seats_pending`, `waiting`): a session, or
    a course.

    Registrations change the counters, under the row's lock, with relative updates.
    Saving a whole row would write back counters read earlier, undoing registrations
    that came in between (overbooking), so a saved row names its columns, and never
    the counters.
    """

    COUNTERS = ("seats_taken", "seats_pending", "waiting")

    def save(self, columns: Sequence[Column | str] | None = None) -> Any:
        if getattr(self, "_exists_in_db", False):
            if columns is None:
                raise TypeError(f"{type(self).__name__}.save() needs the columns it changes")
            names = {c if isinstance(c, str) else c._meta.name for c in columns}
            if names & set(self.COUNTERS):
                raise TypeError("seat counters change only through registrations' locked paths")
        return super().save(columns)  # type: ignore[misc]


class Venue(Table, tablename="venue"):
    """A place where sessions happen, with what people need to know to get in."""

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    name = Varchar(length=200)
    street = Varchar(length=200)
    postal_code = Varchar(length=10)
    city = Varchar(length=100)
    room = Varchar(length=200, null=True, default=None)
    accessibility_notes = Text(default="")
    step_free = Boolean(default=False)
    hearing_loop = Boolean(default=False)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    capacity = Integer(null=True, default=None)  # how many people the room holds
    notes = Text(default="")  # for the town's guides only: keys, caretaker, equipment
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Programme(Table, tablename="programme"):
    """A dated umbrella such as "Interkulturelle Woche 2027" grouping events."""

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    slug = Varchar(length=64)
    texts = JSON()  # {locale: {"title": …, "description": …}}
    starts_on = Date()
    ends_on = Date()
    # Partners may propose events through the public form until this day (inclusive,
    # in the municipality's zone); empty: the form is closed (treffpunkt.submissions).
    submissions_until = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ProgrammePartner(Table, tablename="programme_partner"):
    """A partner organisation taking part in a programme (one row per pair: a unique
    index, see the migration)."""

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    programme = ForeignKey(Programme, on_delete=OnDelete.cascade, index=True, null=False)
    partner = ForeignKey(Partner, on_delete=OnDelete.cascade, index=True, null=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Event(HoldsPlaces, Table, tablename="event"):
    """What a guide plans: a dialogue round, a training, an office hour …

    `revision` is the calendar SEQUENCE of the event (its recurrence and status);
    each session keeps its own for its start, end and status.
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    programme = ForeignKey(Programme, on_delete=OnDelete.set_null, null=True, index=True)
    venue = ForeignKey(Venue, on_delete=OnDelete.restrict, null=True, index=True)
    online_url = Varchar(length=500, null=True, default=None)
    kind = Varchar(length=20, choices=EventKind)
    texts = JSON()  # {locale: {"title": …, "summary": …, "description": …}}
    languages = Array(base_column=Varchar(length=3))
    interpretation = Boolean(default=False)
    audience = Varchar(length=16, choices=Audience, default=Audience.public)
    organiser_name = Varchar(length=200, null=True, default=None)
    organiser_contact = Varchar(length=254, null=True, default=None)
    tags = Array(base_column=Varchar(length=40))
    capacity = Integer(null=True, default=None)
    # Whole-event courses hold their places here; drop-in rounds on each session.
    seats_taken = Integer(default=0)
    # Of those, seats held by unconfirmed registrations: the public count leaves them out.
    seats_pending = Integer(default=0)
    waiting = Integer(default=0)
    max_seats_per_registration = Integer(default=1)
    waitlist = Boolean(default=True)
    registration_mode = Varchar(length=16, choices=RegistrationMode, default=RegistrationMode.none)
    access = Varchar(length=16, choices=EventAccess, default=EventAccess.public)
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    status = Varchar(length=16, choices=EventStatus, default=EventStatus.draft, index=True)
    # When it was first published: the town's Atom feed of new events goes by it.
    published_at = Timestamptz(null=True, default=None)
    series = JSON(null=True, default=None)  # the SeriesRule, in local wall time
    revision = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Session(HoldsPlaces, Table, tablename="event_session"):
    """One occurrence of an event, stored in UTC.

    `occurrence_start` is the rule occurrence a series session stands for (the
    calendar RECURRENCE-ID); it is empty for dates added by hand. `detached` marks
    a session a guide moved or cancelled on its own: series edits leave it alone.
    An `all_day` session runs from local midnight of its first day to local
    midnight after its last day, in the municipality's zone.
    `own_capacity` marks a capacity a guide set on this session alone: a new event
    capacity leaves it as it is.
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True, null=False)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    status = Varchar(length=16, choices=SessionStatus, default=SessionStatus.scheduled)
    occurrence_start = Timestamptz(null=True, default=None)
    detached = Boolean(default=False)
    all_day = Boolean(default=False)
    capacity = Integer(null=True, default=None)
    own_capacity = Boolean(default=False)
    seats_taken = Integer(default=0)
    seats_pending = Integer(default=0)  # of seats_taken, held by unconfirmed registrations
    waiting = Integer(default=0)  # registrations on the waitlist
    revision = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())
