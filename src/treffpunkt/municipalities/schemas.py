from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from treffpunkt.i18n import DEFAULT_LOCALE, Locale
from treffpunkt.links import FeedLinks
from treffpunkt.schemas import (
    MULTI_LINE,
    UNCHANGED,
    Email,
    Input,
    Name,
    Output,
    Slug,
    TimeZoneName,
    Url,
    unchanged,
)

# Which privacy notice a registrant consented to, e.g. "2026-11" (kept with the consent).
PrivacyVersion = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z._-]+$")
]
ContactPhone = Annotated[str, StringConstraints(max_length=30, pattern=r"^[0-9+() /-]{5,30}$")]
DEFAULT_ACCENT = "#005a8c"
MIN_CONTRAST = 4.5  # WCAG 2 AA for text: links in the colour, white text on buttons


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _readable_on_white(colour: str) -> str:
    contrast = 1.05 / (_luminance(colour) + 0.05)
    if contrast < MIN_CONTRAST:
        raise ValueError(
            f"is too light: its contrast with white is {contrast:.1f}:1, at least"
            f" {MIN_CONTRAST}:1 is needed (links and buttons use it)"
        )
    return colour.lower()


AccentColour = Annotated[
    str,
    StringConstraints(max_length=7, pattern=r"^#[0-9A-Fa-f]{6}$"),
    AfterValidator(_readable_on_white),
    Field(description="the pages' accent colour, #rrggbb, with a contrast of 4.5:1 on white"),
]
REMINDERS = "hours before each session; 0 sends no reminder"
HOLD = "how long an unconfirmed registration holds its place (never past the start)"


class MunicipalityCreate(Input):
    slug: Slug
    name: Name
    time_zone: TimeZoneName = "Europe/Berlin"
    default_locale: Locale = DEFAULT_LOCALE
    offered_locales: list[Locale] = Field(default_factory=lambda: [DEFAULT_LOCALE], min_length=1)
    contact_email: Email
    contact_phone: ContactPhone | None = None
    sender_name: Name
    sender_email: Email
    reply_to_email: Email | None = Field(
        default=None, description="where answers to the town's mail go (Reply-To)"
    )
    website: Url | None = None
    privacy_url: Url | None = Field(
        default=None, description="the privacy notice people consent to"
    )
    privacy_version: PrivacyVersion = "1"
    imprint_url: Url | None = Field(default=None, description="the town's imprint (Impressum)")
    accent_colour: AccentColour = DEFAULT_ACCENT
    retention_days: int = Field(default=365, ge=30, le=3650)
    reminder_hours: int = Field(default=24, ge=0, le=168, description=REMINDERS)
    confirmation_hold_hours: int = Field(default=24, ge=1, le=168, description=HOLD)

    @model_validator(mode="after")
    def _default_locale_is_offered(self) -> MunicipalityCreate:
        if self.default_locale not in self.offered_locales:
            self.offered_locales = [self.default_locale, *self.offered_locales]
        self.offered_locales = list(dict.fromkeys(self.offered_locales))
        return self


class MunicipalityUpdate(Input):
    """Fields left out stay; null clears `website`, `privacy_url`, `imprint_url`,
    `reply_to_email` and `contact_phone` and is refused for the others. The slug is
    fixed because feed URLs carry it."""

    name: Name = UNCHANGED
    time_zone: TimeZoneName = UNCHANGED
    default_locale: Locale = UNCHANGED
    offered_locales: list[Locale] = unchanged(min_length=1)
    contact_email: Email = UNCHANGED
    contact_phone: ContactPhone | None = UNCHANGED
    sender_name: Name = UNCHANGED
    sender_email: Email = UNCHANGED
    reply_to_email: Email | None = UNCHANGED
    website: Url | None = UNCHANGED
    privacy_url: Url | None = UNCHANGED
    privacy_version: PrivacyVersion = UNCHANGED
    imprint_url: Url | None = UNCHANGED
    accent_colour: AccentColour = UNCHANGED
    retention_days: int = unchanged(ge=30, le=3650)
    reminder_hours: int = unchanged(ge=0, le=168, description=REMINDERS)
    confirmation_hold_hours: int = unchanged(ge=1, le=168, description=HOLD)
    active: bool = unchanged(
        description="false deactivates the town: its pages and API answer 404 and its"
        " guides cannot log in; true brings it back"
    )


class MunicipalityOut(Output):
    slug: str
    name: str
    time_zone: str
    default_locale: str
    offered_locales: list[str]
    contact_email: str
    contact_phone: str | None
    sender_name: str
    sender_email: str
    reply_to_email: str | None = None
    website: str | None
    privacy_url: str | None
    privacy_version: str
    imprint_url: str | None
    accent_colour: str
    retention_days: int
    reminder_hours: int
    confirmation_hold_hours: int
    active: bool = True
    created_at: datetime
    updated_at: datetime
    calendar: FeedLinks | None = Field(
        default=None, description="the municipality's events as a feed to subscribe to"
    )


def _https(value: str) -> str:
    if not value.startswith("https://"):
        raise ValueError("must be an https:// address")
    return value


# Links on the town's pages: https only, so that nothing leads people to plain http.
HttpsUrl = Annotated[Url, AfterValidator(_https)]
PrivacyText = Annotated[str, StringConstraints(max_length=50_000), MULTI_LINE]


class TownSettings(Input):
    """What a town's guides set for it (/guide/settings): the whole set at once.

    A changed `privacy_notice` text is a new version of the notice (with its time);
    registrations keep the version they consented to."""

    sender_name: Name = Field(description="the name in the From of the town's mail")
    reply_to_email: Email | None = Field(
        default=None, description="where answers to the town's mail go (Reply-To)"
    )
    contact_email: Email
    contact_phone: ContactPhone | None = None
    privacy_notice: PrivacyText = Field(
        default="", description="the privacy notice's text, shown on the town's pages"
    )
    privacy_url: HttpsUrl | None = Field(
        default=None, description="the privacy notice on the town's own site, if any"
    )
    imprint_url: HttpsUrl | None = None
    reminder_hours: int = Field(ge=0, le=168, description=REMINDERS)
    confirmation_hold_hours: int = Field(ge=1, le=168, description=HOLD)
    default_locale: Locale
    accent_colour: AccentColour


class PrivacyNoticeOut(Output):
    version: str
    text: str
    created_at: datetime


class TownSettingsOut(Output):
    sender_name: str
    sender_email: str
    reply_to_email: str | None
    contact_email: str
    contact_phone: str | None
    privacy_notice: PrivacyNoticeOut | None
    privacy_url: str | None
    privacy_version: str
    imprint_url: str | None
    reminder_hours: int
    confirmation_hold_hours: int
    default_locale: str
    accent_colour: str
    logo: bool = Field(description="whether the town has a logo (shown in its pages' header)")
