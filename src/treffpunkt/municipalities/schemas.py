from __future__ import annotations

from datetime import datetime

from pydantic import EmailStr, Field, HttpUrl, model_validator

from treffpunkt.i18n import DEFAULT_LOCALE, Locale
from treffpunkt.links import FeedLinks
from treffpunkt.schemas import Input, Name, Output, Slug, TimeZoneName


class MunicipalityCreate(Input):
    slug: Slug
    name: Name
    time_zone: TimeZoneName = "Europe/Berlin"
    default_locale: Locale = DEFAULT_LOCALE
    offered_locales: list[Locale] = Field(default_factory=lambda: [DEFAULT_LOCALE], min_length=1)
    contact_email: EmailStr
    sender_name: Name
    sender_email: EmailStr
    website: HttpUrl | None = None
    retention_days: int = Field(default=365, ge=30, le=3650)
    reminder_hours: int = Field(
        default=24, ge=0, le=168, description="hours before each session; 0 sends no reminder"
    )

    @model_validator(mode="after")
    def _default_locale_is_offered(self) -> MunicipalityCreate:
        if self.default_locale not in self.offered_locales:
            self.offered_locales = [self.default_locale, *self.offered_locales]
        self.offered_locales = list(dict.fromkeys(self.offered_locales))
        return self


class MunicipalityUpdate(Input):
    """Every field optional; the slug is fixed because feed URLs carry it."""

    name: Name | None = None
    time_zone: TimeZoneName | None = None
    default_locale: Locale | None = None
    offered_locales: list[Locale] | None = Field(default=None, min_length=1)
    contact_email: EmailStr | None = None
    sender_name: Name | None = None
    sender_email: EmailStr | None = None
    website: HttpUrl | None = None
    retention_days: int | None = Field(default=None, ge=30, le=3650)
    reminder_hours: int | None = Field(default=None, ge=0, le=168)


class MunicipalityOut(Output):
    slug: str
    name: str
    time_zone: str
    default_locale: str
    offered_locales: list[str]
    contact_email: str
    sender_name: str
    sender_email: str
    website: str | None
    retention_days: int
    reminder_hours: int
    created_at: datetime
    updated_at: datetime
    calendar: FeedLinks | None = Field(
        default=None, description="the municipality's events as a feed to subscribe to"
    )
