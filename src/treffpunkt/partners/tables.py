from enum import StrEnum

from piccolo.columns import ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from treffpunkt.municipalities.tables import Municipality


class PartnerKind(StrEnum):
    association = "association"
    migrant_organisation = "migrant_organisation"
    faith_community = "faith_community"
    school = "school"
    public_body = "public_body"
    other = "other"


class Partner(Table, tablename="partner"):
    """An organisation a town works with, and the person to contact there."""

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    name = Varchar(length=200)
    kind = Varchar(length=32, choices=PartnerKind, default=PartnerKind.other.value)
    contact_name = Varchar(length=200, null=True, default=None)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=30, null=True, default=None)
    website = Varchar(length=500, null=True, default=None)
    # The language mail to this partner is written in.
    locale = Varchar(length=5, default="de")
    notes = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PartnerContact(Table, tablename="partner_contact"):
    """A person to contact at a partner: the chair, the treasurer, the youth worker.
    The partner's own email stays the organisation's address (invitations go there)."""

    id = Serial(primary_key=True)
    partner = ForeignKey(Partner, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=200)
    # What the person does there, e.g. "Vorsitzende".
    role = Varchar(length=200, default="")
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=30, null=True, default=None)
    # The language mail to this person is written in.
    locale = Varchar(length=5, default="de")
    notes = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
