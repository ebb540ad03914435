from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from treffpunkt.events.recurrence import RuleError, SeriesDefinition, check_rule
from treffpunkt.events.tables import (
    Audience,
    EventAccess,
    EventKind,
    EventStatus,
    RegistrationMode,
    SessionStatus,
)
from treffpunkt.i18n import Locale
from treffpunkt.links import FeedLinks
from treffpunkt.schemas import (
    MULTI_LINE,
    UNCHANGED,
    Day,
    Email,
    Id,
    Input,
    Instant,
    Name,
    Output,
    Slug,
    Url,
    WallTime,
    unchanged,
)

# ISO 639 language codes for what is spoken at an event (wider than the UI locales).
LanguageCode = Annotated[str, StringConstraints(max_length=3, pattern=r"^[a-z]{2,3}$")]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Summary = Annotated[str, StringConstraints(max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=20_000), MULTI_LINE]
City = Annotated[str, StringConstraints(min_length=1, max_length=100)]
PostalCode = Annotated[str, StringConstraints(max_length=10, pattern=r"^[0-9A-Za-z -]{3,10}$")]
Room = Annotated[str, StringConstraints(max_length=200)]
Notes = Annotated[str, StringConstraints(max_length=2000), MULTI_LINE]


# --- venues --------------------------------------------------------------------------


class VenueFields(Input):
    room: Room | None = None
    accessibility_notes: Notes = ""
    step_free: bool = False
    hearing_loop: bool = False
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    capacity: int | None = Field(
        default=None, ge=1, le=100_000, description="people the room holds"
    )
    notes: Notes = Field(default="", description="for the town's guides only; never public")


class VenueCreate(VenueFields):
    name: Name
    street: Name
    postal_code: PostalCode
    city: City


class VenueUpdate(Input):
    """Fields left out stay; `room`, `latitude`, `longitude` and `capacity` are cleared
    by null."""

    name: Name = UNCHANGED
    street: Name = UNCHANGED
    postal_code: PostalCode = UNCHANGED
    city: City = UNCHANGED
    room: Room | None = UNCHANGED
    accessibility_notes: Notes = UNCHANGED
    step_free: bool = UNCHANGED
    hearing_loop: bool = UNCHANGED
    latitude: float | None = unchanged(ge=-90, le=90)
    longitude: float | None = unchanged(ge=-180, le=180)
    capacity: int | None = unchanged(ge=1, le=100_000)
    notes: Notes = UNCHANGED


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
    """A venue as guides see it: with its id, for referring to it from events, and
    what only guides read."""

    id: int
    capacity: int | None
    notes: str


# --- programmes -------------------------------------------------------------------------


class ProgrammeText(Input):
    title: Title
    description: LongText = ""


class ProgrammeTextOut(Output):
    title: str
    description: str = ""


class ProgrammeCreate(Input):
    slug: Slug
    texts: dict[Locale, ProgrammeText] = Field(min_length=1)
    starts_on: Day
    ends_on: Day
    submissions_until: Day | None = Field(
        default=None,
        description="partners may propose events through the public form until this day"
        " (inclusive); empty: closed",
    )

    @field_validator("ends_on")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on and value < starts_on:
            raise ValueError("must not be before starts_on")
        return value


class ProgrammeUpdate(Input):
    """Fields left out stay; none of them can be cleared."""

    texts: dict[Locale, ProgrammeText] = unchanged(min_length=1)
    starts_on: Day = UNCHANGED
    ends_on: Day = UNCHANGED
    submissions_until: Day | None = unchanged(description="null closes the submission form")


class ProgrammeOut(Output):
    id: int
    slug: str
    texts: dict[str, ProgrammeTextOut]
    starts_on: date
    ends_on: date
    submissions_until: date | None = None


class ProgrammePartnerOut(Output):
    """A partner organisation taking part in a programme."""

    id: int
    name: str
    kind: str
    contact_name: str | None
    email: str | None


# --- series -----------------------------------------------------------------------------


def _valid_rule(value: str) -> str:
    try:
        return check_rule(value)
    except RuleError as error:
        raise ValueError(str(error)) from None


class SeriesRule(Input):
    """A recurrence in the municipality's wall time, e.g. Tue and Thu 14:00–16:00."""

    rule: Annotated[str, StringConstraints(max_length=200), AfterValidator(_valid_rule)] = Field(
        description="RRULE value without DTSTART/UNTIL/COUNT, e.g. FREQ=WEEKLY;BYDAY=TU,TH",
        examples=["FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"],
    )
    start_date: Day
    start_time: WallTime
    end_time: WallTime
    until: Day | None = None
    count: int | None = Field(default=None, ge=1, le=800)
    extra_dates: list[Day] = Field(default_factory=list, max_length=200)
    excluded_dates: list[Day] = Field(default_factory=list, max_length=800)

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


