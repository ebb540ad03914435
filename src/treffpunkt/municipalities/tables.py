from piccolo.columns import (
    Array,
    Boolean,
    Bytea,
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


class Municipality(Table, tablename="municipality"):
    """A tenant: one town's integration office with its own guides, events and mail."""

    id = Serial(primary_key=True)

    slug = Varchar(length=64, unique=True, index=True)
    name = Varchar(length=200)
    time_zone = Varchar(length=64, default="Europe/Berlin")
    default_locale = Varchar(length=8, default="de")
    offered_locales = Array(base_column=Varchar(length=8))
    contact_email = Varchar(length=254)
    contact_phone = Varchar(length=30, null=True, default=None)
    sender_name = Varchar(length=200)
    sender_email = Varchar(length=254)
    # Where answers to the town's mail go (Reply-To); none: to the sender.
    reply_to_email = Varchar(length=254, null=True, default=None)
    website = Varchar(length=500, null=True, default=None)
    retention_days = Integer(default=365)
    privacy_url = Varchar(length=500, null=True, default=None)
    privacy_version = Varchar(length=32, default="1")
    imprint_url = Varchar(length=500, null=True, default=None)
    # The pages' accent (buttons, links) as #rrggbb, readable on white.
    accent_colour = Varchar(length=7, default="#005a8c")
    # The digest of the logo's PNG (MunicipalityLogo): names its address; none, no logo.
    logo_digest = Varchar(length=64, null=True, default=None)
    # How long an unconfirmed registration holds its place (never past the start).
    confirmation_hold_hours = Integer(default=24)
    # When the reminder goes out before a session; 0 sends none.
    reminder_hours = Integer(default=24)
    # An inactive town is gone from the public pages and the API (404), and its
    # guides cannot log in; an admin can make it active again.
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PrivacyNotice(Table, tablename="privacy_notice"):
    """One version of a town's privacy notice: a new row each time its text changes.
    The newest is the one people consent to; `Municipality.privacy_version` names it and
    each registration keeps the version it consented to (`consent_version`)."""

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.cascade, index=True, null=False)
    version = Varchar(length=32)
    text = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class MunicipalityLogo(Table, tablename="municipality_logo"):
    """A town's logo for its pages' header: a PNG re-encoded from what a guide uploaded
    (municipalities/logo.py), apart from the municipality row that every page reads."""

    id = Serial(primary_key=True)
    municipality = ForeignKey(
        Municipality, on_delete=OnDelete.cascade, unique=True, index=True, null=False
    )
    digest = Varchar(length=64)
    data = Bytea()
    updated_at = Timestamptz(default=TimestamptzNow())
