from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from treffpunkt.events.recurrence import RuleError, SeriesDefinition, check_rule
from treffpunkt.events.tables import (
    Audience,
    EventKind,
    EventStatus,
    RegistrationMode,
    SessionStatus,
)
from treffpunkt.i18n import Locale
from treffpunkt.links import FeedLinks
from treffpunkt.schemas import Input, Name, Output, Slug

# ISO 639 language codes for what is spoken at an event (wider than the UI locales).
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]


# --- venues --------------------------------------------------------------------------


class VenueFields(Input):
    room: Annotated[str, StringConstraints(max_length=200)] | None = None
    accessibility_notes: Annotated[str, StringConstraints(max_length=2000)] = ""
    step_free: bool = False
    hearing_loop: bool = False
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class VenueCreate(VenueFields):
    name: Name
    street: Name
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z -]{3,10}$")]
    city: Name


class VenueUpdate(Input):
    name: Name | None = None
    street: Name | None = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z -]{3,10}$")] | None = None
    city: Name | None = None
    room: Annotated[str, StringConstraints(max_length=200)] | None = None
    accessibility_notes: Annotated[str, StringConstraints(max_length=2000)] | None = None
    step_free: bool | None = None
    hearing_loop: bool | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class PublicVenue(Output):
    name: str
    street: str
    postal_code: str
    city: str
    room: str | None
    accessibility_notes: str
    step_free: bool
    hearing_loop: bool
    latitude: float | None
    longitude: float | None


class VenueOut(PublicVenue):
    """A venue as guides see it: with its id, for referring to it from events."""

    id: int


# --- programmes -------------------------------------------------------------------------


class ProgrammeText(Input):
    title: Title
    description: LongText = ""


class ProgrammeCreate(Input):
    slug: Slug
    texts: dict[Locale, ProgrammeText] = Field(min_length=1)
    starts_on: date
    ends_on: date

    @field_validator("ends_on")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on and value < starts_on:
            raise ValueError("must not be before starts_on")
        return value


class ProgrammeUpdate(Input):
    texts: dict[Locale, ProgrammeText] | None = Field(default=None, min_length=1)
    starts_on: date | None = None
    ends_on: date | None = None


class ProgrammeOut(Output):
    id: int
    slug: str
    texts: dict[str, ProgrammeText]
    starts_on: date
    ends_on: date


# --- series -----------------------------------------------------------------------------


def _valid_rule(value: str) -> str:
    try:
        return check_rule(value)
    except RuleError as error:
        raise ValueError(str(error)) from None


class SeriesRule(Input):
    """A recurrence in the municipality's wall time, e.g. Tue and Thu 14:00–16:00."""

    rule: Annotated[str, AfterValidator(_valid_rule)] = Field(
        description="RRULE value without DTSTART/UNTIL/COUNT, e.g. FREQ=WEEKLY;BYDAY=TU,TH",
        examples=["FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"],
    )
    start_date: date
    start_time: time
    end_time: time
    until: date | None = None
    count: int | None = Field(default=None, ge=1, le=800)
    extra_dates: list[date] = Field(default_factory=list, max_length=200)
    excluded_dates: list[date] = Field(default_factory=list, max_length=800)

    @field_validator("start_time", "end_time")
    @classmethod
    def _wall_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a wall time without offset: the municipality's zone applies")
        return value.replace(second=0, microsecond=0)

    def definition(self) -> SeriesDefinition:
        return SeriesDefinition(
            rule=self.rule,
            start_date=self.start_date,
            start_time=self.start_time,
            end_time=self.end_time,
            until=self.until,
            count=self.count,
            extra_dates=tuple(self.extra_dates),
            excluded_dates=tuple(self.excluded_dates),
        )


# --- sessions ---------------------------------------------------------------------------