class SeriesOut(Output):
    """A series as stored: what SeriesRule accepted."""

    rule: str
    start_date: date
    start_time: WallTime
    end_time: WallTime
    until: date | None = None
    count: int | None = None
    extra_dates: list[date] = Field(default_factory=list)
    excluded_dates: list[date] = Field(default_factory=list)


# --- sessions ---------------------------------------------------------------------------


MAX_ALL_DAY = timedelta(days=31)


class SessionTimes(Input):
    """When a session happens: `starts_at` and `ends_at`, or for an all-day session
    (a festival day, a two-day Interkulturelle Woche fair) `first_day` and `last_day`,
    both inclusive, in the municipality's zone. For a series session, moving it makes
    it an exception; a series session stays timed."""

    starts_at: Instant | None = None
    # Checked even when left out, so that a missing half is named (validate_default).
    ends_at: Instant | None = Field(default=None, validate_default=True)
    first_day: Day | None = Field(
        default=None, validate_default=True, description="all day: the first day"
    )
    last_day: Day | None = Field(
        default=None, validate_default=True, description="all day: the last day, inclusive"
    )

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        starts_at = info.data.get("starts_at")
        if starts_at and value is None:
            raise ValueError("required with starts_at")
        if value is not None and starts_at is None and "starts_at" not in info.data:
            return value  # starts_at itself was invalid: named there
        if value is not None and starts_at is None:
            raise ValueError("needs starts_at")
        if starts_at and value and value <= starts_at:
            raise ValueError("must be after starts_at")
        return value

    @field_validator("first_day")
    @classmethod
    def _one_kind_of_time(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and (info.data.get("starts_at") or info.data.get("ends_at")):
            raise ValueError("give starts_at and ends_at, or first_day and last_day: not both")
        return value

    @field_validator("last_day")
    @classmethod
    def _last_day_in_order(cls, value: date | None, info: ValidationInfo) -> date | None:
        first_day = info.data.get("first_day")
        if first_day and value is None:
            raise ValueError("required with first_day")
        if value is not None and first_day is None:
            if "first_day" in info.data:
                raise ValueError("needs first_day")
            return value  # first_day itself was invalid: named there
        if first_day and value:
            if value < first_day:
                raise ValueError("must not be before first_day")
            if value - first_day >= MAX_ALL_DAY:
                raise ValueError(f"an all-day session spans at most {MAX_ALL_DAY.days} days")
        given = {k for k in ("starts_at", "ends_at", "first_day") if info.data.get(k)}
        if value is None and not given and {"starts_at", "ends_at", "first_day"} <= set(info.data):
            raise ValueError("give starts_at and ends_at, or first_day and last_day")
        return value

    @property
    def all_day(self) -> bool:
        return self.first_day is not None

    def instants(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Start and end as instants: an all-day session runs from local midnight of
        its first day to local midnight after its last."""
        if self.first_day is not None and self.last_day is not None:
            after = self.last_day + timedelta(days=1)
            return (
                datetime.combine(self.first_day, time(0), tzinfo=zone).astimezone(UTC),
                datetime.combine(after, time(0), tzinfo=zone).astimezone(UTC),
            )
        assert self.starts_at is not None
        assert self.ends_at is not None
        return self.starts_at, self.ends_at


class AllDay(Output):
    """How an all-day session is told: its days, inclusive, in the municipality's zone
    (its starts_at and ends_at are then the local midnights around them)."""

    all_day: bool = False
    first_day: date | None = None
    last_day: date | None = None


class GuideSessionOut(AllDay):
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
    summary: Summary = ""
    description: LongText = ""


class EventTextOut(Output):
    title: str
    summary: str = ""
    description: str = ""


class Organiser(Input):
    """A partner organisation; leave out when the municipality itself organises."""

    name: Name
    contact: Email | None = None


class OrganiserOut(Output):
    name: str
    contact: str | None = None


class EventFields(Input):
    programme_id: Id | None = None
    venue_id: Id | None = None
    online_url: Url | None = None
    languages: list[LanguageCode] = Field(default_factory=lambda: ["de"], max_length=20)
    interpretation: bool = False
    audience: Audience = Audience.public
    organiser: Organiser | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    max_seats_per_registration: int = Field(default=1, ge=1, le=50)
    waitlist: bool = Field(default=True, description="queue people once the places are taken")
    registration_mode: RegistrationMode = RegistrationMode.none
    access: EventAccess = Field(
        default=EventAccess.public,
        description="invitation_only: only partners a guide invited register, by their link",
    )
    registration_opens_at: Instant | None = None
    registration_closes_at: Instant | None = None

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
    """Changes to what an event is; times change through series and sessions.

    Fields left out stay. Null clears the programme, venue, online address, organiser,
    capacity (unlimited) and registration window, and is refused for the others.
    """

    kind: EventKind = UNCHANGED
    texts: dict[Locale, EventText] = unchanged(min_length=1)
    programme_id: Id | None = UNCHANGED
    venue_id: Id | None = UNCHANGED
    online_url: Url | None = UNCHANGED
    languages: list[LanguageCode] = unchanged(max_length=20)
    interpretation: bool = UNCHANGED
    audience: Audience = UNCHANGED
    organiser: Organiser | None = UNCHANGED
    tags: list[Tag] = unchanged(max_length=20)
    capacity: int | None = unchanged(ge=1, le=100_000)
    max_seats_per_registration: int = unchanged(ge=1, le=50)
    waitlist: bool = UNCHANGED
    registration_mode: RegistrationMode = UNCHANGED
    access: EventAccess = UNCHANGED
    registration_opens_at: Instant | None = UNCHANGED
    registration_closes_at: Instant | None = UNCHANGED


class GuideEventOut(Output):
    id: int
    kind: EventKind
    status: EventStatus
    texts: dict[str, EventTextOut]
    programme_id: int | None
    venue_id: int | None
    online_url: str | None
    languages: list[str]
    interpretation: bool
    audience: Audience
    organiser: OrganiserOut | None
    tags: list[str]
    capacity: int | None
    max_seats_per_registration: int
    waitlist: bool
    seats_taken: int = Field(description="places held for the whole course")
    waiting: int = Field(description="registrations on the course's waitlist")
    registration_mode: RegistrationMode
    access: EventAccess
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    series: SeriesOut | None
    revision: int
    created_at: datetime
    updated_at: datetime
    sessions: list[GuideSessionOut]


# --- public read models -------------------------------------------------------------------


class PublicProgrammeRef(Output):
    slug: str
    title: str


class PublicSession(AllDay):
    id: int
    event_id: int
    kind: EventKind
    title: str
    locale: str = Field(description="the language of the title (it may fall back)")
    languages: list[str] = Field(description="languages spoken at the event")
    interpretation: bool
    audience: Audience
    venue: str | None = Field(description="the venue's name")
    online: bool = Field(description="whether the event takes place online")
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    registration_mode: RegistrationMode
    access: EventAccess = Field(
        default=EventAccess.public, description="invitation_only: no public registration"
    )
    seats_left: int | None = Field(
        description="places not yet confirmed by anyone (empty: no limit); unconfirmed"
        " registrations may hold some of them until they are confirmed or their hold ends"
    )
    registration_open: bool
    waitlist: bool = Field(description="whether a full session or course keeps a waitlist")


class SessionPage(Output):
    items: list[PublicSession]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")
    previous_cursor: str | None = Field(
        default=None, description="pass as `before` for the page before this one"
    )


class PublicEventSession(AllDay):
    id: int
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    moved: bool = Field(description="its date or time changed after it was first planned")
    seats_left: int | None = Field(
        description="places not yet confirmed by anyone (empty: no limit); unconfirmed"
        " registrations may hold some of them until they are confirmed or their hold ends"
    )
    registration_open: bool
    add_to_google: str = Field(description="opens Google Calendar with this session filled in")
    add_to_outlook: str = Field(description="opens Outlook on the web with this session")


class PublicEvent(Output):
    id: int
    municipality: str
    locale: str = Field(
        description="the language of the title; summary and description, where not"
        " translated, fall back on their own to the town's default language"
    )
    kind: EventKind
    status: EventStatus
    title: str
    summary: str
    description: str
    languages: list[str]
    interpretation: bool
    audience: Audience
    organiser: OrganiserOut | None
    tags: list[str]
    venue: PublicVenue | None
    online_url: str | None
    programme: PublicProgrammeRef | None
    registration_mode: RegistrationMode
    access: EventAccess = Field(
        default=EventAccess.public,
        description="invitation_only: only invited partners register, through their link",
    )
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    capacity: int | None
    max_seats_per_registration: int
    waitlist: bool = Field(description="whether a full event puts registrations on a waitlist")
    page_url: str = Field(description="the event's page for people: link to it, not to the API")
    calendar: FeedLinks = Field(description="this event as a calendar file (.ics)")
    sessions: list[PublicEventSession]


class PublicProgramme(Output):
    slug: str
    locale: str
    title: str
    description: str
    starts_on: date
    ends_on: date
    calendar: FeedLinks = Field(description="this programme's events as a feed to subscribe to")


class PublicProgrammeDetail(PublicProgramme):
    events: list[PublicEvent]


def organiser_of(row: dict[str, Any]) -> OrganiserOut | None:
    if not row.get("organiser_name"):
        return None
    return OrganiserOut(name=row["organiser_name"], contact=row.get("organiser_contact"))
