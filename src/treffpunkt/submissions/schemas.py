from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from treffpunkt.events.schemas import LanguageCode, LongText, Notes, Title
from treffpunkt.i18n import Locale
from treffpunkt.schemas import (
    MULTI_LINE,
    UNCHANGED,
    Day,
    Id,
    Input,
    MailAddress,
    Name,
    Output,
    WallTime,
    unchanged,
)
from treffpunkt.submissions.tables import SubmissionStatus

# As a registration's phone (registrations.schemas), which this domain does not import.
Phone = Annotated[str, StringConstraints(max_length=30, pattern=r"^[0-9+() /-]{5,30}$")]
Message = Annotated[str, StringConstraints(min_length=1, max_length=5000), MULTI_LINE]
MAX_DATES = 20


class ProposedDate(Input):
    """A proposed session: a day and its times in the municipality's wall time."""

    day: Day
    start: WallTime
    end: WallTime

    @field_validator("end")
    @classmethod
    def _ends_after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("must be after start")
        return value


class ProposedDateOut(Output):
    day: date
    start: WallTime
    end: WallTime


class SubmissionText(Input):
    title: Title
    description: LongText = ""


class SubmissionTextOut(Output):
    title: str
    description: str = ""


class SubmissionCreate(Input):
    """What an organisation proposes through the public form."""

    organisation: Name
    contact_name: Name
    email: MailAddress
    phone: Phone | None = None
    locale: Locale = Field(description="the contact's language: every mail to them is in it")
    texts: dict[Locale, SubmissionText] = Field(min_length=1)
    dates: list[ProposedDate] = Field(min_length=1, max_length=MAX_DATES)
    languages: list[LanguageCode] = Field(min_length=1, max_length=20)
    venue_wish: Notes = ""
    accessibility: Notes = ""
    consent: Literal[True] = Field(description="consent to the privacy notice; must be true")


class SubmissionUpdate(Input):
    """A guide's edit of a waiting submission. Fields left out stay; null clears the
    phone and the chosen venue, and is refused for the others."""

    organisation: Name = UNCHANGED
    contact_name: Name = UNCHANGED
    email: MailAddress = UNCHANGED
    phone: Phone | None = UNCHANGED
    locale: Locale = UNCHANGED
    texts: dict[Locale, SubmissionText] = unchanged(min_length=1)
    dates: list[ProposedDate] = unchanged(min_length=1, max_length=MAX_DATES)
    languages: list[LanguageCode] = unchanged(min_length=1, max_length=20)
    venue_wish: Notes = UNCHANGED
    accessibility: Notes = UNCHANGED
    venue_id: Id | None = unchanged(description="one of the town's venues for the event")


class SubmissionDecline(Input):
    message: Message = Field(description="why, in words for the organisation; sent by mail")


class SubmissionOut(Output):
    id: int
    programme_id: int
    status: SubmissionStatus
    organisation: str
    contact_name: str
    email: str
    phone: str | None
    locale: str
    texts: dict[str, SubmissionTextOut]
    dates: list[ProposedDateOut]
    languages: list[str]
    venue_wish: str
    accessibility: str
    venue_id: int | None
    event_id: int | None
    partner_id: int | None = None
    decline_message: str | None
    decided_at: datetime | None
    created_at: datetime
