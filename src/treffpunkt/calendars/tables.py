from piccolo.columns import JSON, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from treffpunkt.municipalities.tables import Municipality


class PersonalFeed(Table, tablename="personal_feed"):
    """A person's calendar of the sessions they hold a place for, in one municipality.

    The person is their registrations' email address; the feed itself shows no
    personal data. The token is derived from the secret key and `token_salt` and
    only its hash is kept, so a mail can link it again; revoking means a new salt.
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.cascade, index=True, null=False)
    email = Varchar(length=254)  # lower-cased, as registrations match it
    token_hash = Varchar(length=64, unique=True)
    token_salt = Varchar(length=64, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())


class FeedVersion(Table, tablename="feed_version"):
    """When a feed's bytes last changed, as its Last-Modified says.

    Kept so that Last-Modified never goes back, in any process, after any restart:
    an event that leaves a feed changes the bytes but leaves no newer change time
    among the events still in it. `key` names the feed (its path, filters and
    language); a feed gets a row once it holds an event.
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.cascade, index=True, null=False)
    key = Varchar(length=64, unique=True)
    etag = Varchar(length=80)
    modified_at = Timestamptz()


class InvitationRecord(Table, tablename="calendar_invitation"):
    """What a person's calendar holds of one of our calendar objects (a UID), as our
    invitations left it: the SEQUENCE last sent, a digest of the last REQUEST, and
    the occurrences invited and not yet cancelled.

    SEQUENCE rises with every change of what the person holds and never goes down
    (RFC 5546 §2.1.4); a CANCEL names exactly what was invited. `uid` is the
    calendar UID without its host ("event-17", "session-42").
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.cascade, index=True, null=False)
    email = Varchar(length=254)  # lower-cased, as registrations keep it
    uid = Varchar(length=64)
    sequence = Integer(default=0)
    digest = Varchar(length=64, default="")
    instances = JSON(default=[])  # RECURRENCE-IDs in UTC ISO form; "" for a single event
    updated_at = Timestamptz(default=TimestamptzNow())
