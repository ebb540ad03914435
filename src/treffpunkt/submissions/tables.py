from enum import StrEnum

from piccolo.columns import JSON, Array, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from treffpunkt.events.tables import Event, Programme, Venue
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.partners.tables import Partner


class SubmissionStatus(StrEnum):
    received = "received"  # waiting in the guide's queue
    approved = "approved"  # became a published event of the programme
    declined = "declined"


class Submission(Table, tablename="submission"):
    """An event an organisation proposed for a programme through the public form.

    `texts` are {locale: {"title": …, "description": …}}; `dates` the proposed
    sessions in the municipality's wall time [{"day", "start", "end"}]. The guide may
    edit every field while it waits, and choose one of the town's venues (`venue`);
    approving makes `event` and finds or adds the organisation as a `partner`.
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, index=True, null=False)
    programme = ForeignKey(Programme, on_delete=OnDelete.cascade, index=True, null=False)
    status = Varchar(length=16, choices=SubmissionStatus, default=SubmissionStatus.received)
    organisation = Varchar(length=200)
    contact_name = Varchar(length=200)
    email = Varchar(length=254)
    phone = Varchar(length=30, null=True, default=None)
    locale = Varchar(length=8)  # the contact's language: every mail to them is in it
    texts = JSON()
    dates = JSON()
    languages = Array(base_column=Varchar(length=3))
    venue_wish = Text(default="")
    accessibility = Text(default="")
    privacy_version = Varchar(length=32)  # the privacy notice the contact agreed to
    venue = ForeignKey(Venue, on_delete=OnDelete.set_null, null=True, default=None)
    event = ForeignKey(Event, on_delete=OnDelete.set_null, null=True, default=None)
    partner = ForeignKey(Partner, on_delete=OnDelete.set_null, null=True, default=None)
    decline_message = Text(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
