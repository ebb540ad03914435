"""The event form of the guide workspace: its fields as the API's bodies, and back.

A form's fields are named as the API's body fields, dotted where the body nests
(`texts.ar.title`, `organiser.name`, `new_venue.city`), so that an error's location
in the body (pydantic's `loc`, or a service's `fields`) names its form field. Each
field has one message that says what it takes, whatever the rule that failed, in the
page's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from treffpunkt.events.schemas import (
    EventCreate,
    EventUpdate,
    GuideEventOut,
    VenueCreate,
    VenueOut,
    VenueUpdate,
)
from treffpunkt.events.tables import Audience, EventKind, RegistrationMode
from treffpunkt.i18n import LOCALES
from treffpunkt.schemas import MAX_ID
from treffpunkt.translations import N_, Translator

TEXT_FIELDS = ("title", "summary", "description")
# Languages spoken at events here, offered as boxes to tick (ISO 639; Dari is "prs").
SPOKEN = ("de", "en", "ar", "fa", "prs", "ps", "ku", "tr", "uk", "ru", "ti", "so", "sq", "fr")
NEW_VENUE = "new"  # the venue choice that creates one from the form's new_venue.* fields
VENUE_FIELDS = (
    *("name", "street", "postal_code", "city", "room", "accessibility_notes"),
    *("step_free", "hearing_loop", "capacity", "notes"),
)
VENUE_FLAGS = ("step_free", "hearing_loop")
FIRST_DATE = ("first_date", "first_start", "first_end")
SINGLE = (
    *("kind", "audience", "interpretation", "organiser.name", "organiser.contact"),
    *("partner_id", "venue_id", "online_url", "capacity", "max_seats_per_registration"),
    *("waitlist", "registration_mode", "registration_opens_at", "registration_closes_at"),
    *("tags", "programme_id"),
)
FLAGS = ("interpretation", "waitlist")

# What each field takes, said whatever rule failed (the key is the field's last part,
# or the whole name).
MESSAGES = {
    "title": N_("Enter a title on one line, at most 200 characters."),
    "summary": N_("Write the summary on one line, at most 500 characters."),
    "description": N_("Write at most 20,000 characters."),
    "kind": N_("Choose a kind of event."),
    "audience": N_("Choose who the event is for."),
    "languages": N_("Choose the languages spoken from the list."),
    "organiser.name": N_("Enter the organiser's name on one line, at most 200 characters."),
    "organiser.contact": N_(
        "Enter an email address, for example name@example.org, or leave it empty."
    ),
    "partner_id": N_("Choose a partner from the list."),
    "venue_id": N_("Choose a venue from the list."),
    "online_url": N_("Enter an address starting with https://, or leave it empty."),
    "capacity": N_("Enter a number from 1 to 100,000, or leave it empty for no limit."),
    "max_seats_per_registration": N_("Enter a number from 1 to 50."),
    "registration_mode": N_("Choose how people register."),
    "registration_opens_at": N_("Enter a date and time, or leave it empty."),
    "registration_closes_at": N_(
        "Enter a date and time after registration opens, or leave it empty."
    ),
    "tags": N_(
        "Enter at most 20 tags, separated by commas: lowercase letters, digits and hyphens."
    ),
    "programme_id": N_("Choose a programme from the list."),
    "first_date": N_("Enter the date of the first session, or leave the three fields empty."),
    "first_start": N_("Enter the start time, for example 18:00."),
    "first_end": N_("Enter an end time after the start time, for example 20:00."),
    "new_venue.name": N_("Enter the venue's name on one line, at most 200 characters."),
    "new_venue.street": N_("Enter the street and number, at most 200 characters."),
    "new_venue.postal_code": N_("Enter the postal code, for example 64625."),
    "new_venue.city": N_("Enter the town, at most 100 characters."),
    "new_venue.room": N_("Write the room on one line, at most 200 characters."),
    "new_venue.accessibility_notes": N_("Write at most 2,000 characters."),
    "new_venue.capacity": N_("Enter a number from 1 to 100,000, or leave it empty."),
    "new_venue.notes": N_("Write at most 2,000 characters."),
}
# Errors of the services that say more than "what the field takes".
DEFAULT_TEXT_NEEDED = N_("Enter a title in %(language)s: the town's main language.")
CAPACITY_BELOW_TAKEN = N_("%(taken)s places are taken: the capacity cannot be lower.")
MODE_FIXED = N_("People have registered: how they register can no longer change.")


@dataclass
class Failed:
    """Form fields that failed, each with the message id and its values."""

    fields: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def add(self, name: str, message: str | None = None, **values: Any) -> None:
        if name in self.fields:
            return  # the first error of a field is the one it shows
        key = name if name in MESSAGES else name.rsplit(".", 1)[-1]
        self.fields[name] = (message or MESSAGES.get(key, MESSAGES["title"]), values)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def messages(self, said: Translator) -> dict[str, str]:
        return {name: said.gettext(text, **values) for name, (text, values) in self.fields.items()}


# --- reading the form ------------------------------------------------------------------


@dataclass
class EventForm:
    """The form as typed: every value kept as text, to show it again."""

    values: dict[str, str]
    languages: list[str]
    locales: list[str]  # the text columns shown, the town's default first

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def text_locales(default: str, offered: Iterable[str], present: Iterable[str] = ()) -> list[str]:
    """The languages whose texts the form shows side by side: the town's default, the
    ones it offers, and any the event already has."""
    wanted = {default, *offered, *present}
    return [default, *(locale for locale in LOCALES if locale in wanted and locale != default)]


def read_form(form: Mapping[str, Any], locales: list[str]) -> EventForm:
    """The posted form's values (a multidict: `languages` is given once per box)."""
    names = [
        *SINGLE,
        *FIRST_DATE,
        *(f"texts.{locale}.{name}" for locale in locales for name in TEXT_FIELDS),
        *(f"new_venue.{name}" for name in VENUE_FIELDS),
    ]
    values = {name: str(form.get(name) or "") for name in names}
    getall = getattr(form, "getall", None)
    spoken = [str(v) for v in getall("languages", [])] if getall else []
    return EventForm(values=values, languages=spoken, locales=locales)


