"""The shared input types: texts, bounded dates and instants, and that every text a
client sends fits the column it is stored in (on PostgreSQL a longer one was a 500)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from piccolo.columns import Array, Varchar
from piccolo.table import Table
from pydantic import BaseModel, ValidationError

from treffpunkt.accounts import schemas as accounts
from treffpunkt.accounts.tables import Account
from treffpunkt.events import schemas as events
from treffpunkt.events.tables import Event, Programme, Venue
from treffpunkt.municipalities import schemas as municipalities
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.partners import schemas as partners
from treffpunkt.partners.tables import Partner, PartnerContact
from treffpunkt.registrations import schemas as registrations
from treffpunkt.registrations.tables import EventMessage, Registration
from treffpunkt.schemas import MULTI_LINE, Day, Input, Instant, Name
from treffpunkt.submissions import schemas as submissions
from treffpunkt.submissions.tables import Submission

# Where each request body is stored, and the fields stored under another column name.
STORED_IN: dict[type[BaseModel], type[Table]] = {
    accounts.GuideCreate: Account,
    accounts.AdminCreate: Account,
    accounts.AccountUpdate: Account,
    accounts.LoginIn: Account,
    accounts.GuideInvite: Account,
    accounts.PasswordResetRequest: Account,
    accounts.PasswordChange: Account,  # hashed into password_hash
    municipalities.MunicipalityCreate: Municipality,
    municipalities.MunicipalityUpdate: Municipality,
    municipalities.TownSettings: Municipality,  # the notice's text: a Text column
    events.VenueFields: Venue,
    events.VenueCreate: Venue,
    events.VenueUpdate: Venue,
    events.ProgrammeCreate: Programme,
    events.ProgrammeUpdate: Programme,
    events.EventFields: Event,
    events.EventCreate: Event,
    events.EventUpdate: Event,
    registrations.RegistrationCreate: Registration,
    registrations.GuideRegistrationCreate: Registration,
    registrations.WalkInCreate: Registration,
    partners.PartnerCreate: Partner,
    partners.PartnerUpdate: Partner,
    partners.ContactCreate: PartnerContact,
    partners.ContactUpdate: PartnerContact,
    registrations.MessageIn: EventMessage,
    submissions.SubmissionCreate: Submission,
    submissions.SubmissionUpdate: Submission,
}
RENAMED: dict[tuple[type[BaseModel], str], Any] = {
    (events.Organiser, "name"): Event.organiser_name,
    (events.Organiser, "contact"): Event.organiser_contact,
    (registrations.Needs, "interpretation"): Registration.needs_interpretation,
}
# Bodies whose texts go into JSON or Text columns, or nowhere: bounded, but by no column.
NOT_IN_A_VARCHAR = {
    events.EventText,
    events.ProgrammeText,
    events.SeriesRule,
    events.SessionTimes,
    registrations.Needs,
    registrations.CapacityIn,
    registrations.AttendanceIn,
    registrations.InvitationsIn,
    submissions.ProposedDate,
    submissions.SubmissionText,
    submissions.SubmissionDecline,
}


def all_inputs() -> list[type[Input]]:
    found, todo = [], list(Input.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return [m for m in found if m.__module__.startswith("treffpunkt.")]


def string_fields(model: type[BaseModel]) -> dict[str, int | None]:
    """Each text field (also inside lists) and the longest text it takes, from pydantic's
    own schema: its maxLength, or its longest choice."""
    fields: dict[str, int | None] = {}
    schema = model.model_json_schema()
    for name, field in schema["properties"].items():
        for branch in [field, *field.get("anyOf", [])]:
            branch = branch.get("items", branch)
            if "$ref" in branch:
                branch = schema["$defs"][branch["$ref"].split("/")[-1]]
            if branch.get("type") != "string" or branch.get("format") in ("date", "date-time"):
                continue
            choices = branch.get("enum") or (branch.get("const") and [branch["const"]])
            fields[name] = max(map(len, choices)) if choices else branch.get("maxLength")
    return fields


def column_for(model: type[BaseModel], field: str) -> Any:
    if (model, field) in RENAMED:
        return RENAMED[(model, field)]
    table = STORED_IN.get(model)
    return table._meta.get_column_by_name(field) if table else None


@pytest.mark.parametrize("model", all_inputs(), ids=lambda m: m.__name__)
def test_every_text_input_is_bounded_and_fits_its_column(model: type[BaseModel]) -> None:
    assert (
        model in STORED_IN or model in NOT_IN_A_VARCHAR or any(key[0] is model for key in RENAMED)
    ), f"{model.__name__}: say where it is stored (STORED_IN) or that it is not"
    for field, max_length in string_fields(model).items():
        assert max_length is not None, f"{model.__name__}.{field} has no maximum length"
        try:
            column = column_for(model, field)
        except ValueError:  # not a column of that table
            continue
        if isinstance(column, Array):
            column = column.base_column
        if isinstance(column, Varchar):
            assert max_length is not None
            assert max_length <= column.length, (
                f"{model.__name__}.{field}: up to {max_length} characters, "
                f"the column holds {column.length}"
            )


class Text(Input):
    name: Name
    notes: Any = None


class Notes(Input):
    description: events.LongText = ""


@pytest.mark.parametrize(
    "value",
    [
        *("a\x00b", "a\nb", "a\rb", "a\tb", "a\x1bb", "a\x7fb", "a\x85b", "a\u2028b", "a\u2029b"),
        # not characters at all: XML (Atom feeds) and UTF-8 refuse them
        *("a\ufffeb", "a\uffffb", "a\ufdd0b", "a\U0010ffffb", "a\ud800b"),
    ],
)
def test_single_line_texts_refuse_control_characters(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        Text(name=value)
    assert error.value.errors()[0]["loc"] == ("name",)


def test_texts_inside_lists_and_dict_keys_are_checked_too() -> None:
    with pytest.raises(ValidationError):
        Text(name="ok", notes=["fine", "not\x00fine"])
    with pytest.raises(ValidationError):
        Text(name="ok", notes={"key\n": "value"})


def test_multi_line_texts_keep_line_feeds_and_tabs_and_lose_carriage_returns() -> None:
    assert MULTI_LINE is not None
    assert Notes(description="Zeile 1\r\nZeile 2\n\tEingerückt").description == (
        "Zeile 1\nZeile 2\n\tEingerückt"
    )
    for value in ("a\x00b", "a\rb", "a\x0bb", "a\u2028b"):
        with pytest.raises(ValidationError):
            Notes(description=value)


class When(Input):
    day: Day | None = None
    instant: Instant | None = None


@pytest.mark.parametrize(
    "fields",
    [
        {"day": "0001-01-01"},
        {"day": "9999-12-31"},
        {"day": "1999-12-31"},
        {"day": "2101-01-01"},
        {"instant": "0001-01-01T00:00:00Z"},
        {"instant": "0001-01-01T00:00:00+05:00"},
        {"instant": "9999-12-31T23:00:00-05:00"},
        {"instant": "2100-12-31T23:00:00-05:00"},  # 2101 in UTC
        {"instant": "2027-01-01T10:00:00"},  # no offset
    ],
)
def test_dates_and_instants_outside_2000_to_2100_are_refused(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        When.model_validate(fields)


def test_dates_and_instants_inside_the_range_are_plain_values() -> None:
    when = When.model_validate({"day": "2100-12-31", "instant": "2000-01-01T01:00:00+01:00"})
    assert type(when.day) is date
    assert type(when.instant) is datetime


def test_day_query_values_are_parsed_and_bounded() -> None:
    assert Day.parse("2027-03-01") == date(2027, 3, 1)
    for value in ("0001-01-01", "9999-12-31", "2027-3-1", "tomorrow"):
        with pytest.raises(ValueError):  # noqa: PT011 (any refusal will do)
            Day.parse(value)


def test_every_multi_line_field_keeps_its_line_feeds() -> None:
    text = "Erste Zeile\nzweite Zeile"
    assert events.EventText(title="T", description=text).description == text
    assert events.ProgrammeText(title="T", description=text).description == text
    assert events.VenueUpdate(accessibility_notes=text).accessibility_notes == text
    assert registrations.Needs(accessibility=text).accessibility == text
    with pytest.raises(ValidationError):
        events.EventText(title="T", summary=text)  # a summary is one line