class SessionTimes(Input):
    """When a session happens; for a series session, moving it makes it an exception."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at and value <= starts_at:
            raise ValueError("must be after starts_at")
        return value


class GuideSessionOut(Output):
    id: int
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    occurrence_start: datetime | None
    detached: bool
    capacity: int | None
    own_capacity: bool = Field(
        description="set for this session alone; a new event capacity leaves it as it is"
    )
    seats_taken: int
    waiting: int
    revision: int
    updated_at: datetime


# --- events -----------------------------------------------------------------------------


class EventText(Input):
    title: Title
    summary: Annotated[str, StringConstraints(max_length=500)] = ""
    description: LongText = ""


class Organiser(Input):
    """A partner organisation; leave out when the municipality itself organises."""

    name: Name
    contact: EmailStr | None = None


class EventFields(Input):
    programme_id: int | None = None
    venue_id: int | None = None
    online_url: HttpUrl | None = None
    languages: list[LanguageCode] = Field(default_factory=lambda: ["de"], max_length=20)
    interpretation: bool = False
    audience: Audience = Audience.public
    organiser: Organiser | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    max_seats_per_registration: int = Field(default=1, ge=1, le=50)
    waitlist: bool = Field(default=True, description="queue people once the places are taken")
    registration_mode: RegistrationMode = RegistrationMode.none
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None

    @field_validator("registration_closes_at")
    @classmethod
    def _window_in_order(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        opens = info.data.get("registration_opens_at")
        if opens and value and value <= opens:
            raise ValueError("must be after registration_opens_at")
        return value


class EventCreate(EventFields):
    kind: EventKind
    texts: dict[Locale, EventText] = Field(min_length=1)
    sessions: list[SessionTimes] = Field(default_factory=list, max_length=200)
    series: SeriesRule | None = None


class EventUpdate(Input):
    """Changes to what an event is; times change through series and sessions."""

    kind: EventKind | None = None
    texts: dict[Locale, EventText] | None = Field(default=None, min_length=1)
    programme_id: int | None = None
    venue_id: int | None = None
    online_url: HttpUrl | None = None
    languages: list[LanguageCode] | None = Field(default=None, max_length=20)
    interpretation: bool | None = None
    audience: Audience | None = None
    organiser: Organiser | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    max_seats_per_registration: int | None = Field(default=None, ge=1, le=50)
    waitlist: bool | None = None
    registration_mode: RegistrationMode | None = None
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None


class GuideEventOut(Output):
    id: int
    kind: EventKind
    status: EventStatus
    texts: dict[str, EventText]
    programme_id: int | None
    venue_id: int | None
    online_url: str | None
    languages: list[str]
    interpretation: bool
    audience: Audience
    organiser: Organiser | None
    tags: list[str]
    capacity: int | None
    max_seats_per_registration: int
    waitlist: bool
    seats_taken: int = Field(description="places held for the whole course")
    waiting: int = Field(description="registrations on the course's waitlist")
    registration_mode: RegistrationMode
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    series: SeriesRule | None
    revision: int
    created_at: datetime
    updated_at: datetime
    sessions: list[GuideSessionOut]


# --- public read models -------------------------------------------------------------------


class PublicProgrammeRef(Output):
    slug: str
    title: str


class PublicSession(Output):
    id: int
    event_id: int
    kind: EventKind
    title: str
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    registration_mode: RegistrationMode
    seats_left: int | None
    registration_open: bool


class SessionPage(Output):
    items: list[PublicSession]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class PublicEventSession(Output):
    id: int
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    seats_left: int | None
    registration_open: bool
    add_to_google: str = Field(description="opens Google Calendar with this session filled in")
    add_to_outlook: str = Field(description="opens Outlook on the web with this session")


class PublicEvent(Output):
    id: int
    municipality: str
    locale: str = Field(description="the language title, summary and description are in")
    kind: EventKind
    status: EventStatus
    title: str
    summary: str
    description: str
    languages: list[str]
    interpretation: bool
    audience: Audience
    organiser: Organiser | None
    tags: list[str]
    venue: PublicVenue | None
    online_url: str | None
    programme: PublicProgrammeRef | None
    registration_mode: RegistrationMode
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    capacity: int | None
    max_seats_per_registration: int
    calendar: FeedLinks = Field(description="this event as a calendar file (.ics)")
    sessions: list[PublicEventSession]


class PublicProgramme(Output):
    slug: str
    locale: str
    title: str
    description: str
    starts_on: date
    ends_on: date


class PublicProgrammeDetail(PublicProgramme):
    events: list[PublicEvent]


def organiser_of(row: dict[str, Any]) -> Organiser | None:
    if not row.get("organiser_name"):
        return None
    return Organiser(name=row["organiser_name"], contact=row.get("organiser_contact"))