def form_of_event(event: GuideEventOut, zone: ZoneInfo, locales: list[str]) -> EventForm:
    """The edit form, filled with what the event is."""
    values: dict[str, str] = {
        "kind": event.kind,
        "audience": event.audience,
        "interpretation": "yes" if event.interpretation else "",
        "organiser.name": event.organiser.name if event.organiser else "",
        "organiser.contact": (event.organiser.contact or "") if event.organiser else "",
        "venue_id": str(event.venue_id or ""),
        "online_url": event.online_url or "",
        "capacity": str(event.capacity or ""),
        "max_seats_per_registration": str(event.max_seats_per_registration),
        "waitlist": "yes" if event.waitlist else "",
        "registration_mode": event.registration_mode,
        "registration_opens_at": local_input(event.registration_opens_at, zone),
        "registration_closes_at": local_input(event.registration_closes_at, zone),
        "tags": ", ".join(event.tags),
        "programme_id": str(event.programme_id or ""),
    }
    for locale, text in event.texts.items():
        for name in TEXT_FIELDS:
            values[f"texts.{locale}.{name}"] = getattr(text, name)
    return EventForm(values=values, languages=list(event.languages), locales=locales)


def empty_form(default: str, locales: list[str]) -> EventForm:
    return EventForm(
        values={
            "kind": EventKind.dialogue,
            "audience": Audience.public,
            "max_seats_per_registration": "1",
            "waitlist": "yes",
            "registration_mode": RegistrationMode.per_session,
        },
        languages=[default],
        locales=locales,
    )


def local_input(value: datetime | None, zone: ZoneInfo) -> str:
    """A datetime-local input's value: the wall time in the town's zone."""
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if value else ""


_LOCAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2})?$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::\d{2})?$")
_NUMBER = re.compile(r"^[0-9]{1,7}$")  # ASCII digits, few: int() never sees "²" or 10^5000


def _instant(text: str, zone: ZoneInfo) -> datetime:
    found = _LOCAL.fullmatch(text)
    if found is None:
        raise ValueError(text)
    year, month, day, hour, minute = (int(part) for part in found.groups())
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def _number(text: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _id_choice(text: str) -> int:
    """An id picked from a list; one that names no row of the town is the service's 422."""
    if not re.fullmatch(r"[0-9]{1,10}", text) or not 1 <= int(text) <= MAX_ID:
        raise ValueError(text)
    return int(text)


# --- the bodies ------------------------------------------------------------------------


@dataclass
class Bodies:
    event: dict[str, Any]
    new_venue: dict[str, Any] | None


def _bodies(form: EventForm, zone: ZoneInfo, failed: Failed, *, creating: bool) -> Bodies:
    """The API's bodies from the form; what cannot even be read is added to `failed`."""
    v = form.get
    body: dict[str, Any] = {
        "kind": v("kind"),
        "audience": v("audience"),
        "interpretation": v("interpretation") == "yes",
        "waitlist": v("waitlist") == "yes",
        "registration_mode": v("registration_mode"),
        "languages": form.languages,
        "online_url": v("online_url").strip() or None,
    }
    texts: dict[str, dict[str, str]] = {}
    for locale in form.locales:
        written = {name: v(f"texts.{locale}.{name}") for name in TEXT_FIELDS}
        if any(value.strip() for value in written.values()):
            texts[locale] = written
    body["texts"] = texts
    name, contact = v("organiser.name").strip(), v("organiser.contact").strip()
    body["organiser"] = {"name": name, "contact": contact or None} if name or contact else None
    for number in ("capacity", "max_seats_per_registration"):
        text = v(number).strip()
        if not text:
            body[number] = None if number == "capacity" else 1
            continue
        try:
            body[number] = _number(text)
        except ValueError:
            failed.add(number)
    for moment in ("registration_opens_at", "registration_closes_at"):
        text = v(moment).strip()
        try:
            body[moment] = _instant(text, zone) if text else None
        except ValueError:
            failed.add(moment)
    # "Erste Hilfe, Frauen" are the tags erste-hilfe and frauen.
    body["tags"] = ["-".join(tag.lower().split()) for tag in v("tags").split(",") if tag.strip()]
    if not form.languages:
        failed.add("languages")  # the API allows none; a form left so is an oversight
    body["programme_id"] = None
    if v("programme_id"):
        try:
            body["programme_id"] = _id_choice(v("programme_id"))
        except ValueError:
            failed.add("programme_id")
    new_venue = None
    body["venue_id"] = None
    if v("venue_id") == NEW_VENUE:
        new_venue = venue_body(
            {name: v(f"new_venue.{name}") for name in VENUE_FIELDS}, failed, "new_venue."
        )
    elif v("venue_id"):
        try:
            body["venue_id"] = _id_choice(v("venue_id"))
        except ValueError:
            failed.add("venue_id")
    if creating:
        first = _first_session(form, zone, failed)
        if first is not None:
            body["sessions"] = [first]
    return Bodies(event=body, new_venue=new_venue)


def _first_session(form: EventForm, zone: ZoneInfo, failed: Failed) -> dict[str, Any] | None:
    day_text, start_text, end_text = (form.get(name).strip() for name in FIRST_DATE)
    if not (day_text or start_text or end_text):
        return None
    day_found = _DAY.fullmatch(day_text)
    start_found, end_found = _TIME.fullmatch(start_text), _TIME.fullmatch(end_text)
    try:
        day = date(*(int(part) for part in day_found.groups())) if day_found else None
    except ValueError:
        day = None
    if day is None:
        failed.add("first_date")
    if start_found is None or not (int(start_found[1]) < 24 and int(start_found[2]) < 60):
        failed.add("first_start")
        start_found = None
    if end_found is None or not (int(end_found[1]) < 24 and int(end_found[2]) < 60):
        failed.add("first_end")
        end_found = None
    if day is None or start_found is None or end_found is None:
        return None

    def at(found: re.Match[str]) -> datetime:
        return datetime(day.year, day.month, day.day, int(found[1]), int(found[2]), tzinfo=zone)

    return {"starts_at": at(start_found), "ends_at": at(end_found)}


def venue_body(values: Mapping[str, str], failed: Failed, prefix: str = "") -> dict[str, Any]:
    """A venue's body from its form fields (`prefix`: where they sit in a larger form)."""
    body: dict[str, Any] = {
        name: values.get(name, "")
        for name in ("name", "street", "postal_code", "city", "accessibility_notes", "notes")
    }
    body["room"] = values.get("room", "").strip() or None
    for flag in VENUE_FLAGS:
        body[flag] = values.get(flag) == "yes"
    capacity = values.get("capacity", "").strip()
    body["capacity"] = None
    if capacity:
        try:
            body["capacity"] = _number(capacity)
        except ValueError:
            failed.add(f"{prefix}capacity")
    return body


def add_errors(error: ValidationError, failed: Failed, prefix: str = "") -> None:
    """Pydantic's errors, each on the form field its location names."""
    for item in error.errors():
        failed.add(field_of(item["loc"], prefix))


def field_of(loc: Iterable[Any], prefix: str = "") -> str:
    """The form field of an error location in a body: ("texts", "ar", "title") is
    `texts.ar.title`; a list item is its list's field; a session's time is the first
    date's."""
    parts = [str(part) for part in loc if not isinstance(part, int)]
    if parts[:1] == ["sessions"]:
        return {"starts_at": "first_start", "ends_at": "first_end"}.get(
            parts[-1] if len(parts) > 1 else "", "first_date"
        )
    if parts[:1] == ["texts"]:
        if len(parts) == 1:
            return "texts"
        if len(parts) == 2:  # a whole language's text: its title says what it needs
            return f"texts.{parts[1]}.title"
        return ".".join(parts[:3])
    if parts[:1] == ["organiser"]:
        return ".".join(parts[:2]) if len(parts) > 1 else "organiser.name"
    return prefix + (parts[0] if parts else "kind")


@dataclass
class Checked:
    """A valid form as the API's models, or what failed."""

    failed: Failed
    event: EventCreate | EventUpdate | None = None
    new_venue: VenueCreate | None = None


def check(form: EventForm, zone: ZoneInfo, *, creating: bool) -> Checked:
    """The form through the API's models (EventCreate or EventUpdate, VenueCreate)."""
    failed = Failed()
    bodies = _bodies(form, zone, failed, creating=creating)
    model = EventCreate if creating else EventUpdate
    event: EventCreate | EventUpdate | None = None
    new_venue = None
    try:
        event = model.model_validate(bodies.event)
    except ValidationError as error:
        add_errors(error, failed)
    if bodies.new_venue is not None:
        try:
            new_venue = VenueCreate.model_validate(bodies.new_venue)
        except ValidationError as error:
            add_errors(error, failed, "new_venue.")
    if failed:
        return Checked(failed)
    return Checked(failed, event, new_venue)


# --- the venue form ---------------------------------------------------------------------


def venue_values(venue: VenueOut | None) -> dict[str, str]:
    if venue is None:
        return {}
    values = {
        name: str(getattr(venue, name) or "") for name in VENUE_FIELDS if name not in VENUE_FLAGS
    }
    values.update({flag: "yes" if getattr(venue, flag) else "" for flag in VENUE_FLAGS})
    return values


def check_venue(values: Mapping[str, str], *, creating: bool) -> tuple[Any, Failed]:
    """The venue form through VenueCreate or VenueUpdate (every field sent)."""
    failed = Failed()
    body = venue_body(values, failed, "new_venue.")
    model = VenueCreate if creating else VenueUpdate
    data = None
    try:
        data = model.model_validate(body)
    except ValidationError as error:
        for item in error.errors():
            failed.add(f"new_venue.{field_of(item['loc'])}")
    # The venue pages name their fields without the prefix.
    failed.fields = {
        name.removeprefix("new_venue."): message for name, message in failed.fields.items()
    }
    return (None if failed else data), failed
